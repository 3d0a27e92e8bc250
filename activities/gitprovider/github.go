package gitprovider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	gh "github.com/google/go-github/v60/github"
)

// GitHub limits topics to 50 characters; longer markers live in the
// description only (which is always written).
const githubMaxTopicLen = 50

type gitHub struct {
	c       *gh.Client
	initErr error // a bad base URL, reported by every call

	mu    sync.Mutex
	login string // the token's user, looked up once when Owner is ""
}

// NewGitHub returns a Provider for github.com (baseURL "") or a GitHub
// Enterprise server / test server at baseURL ("/api/v3/" is added when
// missing). httpClient may be nil.
func NewGitHub(baseURL, token string, httpClient *http.Client) Provider {
	c := gh.NewClient(httpClient).WithAuthToken(token)
	g := &gitHub{c: c}
	if baseURL != "" {
		c2, err := c.WithEnterpriseURLs(baseURL, baseURL)
		if err != nil {
			g.initErr = fmt.Errorf("%w: github base URL %q: %v", ErrMisconfigured, baseURL, err)
		} else {
			g.c = c2
		}
	}
	return g
}

func (g *gitHub) Kind() string        { return "github" }
func (g *gitHub) GitUsername() string { return "x-access-token" } // accepted for PATs and app tokens alike

// owner resolves "" to the authenticated user's login, which the read and
// delete endpoints need even though creation does not.
func (g *gitHub) owner(ctx context.Context, owner string) (string, error) {
	if owner != "" {
		return owner, nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.login == "" {
		u, _, err := g.c.Users.Get(ctx, "")
		if err != nil {
			return "", g.apiErr("get authenticated user", err)
		}
		g.login = u.GetLogin()
	}
	return g.login, nil
}

func (g *gitHub) GetRepo(ctx context.Context, owner, name string) (Repo, error) {
	if g.initErr != nil {
		return Repo{}, g.initErr
	}
	owner, err := g.owner(ctx, owner)
	if err != nil {
		return Repo{}, err
	}
	r, _, err := g.c.Repositories.Get(ctx, owner, name)
	if err != nil {
		return Repo{}, g.apiErr("get repository "+owner+"/"+name, err)
	}
	return fromGitHub(r), nil
}

func (g *gitHub) EnsureRepo(ctx context.Context, spec RepoSpec) (Repo, bool, error) {
	// Look first: the common retry case (repository already there) then
	// costs one read and never a second create request.
	r, err := g.GetRepo(ctx, spec.Owner, spec.Name)
	if err == nil {
		return g.adopt(ctx, r, spec.Tenant)
	}
	if !errors.Is(err, ErrNotFound) {
		return Repo{}, false, err
	}

	// Owner "" creates under the token's user (POST /user/repos).
	created, _, err := g.c.Repositories.Create(ctx, spec.Owner, &gh.Repository{
		Name:        gh.String(spec.Name),
		Description: gh.String(Description(spec.Tenant)),
		Private:     gh.Bool(spec.Private),
		AutoInit:    gh.Bool(false), // empty, so the seed push is the first commit
		HasWiki:     gh.Bool(false),
	})
	if isGitHubNameTaken(err) {
		// Someone (most likely our own earlier attempt) created it between
		// the look-up and the create: adopt it if it is ours.
		r, err := g.GetRepo(ctx, spec.Owner, spec.Name)
		if err != nil {
			return Repo{}, false, err
		}
		return g.adopt(ctx, r, spec.Tenant)
	}
	if err != nil {
		return Repo{}, false, g.apiErr("create repository "+spec.Name, err)
	}
	r, err = g.addTopic(ctx, fromGitHub(created), spec.Tenant)
	return r, true, err
}

// adopt accepts an existing repository only when it is the tenant's, and
// finishes what a crashed attempt may have left undone (the topic).
func (g *gitHub) adopt(ctx context.Context, r Repo, slug string) (Repo, bool, error) {
	if err := r.CheckOwner(slug); err != nil {
		return Repo{}, false, err
	}
	r, err := g.addTopic(ctx, r, slug)
	return r, false, err
}

// addTopic adds the marker topic: GitHub's create endpoint takes no topics,
// so this is a second request, repeated by adopt if a crash skipped it.
func (g *gitHub) addTopic(ctx context.Context, r Repo, slug string) (Repo, error) {
	t := MarkerTopic(slug)
	if len(t) > githubMaxTopicLen || r.hasTopic(t) {
		return r, nil
	}
	owner, name, _ := strings.Cut(r.FullName, "/")
	topics, _, err := g.c.Repositories.ReplaceAllTopics(ctx, owner, name, append(append([]string(nil), r.Topics...), t))
	if err != nil {
		return Repo{}, g.apiErr("set topics of "+r.FullName, err)
	}
	r.Topics = topics
	return r, nil
}

func (g *gitHub) DeleteRepo(ctx context.Context, r Repo) error {
	if g.initErr != nil {
		return g.initErr
	}
	owner, name, _ := strings.Cut(r.FullName, "/")
	if _, err := g.c.Repositories.Delete(ctx, owner, name); err != nil {
		return g.apiErr("delete repository "+r.FullName, err)
	}
	return nil
}

func fromGitHub(r *gh.Repository) Repo {
	return Repo{
		ID:            r.GetID(),
		FullName:      r.GetFullName(),
		CloneURL:      r.GetCloneURL(),
		WebURL:        r.GetHTMLURL(),
		DefaultBranch: r.GetDefaultBranch(),
		Private:       r.GetPrivate(),
		Description:   r.GetDescription(),
		Topics:        r.Topics,
	}
}

// isGitHubNameTaken recognises 422 "name already exists on this account".
func isGitHubNameTaken(err error) bool {
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil || er.Response.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	for _, e := range er.Errors {
		if e.Field == "name" && strings.Contains(e.Message, "already exists") {
			return true
		}
	}
	return false
}

// apiErr turns go-github's error types into an *APIError; transport errors
// (no HTTP status) pass through wrapped, and are retried.
func (g *gitHub) apiErr(op string, err error) error {
	var (
		rl *gh.RateLimitError
		ab *gh.AbuseRateLimitError
		er *gh.ErrorResponse
	)
	switch {
	case errors.As(err, &rl):
		// Primary rate limit: wait until the window resets.
		return &APIError{Provider: "github", Op: op, StatusCode: statusOf(rl.Response), Message: rl.Message,
			RateLimited: true, RetryAfter: time.Until(rl.Rate.Reset.Time)}
	case errors.As(err, &ab):
		e := &APIError{Provider: "github", Op: op, StatusCode: statusOf(ab.Response), Message: ab.Message, RateLimited: true}
		if ab.RetryAfter != nil {
			e.RetryAfter = *ab.RetryAfter
		}
		return e
	case errors.As(err, &er):
		msg := er.Message
		for _, d := range er.Errors {
			if d.Message != "" {
				msg += "; " + d.Field + ": " + d.Message
			}
		}
		e := &APIError{Provider: "github", Op: op, StatusCode: statusOf(er.Response), Message: msg}
		if er.Response != nil {
			e.RetryAfter, e.RateLimited = retryAfter(er.Response.Header, time.Now())
			e.RateLimited = e.RateLimited || e.StatusCode == http.StatusTooManyRequests
		}
		return e
	}
	return fmt.Errorf("github: %s: %w", op, err)
}

func statusOf(r *http.Response) int {
	if r == nil {
		return 0
	}
	return r.StatusCode
}
