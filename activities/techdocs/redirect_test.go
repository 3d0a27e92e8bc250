package techdocs

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// redirector answers every request with a redirect to the same path on to.
func redirector(t *testing.T, to string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, to+req.URL.RequestURI(), http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// A clone or ls-remote goes only where CheckURL lets a tenant point it:
// an allowed host that redirects elsewhere does not take the build, or the
// platform's git token, with it.
func TestGitRedirectsStayUnderAllowedPrefixes(t *testing.T) {
	r := newGitRepo(t, siteV1)
	commit := r.commit(nil)
	ctx := context.Background()

	// Elsewhere: a host no prefix allows, which records what reaches it.
	var reached, withToken atomic.Int32
	trap := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		reached.Add(1)
		if req.Header.Get("Authorization") != "" {
			withToken.Add(1)
		}
		http.NotFound(w, req)
	}))
	defer trap.Close()
	away := redirector(t, trap.URL)
	access := r.access
	access.AllowedPrefixes = []string{away.URL + "/git/acme"}
	src := away.URL + "/git/acme/payments.git"
	if _, err := access.ResolveRef(ctx, src, "main"); !errors.Is(err, ErrSourceNotAllowed) {
		t.Fatalf("ls-remote through a redirect to a host no prefix allows: %v, want ErrSourceNotAllowed", err)
	}
	a, _ := newActs(t, r)
	a.Git = access
	_, err := stageGit(a, r, commit, Source{GitURL: src, Ref: "main"}, false)
	if errType(err) != ErrTypeSourceNotAllowed {
		t.Fatalf("stage through a redirect to a host no prefix allows: %v, want not allowed", err)
	}
	if reached.Load() != 0 || withToken.Load() != 0 {
		t.Fatalf("the refused host got %d requests (%d with the token)", reached.Load(), withToken.Load())
	}

	// The same redirect within the allowed prefixes (a renamed repository
	// on the same forge) is followed.
	moved := redirector(t, r.srv.URL())
	access.AllowedPrefixes = []string{moved.URL + "/git/acme", r.srv.URL() + "/git/acme"}
	src = moved.URL + "/git/acme/payments.git"
	if c, err := access.ResolveRef(ctx, src, "main"); err != nil || c != commit {
		t.Fatalf("ls-remote through an allowed redirect = %s %v, want %s", c, err, commit)
	}
	a.Git = access
	if res, err := stageGit(a, r, commit, Source{GitURL: src, Ref: "main"}, false); err != nil || res.Commit != commit {
		t.Fatalf("stage through an allowed redirect: %+v %v", res, err)
	}
	// ...but not to a path outside them on the same host.
	access.AllowedPrefixes = []string{moved.URL + "/git/acme", r.srv.URL() + "/git/other"}
	if _, err := access.ResolveRef(ctx, src, "main"); !errors.Is(err, ErrSourceNotAllowed) {
		t.Fatalf("redirect to a path outside the prefixes: %v, want ErrSourceNotAllowed", err)
	}
}

// A redirect never downgrades an https clone to plain http, even for the
// local CLI, which may clone from anywhere: the token would travel in the
// clear.
func TestGitRedirectKeepsHTTPS(t *testing.T) {
	for _, g := range []GitAccess{{AllowedPrefixes: []string{"https://git.example/", "http://git.example/"}}, {Unrestricted: true}} {
		_, rg := g.guardRedirects(context.Background(), "https://git.example/docs/site.git")
		down, _ := url.Parse("http://git.example/docs/site.git/info/refs?service=git-upload-pack")
		if err := rg.allow(down); !errors.Is(err, ErrSourceNotAllowed) || !strings.Contains(err.Error(), "https to http") {
			t.Fatalf("https to http (unrestricted %v): %v", g.Unrestricted, err)
		}
		same, _ := url.Parse("https://git.example/docs/moved.git/info/refs?service=git-upload-pack")
		if err := rg.allow(same); err != nil {
			t.Fatalf("https to https under the prefixes (unrestricted %v): %v", g.Unrestricted, err)
		}
	}
}
