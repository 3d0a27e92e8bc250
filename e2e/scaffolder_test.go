package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rigger-platform/rigger/activities/gitprovider"
	"github.com/rigger-platform/rigger/api"
	"github.com/rigger-platform/rigger/internal/store"
	"github.com/rigger-platform/rigger/starter"
	"github.com/rigger-platform/rigger/workflows"
)

// TestScaffolderEndToEnd runs the scaffolder through the API on the dev
// stack (Temporal dev server, PostgreSQL, in-process worker) against fake
// GitHub and GitLab servers with real git repositories: every corpus
// template as a dry run, a representative set for real (compared with the
// golden files), approvals, cancellation, the tenant queue and retry.
func TestScaffolderEndToEnd(t *testing.T) {
	f := newForges(t)
	p := newPlatform(t, platformOptions{scaffold: scaffoldOptions{integrations: f.integrations(), concurrency: 1}})
	custom := t.TempDir()
	writeTemplate(t, custom, "approval-demo", approvalTemplate, approvalSkeleton)
	writeTemplate(t, custom, "cli-demo", cliTemplate, approvalSkeleton)
	p.scaffoldTenant("acme", append(corpusLocations(t), custom)...)
	values := corpusValues(t)

	t.Run("actions", func(t *testing.T) {
		var actions []map[string]any
		if code := p.call("GET", "/v2/actions", nil, &actions); code != 200 || len(actions) != 17 {
			t.Fatalf("GET /v2/actions = %d, %d actions", code, len(actions))
		}
		for _, a := range actions {
			schema, _ := a["schema"].(map[string]any)
			if schema["input"] == nil || schema["output"] == nil {
				t.Fatalf("action %v has no schemas", a["id"])
			}
		}
	})

	t.Run("parameter-schema", func(t *testing.T) {
		var ps struct {
			Title string           `json:"title"`
			Steps []map[string]any `json:"steps"`
		}
		if code := p.call("GET", "/v2/templates/default/template/go-backend-template/parameter-schema?tenant=acme", nil, &ps); code != 200 || ps.Title == "" || len(ps.Steps) == 0 {
			t.Fatalf("parameter schema = %d %+v", code, ps)
		}
		if code := p.call("GET", "/v2/templates/default/template/no-such-template/parameter-schema?tenant=acme", nil, nil); code != 404 {
			t.Fatalf("missing template = %d", code)
		}
	})

	t.Run("corpus dry runs", func(t *testing.T) {
		names := slices.Sorted(func(yield func(string) bool) {
			for n := range values {
				if !yield(n) {
					return
				}
			}
		})
		var wg sync.WaitGroup
		sem := make(chan struct{}, 8)
		for _, name := range names {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				var res api.DryRunResponse
				var failure struct {
					Error map[string]any `json:"error"`
				}
				body := map[string]any{"templateRef": "template:default/" + name, "values": values[name]}
				code := p.call("POST", "/v2/dry-run?tenant=acme", body, &res)
				if want, bad := unsupportedCorpus[name]; bad {
					p.call("POST", "/v2/dry-run?tenant=acme", body, &failure)
					if code != 400 || !strings.Contains(fmt.Sprint(failure.Error["message"]), want) {
						t.Errorf("%s: dry run = %d %v, want 400 naming %s", name, code, failure.Error, want)
					}
					return
				}
				if code != 200 {
					t.Errorf("%s: dry run = %d", name, code)
					return
				}
				got, want := dryRunFiles(t, res.DirectoryContents), goldenFiles(t, name)
				if len(got) != len(want) {
					t.Errorf("%s: %d files, golden has %d", name, len(got), len(want))
				}
				for path, w := range want {
					if got[path] != w {
						t.Errorf("%s: %s = %q, golden %q", name, path, got[path], w)
					}
				}
				if len(res.Log) == 0 || len(res.Steps) == 0 {
					t.Errorf("%s: empty log or steps", name)
				}
			}()
		}
		wg.Wait()
		if len(f.gh.Repos())+len(f.gl.Repos()) != 0 {
			t.Fatalf("dry runs created repositories: %v %v", f.gh.Repos(), f.gl.Repos())
		}
	})

	t.Run("backstage-shaped dry run", func(t *testing.T) {
		var tmpl map[string]any
		if err := yamlUnmarshal(approvalTemplate, &tmpl); err != nil {
			t.Fatal(err)
		}
		var res api.DryRunResponse
		code := p.call("POST", "/v2/dry-run?tenant=acme", map[string]any{
			"template": tmpl, "values": map[string]any{"name": "demo"},
			"directoryContents": []map[string]any{{"path": "skeleton/README.md", "base64Content": base64.StdEncoding.EncodeToString([]byte(approvalSkeleton["skeleton/README.md"]))}},
		}, &res)
		if code != 200 || len(res.DirectoryContents) != 1 || res.DirectoryContents[0].Path != "README.md" {
			t.Fatalf("dry run = %d %+v", code, res.DirectoryContents)
		}
		if data, _ := base64.StdEncoding.DecodeString(res.DirectoryContents[0].Base64Content); string(data) != "# demo\n" {
			t.Fatalf("README = %q", data)
		}
		if code := p.call("POST", "/v2/dry-run?tenant=acme", map[string]any{"template": tmpl, "values": map[string]any{"name": "Not Valid!"}}, nil); code != 400 {
			t.Fatalf("invalid values = %d", code)
		}
	})

	t.Run("real runs", func(t *testing.T) {
		// What the PR and MR templates need to exist already.
		seedRepo(t, f.gh.CloneURL("acme/legacy-billing"), "x-access-token", f.gh.Token(), func() { f.gh.AddRepo("acme", "legacy-billing", "legacy") }, "main.go", "package main\n")
		seedRepo(t, f.gl.CloneURL("acme/platform"), "oauth2", f.gl.Token(), func() { f.gl.AddRepo("acme", "platform", "platform") }, "README.md", "# platform\n")
		cases := []struct {
			name  string
			check func(t *testing.T, task api.TaskResponse)
		}{
			{"go-backend-template", func(t *testing.T, task api.TaskResponse) {
				compareRepo(t, f.gh, "acme/ledger", "main", "go-backend-template", "")
				assertCatalog(t, p, "component:default/ledger")
			}},
			{"python-backend-template", func(t *testing.T, task api.TaskResponse) {
				compareRepo(t, f.gl, "acme/recommender", "main", "python-backend-template", "")
			}},
			{"argocd-template", func(t *testing.T, task api.TaskResponse) {
				compareRepo(t, f.gh, "acme/inventory-gitops", "main", "argocd-template", "")
				app, err := p.argo.ArgoprojV1alpha1().Applications("argocd").Get(context.Background(), "tenant-acme-inventory", metav1.GetOptions{})
				if err != nil || app.Spec.Destination.Namespace != "tenant-acme" || app.Spec.Source.Path != "manifests/base" {
					t.Fatalf("argocd application %v %+v", err, app)
				}
			}},
			{"register-component", func(t *testing.T, task api.TaskResponse) {
				prs := f.gh.PullRequests("acme/legacy-billing")
				if len(prs) != 1 || prs[0].Head != "add-catalog-info" {
					t.Fatalf("pull requests %+v", prs)
				}
				files, _ := f.gh.BranchFiles("acme/legacy-billing", "add-catalog-info")
				want := goldenFiles(t, "register-component")
				if files["main.go"] != "package main\n" || digest([]byte(files["catalog-info.yaml"])) != want["catalog-info.yaml"] {
					t.Fatalf("branch files %v", files)
				}
				links := fmt.Sprint(task.State.Output["links"])
				if !strings.Contains(links, "Open PR #1") || !strings.Contains(links, "/acme/legacy-billing/pull/1") {
					t.Fatalf("output %v", task.State.Output)
				}
			}},
			{"gitlab-merge-request", func(t *testing.T, task api.TaskResponse) {
				mrs := f.gl.PullRequests("acme/platform")
				if len(mrs) != 1 || mrs[0].Head != "add-billing-worker" || !mrs[0].RemoveSourceBranch {
					t.Fatalf("merge requests %+v", mrs)
				}
				compareRepo(t, f.gl, "acme/platform", "add-billing-worker", "gitlab-merge-request", "services/billing-worker/")
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				id := p.startScaffold("acme", "template:default/"+c.name, values[c.name])
				task := p.waitScaffoldStatus(id, store.TaskCompleted, 90*time.Second)
				c.check(t, task)
				if c.name == "go-backend-template" {
					p.assertReplays(workflows.ScaffoldWorkflowID("acme", id), "scaffolder_run")
				}
				events := p.scaffoldEvents(id, 0)
				if last := events[len(events)-1]; last["type"] != "completion" || !strings.Contains(fmt.Sprint(last["body"]), "completed") {
					t.Fatalf("last event %v", last)
				}
				if tail := p.scaffoldEvents(id, len(events)-1); len(tail) != 1 {
					t.Fatalf("events after %d: %v", len(events)-1, tail)
				}
			})
		}
		// Each completed run is metered once.
		var n int
		_ = p.store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM rigger.usage_events WHERE metric = 'scaffolder_runs' AND id LIKE 'scaffold/%'`).Scan(&n)
		if n != len(cases) {
			t.Fatalf("%d usage events, want %d", n, len(cases))
		}
		// The list shows them, filtered by status and creator.
		var list struct {
			Tasks      []api.TaskResponse `json:"tasks"`
			TotalTasks int                `json:"totalTasks"`
		}
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			code := p.call("GET", "/v2/tasks?tenant=acme&status=completed&createdBy=user:default/jdoe", nil, &list)
			if code == 200 && list.TotalTasks == len(cases) && len(list.Tasks) == len(cases) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("list = %d %d", code, list.TotalTasks)
			}
		}
	})

	t.Run("starter CLI", func(t *testing.T) {
		values := filepath.Join(t.TempDir(), "values.yaml")
		if err := os.WriteFile(values, []byte("name: from-cli\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		c := &starter.Client{BaseURL: p.api.URL, APIKey: p.adminKey}
		var out, errOut strings.Builder
		code := starter.Scaffold(context.Background(), c, []string{"run", "cli-demo", "--tenant", "acme", "--values", values, "--wait"}, &out, &errOut)
		if code != 0 {
			t.Fatalf("exit %d: %s %s", code, out.String(), errOut.String())
		}
		for _, want := range []string{"[fetch] Beginning step Fetch skeleton", "[log] hello from-cli", " - README.md", "Run completed with status: completed"} {
			if !strings.Contains(out.String(), want) {
				t.Fatalf("output lacks %q:\n%s", want, out.String())
			}
		}
		dir := t.TempDir()
		out.Reset()
		if code := starter.Scaffold(context.Background(), c, []string{"dry-run", "cli-demo", "--tenant", "acme", "--values", values, "--out", dir}, &out, &errOut); code != 0 {
			t.Fatalf("dry-run exit %d: %s", code, errOut.String())
		}
		if data, err := os.ReadFile(filepath.Join(dir, "catalog-info.yaml")); err != nil || !strings.Contains(string(data), "name: from-cli") {
			t.Fatalf("dry-run wrote %q %v", data, err)
		}
	})

	t.Run("unsupported template fails before any side effect", func(t *testing.T) {
		repos := len(f.gh.Repos())
		id := p.startScaffold("acme", "template:default/rails-demo", values["rails-demo"])
		task := p.waitScaffoldStatus(id, store.TaskFailed, 60*time.Second)
		if !strings.Contains(task.State.Error, `step "fetch-base" (Fetch Base) action "fetch:rails"`) {
			t.Fatalf("error %q", task.State.Error)
		}
		for _, s := range task.State.Steps {
			if s.Status != "open" {
				t.Fatalf("step %s ran: %s", s.ID, s.Status)
			}
		}
		if len(f.gh.Repos()) != repos {
			t.Fatal("a repository was created")
		}
	})

	t.Run("approval, queue, reject, retry, cancel", func(t *testing.T) {
		atApproval := func(tk api.TaskResponse) bool { return tk.State != nil && tk.State.Approval != nil }
		a := p.startScaffold("acme", "template:default/approval-demo", map[string]any{"name": "svc-a"})
		p.waitScaffold(a, 60*time.Second, atApproval)
		// Concurrency 1: a second run waits in the tenant's queue, visibly.
		b := p.startScaffold("acme", "template:default/approval-demo", map[string]any{"name": "svc-b"})
		queued := p.waitScaffold(b, 30*time.Second, func(tk api.TaskResponse) bool { return tk.State != nil && tk.State.Stage == "queued" })
		if queued.Status != "open" || queued.State.QueuePosition != 1 {
			t.Fatalf("queued task %s position %d", queued.Status, queued.State.QueuePosition)
		}
		var dec map[string]string
		if code := p.call("POST", "/v1/runs/"+a+"/approve", map[string]any{"comment": "ship it"}, &dec); code != 200 || dec["decision"] != "approved" || dec["stepId"] != "approve" {
			t.Fatalf("approve = %d %v", code, dec)
		}
		done := p.waitScaffoldStatus(a, store.TaskCompleted, 60*time.Second)
		if !strings.Contains(fmt.Sprint(done.State.Output["links"]), "acme/svc-a") {
			t.Fatalf("output %v", done.State.Output)
		}
		if code := p.call("POST", "/v1/runs/"+a+"/approve", nil, nil); code != http.StatusConflict {
			t.Fatalf("approving a finished run = %d", code)
		}
		p.assertReplays(workflows.ScaffoldWorkflowID("acme", a), "scaffolder_approval")
		// b got the slot; reject it: the repository it made is deleted.
		p.waitScaffold(b, 60*time.Second, atApproval)
		if !f.gh.Exists("acme/svc-b") {
			t.Fatal("svc-b was not published before the approval")
		}
		if code := p.call("POST", "/v1/runs/"+b+"/reject", map[string]any{"comment": "not now", "by": "bob"}, nil); code != 200 {
			t.Fatalf("reject = %d", code)
		}
		failed := p.waitScaffoldStatus(b, store.TaskFailed, 60*time.Second)
		if !strings.Contains(failed.State.Error, "rejected by bob: not now") || f.gh.Exists("acme/svc-b") {
			t.Fatalf("rejected run: %q, repo exists %v", failed.State.Error, f.gh.Exists("acme/svc-b"))
		}
		// The rejected run rolled back its published repository (recorded
		// before the retry below starts a new run under the same ID).
		p.assertReplays(workflows.ScaffoldWorkflowID("acme", b), "scaffolder_rollback")
		// Retry starts it again (same task ID); its events continue the old
		// numbering.
		before := p.scaffoldEvents(b, 0)
		var retried map[string]string
		if code := p.call("POST", "/v2/tasks/"+b+"/retry", map[string]any{}, &retried); code != http.StatusCreated || retried["id"] != b {
			t.Fatalf("retry = %d %v", code, retried)
		}
		p.waitScaffold(b, 60*time.Second, atApproval)
		if code := p.call("POST", "/v1/runs/"+b+"/approve", nil, nil); code != 200 {
			t.Fatalf("approve retried = %d", code)
		}
		p.waitScaffoldStatus(b, store.TaskCompleted, 60*time.Second)
		after := p.scaffoldEvents(b, 0)
		if first := after[0]["id"].(float64); int(first) != int(before[len(before)-1]["id"].(float64))+1 {
			t.Fatalf("retried run's first event %v, earlier run's last %v", first, before[len(before)-1]["id"])
		}
		types, last := p.scaffoldStream(b)
		if len(types) == 0 || types[len(types)-1] != "completion" || last["type"] != "completion" {
			t.Fatalf("event stream %v %v", types, last)
		}
		// Cancel mid-step (debug:wait runs 30 s): the published repository
		// is undone.
		c := p.startScaffold("acme", "template:default/approval-demo", map[string]any{"name": "svc-c", "wait": true})
		p.waitScaffold(c, 60*time.Second, atApproval)
		p.call("POST", "/v1/runs/"+c+"/approve", nil, nil)
		p.waitScaffold(c, 60*time.Second, func(tk api.TaskResponse) bool { return tk.State != nil && tk.State.Stage == "step:wait" })
		var cancelled map[string]string
		if code := p.call("POST", "/v2/tasks/"+c+"/cancel", nil, &cancelled); code != 200 || cancelled["status"] != "cancelled" {
			t.Fatalf("cancel = %d %v", code, cancelled)
		}
		got := p.waitScaffoldStatus(c, store.TaskCancelled, 30*time.Second)
		if f.gh.Exists("acme/svc-c") {
			t.Fatal("cancelled run left its repository")
		}
		for _, s := range got.State.Steps {
			if s.ID == "wait" && s.Status != "cancelled" || s.ID == "publish" && s.Status != "undone" {
				t.Fatalf("step %s = %s", s.ID, s.Status)
			}
		}
		types, _ = p.scaffoldStream(c)
		if !slices.Contains(types, "cancelled") || types[len(types)-1] != "completion" {
			t.Fatalf("cancelled run's events %v", types)
		}
		p.assertReplays(workflows.ScaffoldWorkflowID("acme", c), "scaffolder_cancel")
		// The tenant's slots workflow runs on: its history so far (every
		// acquire and release of the runs above) replays too.
		p.assertReplaysSoFar(workflows.ScaffoldSlotsWorkflowID("acme"), "scaffolder_slots")
	})
}

// compareRepo checks that branch of repo holds exactly the golden files of
// template (below prefix, when the template writes into a folder).
func compareRepo(t *testing.T, forge interface {
	BranchFiles(name, branch string) (map[string]string, error)
}, repo, branch, template, prefix string) {
	t.Helper()
	files, err := forge.BranchFiles(repo, branch)
	if err != nil {
		t.Fatal(err)
	}
	want := goldenFiles(t, template)
	n := 0
	for path, content := range files {
		rel, ok := strings.CutPrefix(path, prefix)
		if !ok {
			continue
		}
		n++
		if want[prefix+rel] != digest([]byte(content)) && want[rel] != digest([]byte(content)) {
			t.Errorf("%s: %s differs from the golden file (%s)", repo, path, digest([]byte(content)))
		}
	}
	if n != len(want) {
		t.Errorf("%s: %d files, golden has %d", repo, n, len(want))
	}
}

func assertCatalog(t *testing.T, p *platform, ref string) {
	t.Helper()
	locs, err := p.store.CatalogLocations(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range locs {
		if l.EntityRef == ref {
			return
		}
	}
	t.Fatalf("catalog has no %s: %+v", ref, locs)
}

// seedRepo creates a repository (with create) holding one file on main.
func seedRepo(t *testing.T, cloneURL, user, token string, create func(), path, content string) {
	t.Helper()
	create()
	if _, _, err := gitprovider.PushFiles(context.Background(), gitprovider.PushSpec{URL: cloneURL, Username: user, Token: token,
		Branch: "main", Files: map[string][]byte{path: []byte(content)}, Message: "seed"}); err != nil {
		t.Fatal(err)
	}
}
