// Package gitprovider keeps each tenant's configuration repository on GitHub
// or GitLab: it creates the repository through the provider's REST API, seeds
// it with a real git push, and deletes it again, never touching a repository
// that does not carry the tenant's marker.
//
// The Provider interface is the REST half (one implementation per forge); the
// git half (push.go) is shared, because both forges speak the same smart HTTP
// protocol. Activities (activities.go) joins the two and turns errors into
// Temporal retry decisions.
package gitprovider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Provider is one forge's REST API, reduced to what Rigger needs. Later work
// (pull/merge requests for tenant config changes) adds methods here that take
// a Repo, so callers never need the forge's own types.
type Provider interface {
	// Kind is "github" or "gitlab"; it is recorded in results and errors.
	Kind() string
	// EnsureRepo returns the repository spec.Owner/spec.Name, creating it when
	// it does not exist (created reports which). An existing repository is
	// accepted only when it carries spec.Tenant's marker; otherwise the error
	// is a *ForeignRepoError. Safe to call again after any failure.
	EnsureRepo(ctx context.Context, spec RepoSpec) (repo Repo, created bool, err error)
	// GetRepo returns owner/name; an error matching ErrNotFound when absent.
	// An empty owner means the authenticated user's own namespace.
	GetRepo(ctx context.Context, owner, name string) (Repo, error)
	// DeleteRepo deletes exactly the repository given (by ID where the forge
	// allows, so a rename between look-up and delete cannot redirect it).
	DeleteRepo(ctx context.Context, repo Repo) error
	// GitUsername is the basic-auth user name that goes with the API token
	// for git over HTTPS.
	GitUsername() string
	// CreatePullRequest opens a pull request (GitHub) or merge request
	// (GitLab) from spec.Head into spec.Base of repo, or returns the open one
	// that already exists for that head, so a retry never opens a second.
	CreatePullRequest(ctx context.Context, repo Repo, spec PullRequestSpec) (PullRequest, error)
	// ClosePullRequest closes it without merging and, when branch is not
	// empty, deletes that branch. Already closed or gone is success.
	ClosePullRequest(ctx context.Context, repo Repo, number int, branch string) error
}

// PullRequestSpec describes a pull or merge request.
type PullRequestSpec struct {
	Head, Base  string // branch names
	Title, Body string
	Draft       bool
	// RemoveSourceBranch asks GitLab to delete Head when the MR is merged.
	RemoveSourceBranch bool
}

// PullRequest is an open pull or merge request.
type PullRequest struct {
	Number int    // GitHub number, GitLab IID
	URL    string // web URL
	Base   string
	Head   string
}

// RepoSpec describes the repository EnsureRepo should find or create.
type RepoSpec struct {
	Owner   string // organisation (GitHub) or group path (GitLab); "" = the token's user
	Name    string
	Private bool
	Tenant  string // tenant slug written into the marker
	// Description is the text shown for the repository; "" means
	// Description(Tenant). Markers are appended to whatever is given.
	Description string
	// Run, when set, is the scaffolder task creating the repository: its
	// marker goes into the description too, and EnsureRepo adopts an
	// existing repository only when it carries this run's marker (a retry
	// after a crash); any other existing repository is a *ForeignRepoError.
	Run string
	// Visibility ("public", "private", "internal") overrides Private.
	Visibility string
	// Topics are added next to the marker topic.
	Topics []string
}

// description is what the create request sends: the caller's text plus the
// markers, in the same request, so no crash can leave the repository
// unmarked.
func (s RepoSpec) description() string {
	if s.Description == "" && s.Run == "" {
		return Description(s.Tenant)
	}
	d := strings.TrimSpace(s.Description + " (" + MarkerTopic(s.Tenant) + ")")
	if s.Run != "" {
		d += " (" + RunMarker(s.Run) + ")"
	}
	return d
}

// adoptable checks an existing repository against the spec: the tenant's
// marker always, the run's marker when a run creates it.
func (s RepoSpec) adoptable(r Repo) error {
	if err := r.CheckOwner(s.Tenant); err != nil {
		return err
	}
	if s.Run != "" && !r.HasRunMarker(s.Run) {
		return &ForeignRepoError{Repo: r.FullName, Tenant: s.Tenant, Markers: r.Markers(), Run: s.Run}
	}
	return nil
}

// Repo is a repository as the forge reports it.
type Repo struct {
	ID            int64
	FullName      string // "owner/name"; on GitLab the full path, subgroups included
	CloneURL      string // HTTPS clone URL from the API (clone_url / http_url_to_repo)
	WebURL        string
	DefaultBranch string // may be "" for an empty GitLab project
	Private       bool
	Description   string
	Topics        []string
	// PendingDeletion is set for a GitLab project already scheduled for
	// (delayed) deletion: it still holds its name but is on its way out.
	PendingDeletion bool
}

// ErrNotFound is matched (errors.Is) by errors for a missing repository,
// organisation or group.
var ErrNotFound = errors.New("not found")

// ErrMisconfigured is matched by errors that no retry can fix because the
// integration itself is set up wrongly (or not at all).
var ErrMisconfigured = errors.New("git provider not configured")

// APIError is a failed REST call, reduced to what a retry decision needs.
type APIError struct {
	Provider   string
	Op         string // what was attempted, e.g. "create repository org/name"
	StatusCode int    // 0 when no HTTP status is known
	Message    string
	// RateLimited is set when the forge refused because of a rate limit,
	// whatever the status code (GitHub uses 403 as well as 429).
	RateLimited bool
	// RetryAfter is how long the forge asked us to wait (Retry-After, or the
	// rate-limit reset time); 0 when it did not say.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s: %s: HTTP %d: %s", e.Provider, e.Op, e.StatusCode, e.Message)
}

// Is lets callers test errors.Is(err, ErrNotFound) without knowing the forge.
func (e *APIError) Is(target error) bool {
	return target == ErrNotFound && e.StatusCode == 404
}

// ForeignRepoError means a repository exists under the tenant's name but is
// not marked as that tenant's. Rigger never writes to or deletes such a
// repository: it is the tenant-isolation line on the Git side.
type ForeignRepoError struct {
	Repo    string   // full name
	Tenant  string   // the tenant we acted for
	Markers []string // tenant slugs found in markers; empty when unmarked
	Run     string   // the run that wanted to create it, when one did
}

func (e *ForeignRepoError) Error() string {
	if e.Run != "" {
		return fmt.Sprintf("repository %s already exists and was not created by this run; refusing to publish into it", e.Repo)
	}
	if len(e.Markers) == 0 {
		return fmt.Sprintf("repository %s exists but carries no Rigger tenant marker; refusing to use it for tenant %q", e.Repo, e.Tenant)
	}
	return fmt.Sprintf("repository %s is marked for Rigger tenant(s) %s, not %q; refusing to touch it", e.Repo, strings.Join(e.Markers, ", "), e.Tenant)
}

// The marker is "rigger-tenant-<slug>". It is written into the description
// when the repository is created, in the same request, so that no crash can
// leave a repository of ours unmarked; it is also a topic where the forge
// allows one of that length, so repositories can be found by topic search.
const markerPrefix = "rigger-tenant-"

// MarkerTopic is the topic (and description tag) that marks slug's repository.
func MarkerTopic(slug string) string { return markerPrefix + slug }

// Description is the text a tenant repository is created with; it holds no
// user-supplied text so that nobody can smuggle another tenant's marker in.
func Description(slug string) string {
	return fmt.Sprintf("Backstage configuration of Rigger tenant %s, managed by Rigger (%s)", slug, MarkerTopic(slug))
}

var descMarkerRE = regexp.MustCompile(`\(` + markerPrefix + `([a-z0-9-]+)\)`)

// RunMarker marks a repository created by scaffolder task run.
func RunMarker(run string) string { return "rigger-run-" + run }

// HasRunMarker reports whether the description or topics carry run's marker.
func (r Repo) HasRunMarker(run string) bool {
	m := RunMarker(run)
	return r.hasTopic(m) || strings.Contains(r.Description, "("+m+")")
}

// Markers returns the tenant slugs the repository's topics and description
// name, sorted and without duplicates.
func (r Repo) Markers() []string {
	var out []string
	for _, t := range r.Topics {
		if s, ok := strings.CutPrefix(t, markerPrefix); ok && s != "" {
			out = append(out, s)
		}
	}
	for _, m := range descMarkerRE.FindAllStringSubmatch(r.Description, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// CheckOwner returns nil when the repository is marked for slug and for no
// other tenant, else a *ForeignRepoError.
func (r Repo) CheckOwner(slug string) error {
	m := r.Markers()
	if len(m) == 1 && m[0] == slug {
		return nil
	}
	return &ForeignRepoError{Repo: r.FullName, Tenant: slug, Markers: m}
}

func (r Repo) hasTopic(t string) bool { return slices.Contains(r.Topics, t) }

// retryAfter reads how long a forge asked us to wait: Retry-After (seconds
// or an HTTP date), else the rate-limit reset time when the remaining quota
// is zero. GitHub spells the headers X-RateLimit-*, GitLab RateLimit-*.
func retryAfter(h http.Header, now time.Time) (wait time.Duration, limited bool) {
	for _, p := range []string{"X-", ""} {
		if h.Get(p+"RateLimit-Remaining") == "0" {
			limited = true
			if reset, err := strconv.ParseInt(h.Get(p+"RateLimit-Reset"), 10, 64); err == nil && reset > 0 {
				wait = time.Unix(reset, 0).Sub(now)
			}
		}
	}
	if v := h.Get("Retry-After"); v != "" {
		if secs, err := strconv.Atoi(v); err == nil {
			wait = time.Duration(secs) * time.Second
		} else if t, err := http.ParseTime(v); err == nil {
			wait = t.Sub(now)
		}
	}
	return max(wait, 0), limited
}
