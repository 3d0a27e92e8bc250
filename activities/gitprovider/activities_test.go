package gitprovider

import (
	"errors"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/rigger-platform/rigger/internal/gitfake"
)

const (
	ghToken = "ghp_testtoken0123456789"
	glToken = "glpat-testtoken0123456789"
	ghOrg   = "acme-tenants"
	ghRepoN = ghOrg + "/tenant-acme-config"
	glGroup = "tenants"
	glRepoN = glGroup + "/tenant-acme-config"
)

func acmeInput() CreateConfigRepoInput {
	return CreateConfigRepoInput{
		Slug: "acme", DisplayName: "Acme Corp", Plan: "team", Owner: "alice",
		Admins: []string{"bob"}, Plugins: []string{"techdocs", "catalog"},
		Image: "ghcr.io/rigger-platform/backstage:1.2.3",
	}
}

type gitHubEnv struct {
	git  *gitfake.GitServer
	gh   *gitfake.GitHub
	acts *Activities
}

func newGitHubEnv(t *testing.T) *gitHubEnv {
	t.Helper()
	gh := gitfake.NewGitHub(t, gitfake.WithToken(ghToken), gitfake.WithOwner(ghOrg))
	return &gitHubEnv{git: gh.Git(), gh: gh, acts: &Activities{
		Provider: NewGitHub(gh.URL(), ghToken, gh.Client()), Owner: ghOrg, Token: ghToken,
		AuthorName: "Rigger Test", AuthorEmail: "rigger@example.com", BaseDomain: "rigger.example.com",
	}}
}

type gitLabEnv struct {
	git  *gitfake.GitServer
	gl   *gitfake.GitLab
	acts *Activities
}

func newGitLabEnv(t *testing.T) *gitLabEnv {
	t.Helper()
	gl := gitfake.NewGitLab(t, gitfake.WithToken(glToken), gitfake.WithOwner(glGroup))
	p, err := NewGitLab(gl.URL(), glToken, gl.Client())
	if err != nil {
		t.Fatal(err)
	}
	return &gitLabEnv{git: gl.Git(), gl: gl, acts: &Activities{
		Provider: p, Owner: glGroup, Token: glToken, BaseDomain: "rigger.example.com",
	}}
}

// The activities run inside the SDK's test activity environment, so errors
// come back the way a workflow sees them: serialised and decoded again.
func create(t *testing.T, a *Activities, in CreateConfigRepoInput) (CreateConfigRepoResult, error) {
	t.Helper()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	register(env, a)
	val, err := env.ExecuteActivity(a.GitCreateConfigRepo, in)
	var res CreateConfigRepoResult
	if err == nil {
		err = val.Get(&res)
	}
	return res, err
}

func del(t *testing.T, a *Activities, slug string) (DeleteConfigRepoResult, error) {
	t.Helper()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	register(env, a)
	val, err := env.ExecuteActivity(a.GitDeleteConfigRepo, DeleteConfigRepoInput{Slug: slug})
	var res DeleteConfigRepoResult
	if err == nil {
		err = val.Get(&res)
	}
	return res, err
}

// register registers the struct's activities the way a worker must:
// skipping Configured, which is not an activity.
func register(env *testsuite.TestActivityEnvironment, a *Activities) {
	env.RegisterActivityWithOptions(a, activity.RegisterOptions{SkipInvalidStructFunctions: true})
}

func mustCreate(t *testing.T, a *Activities, in CreateConfigRepoInput) CreateConfigRepoResult {
	t.Helper()
	res, err := create(t, a, in)
	if err != nil {
		t.Fatalf("GitCreateConfigRepo: %v", err)
	}
	return res
}

// appErr asserts err carries an application error of the given type and
// retryability, and returns it.
func appErr(t *testing.T, err error, typ string, retryable bool) *temporal.ApplicationError {
	t.Helper()
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) {
		t.Fatalf("want application error %s, got %T: %v", typ, err, err)
	}
	if ae.Type() != typ || ae.NonRetryable() == retryable {
		t.Fatalf("want %s (retryable=%v), got %s (non-retryable=%v): %v", typ, retryable, ae.Type(), ae.NonRetryable(), err)
	}
	return ae
}

// wantSeed asserts the branch holds exactly the seed files for in.
func wantSeed(t *testing.T, git *gitfake.GitServer, repo string, in CreateConfigRepoInput, wantHead string) map[string]string {
	t.Helper()
	files, head := git.Clone(repo, "main")
	if head != wantHead {
		t.Errorf("branch head %s, want %s", head, wantHead)
	}
	seed, err := SeedFiles(in, "https://"+in.Slug+".rigger.example.com")
	if err != nil {
		t.Fatal(err)
	}
	for p, c := range seed {
		if files[p] != string(c) {
			t.Errorf("%s in the repository differs from the seed:\n%s", p, files[p])
		}
	}
	return files
}

var shaRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

func TestGitHubCreateSeedsAndSecondCallIsNoOp(t *testing.T) {
	e := newGitHubEnv(t)
	in := acmeInput()
	res := mustCreate(t, e.acts, in)

	want := CreateConfigRepoResult{
		Provider: "github", Repo: ghRepoN, CloneURL: e.git.CloneURL(ghRepoN),
		WebURL: e.gh.URL() + "/" + ghRepoN, DefaultBranch: "main", Created: true, CommitSHA: res.CommitSHA,
	}
	if res != want {
		t.Fatalf("result\n got %+v\nwant %+v", res, want)
	}
	if !shaRE.MatchString(res.CommitSHA) {
		t.Fatalf("commit SHA %q", res.CommitSHA)
	}
	files := wantSeed(t, e.git, ghRepoN, in, res.CommitSHA)
	if len(files) != 6 {
		t.Errorf("repository has %d files, want the 6 seed files: %v", len(files), slicesKeys(files))
	}
	r, _ := e.gh.Repo(ghRepoN)
	if !r.Private() || r.Description != Description("acme") || len(r.Topics) != 1 || r.Topics[0] != "rigger-tenant-acme" {
		t.Errorf("repository private=%v description=%q topics=%v", r.Private(), r.Description, r.Topics)
	}
	if got, _ := e.git.Git(e.git.Dir(ghRepoN), "log", "-1", "--format=%an <%ae>|%P"); got != "Rigger Test <rigger@example.com>|" {
		t.Errorf("seed commit author|parents = %q, want a root commit by Rigger Test", got)
	}

	pushes := e.git.Pushes()
	again := mustCreate(t, e.acts, in)
	want.Created = false
	if again != want {
		t.Fatalf("second call\n got %+v\nwant %+v", again, want)
	}
	if n := e.gh.Count("POST /orgs/" + ghOrg + "/repos"); n != 1 {
		t.Errorf("%d create requests, want 1", n)
	}
	if e.git.Pushes() != pushes {
		t.Errorf("second call pushed")
	}
}

func TestGitHubUserNamespace(t *testing.T) {
	e := newGitHubEnv(t)
	e.acts.Owner = ""
	res := mustCreate(t, e.acts, acmeInput())
	if res.Repo != "rigger-bot/tenant-acme-config" || e.gh.Count("POST /user/repos") != 1 {
		t.Fatalf("repo %s; requests %v", res.Repo, e.gh.Requests())
	}
	if d, err := del(t, e.acts, "acme"); err != nil || !d.Deleted {
		t.Fatalf("delete: %+v %v", d, err)
	}
}

// A first attempt created the repository and crashed before adding the topic
// and pushing; the retry must adopt it, finish it, and create nothing.
func TestGitHubRetryAfterCreateWithoutPush(t *testing.T) {
	e := newGitHubEnv(t)
	e.gh.AddRepo(ghOrg, "tenant-acme-config", Description("acme")) // marker in description only
	in := acmeInput()
	res := mustCreate(t, e.acts, in)
	if res.Created {
		t.Error("Created = true for an existing repository")
	}
	if n := e.gh.Count("POST /orgs/" + ghOrg + "/repos"); n != 0 {
		t.Errorf("%d create requests, want 0", n)
	}
	wantSeed(t, e.git, ghRepoN, in, res.CommitSHA)
	if r, _ := e.gh.Repo(ghRepoN); len(r.Topics) != 1 || r.Topics[0] != "rigger-tenant-acme" {
		t.Errorf("topics %v: the retry did not finish marking the repository", r.Topics)
	}
}

// A first attempt created the repository, then failed to add the topic; the
// error is retryable and the retry finishes the job without a second create.
func TestGitHubTopicFailureAfterCreateConverges(t *testing.T) {
	e := newGitHubEnv(t)
	e.gh.Fail("PUT", "/repos/"+ghRepoN+"/topics", 503, 1, `{"message":"Service Unavailable"}`, nil)
	_, err := create(t, e.acts, acmeInput())
	appErr(t, err, ErrTypeUnavailable, true)
	res := mustCreate(t, e.acts, acmeInput())
	if r, _ := e.gh.Repo(ghRepoN); res.Created || e.gh.Count("POST /orgs/"+ghOrg+"/repos") != 1 || len(r.Topics) != 1 {
		t.Fatalf("retry: %+v; log %v", res, e.gh.Requests())
	}
	wantSeed(t, e.git, ghRepoN, acmeInput(), res.CommitSHA)
}

// The look-up misses a repository that exists (a create racing ours, or a
// stale read); the create then gets 422 "name already exists", and the
// repository is adopted because it carries the tenant's marker.
func TestGitHubNameAlreadyExistsIsAdopted(t *testing.T) {
	e := newGitHubEnv(t)
	e.gh.AddRepo(ghOrg, "tenant-acme-config", Description("acme"), "rigger-tenant-acme")
	e.gh.Fail("GET", "/repos/"+ghRepoN, 404, 1, `{"message":"Not Found","status":"404"}`, nil)
	res := mustCreate(t, e.acts, acmeInput())
	if res.Created || e.gh.Count("POST /orgs/"+ghOrg+"/repos") != 1 {
		t.Fatalf("created=%v, requests %v", res.Created, e.gh.Requests())
	}
	wantSeed(t, e.git, ghRepoN, acmeInput(), res.CommitSHA)

	// The same race against someone else's repository is a conflict.
	e.gh.AddRepo(ghOrg, "tenant-other-config", "not ours")
	e.gh.Fail("GET", "/repos/"+ghOrg+"/tenant-other-config", 404, 1, `{"message":"Not Found"}`, nil)
	other := acmeInput()
	other.Slug = "other"
	_, err := create(t, e.acts, other)
	appErr(t, err, ErrTypeRepoForeign, false)
}

// Changed input (or a person's edit to a generated file) gets one commit on
// top of the branch; files Rigger did not generate are kept.
func TestGitHubReseedCommitsOnTop(t *testing.T) {
	e := newGitHubEnv(t)
	in := acmeInput()
	first := mustCreate(t, e.acts, in)
	edited := e.git.CommitFile(ghRepoN, "main", "docs/notes.md", "kept\n")

	in.Plugins = append(in.Plugins, "kubernetes")
	second := mustCreate(t, e.acts, in)
	if second.CommitSHA == first.CommitSHA || second.CommitSHA == edited {
		t.Fatal("no new commit for a changed seed")
	}
	if parent, _ := e.git.Git(e.git.Dir(ghRepoN), "rev-parse", second.CommitSHA+"^"); parent != edited {
		t.Errorf("new commit's parent %s, want the branch head %s", parent, edited)
	}
	files := wantSeed(t, e.git, ghRepoN, in, second.CommitSHA)
	if files["docs/notes.md"] != "kept\n" || !strings.Contains(files["plugins.yaml"], `"kubernetes"`) {
		t.Errorf("files after re-seed: %v\nplugins.yaml:\n%s", slicesKeys(files), files["plugins.yaml"])
	}
	if third := mustCreate(t, e.acts, in); third.CommitSHA != second.CommitSHA {
		t.Errorf("unchanged re-seed moved the branch to %s", third.CommitSHA)
	}
}

func TestGitHubServerErrorIsRetryable(t *testing.T) {
	e := newGitHubEnv(t)
	e.gh.Fail("POST", "/orgs/"+ghOrg+"/repos", 500, 1, `{"message":"Server Error"}`, nil)
	_, err := create(t, e.acts, acmeInput())
	ae := appErr(t, err, ErrTypeUnavailable, true)
	if ae.NextRetryDelay() != 0 {
		t.Errorf("NextRetryDelay %v without a Retry-After", ae.NextRetryDelay())
	}
	// What Temporal's retry would do next: the same call, now succeeding.
	res := mustCreate(t, e.acts, acmeInput())
	if !res.Created || !shaRE.MatchString(res.CommitSHA) {
		t.Fatalf("retry: %+v", res)
	}
}

func TestGitHubRateLimitsSetNextRetryDelay(t *testing.T) {
	reset := time.Now().Add(120 * time.Second).Unix()
	for _, tc := range []struct {
		name     string
		status   int
		header   map[string]string
		body     string
		min, max time.Duration
	}{
		{"429 Retry-After", 429, map[string]string{"Retry-After": "30"},
			`{"message":"API rate limit exceeded"}`, 30 * time.Second, 30 * time.Second},
		{"403 primary limit", 403, map[string]string{"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(reset, 10)},
			`{"message":"API rate limit exceeded for user ID 1.","documentation_url":"https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"}`,
			100 * time.Second, 121 * time.Second},
		{"403 secondary limit", 403, map[string]string{"Retry-After": "60"},
			`{"message":"You have exceeded a secondary rate limit.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`,
			60 * time.Second, 60 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newGitHubEnv(t)
			e.gh.Fail("GET", "/repos/"+ghRepoN, tc.status, 1, tc.body, tc.header)
			_, err := create(t, e.acts, acmeInput())
			ae := appErr(t, err, ErrTypeRateLimited, true)
			if d := ae.NextRetryDelay(); d < tc.min || d > tc.max {
				t.Errorf("NextRetryDelay %v, want in [%v, %v]", d, tc.min, tc.max)
			}
		})
	}
}

func TestGitHubBadTokenIsNotRetried(t *testing.T) {
	e := newGitHubEnv(t)
	e.acts.Provider = NewGitHub(e.gh.URL(), "ghp_wrong", e.gh.Client())
	_, err := create(t, e.acts, acmeInput())
	appErr(t, err, ErrTypeAuthFailed, false)

	// The API accepts the token but git over HTTP does not.
	e = newGitHubEnv(t)
	e.acts.Token = "ghp_wrong"
	_, err = create(t, e.acts, acmeInput())
	appErr(t, err, ErrTypeAuthFailed, false)

	e = newGitHubEnv(t)
	e.gh.Fail("POST", "/orgs/"+ghOrg+"/repos", 403, 1, `{"message":"Resource not accessible by personal access token"}`, nil)
	_, err = create(t, e.acts, acmeInput())
	appErr(t, err, ErrTypePermission, false)
}

func TestGitHubMissingOrgIsNotRetried(t *testing.T) {
	e := newGitHubEnv(t)
	e.acts.Owner = "no-such-org"
	_, err := create(t, e.acts, acmeInput())
	appErr(t, err, ErrTypeNotFound, false)
}

func TestGitHubDeleteIsIdempotent(t *testing.T) {
	e := newGitHubEnv(t)
	mustCreate(t, e.acts, acmeInput())
	res, err := del(t, e.acts, "acme")
	if err != nil || !res.Deleted {
		t.Fatalf("delete: %+v %v", res, err)
	}
	if e.gh.Exists(ghRepoN) || e.git.Exists(ghRepoN) {
		t.Fatal("repository still there")
	}
	res, err = del(t, e.acts, "acme")
	if err != nil || res.Deleted {
		t.Fatalf("second delete: %+v %v", res, err)
	}
	if n := e.gh.Count("DELETE /repos/" + ghRepoN); n != 1 {
		t.Errorf("%d DELETE requests, want 1", n)
	}
}

// Tenant isolation: a repository under the tenant's name that is marked for
// another tenant, or not marked at all, is neither deleted nor written to.
func TestGitHubRefusesForeignRepo(t *testing.T) {
	for _, tc := range []struct {
		name, desc string
		topics     []string
	}{
		{"other tenant", Description("evil"), []string{"rigger-tenant-evil"}},
		{"unmarked", "someone's own repository", nil},
		{"two tenants", Description("acme"), []string{"rigger-tenant-evil"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newGitHubEnv(t)
			e.gh.AddRepo(ghOrg, "tenant-acme-config", tc.desc, tc.topics...)
			_, err := del(t, e.acts, "acme")
			appErr(t, err, ErrTypeRepoForeign, false)
			_, err = create(t, e.acts, acmeInput())
			appErr(t, err, ErrTypeRepoForeign, false)
			if !e.gh.Exists(ghRepoN) || e.gh.Count("DELETE /repos/"+ghRepoN) != 0 || e.git.Pushes() != 0 {
				t.Fatalf("foreign repository touched: %v, %d pushes", e.gh.Requests(), e.git.Pushes())
			}
		})
	}
}

func TestGitLabCreateSeedDelete(t *testing.T) {
	e := newGitLabEnv(t)
	in := acmeInput()
	res := mustCreate(t, e.acts, in)
	want := CreateConfigRepoResult{
		Provider: "gitlab", Repo: glRepoN, CloneURL: e.git.CloneURL(glRepoN), WebURL: e.gl.URL() + "/" + glRepoN,
		DefaultBranch: "main", Created: true, CommitSHA: res.CommitSHA,
	}
	if res != want {
		t.Fatalf("result\n got %+v\nwant %+v", res, want)
	}
	wantSeed(t, e.git, glRepoN, in, res.CommitSHA)
	p, _ := e.gl.Repo(glRepoN)
	if p.Visibility != "private" || p.Description != Description("acme") || len(p.Topics) != 1 || p.Topics[0] != "rigger-tenant-acme" {
		t.Errorf("project %+v", p)
	}

	pushes := e.git.Pushes()
	again := mustCreate(t, e.acts, in)
	if again.CommitSHA != res.CommitSHA || again.Created || e.gl.Count("POST /projects") != 1 || e.git.Pushes() != pushes {
		t.Fatalf("second call %+v; %d creates", again, e.gl.Count("POST /projects"))
	}

	d, err := del(t, e.acts, "acme")
	if err != nil || !d.Deleted || e.gl.Exists(glRepoN) || e.git.Exists(glRepoN) {
		t.Fatalf("delete: %+v %v", d, err)
	}
	if d, err := del(t, e.acts, "acme"); err != nil || d.Deleted {
		t.Fatalf("second delete: %+v %v", d, err)
	}
}

func TestGitLabUserNamespace(t *testing.T) {
	e := newGitLabEnv(t)
	e.acts.Owner = ""
	res := mustCreate(t, e.acts, acmeInput())
	if res.Repo != "rigger-bot/tenant-acme-config" {
		t.Fatalf("repo %s", res.Repo)
	}
}

func TestGitLabNameTakenIsAdopted(t *testing.T) {
	e := newGitLabEnv(t)
	e.gl.AddRepo(glGroup, "tenant-acme-config", Description("acme"), "rigger-tenant-acme")
	e.gl.Fail("GET", "/projects/tenants%2Ftenant-acme-config", 404, 1, `{"message":"404 Project Not Found"}`, nil)
	res := mustCreate(t, e.acts, acmeInput())
	if res.Created || e.gl.Count("POST /projects") != 1 {
		t.Fatalf("created=%v; log %v", res.Created, e.gl.Requests())
	}
	wantSeed(t, e.git, glRepoN, acmeInput(), res.CommitSHA)
}

func TestGitLabErrors(t *testing.T) {
	t.Run("429 Retry-After", func(t *testing.T) {
		e := newGitLabEnv(t)
		e.gl.Fail("GET", "/projects/tenants%2Ftenant-acme-config", 429, 1, `{"message":"429 Too Many Requests"}`,
			map[string]string{"Retry-After": "7", "RateLimit-Remaining": "0"})
		_, err := create(t, e.acts, acmeInput())
		if d := appErr(t, err, ErrTypeRateLimited, true).NextRetryDelay(); d != 7*time.Second {
			t.Errorf("NextRetryDelay %v", d)
		}
	})
	t.Run("502", func(t *testing.T) {
		e := newGitLabEnv(t)
		e.gl.Fail("POST", "/projects", 502, 1, `{"message":"502 Bad Gateway"}`, nil)
		_, err := create(t, e.acts, acmeInput())
		appErr(t, err, ErrTypeUnavailable, true)
	})
	t.Run("401", func(t *testing.T) {
		e := newGitLabEnv(t)
		e.acts.Provider, _ = NewGitLab(e.gl.URL(), "glpat-wrong", e.gl.Client())
		_, err := create(t, e.acts, acmeInput())
		appErr(t, err, ErrTypeAuthFailed, false)
	})
	t.Run("missing group", func(t *testing.T) {
		e := newGitLabEnv(t)
		e.acts.Owner = "nope"
		_, err := create(t, e.acts, acmeInput())
		appErr(t, err, ErrTypeNotFound, false)
	})
	t.Run("foreign project", func(t *testing.T) {
		e := newGitLabEnv(t)
		e.gl.AddRepo(glGroup, "tenant-acme-config", "", "rigger-tenant-evil")
		_, err := del(t, e.acts, "acme")
		appErr(t, err, ErrTypeRepoForeign, false)
		if !e.gl.Exists(glRepoN) {
			t.Fatal("foreign project deleted")
		}
	})
	t.Run("pending deletion", func(t *testing.T) {
		e := newGitLabEnv(t)
		e.gl.AddRepo(glGroup, "tenant-acme-config", Description("acme"), "rigger-tenant-acme")
		e.gl.MarkForDeletion(glRepoN, true)
		if d, err := del(t, e.acts, "acme"); err != nil || d.Deleted {
			t.Fatalf("delete of a project pending deletion: %+v %v", d, err)
		}
		_, err := create(t, e.acts, acmeInput())
		appErr(t, err, ErrTypeConflict, false)
	})
}

func TestNotConfiguredAndInvalidInput(t *testing.T) {
	var a Activities
	if a.Configured() {
		t.Fatal("zero Activities reports configured")
	}
	_, err := a.GitCreateConfigRepo(t.Context(), acmeInput())
	appErr(t, err, ErrTypeNotConfigured, false)
	_, err = a.GitDeleteConfigRepo(t.Context(), DeleteConfigRepoInput{Slug: "acme"})
	appErr(t, err, ErrTypeNotConfigured, false)

	e := newGitHubEnv(t)
	for _, mut := range []func(*CreateConfigRepoInput){
		func(in *CreateConfigRepoInput) { in.Slug = "Acme" },
		func(in *CreateConfigRepoInput) { in.Owner = "" },
		func(in *CreateConfigRepoInput) { in.Admins = []string{"bob, role:default/admins"} },
		func(in *CreateConfigRepoInput) { in.Image = "" },
		func(in *CreateConfigRepoInput) { in.DisplayName = "two\nlines" },
	} {
		in := acmeInput()
		mut(&in)
		_, err := create(t, e.acts, in)
		appErr(t, err, ErrTypeValidation, false)
	}
	if len(e.gh.Requests()) != 0 {
		t.Errorf("invalid input reached the API: %v", e.gh.Requests())
	}
}

func slicesKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
