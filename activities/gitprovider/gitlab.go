package gitprovider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	gl "github.com/xanzy/go-gitlab"
)

type gitLab struct {
	c *gl.Client

	mu       sync.Mutex
	username string // the token's user, looked up once when Owner is ""
}

// NewGitLab returns a Provider for gitlab.com (baseURL "") or a self-managed
// GitLab / test server at baseURL ("/api/v4/" is added when missing).
// httpClient may be nil.
func NewGitLab(baseURL, token string, httpClient *http.Client) (Provider, error) {
	// The client's own retries are off: Temporal retries the activity, with
	// the back-off and limits the workflow chose, and records each attempt.
	opts := []gl.ClientOptionFunc{gl.WithoutRetries()}
	if baseURL != "" {
		opts = append(opts, gl.WithBaseURL(baseURL))
	}
	if httpClient != nil {
		opts = append(opts, gl.WithHTTPClient(httpClient))
	}
	c, err := gl.NewClient(token, opts...)
	if err != nil {
		return nil, fmt.Errorf("gitlab client: %w", err)
	}
	return &gitLab{c: c}, nil
}

func (g *gitLab) Kind() string        { return "gitlab" }
func (g *gitLab) GitUsername() string { return "oauth2" } // accepted with personal, group and OAuth tokens

// fullPath resolves owner "" to the token user's namespace.
func (g *gitLab) fullPath(ctx context.Context, owner, name string) (string, error) {
	if owner != "" {
		return owner + "/" + name, nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.username == "" {
		u, _, err := g.c.Users.CurrentUser(gl.WithContext(ctx))
		if err != nil {
			return "", glErr("get current user", err)
		}
		g.username = u.Username
	}
	return g.username + "/" + name, nil
}

func (g *gitLab) GetRepo(ctx context.Context, owner, name string) (Repo, error) {
	path, err := g.fullPath(ctx, owner, name)
	if err != nil {
		return Repo{}, err
	}
	p, _, err := g.c.Projects.GetProject(path, nil, gl.WithContext(ctx))
	if err != nil {
		return Repo{}, glErr("get project "+path, err)
	}
	return fromGitLab(p), nil
}

func (g *gitLab) EnsureRepo(ctx context.Context, spec RepoSpec) (Repo, bool, error) {
	r, err := g.GetRepo(ctx, spec.Owner, spec.Name)
	if err == nil {
		return adoptGitLab(r, spec)
	}
	if !errors.Is(err, ErrNotFound) {
		return Repo{}, false, err
	}

	visibility := gl.PublicVisibility
	if spec.Private {
		visibility = gl.PrivateVisibility
	}
	if spec.Visibility != "" {
		visibility = gl.VisibilityValue(spec.Visibility)
	}
	topics := []string{MarkerTopic(spec.Tenant)}
	if spec.Run != "" {
		topics = append(topics, RunMarker(spec.Run))
	}
	opt := &gl.CreateProjectOptions{
		Name:        gl.Ptr(spec.Name),
		Path:        gl.Ptr(spec.Name),
		Description: gl.Ptr(spec.description()),
		Visibility:  gl.Ptr(visibility),
		// GitLab takes topics at creation, so the marker is written twice in
		// one request and no crash can separate them.
		Topics: gl.Ptr(append(topics, spec.Topics...)),
	}
	if spec.Owner != "" && spec.Run != "" {
		if user, err := g.fullPath(ctx, "", spec.Name); err == nil && strings.EqualFold(user, spec.Owner+"/"+spec.Name) {
			spec.Owner = "" // the token user's own namespace
		}
	}
	if spec.Owner != "" {
		// Projects are created in a namespace by ID; the group must exist.
		ns, _, err := g.c.Namespaces.GetNamespace(spec.Owner, gl.WithContext(ctx))
		if err != nil {
			return Repo{}, false, glErr("get namespace "+spec.Owner, err)
		}
		opt.NamespaceID = gl.Ptr(ns.ID)
	}
	p, _, err := g.c.Projects.CreateProject(opt, gl.WithContext(ctx))
	if isGitLabNameTaken(err) {
		// Created between our look-up and create (by an earlier attempt of
		// ours, most likely): adopt it if it is ours.
		r, err := g.GetRepo(ctx, spec.Owner, spec.Name)
		if err != nil {
			return Repo{}, false, err
		}
		return adoptGitLab(r, spec)
	}
	if err != nil {
		return Repo{}, false, glErr("create project "+spec.Name, err)
	}
	return fromGitLab(p), true, nil
}

func adoptGitLab(r Repo, spec RepoSpec) (Repo, bool, error) {
	if err := spec.adoptable(r); err != nil {
		return Repo{}, false, err
	}
	if r.PendingDeletion {
		// Pushing into a project that is about to vanish would report a
		// success that does not last; a person must restore or purge it.
		return Repo{}, false, &APIError{Provider: "gitlab", Op: "adopt project " + r.FullName, StatusCode: http.StatusConflict,
			Message: "project is scheduled for deletion; restore it in GitLab or wait until it is removed"}
	}
	return r, false, nil
}

func (g *gitLab) DeleteRepo(ctx context.Context, r Repo) error {
	// By ID: the project we checked the marker of, even if renamed since.
	if _, err := g.c.Projects.DeleteProject(int(r.ID), nil, gl.WithContext(ctx)); err != nil {
		return glErr("delete project "+r.FullName, err)
	}
	return nil
}

func fromGitLab(p *gl.Project) Repo {
	return Repo{
		ID:              int64(p.ID),
		FullName:        p.PathWithNamespace,
		CloneURL:        p.HTTPURLToRepo,
		WebURL:          p.WebURL,
		DefaultBranch:   p.DefaultBranch,
		Private:         p.Visibility == gl.PrivateVisibility,
		Description:     p.Description,
		Topics:          p.Topics,
		PendingDeletion: p.MarkedForDeletionAt != nil,
	}
}

// isGitLabNameTaken recognises 400 {"message":{"name":["has already been taken"],...}}.
func isGitLabNameTaken(err error) bool {
	var er *gl.ErrorResponse
	return errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusBadRequest &&
		strings.Contains(er.Message, "has already been taken")
}

// glErr turns go-gitlab's errors into an *APIError. go-gitlab reports 404 as
// the bare gl.ErrNotFound, without the response.
func glErr(op string, err error) error {
	var er *gl.ErrorResponse
	switch {
	case errors.Is(err, gl.ErrNotFound):
		return &APIError{Provider: "gitlab", Op: op, StatusCode: http.StatusNotFound, Message: "404 Not Found"}
	case errors.As(err, &er) && er.Response != nil:
		e := &APIError{Provider: "gitlab", Op: op, StatusCode: er.Response.StatusCode, Message: er.Message}
		e.RetryAfter, e.RateLimited = retryAfter(er.Response.Header, time.Now())
		e.RateLimited = e.RateLimited || e.StatusCode == http.StatusTooManyRequests
		return e
	}
	return fmt.Errorf("gitlab: %s: %w", op, err)
}

func (g *gitLab) CreatePullRequest(ctx context.Context, r Repo, spec PullRequestSpec) (PullRequest, error) {
	pid := int(r.ID)
	open, _, err := g.c.MergeRequests.ListProjectMergeRequests(pid, &gl.ListProjectMergeRequestsOptions{
		State: gl.Ptr("opened"), SourceBranch: gl.Ptr(spec.Head), TargetBranch: gl.Ptr(spec.Base),
	}, gl.WithContext(ctx))
	if err != nil {
		return PullRequest{}, glErr("list merge requests of "+r.FullName, err)
	}
	for _, mr := range open {
		if mr.SourceBranch == spec.Head {
			return PullRequest{Number: mr.IID, URL: mr.WebURL, Base: mr.TargetBranch, Head: spec.Head}, nil
		}
	}
	title := spec.Title
	if spec.Draft {
		title = "Draft: " + title
	}
	mr, _, err := g.c.MergeRequests.CreateMergeRequest(pid, &gl.CreateMergeRequestOptions{
		Title: gl.Ptr(title), Description: gl.Ptr(spec.Body), SourceBranch: gl.Ptr(spec.Head),
		TargetBranch: gl.Ptr(spec.Base), RemoveSourceBranch: gl.Ptr(spec.RemoveSourceBranch),
	}, gl.WithContext(ctx))
	if err != nil {
		return PullRequest{}, glErr("create merge request on "+r.FullName, err)
	}
	return PullRequest{Number: mr.IID, URL: mr.WebURL, Base: spec.Base, Head: spec.Head}, nil
}

func (g *gitLab) ClosePullRequest(ctx context.Context, r Repo, number int, branch string) error {
	pid := int(r.ID)
	if number > 0 {
		_, _, err := g.c.MergeRequests.UpdateMergeRequest(pid, number, &gl.UpdateMergeRequestOptions{StateEvent: gl.Ptr("close")}, gl.WithContext(ctx))
		if err != nil {
			if err := glErr("close merge request", err); !errors.Is(err, ErrNotFound) {
				return err
			}
		}
	}
	if branch != "" {
		if _, err := g.c.Branches.DeleteBranch(pid, branch, gl.WithContext(ctx)); err != nil {
			if err := glErr("delete branch "+branch, err); !errors.Is(err, ErrNotFound) {
				return err
			}
		}
	}
	return nil
}
