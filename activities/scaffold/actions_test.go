package scaffold

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/activities/gitprovider"
	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/internal/gitfake"
	"github.com/rigger-platform/rigger/internal/pgtest"
	"github.com/rigger-platform/rigger/internal/scaffolder"
	"github.com/rigger-platform/rigger/internal/store"
)

func TestWorkspaceSnapshotRoundTrip(t *testing.T) {
	ws := NewWorkspace()
	_ = ws.WriteFile("a/b/run.sh", []byte("#!/bin/sh\n"), 0o755)
	_ = ws.WriteFile("README.md", []byte("hi"), 0o644)
	_ = ws.MkdirAll("empty/dir")
	enc1, err := ws.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeWorkspace(enc1)
	if err != nil {
		t.Fatal(err)
	}
	enc2, _ := back.Encode()
	if !bytes.Equal(enc1, enc2) {
		t.Fatal("encoding is not deterministic")
	}
	files, _ := back.Files("")
	if len(files) != 2 || files[1].Path != "a/b/run.sh" || files[1].Mode&0o111 == 0 || !back.IsDir("empty/dir") {
		t.Fatalf("decoded %+v", files)
	}
	if err := back.Rename("a", "c/a", false); err != nil {
		t.Fatal(err)
	}
	if ok, _ := back.Exists("c/a/b/run.sh"); !ok {
		t.Fatal("rename lost the file")
	}
	if err := back.Rename("README.md", "c", false); err == nil {
		t.Fatal("rename over an existing path without overwrite succeeded")
	}
	for _, bad := range []string{"../x", "/etc/passwd"} {
		if err := back.WriteFile(bad, nil, 0o644); err == nil {
			t.Fatalf("wrote %s", bad)
		}
	}
}

func TestStepOptions(t *testing.T) {
	o, errs := parseStepOptions(scaffolder.Step{ID: "s", Action: "publish:github", Rigger: map[string]any{
		"retry": map[string]any{"maximumAttempts": 3.0, "initialInterval": "2s"}, "timeout": "2m", "undo": false,
	}})
	if len(errs) != 0 || o.MaximumAttempts != 3 || o.InitialInterval != 2*time.Second || o.Timeout != 2*time.Minute || o.Undo {
		t.Fatalf("%+v %v", o, errs)
	}
	_, errs = parseStepOptions(scaffolder.Step{ID: "s", Rigger: map[string]any{"retry": map[string]any{"maximumAttempts": 0.5, "bogus": 1.0}, "timeout": "soon", "x": 1.0}})
	if len(errs) != 4 {
		t.Fatalf("errors %v", errs)
	}
	d := DefaultStepOptions
	if o, _ := parseStepOptions(scaffolder.Step{ID: "s"}); o != d {
		t.Fatalf("defaults %+v", o)
	}
}

// forges starts fake GitHub and GitLab servers whose organisation/group is
// acme, and activities configured for them as github.com and gitlab.com.
func forges(t *testing.T) (*Activities, *gitfake.GitHub, *gitfake.GitLab) {
	gh := gitfake.NewGitHub(t, gitfake.WithOwner("acme"))
	gl := gitfake.NewGitLab(t, gitfake.WithOwner("acme"))
	objects, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	a := &Activities{Objects: objects, Integrations: []Integration{
		{Host: "github.com", Type: "github", APIURL: gh.URL(), Token: gh.Token()},
		{Host: "gitlab.com", Type: "gitlab", APIURL: gl.URL(), Token: gl.Token()},
	}}
	return a, gh, gl
}

func run(t *testing.T, a *Activities, action string, ws *Workspace, input map[string]any) (*Exec, error) {
	t.Helper()
	act, _ := Lookup(action)
	if err := validateInput(action, input); err != nil {
		return nil, err
	}
	x := &Exec{Tenant: "acme", TaskID: "11111111-2222-4333-8444-555555555555", StepID: "s", Input: input, WS: ws}
	return x, act.Run(context.Background(), a, x)
}

func sampleWorkspace() *Workspace {
	ws := NewWorkspace()
	_ = ws.WriteFile("catalog-info.yaml", []byte("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc\n"), 0o644)
	_ = ws.WriteFile("scripts/build.sh", []byte("#!/bin/sh\necho hi\n"), 0o755)
	return ws
}

func TestPublishGitHubIsIdempotentAndUndoable(t *testing.T) {
	a, gh, _ := forges(t)
	in := map[string]any{"repoUrl": "github.com?owner=acme&repo=svc", "defaultBranch": "main", "description": "A service"}
	x, err := run(t, a, "publish:github", sampleWorkspace(), in)
	if err != nil {
		t.Fatal(err)
	}
	files, err := gh.Files("acme/svc")
	if err != nil || files["scripts/build.sh"] != "#!/bin/sh\necho hi\n" {
		t.Fatalf("pushed %v %v", files, err)
	}
	repo, _ := gh.Repo("acme/svc")
	if !strings.HasPrefix(repo.Description, "A service (rigger-tenant-acme)") {
		t.Fatalf("description %q", repo.Description)
	}
	head, _ := gh.Head("acme/svc")
	// A retry (e.g. after the worker died) adopts the repository and pushes
	// nothing new.
	x2, err := run(t, a, "publish:github", sampleWorkspace(), in)
	if err != nil {
		t.Fatal(err)
	}
	head2, _ := gh.Head("acme/svc")
	if gh.Creates("acme/svc") != 1 || head2 != head || x2.Output["commitHash"] != x.Output["commitHash"] {
		t.Fatalf("creates %d, head %s -> %s", gh.Creates("acme/svc"), head, head2)
	}
	if !strings.HasSuffix(x.Output["repoContentsUrl"].(string), "/acme/svc/blob/main") {
		t.Fatalf("outputs %v", x.Output)
	}
	// Another run may not publish into it.
	act, _ := Lookup("publish:github")
	other := &Exec{Tenant: "acme", TaskID: "99999999-2222-4333-8444-555555555555", Input: in, WS: sampleWorkspace()}
	err = act.Run(context.Background(), a, other)
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || !app.NonRetryable() || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second run publishing into the same repo: %v", err)
	}
	// Its undo leaves the repository alone; this run's undo deletes it.
	if err := act.Undo(context.Background(), a, UndoInput{Tenant: "acme", TaskID: other.TaskID, StepInput: in}); err != nil || !gh.Exists("acme/svc") {
		t.Fatalf("foreign undo: %v, exists %v", err, gh.Exists("acme/svc"))
	}
	if err := act.Undo(context.Background(), a, UndoInput{Tenant: "acme", TaskID: x.TaskID, StepInput: in}); err != nil || gh.Exists("acme/svc") {
		t.Fatalf("undo: %v, exists %v", err, gh.Exists("acme/svc"))
	}
}

func TestPublishErrorsRetryOrNot(t *testing.T) {
	a, gh, _ := forges(t)
	in := map[string]any{"repoUrl": "github.com?owner=acme&repo=svc", "defaultBranch": "main"}
	for _, c := range []struct {
		status    int
		header    map[string]string
		retryable bool
		delay     time.Duration
	}{
		{503, nil, true, 0},
		{429, map[string]string{"Retry-After": "7"}, true, 7 * time.Second},
		{422, nil, false, 0},
		{403, nil, false, 0},
	} {
		gh.Fail("GET", "/repos/acme/svc", c.status, 1, `{"message":"injected"}`, c.header)
		_, err := run(t, a, "publish:github", sampleWorkspace(), in)
		var app *temporal.ApplicationError
		if !errors.As(err, &app) || app.NonRetryable() == c.retryable || app.NextRetryDelay() != c.delay {
			t.Fatalf("HTTP %d: %v (non-retryable %v, delay %v)", c.status, err, app != nil && app.NonRetryable(), app.NextRetryDelay())
		}
	}
}

func TestPullRequestIsIdempotentAndUndoable(t *testing.T) {
	a, gh, _ := forges(t)
	seed(t, gh, "acme/app", "README.md", "# app\n")
	in := map[string]any{"repoUrl": "github.com?owner=acme&repo=app", "branchName": "add-catalog", "title": "Add catalog", "description": "Adds it", "targetPath": "svc"}
	x, err := run(t, a, "publish:github:pull-request", sampleWorkspace(), in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, a, "publish:github:pull-request", sampleWorkspace(), in); err != nil {
		t.Fatal(err)
	}
	prs := gh.PullRequests("acme/app")
	if len(prs) != 1 || prs[0].Base != "main" || x.Output["pullRequestNumber"] != float64(1) || x.Output["targetBranchName"] != "main" {
		t.Fatalf("pull requests %+v, output %v", prs, x.Output)
	}
	files, _ := gh.BranchFiles("acme/app", "add-catalog")
	if files["README.md"] != "# app\n" || files["svc/catalog-info.yaml"] == "" {
		t.Fatalf("branch files %v", files)
	}
	act, _ := Lookup("publish:github:pull-request")
	if err := act.Undo(context.Background(), a, UndoInput{Tenant: "acme", TaskID: x.TaskID, StepInput: in, Data: jsonRoundTrip(x.Undo)}); err != nil {
		t.Fatal(err)
	}
	branches, _ := gh.Branches("acme/app")
	if gh.PullRequests("acme/app")[0].State != "closed" || len(branches) != 1 {
		t.Fatalf("after undo: %+v, branches %v", gh.PullRequests("acme/app"), branches)
	}
}

func TestGitLabPublishAndMergeRequest(t *testing.T) {
	a, _, gl := forges(t)
	in := map[string]any{"repoUrl": "gitlab.com?owner=acme&repo=svc", "defaultBranch": "main"}
	x, err := run(t, a, "publish:gitlab", sampleWorkspace(), in)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := gl.Files("acme/svc")
	if files["catalog-info.yaml"] == "" || !strings.HasSuffix(x.Output["repoContentsUrl"].(string), "/acme/svc/-/blob/main") {
		t.Fatalf("files %v outputs %v", files, x.Output)
	}
	mrIn := map[string]any{"repoUrl": "gitlab.com?owner=acme&repo=svc", "branchName": "feature", "title": "T", "description": "D",
		"targetPath": "docs", "removeSourceBranch": true}
	y, err := run(t, a, "publish:gitlab:merge-request", sampleWorkspace(), mrIn)
	if err != nil {
		t.Fatal(err)
	}
	mrs := gl.PullRequests("acme/svc")
	if len(mrs) != 1 || mrs[0].State != "opened" || !mrs[0].RemoveSourceBranch || !strings.Contains(y.Output["mergeRequestUrl"].(string), "/-/merge_requests/1") {
		t.Fatalf("merge requests %+v %v", mrs, y.Output)
	}
	act, _ := Lookup("publish:gitlab:merge-request")
	if err := act.Undo(context.Background(), a, UndoInput{Tenant: "acme", TaskID: y.TaskID, StepInput: mrIn, Data: jsonRoundTrip(y.Undo)}); err != nil {
		t.Fatal(err)
	}
	if gl.PullRequests("acme/svc")[0].State != "closed" {
		t.Fatal("merge request not closed")
	}
	pub, _ := Lookup("publish:gitlab")
	if err := pub.Undo(context.Background(), a, UndoInput{Tenant: "acme", TaskID: x.TaskID, StepInput: in}); err != nil || gl.Exists("acme/svc") {
		t.Fatalf("undo: %v", err)
	}
}

func TestCatalogRegisterReadsTheEntity(t *testing.T) {
	a, gh, _ := forges(t)
	st, err := store.Open(context.Background(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.ClaimTenant(context.Background(), store.TenantSpec{Slug: "acme", DisplayName: "Acme", Plan: "free", Owner: "alice"}); err != nil {
		t.Fatal(err)
	}
	a.Store = st
	pub, err := run(t, a, "publish:github", sampleWorkspace(), map[string]any{"repoUrl": "github.com?owner=acme&repo=svc", "defaultBranch": "main"})
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]any{"repoContentsUrl": pub.Output["repoContentsUrl"], "catalogInfoPath": "/catalog-info.yaml"}
	x, err := run(t, a, "catalog:register", nil, in)
	if err != nil {
		t.Fatal(err)
	}
	if x.Output["entityRef"] != "component:default/svc" {
		t.Fatalf("output %v", x.Output)
	}
	locs, _ := st.CatalogLocations(context.Background(), "acme")
	if len(locs) != 1 || locs[0].EntityRef != "component:default/svc" {
		t.Fatalf("catalog %+v", locs)
	}
	// optional: a missing file is logged, not fatal.
	y, err := run(t, a, "catalog:register", nil, map[string]any{"catalogInfoUrl": gh.URL() + "/acme/svc/blob/main/nope.yaml", "optional": true})
	if err != nil || len(y.Output) != 0 {
		t.Fatalf("optional: %v %v", err, y.Output)
	}
	act, _ := Lookup("catalog:register")
	if err := act.Undo(context.Background(), a, UndoInput{Tenant: "acme", TaskID: x.TaskID, StepInput: in}); err != nil {
		t.Fatal(err)
	}
	if locs, _ := st.CatalogLocations(context.Background(), "acme"); len(locs) != 0 {
		t.Fatalf("after undo %+v", locs)
	}
}

func TestFetchRemoteAndFsActions(t *testing.T) {
	a, gh, _ := forges(t)
	seed(t, gh, "acme/community", "sessions/a.md", "# A\n")
	ws := NewWorkspace()
	if _, err := run(t, a, "fetch:plain", ws, map[string]any{"url": "https://github.com/acme/community/tree/main/sessions", "targetPath": "./community"}); err != nil {
		t.Fatal(err)
	}
	if data, err := ws.ReadFile("community/a.md"); err != nil || string(data) != "# A\n" {
		t.Fatalf("fetched %q %v", data, err)
	}
	if _, err := run(t, a, "fs:rename", ws, map[string]any{"files": []any{map[string]any{"from": "community/a.md", "to": "docs/a.md"}}}); err != nil {
		t.Fatal(err)
	}
	x, err := run(t, a, "fs:readdir", ws, map[string]any{"paths": []any{"."}, "recursive": true})
	if err != nil || len(x.Output["files"].([]any)) != 1 {
		t.Fatalf("readdir %v %v", x.Output, err)
	}
	if _, err := run(t, a, "fs:delete", ws, map[string]any{"files": []any{"docs/**"}}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := ws.Exists("docs/a.md"); ok {
		t.Fatal("fs:delete left the file")
	}
	if _, err := run(t, a, "catalog:write", ws, map[string]any{"entity": map[string]any{"kind": "Component", "metadata": map[string]any{"name": "x"}}}); err != nil {
		t.Fatal(err)
	}
	if data, _ := ws.ReadFile("catalog-info.yaml"); !strings.Contains(string(data), "name: x") {
		t.Fatalf("catalog-info.yaml = %q", data)
	}
	// Input is checked against the action's schema.
	if _, err := run(t, a, "fs:rename", ws, map[string]any{"files": "nope"}); err == nil || !strings.Contains(err.Error(), "schema") {
		t.Fatalf("bad input: %v", err)
	}
}

func jsonRoundTrip(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		switch x := v.(type) {
		case int:
			out[k] = float64(x)
		default:
			out[k] = v
		}
	}
	return out
}

// seed creates a repository on the fake with one file on main.
func seed(t *testing.T, gh *gitfake.GitHub, full, path, content string) {
	t.Helper()
	owner, name, _ := strings.Cut(full, "/")
	gh.AddRepo(owner, name, "an existing repository")
	_, _, err := gitprovider.PushFiles(context.Background(), gitprovider.PushSpec{URL: gh.CloneURL(full), Username: "x-access-token",
		Token: gh.Token(), Branch: "main", Files: map[string][]byte{path: []byte(content)}, Message: "seed"})
	if err != nil {
		t.Fatal(err)
	}
}

func TestStepLogsHideSecrets(t *testing.T) {
	a, _, _ := forges(t)
	res, err := a.RunStep(context.Background(), StepInput{Tenant: "acme", TaskID: "t", StepID: "log", Action: "debug:log",
		Input: map[string]any{"message": "token is s3cr3t-value"}, Secrets: map[string]string{"TOKEN": "s3cr3t-value"}})
	if err != nil || len(res.Logs) != 1 || res.Logs[0] != "token is ***" {
		t.Fatalf("logs %v %v", res.Logs, err)
	}
}

// TestGitTemplateLocation: a location on a git host is found through the
// integration's API, pinned to the commit at resolution, and read at that
// commit even after the branch moves on.
func TestGitTemplateLocation(t *testing.T) {
	a, gh, _ := forges(t)
	tmpl := "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: hello}\nspec:\n  steps:\n    - {id: log, action: debug:log, input: {message: v1}}\n"
	seed(t, gh, "acme/templates", "hello/template.yaml", tmpl)
	tp := a.templates()
	loc := store.TemplateLocation{Type: "git", Target: "https://github.com/acme/templates", Ref: "main"}
	t1, src, _, err := tp.Find(context.Background(), "acme", []store.TemplateLocation{loc}, "default", "hello")
	if err != nil || t1.Path != "hello/template.yaml" || len(src.Commit) != 40 {
		t.Fatalf("find: %v %+v", err, src)
	}
	_, _, err = gitprovider.PushFiles(context.Background(), gitprovider.PushSpec{URL: gh.CloneURL("acme/templates"), Username: "x-access-token",
		Token: gh.Token(), Branch: "main", Files: map[string][]byte{"hello/template.yaml": []byte(strings.Replace(tmpl, "v1", "v2", 1))}, Message: "v2"})
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := (&Templates{Integrations: a.Integrations}).Open(context.Background(), "acme", src)
	if err != nil {
		t.Fatal(err)
	}
	old, _ := FindIn(fsys, "default", "hello")
	if old == nil || old.Spec.Steps[0].Input["message"] != "v1" {
		t.Fatalf("pinned read %+v", old)
	}
}
