package techdocs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"github.com/go-git/go-git/v5/plumbing/transport/client"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// go-git follows HTTP redirects on a clone's first request and then sends
// every later request of that clone, credentials included, to wherever it
// was redirected (the session moves its endpoint). Left alone, an allowed
// host that redirects would take a build, and the platform's git token, to
// a host no tenant may name. So a redirect must pass the same check as the
// URL the tenant gave, and may not drop from https to http.
//
// go-git picks its HTTP client from a process-wide table, so the client
// with this policy is installed once, before anything clones; the policy
// itself travels in each call's context, and calls without one (the
// tenant config repos, which are not tenant-supplied URLs) keep Go's
// default of following up to ten redirects.
func init() {
	c := githttp.NewClient(&http.Client{Transport: http.DefaultTransport, CheckRedirect: checkGitRedirect})
	client.InstallProtocol("https", c)
	client.InstallProtocol("http", c)
}

type redirectGuardKey struct{}

// redirectGuard is one ls-remote's or clone's redirect policy. go-git does
// not keep the cause of a failed request (it wraps some errors without
// Unwrap), so the guard remembers why it refused.
type redirectGuard struct {
	check func(raw string) error
	https bool

	mu      sync.Mutex
	refused error
}

// guardRedirects returns ctx carrying the redirect policy for a git call to
// rawURL (a URL CheckURL has accepted).
func (g GitAccess) guardRedirects(ctx context.Context, rawURL string) (context.Context, *redirectGuard) {
	u, _ := url.Parse(rawURL)
	rg := &redirectGuard{check: g.CheckURL, https: u != nil && u.Scheme == "https"}
	return context.WithValue(ctx, redirectGuardKey{}, rg), rg
}

func (rg *redirectGuard) allow(to *url.URL) error {
	if rg.https && to.Scheme != "https" {
		return fmt.Errorf("%w: redirected from https to %s://%s", ErrSourceNotAllowed, to.Scheme, to.Host)
	}
	// The query is the git service name; the check is on where, not what.
	if err := rg.check(to.Scheme + "://" + to.Host + to.EscapedPath()); err != nil {
		return fmt.Errorf("redirected: %w", err)
	}
	return nil
}

// err is the redirect refusal behind a failed call, if there was one, else
// err itself.
func (rg *redirectGuard) err(err error) error {
	rg.mu.Lock()
	defer rg.mu.Unlock()
	if rg.refused != nil {
		return rg.refused
	}
	return err
}

func checkGitRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	rg, _ := req.Context().Value(redirectGuardKey{}).(*redirectGuard)
	if rg == nil {
		return nil
	}
	if err := rg.allow(req.URL); err != nil {
		rg.mu.Lock()
		rg.refused = err
		rg.mu.Unlock()
		return err
	}
	return nil
}
