// Package gitfake is test infrastructure: fake GitHub (REST v3) and GitLab
// (v4) API servers whose repositories are real, served by `git http-backend`
// over HTTP with basic auth, so the production clients (go-github,
// go-gitlab, go-git, the git CLI) run against them unchanged.
//
// The fakes speak the wire formats (paths, status codes, payload shapes from
// the official API docs) of the calls Rigger makes, keep repository metadata
// in memory, and create or delete the matching bare repository on create or
// delete. Every address is a plain http://127.0.0.1 URL, so a worker in a
// subprocess can use them too. All methods are safe for concurrent use.
package gitfake

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

// DefaultBranch is the branch every repository's default is.
const DefaultBranch = "main"

// Option configures NewGitHub and NewGitLab.
type Option func(*settings)

type settings struct {
	token, owner, login string
}

// WithToken sets the API token the server accepts, which is also the git
// password. Defaults: "ghp_gitfaketoken0123456789" (GitHub),
// "glpat-gitfaketoken0123456789" (GitLab).
func WithToken(token string) Option { return func(s *settings) { s.token = token } }

// WithOwner sets the organisation (GitHub) or group (GitLab) that exists.
// Defaults: "acme-tenants" (GitHub), "tenants" (GitLab).
func WithOwner(owner string) Option { return func(s *settings) { s.owner = owner } }

// WithLogin sets the token user's login, whose namespace repositories go to
// when no owner is given. Default "rigger-bot".
func WithLogin(login string) Option { return func(s *settings) { s.login = login } }

// Repo is a snapshot of a repository's metadata on a fake.
type Repo struct {
	ID    int64
	Owner string // GitHub owner login; GitLab namespace full path
	Name  string // GitHub name; GitLab path
	// Visibility is "private", "internal" or "public".
	Visibility  string
	Description string
	Topics      []string
	// MarkedForDeletion is GitLab's delayed deletion (see GitLab.MarkForDeletion).
	MarkedForDeletion bool
}

// FullName is "owner/name".
func (r Repo) FullName() string { return r.Owner + "/" + r.Name }

// Private reports Visibility == "private".
func (r Repo) Private() bool { return r.Visibility == "private" }

func (r *Repo) clone() Repo {
	c := *r
	c.Topics = slices.Clone(r.Topics)
	return c
}

// fault is a scripted failure: the next `times` requests matching method and
// path get status, header and body instead of the normal answer.
type fault struct {
	method, path string
	status       int
	header       map[string]string
	body         string
	times        int
}

type createBlock struct {
	reached  chan string
	released chan struct{}
	once     sync.Once
}

// forge is what the GitHub and GitLab fakes share; its exported methods are
// theirs.
type forge struct {
	t                   testing.TB
	srv                 *httptest.Server
	git                 *GitServer
	token, owner, login string
	done                chan struct{} // closed when the test ends: blocked creates give up

	mu      sync.Mutex
	faults  []*fault
	log     []string         // "METHOD path" of every request, faults included
	repos   map[string]*Repo // by full name
	creates map[string]int   // successful creates by full name
	block   *createBlock
	nextID  int64
	pulls   map[string][]*PullRequest // pull/merge requests by repository full name
}

func newForge(t testing.TB, s settings, gitUser string, nextID int64, handler http.Handler) *forge {
	t.Helper()
	f := &forge{t: t, token: s.token, owner: s.owner, login: s.login, done: make(chan struct{}),
		repos: map[string]*Repo{}, creates: map[string]int{}, nextID: nextID, pulls: map[string][]*PullRequest{}}
	f.git = NewGitServer(t, gitUser, s.token)
	f.srv = httptest.NewServer(handler)
	t.Cleanup(f.srv.Close)
	// Registered later, so it runs first: a create still blocked is let go,
	// or Close would wait for it forever.
	t.Cleanup(func() { close(f.done) })
	return f
}

// URL is the API base URL (the server root, http://127.0.0.1:port), for
// gitprovider.NewGitHub / NewGitLab, go-github's WithEnterpriseURLs and
// go-gitlab's WithBaseURL, which add /api/v3 or /api/v4. Web URLs of
// repositories are URL()+"/"+fullName.
func (f *forge) URL() string { return f.srv.URL }

// Client is an HTTP client for the API server (any client works).
func (f *forge) Client() *http.Client { return f.srv.Client() }

// Token is the API token accepted, also the git password.
func (f *forge) Token() string { return f.token }

// Owner is the organisation (GitHub) or group (GitLab) that exists.
func (f *forge) Owner() string { return f.owner }

// Login is the token user's login (the user namespace).
func (f *forge) Login() string { return f.login }

// Git is the git server the repositories live on.
func (f *forge) Git() *GitServer { return f.git }

// CloneURL is the HTTP clone URL the API reports for name.
func (f *forge) CloneURL(name string) string { return f.git.CloneURL(f.fullName(name)) }

// fullName resolves a bare repository name to one under Owner().
func (f *forge) fullName(name string) string {
	if strings.Contains(name, "/") {
		return name
	}
	return f.owner + "/" + name
}

// Fail scripts a failure: the next `times` requests with this method and
// path (after /api/v3 or /api/v4; GitLab paths as sent, e.g.
// "/projects/tenants%2Fname") are answered with status, header and the JSON
// body instead, before any other handling (auth excepted).
func (f *forge) Fail(method, path string, status, times int, body string, header map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, &fault{method, path, status, header, body, times})
}

// injected answers from a matching fault; the caller holds f.mu.
func (f *forge) injected(w http.ResponseWriter, method, path string) bool {
	for _, ft := range f.faults {
		if ft.times > 0 && ft.method == method && ft.path == path {
			ft.times--
			for k, v := range ft.header {
				w.Header().Set(k, v)
			}
			writeJSON(w, ft.status, json.RawMessage(ft.body))
			return true
		}
	}
	return false
}

// Requests returns "METHOD path" of every API request so far, in order
// (paths as in Fail).
func (f *forge) Requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.log)
}

// Count returns how many API requests were req ("METHOD path", as in Fail).
func (f *forge) Count(req string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, l := range f.log {
		if l == req {
			n++
		}
	}
	return n
}

// Creates counts the successful create requests for name ("owner/name", or
// a bare name under Owner()), deleted repositories included.
func (f *forge) Creates(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.creates[f.fullName(name)]
}

// Repos lists the full names of the repositories that exist, sorted.
func (f *forge) Repos() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var names []string
	for n := range f.repos {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Exists reports whether repository name ("owner/name", or a bare name under
// Owner()) exists.
func (f *forge) Exists(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.repos[f.fullName(name)] != nil
}

// Repo returns a snapshot of repository name ("owner/name", or a bare name
// under Owner()).
func (f *forge) Repo(name string) (Repo, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.repos[f.fullName(name)]
	if r == nil {
		return Repo{}, false
	}
	return r.clone(), true
}

// Files returns the files (path -> content) on the default branch of
// repository name ("owner/name", or a bare name under Owner()), read from the
// bare repository with the git CLI. A repository nobody pushed to has none;
// one that does not exist is an error.
func (f *forge) Files(name string) (map[string]string, error) {
	return f.git.Files(f.fullName(name), DefaultBranch)
}

// Head returns the commit the default branch of name points at, "" while
// the repository is empty.
func (f *forge) Head(name string) (string, error) {
	return f.git.Head(f.fullName(name), DefaultBranch)
}

// AddRepo puts a private repository in place as if created earlier (by
// anyone), with an empty git repository; it is not counted by Creates.
func (f *forge) AddRepo(owner, name, description string, topics ...string) Repo {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	full := owner + "/" + name
	if err := f.git.InitBare(full); err != nil {
		f.t.Fatal(err)
	}
	f.nextID++
	r := &Repo{ID: f.nextID, Owner: owner, Name: name, Visibility: "private", Description: description,
		Topics: slices.Clone(topics)}
	f.repos[full] = r
	return r.clone()
}

// BlockCreates holds back repository creation until release is called.
// Each create request that arrives (authenticated, valid, not answered by a
// Fail fault) sends its full name ("owner/name") on reached, then waits
// until release is called or its request context is cancelled (the client
// went away, e.g. a killed worker); either way it then goes on with the
// create, as a forge that received the whole request does, and answers.
// Creates arriving after release proceed normally. release is idempotent.
// Blocked creates give up (503, nothing created) when the test ends.
func (f *forge) BlockCreates() (reached <-chan string, release func()) {
	b := &createBlock{reached: make(chan string), released: make(chan struct{})}
	f.mu.Lock()
	f.block = b
	f.mu.Unlock()
	return b.reached, func() {
		b.once.Do(func() {
			close(b.released)
			f.mu.Lock()
			if f.block == b {
				f.block = nil
			}
			f.mu.Unlock()
		})
	}
}

// awaitCreate applies BlockCreates to a create of full. The caller holds
// f.mu, which is released while waiting. It returns false when the server is
// shutting down and the create must not happen.
func (f *forge) awaitCreate(ctx context.Context, full string) bool {
	b := f.block
	if b == nil {
		return true
	}
	f.mu.Unlock()
	defer f.mu.Lock()
	select {
	case b.reached <- full:
	case <-b.released:
	case <-ctx.Done():
	case <-f.done:
		return false
	}
	select {
	case <-b.released:
	case <-ctx.Done():
	case <-f.done:
		return false
	}
	return true
}

// create records a new repository and creates its git repository; the
// caller holds f.mu. It answers 500 and fails the test when git fails.
func (f *forge) create(w http.ResponseWriter, r *Repo) bool {
	full := r.FullName()
	if err := f.git.InitBare(full); err != nil {
		f.t.Errorf("gitfake: create %s: %v", full, err)
		writeJSON(w, http.StatusInternalServerError, map[string]any{"message": err.Error()})
		return false
	}
	f.nextID++
	r.ID = f.nextID
	f.repos[full] = r
	f.creates[full]++
	return true
}

// remove deletes a repository and its git repository; the caller holds f.mu.
func (f *forge) remove(full string) {
	delete(f.repos, full)
	if err := f.git.Remove(full); err != nil {
		f.t.Errorf("gitfake: delete %s: %v", full, err)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

func validName(name string) bool {
	return segmentRE.MatchString(name) && !strings.HasSuffix(name, ".git")
}
