package gitprovider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
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
		return g.adopt(ctx, r, spec)
	}
	if !errors.Is(err, ErrNotFound) {
		return Repo{}, false, err
	}

	// Owner "" creates under the token's user (POST /user/repos); so does
	// a scaffolder repoUrl naming the token's user as owner.
	createOwner := spec.Owner
	if spec.Run != "" && createOwner != "" {
		if login, err := g.owner(ctx, ""); err == nil && strings.EqualFold(login, createOwner) {
			createOwner = ""
		}
	}
	req := &gh.Repository{
		Name:        gh.String(spec.Name),
		Description: gh.String(spec.description()),
		Private:     gh.Bool(spec.Private),
		AutoInit:    gh.Bool(false), // empty, so the seed push is the first commit
		HasWiki:     gh.Bool(false),
	}
	if spec.Visibility != "" {
		req.Visibility = gh.String(spec.Visibility)
		req.Private = gh.Bool(spec.Visibility != "public")
	}
	created, _, err := g.c.Repositories.Create(ctx, createOwner, req)
	if isGitHubNameTaken(err) {
		// Someone (most likely our own earlier attempt) created it between
		// the look-up and the create: adopt it if it is ours.
		r, err := g.GetRepo(ctx, spec.Owner, spec.Name)
		if err != nil {
			return Repo{}, false, err
		}
		return g.adopt(ctx, r, spec)
	}
	if err != nil {
		return Repo{}, false, g.apiErr("create repository "+spec.Name, err)
	}
	r, err = g.addTopics(ctx, fromGitHub(created), spec)
	return r, true, err
}

// adopt accepts an existing repository only when it is the tenant's (and
// the run's), and finishes what a crashed attempt may have left undone (the
// topics).
func (g *gitHub) adopt(ctx context.Context, r Repo, spec RepoSpec) (Repo, bool, error) {
	if err := spec.adoptable(r); err != nil {
		return Repo{}, false, err
	}
	r, err := g.addTopics(ctx, r, spec)
	return r, false, err
}

// addTopics adds the marker topic and the spec's topics: GitHub's create
// endpoint takes no topics, so this is a second request, repeated by adopt if
// a crash skipped it.
func (g *gitHub) addTopics(ctx context.Context, r Repo, spec RepoSpec) (Repo, error) {
	want := append([]string(nil), r.Topics...)
	for _, t := range append([]string{MarkerTopic(spec.Tenant)}, spec.Topics...) {
		if len(t) <= githubMaxTopicLen && !slices.Contains(want, t) {
			want = append(want, t)
		}
	}
	if len(want) == len(r.Topics) {
		return r, nil
	}
	owner, name, _ := strings.Cut(r.FullName, "/")
	topics, _, err := g.c.Repositories.ReplaceAllTopics(ctx, owner, name, want)
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
	if err == nil {
		return nil
	}
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

func (g *gitHub) CreatePullRequest(ctx context.Context, r Repo, spec PullRequestSpec) (PullRequest, error) {
	if g.initErr != nil {
		return PullRequest{}, g.initErr
	}
	owner, name, _ := strings.Cut(r.FullName, "/")
	find := func() (PullRequest, bool, error) {
		open, _, err := g.c.PullRequests.List(ctx, owner, name, &gh.PullRequestListOptions{State: "open", Head: owner + ":" + spec.Head, Base: spec.Base})
		if err != nil {
			return PullRequest{}, false, g.apiErr("list pull requests of "+r.FullName, err)
		}
		for _, pr := range open {
			if pr.GetHead().GetRef() == spec.Head {
				return PullRequest{Number: pr.GetNumber(), URL: pr.GetHTMLURL(), Base: pr.GetBase().GetRef(), Head: spec.Head}, true, nil
			}
		}
		return PullRequest{}, false, nil
	}
	if pr, ok, err := find(); err != nil || ok {
		return pr, err
	}
	pr, _, err := g.c.PullRequests.Create(ctx, owner, name, &gh.NewPullRequest{
		Title: gh.String(spec.Title), Head: gh.String(spec.Head), Base: gh.String(spec.Base),
		Body: gh.String(spec.Body), Draft: gh.Bool(spec.Draft),
	})
	if err != nil {
		// "A pull request already exists": made by an earlier attempt.
		if existing, ok, ferr := find(); ferr == nil && ok {
			return existing, nil
		}
		return PullRequest{}, g.apiErr("create pull request on "+r.FullName, err)
	}
	return PullRequest{Number: pr.GetNumber(), URL: pr.GetHTMLURL(), Base: spec.Base, Head: spec.Head}, nil
}

func (g *gitHub) ClosePullRequest(ctx context.Context, r Repo, number int, branch string) error {
	if g.initErr != nil {
		return g.initErr
	}
	owner, name, _ := strings.Cut(r.FullName, "/")
	if number > 0 {
		_, _, err := g.c.PullRequests.Edit(ctx, owner, name, number, &gh.PullRequest{State: gh.String("closed")})
		if err = g.apiErr("close pull request", err); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	if branch != "" {
		_, err := g.c.Git.DeleteRef(ctx, owner, name, "heads/"+branch)
		if err = g.apiErr("delete branch "+branch, err); err != nil && !errors.Is(err, ErrNotFound) && !isStatus(err, http.StatusUnprocessableEntity) {
			return err
		}
	}
	return nil
}

func isStatus(err error, status int) bool {
	var api *APIError
	return errors.As(err, &api) && api.StatusCode == status
}
