package gitprovider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/internal/tenant"
)

// Error types of the application errors the activities return, for
// workflows and retry policies to match on.
const (
	ErrTypeNotConfigured = "GitNotConfigured"    // no provider configured (non-retryable)
	ErrTypeValidation    = "GitValidation"       // bad input, or the forge rejected it: 400/422 (non-retryable)
	ErrTypeAuthFailed    = "GitAuthFailed"       // 401: token missing, wrong or expired (non-retryable)
	ErrTypePermission    = "GitPermissionDenied" // 403: token lacks a scope or role (non-retryable)
	ErrTypeNotFound      = "GitNotFound"         // 404 where something must exist, e.g. the group (non-retryable)
	ErrTypeConflict      = "GitConflict"         // 409, e.g. a GitLab project pending deletion (non-retryable)
	ErrTypeRepoForeign   = "GitRepoForeign"      // the repository is not marked as this tenant's (non-retryable)
	ErrTypeRequestFailed = "GitRequestFailed"    // any other 4xx (non-retryable)
	ErrTypeRateLimited   = "GitRateLimited"      // 429 or a rate-limit 403 (retryable, after the forge's delay)
	ErrTypeUnavailable   = "GitUnavailable"      // 5xx, 408 or a network error (retryable)
	ErrTypeRepoNotReady  = "GitRepoNotReady"     // git says "not found" right after creation (retryable)
)

const (
	defaultBranch      = "main"
	defaultAuthorName  = "Rigger"
	defaultAuthorEmail = "rigger@localhost"
	defaultBaseDomain  = "rigger.localhost"
	minNextRetryDelay  = time.Second
)

// Activities keeps tenant configuration repositories. A zero Provider means
// the Git integration is not configured: the activities then fail with a
// non-retryable GitNotConfigured error, and workflows should check
// Configured() before scheduling them.
type Activities struct {
	Provider Provider
	// Owner is the organisation (GitHub) or group path (GitLab) holding the
	// tenant repositories; "" means the token's own user.
	Owner string
	// Token authenticates git over HTTPS, paired with
	// Provider.GitUsername(); normally the token the Provider was built with.
	Token string
	// AuthorName and AuthorEmail sign the seed commits (defaults "Rigger",
	// "rigger@localhost").
	AuthorName, AuthorEmail string
	// BaseDomain places each tenant's Backstage at https://<slug>.<BaseDomain>
	// (default "rigger.localhost").
	BaseDomain string
}

// Configured reports whether a Git provider is set up. It is not an
// activity, so a worker registers the struct with
// activity.RegisterOptions{SkipInvalidStructFunctions: true}.
func (a *Activities) Configured() bool { return a != nil && a.Provider != nil }

// CreateConfigRepoInput describes the tenant whose repository is created.
type CreateConfigRepoInput struct {
	Slug        string
	DisplayName string   // app title; defaults to Slug
	Plan        string   // recorded as the rigger.dev/plan label
	Owner       string   // user name of the tenant's owner (user:default/<Owner>); always an admin
	Admins      []string // further user names with the admin role
	Plugins     []string // enabled plugin identifiers
	Image       string   // Backstage container image to deploy
}

// CreateConfigRepoResult says where the repository is and what it holds.
type CreateConfigRepoResult struct {
	Provider      string // "github" or "gitlab"
	Repo          string // full name, "owner/name"
	CloneURL      string
	WebURL        string
	DefaultBranch string
	Created       bool   // this attempt created the repository
	CommitSHA     string // head of DefaultBranch, holding the seed
}

// GitCreateConfigRepo makes sure the tenant's configuration repository exists
// and holds the seed files. Every step converges, so a retry after a crash at
// any point (even between creating and pushing) finishes the job without a
// second repository or a duplicate commit.
func (a *Activities) GitCreateConfigRepo(ctx context.Context, in CreateConfigRepoInput) (CreateConfigRepoResult, error) {
	if !a.Configured() {
		return CreateConfigRepoResult{}, notConfigured()
	}
	domain := a.BaseDomain
	if domain == "" {
		domain = defaultBaseDomain
	}
	files, err := SeedFiles(in, "https://"+in.Slug+"."+domain)
	if err != nil {
		return CreateConfigRepoResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeValidation, err)
	}

	repo, created, err := a.Provider.EnsureRepo(ctx, RepoSpec{
		Owner: a.Owner, Name: tenant.ConfigRepo(in.Slug), Private: true, Tenant: in.Slug,
	})
	if err != nil {
		return CreateConfigRepoResult{}, classify(err)
	}
	logger(ctx).Info("tenant config repository ready", "tenant", in.Slug, "repo", repo.FullName, "created", created)
	heartbeat(ctx, "repo ready")

	branch := repo.DefaultBranch
	if branch == "" { // an empty GitLab project may report none
		branch = defaultBranch
	}
	sha, pushed, err := pushSeed(ctx, pushRequest{
		URL:    repo.CloneURL,
		Auth:   &githttp.BasicAuth{Username: a.Provider.GitUsername(), Password: a.Token},
		Branch: branch,
		Files:  files,
		Message: func(initial bool) string {
			if initial {
				return fmt.Sprintf("Seed the configuration of Rigger tenant %s\n", in.Slug)
			}
			return fmt.Sprintf("Update the Rigger-generated configuration of tenant %s\n", in.Slug)
		},
		Author: a.signature(),
	})
	if err != nil {
		return CreateConfigRepoResult{}, classifyGit(repo.FullName, err)
	}
	logger(ctx).Info("tenant config seeded", "tenant", in.Slug, "repo", repo.FullName, "commit", sha, "pushed", pushed)

	return CreateConfigRepoResult{
		Provider:      a.Provider.Kind(),
		Repo:          repo.FullName,
		CloneURL:      repo.CloneURL,
		WebURL:        repo.WebURL,
		DefaultBranch: branch,
		Created:       created,
		CommitSHA:     sha,
	}, nil
}

// DeleteConfigRepoInput names the tenant whose repository goes.
type DeleteConfigRepoInput struct {
	Slug string
}

// DeleteConfigRepoResult reports whether this call deleted it (false when it
// was already gone or already scheduled for deletion).
type DeleteConfigRepoResult struct {
	Deleted bool
}

// GitDeleteConfigRepo deletes the tenant's configuration repository. It is
// idempotent, and it refuses (non-retryable GitRepoForeign) to delete a
// repository that is not marked as this tenant's: a compensation step must
// never remove someone else's repository that merely has the expected name.
func (a *Activities) GitDeleteConfigRepo(ctx context.Context, in DeleteConfigRepoInput) (DeleteConfigRepoResult, error) {
	if !a.Configured() {
		return DeleteConfigRepoResult{}, notConfigured()
	}
	if err := tenant.ValidateSlug(in.Slug); err != nil {
		return DeleteConfigRepoResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeValidation, err)
	}
	repo, err := a.Provider.GetRepo(ctx, a.Owner, tenant.ConfigRepo(in.Slug))
	if errors.Is(err, ErrNotFound) {
		return DeleteConfigRepoResult{Deleted: false}, nil
	}
	if err != nil {
		return DeleteConfigRepoResult{}, classify(err)
	}
	if err := repo.CheckOwner(in.Slug); err != nil {
		return DeleteConfigRepoResult{}, classify(err)
	}
	if repo.PendingDeletion {
		return DeleteConfigRepoResult{Deleted: false}, nil
	}
	err = a.Provider.DeleteRepo(ctx, repo)
	if errors.Is(err, ErrNotFound) { // deleted by someone else meanwhile
		return DeleteConfigRepoResult{Deleted: false}, nil
	}
	if err != nil {
		return DeleteConfigRepoResult{}, classify(err)
	}
	logger(ctx).Info("tenant config repository deleted", "tenant", in.Slug, "repo", repo.FullName)
	return DeleteConfigRepoResult{Deleted: true}, nil
}

func (a *Activities) signature() object.Signature {
	s := object.Signature{Name: a.AuthorName, Email: a.AuthorEmail, When: time.Now().UTC()}
	if s.Name == "" {
		s.Name = defaultAuthorName
	}
	if s.Email == "" {
		s.Email = defaultAuthorEmail
	}
	return s
}

func notConfigured() error {
	return temporal.NewNonRetryableApplicationError("git provider is not configured", ErrTypeNotConfigured, ErrMisconfigured)
}

// classify turns a provider error into a Temporal application error whose
// retryability says whether waiting can help.
func classify(err error) error {
	var (
		foreign *ForeignRepoError
		api     *APIError
	)
	switch {
	case errors.As(err, &foreign):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeRepoForeign, err)
	case errors.Is(err, ErrMisconfigured):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeNotConfigured, err)
	case errors.As(err, &api):
		return classifyStatus(api.StatusCode, api.RateLimited, api.RetryAfter, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err // the activity's own timeout or cancellation; Temporal knows what to do
	}
	// No HTTP status: a network failure, worth retrying.
	return temporal.NewApplicationErrorWithCause(err.Error(), ErrTypeUnavailable, err)
}

func classifyStatus(status int, rateLimited bool, wait time.Duration, err error) error {
	nonRetryable := func(t string) error { return temporal.NewNonRetryableApplicationError(err.Error(), t, err) }
	retryable := func(t string) error {
		opts := temporal.ApplicationErrorOptions{Cause: err}
		if wait > 0 {
			// Honour the forge's delay; 0 would mean "use the retry policy".
			opts.NextRetryDelay = max(wait, minNextRetryDelay)
		}
		return temporal.NewApplicationErrorWithOptions(err.Error(), t, opts)
	}
	switch {
	case rateLimited || status == http.StatusTooManyRequests:
		return retryable(ErrTypeRateLimited)
	case status >= 500, status == 0, status == http.StatusRequestTimeout:
		return retryable(ErrTypeUnavailable)
	case status == http.StatusUnauthorized:
		return nonRetryable(ErrTypeAuthFailed)
	case status == http.StatusForbidden:
		return nonRetryable(ErrTypePermission)
	case status == http.StatusNotFound:
		return nonRetryable(ErrTypeNotFound)
	case status == http.StatusConflict:
		return nonRetryable(ErrTypeConflict)
	case status == http.StatusBadRequest, status == http.StatusUnprocessableEntity:
		return nonRetryable(ErrTypeValidation)
	}
	return nonRetryable(ErrTypeRequestFailed)
}

// classifyGit does the same for git-over-HTTP errors from the push.
func classifyGit(repo string, err error) error {
	err = fmt.Errorf("git push to %s: %w", repo, err)
	switch {
	case errors.Is(err, transport.ErrAuthenticationRequired):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeAuthFailed, err)
	case errors.Is(err, transport.ErrAuthorizationFailed):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypePermission, err)
	case errors.Is(err, transport.ErrRepositoryNotFound):
		// Forges serve a new repository over git a moment after the API
		// reports it created.
		return temporal.NewApplicationErrorWithCause(err.Error(), ErrTypeRepoNotReady, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	// Server errors, network errors, and a rejected fast-forward (someone
	// pushed meanwhile; the next attempt builds on their commit).
	return temporal.NewApplicationErrorWithCause(err.Error(), ErrTypeUnavailable, err)
}

// logger and heartbeat work inside an activity and do nothing outside one,
// so the methods can also be called directly (tests, tools).
func logger(ctx context.Context) interface{ Info(string, ...any) } {
	if activity.IsActivity(ctx) {
		return activity.GetLogger(ctx)
	}
	return nopLogger{}
}

type nopLogger struct{}

func (nopLogger) Info(string, ...any) {}

func heartbeat(ctx context.Context, details ...any) {
	if activity.IsActivity(ctx) {
		activity.RecordHeartbeat(ctx, details...)
	}
}
