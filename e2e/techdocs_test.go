package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/rigger-platform/rigger/activities/storage"
	techdocsacts "github.com/rigger-platform/rigger/activities/techdocs"
	"github.com/rigger-platform/rigger/api"
	"github.com/rigger-platform/rigger/internal/gitfake"
	"github.com/rigger-platform/rigger/internal/retrieval"
	"github.com/rigger-platform/rigger/internal/store"
	"github.com/rigger-platform/rigger/starter"
	"github.com/rigger-platform/rigger/workflows"
)

// corpusDir finds shared/corpus/techdocs/<name>: beside the repository
// (CI clones it elsewhere with shared/ next to it), else /work/shared.
func corpusDir(t testing.TB, name string) string {
	_, file, _, _ := runtime.Caller(0)
	for _, base := range []string{filepath.Join(filepath.Dir(file), "..", "..", "shared", "corpus"), "/work/shared/corpus"} {
		d := filepath.Join(base, "techdocs", name)
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
	}
	t.Skipf("TechDocs corpus %s not found beside the repository or in /work/shared", name)
	return ""
}

// docsRepo is a documentation repository on a real git smart-HTTP server.
type docsRepo struct {
	t    testing.TB
	srv  *gitfake.GitServer
	name string
	work string
}

func newDocsRepo(t testing.TB, site string) *docsRepo {
	r := &docsRepo{t: t, srv: gitfake.NewGitServer(t, "docs-bot", "docs-token"), name: "acme/handbook", work: t.TempDir()}
	if err := r.srv.InitBare(r.name); err != nil {
		t.Fatal(err)
	}
	src := corpusDir(t, site)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		dst := filepath.Join(r.work, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	r.git("init", "--quiet", "--initial-branch=main")
	return r
}

func (r *docsRepo) git(args ...string) string {
	r.t.Helper()
	out, err := r.srv.Git(r.work, args...)
	if err != nil {
		r.t.Fatal(err)
	}
	return out
}

// push commits the work tree (after edit) and pushes main.
func (r *docsRepo) push(edit func(dir string)) string {
	r.t.Helper()
	if edit != nil {
		edit(r.work)
	}
	r.git("add", "-A")
	r.git("commit", "--quiet", "--allow-empty", "-m", "docs")
	r.git("push", "--quiet", r.srv.AuthCloneURL(r.name), "main")
	return r.git("rev-parse", "HEAD")
}

func (r *docsRepo) access() techdocsacts.GitAccess {
	return techdocsacts.GitAccess{AllowedPrefixes: []string{r.srv.URL() + "/git/"}, Username: "docs-bot", Token: "docs-token"}
}

func githubPushBody(cloneURL, commit string) []byte {
	b, _ := json.Marshal(map[string]any{
		"ref": "refs/heads/main", "before": strings.Repeat("0", 40), "after": commit, "deleted": false,
		"commits":    []map[string]any{{"id": commit, "message": "docs"}},
		"repository": map[string]any{"full_name": "acme/handbook", "clone_url": cloneURL, "html_url": strings.TrimSuffix(cloneURL, ".git"), "default_branch": "main"},
	})
	return b
}

func gitlabPushBody(cloneURL, commit string) []byte {
	b, _ := json.Marshal(map[string]any{
		"object_kind": "push", "ref": "refs/heads/main", "before": strings.Repeat("1", 40), "after": commit, "checkout_sha": commit,
		"project": map[string]any{"git_http_url": cloneURL, "web_url": strings.TrimSuffix(cloneURL, ".git"), "default_branch": "main"},
	})
	return b
}

// hook posts a webhook delivery (no bearer token) and decodes the answer.
func (p *platform) hook(path string, body []byte, headers map[string]string, out any) int {
	p.t.Helper()
	req, _ := http.NewRequest("POST", p.api.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			p.t.Fatalf("POST %s: %d %s", path, resp.StatusCode, data)
		}
	}
	return resp.StatusCode
}

func githubHeaders(secret, delivery string, body []byte) map[string]string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return map[string]string{"X-GitHub-Event": "push", "X-GitHub-Delivery": delivery, "X-Hub-Signature-256": "sha256=" + hex.EncodeToString(mac.Sum(nil))}
}

// get fetches a docs route with a bearer token.
func (p *platform) get(token, path string) (int, string, http.Header) {
	p.t.Helper()
	req, _ := http.NewRequest("GET", p.api.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, readAll(resp), resp.Header
}

func (p *platform) waitBuild(id string) workflows.TechDocsBuildResult {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var res workflows.TechDocsBuildResult
	if err := p.client.GetWorkflow(ctx, id, "").Get(ctx, &res); err != nil {
		p.t.Fatalf("build %s: %v", id, err)
	}
	return res
}

// runs counts the workflow runs with this ID (open and closed).
func (p *platform) runs(id string) int {
	p.t.Helper()
	resp, err := p.client.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: fmt.Sprintf("WorkflowId = %q", id)})
	if err != nil {
		p.t.Fatal(err)
	}
	return len(resp.Executions)
}

// TestTechDocsEndToEnd drives the whole path on the dev stack: a signed
// GitHub push builds the mapped entity from a real git server and publishes
// it where the static route serves it; a bad signature is 401 and starts
// nothing; a second delivery of the same commit is the same build; a
// replayed delivery is refused; a GitLab push of the next commit replaces
// the site and removes the old pages; tenant B cannot read A's docs.
func TestTechDocsEndToEnd(t *testing.T) {
	repo := newDocsRepo(t, "backstage-documented-component")
	commit1 := repo.push(nil)
	p := newPlatform(t, platformOptions{devDefaults: true, techdocsGit: repo.access()})
	p.onboardActive("docs-a", "docs-b")
	aAdmin, aRead, aRun := p.tenantKey("docs-a", "admin"), p.tenantKey("docs-a", "read"), p.tenantKey("docs-a", "run")
	bRead := p.tenantKey("docs-b", "read")
	cloneURL := repo.srv.CloneURL(repo.name)
	ctx := context.Background()

	var sec api.WebhookSecretResponse
	if code := p.callAs(aAdmin.Key, "GET", "/v1/tenants/docs-a/webhook-secret", nil, &sec); code != 200 || len(sec.Secret) < 32 {
		t.Fatalf("webhook secret = %d %+v", code, sec)
	}
	if code := p.callAs(aRead.Key, "GET", "/v1/tenants/docs-a/webhook-secret", nil, nil); code != 403 {
		t.Fatalf("webhook secret with a read key = %d, want 403", code)
	}
	var srcs api.TechDocsSourcesRequest
	if code := p.callAs(aAdmin.Key, "PUT", "/v1/tenants/docs-a/techdocs/sources",
		map[string]any{"sources": []map[string]any{{"repo": cloneURL, "entity": "default/Component/Handbook"}}}, &srcs); code != 200 ||
		len(srcs.Sources) != 1 || srcs.Sources[0].Entity != "default/component/handbook" {
		t.Fatalf("put sources = %d %+v", code, srcs)
	}
	if code := p.callAs(aAdmin.Key, "PUT", "/v1/tenants/docs-a/techdocs/sources",
		map[string]any{"sources": []map[string]any{{"repo": "http://169.254.169.254/latest", "entity": "default/component/x"}}}, nil); code != 422 {
		t.Fatalf("a source outside the allowed git prefixes = %d, want 422", code)
	}
	wfID := workflows.TechDocsWorkflowID("docs-a", "default", "component", "handbook", commit1)

	// A bad signature: 401, and no workflow, no build record.
	body := githubPushBody(cloneURL, commit1)
	for name, h := range map[string]map[string]string{
		"wrong secret":   githubHeaders("not-the-secret", "d-bad", body),
		"other tenant's": githubHeaders(p.secretFor("docs-b"), "d-bad", body),
		"no signature":   {"X-GitHub-Event": "push", "X-GitHub-Delivery": "d-bad"},
	} {
		if code := p.hook("/v1/webhooks/github/docs-a", body, h, nil); code != 401 {
			t.Fatalf("%s signature = %d, want 401", name, code)
		}
	}
	if code := p.hook("/v1/webhooks/gitlab/docs-a", gitlabPushBody(cloneURL, commit1),
		map[string]string{"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "guess", "Idempotency-Key": "g-bad"}, nil); code != 401 {
		t.Fatalf("bad GitLab token = %d, want 401", code)
	}
	var nf *serviceerror.NotFound
	if _, err := p.client.DescribeWorkflowExecution(ctx, wfID, ""); !errors.As(err, &nf) {
		t.Fatalf("a refused webhook started %s: %v", wfID, err)
	}

	// The signed push builds and publishes.
	var hr api.WebhookResponse
	if code := p.hook("/v1/webhooks/github/docs-a", body, githubHeaders(sec.Secret, "d-1", body), &hr); code != 202 ||
		len(hr.Builds) != 1 || hr.Builds[0].WorkflowID != wfID || hr.Builds[0].Status != api.BuildStarted {
		t.Fatalf("push = %d %+v", code, hr)
	}
	// The same commit again, in a new delivery: the running (or finished)
	// build, not a second one. The same delivery again: refused.
	var again api.WebhookResponse
	if code := p.hook("/v1/webhooks/github/docs-a", body, githubHeaders(sec.Secret, "d-2", body), &again); code != 202 || again.Builds[0].WorkflowID != wfID {
		t.Fatalf("duplicate push = %d %+v", code, again)
	}
	res := p.waitBuild(wfID)
	if res.Status != store.TechDocsPublished || res.Pages < 3 || res.Commit != commit1 || res.Minutes != 1 {
		t.Fatalf("build result %+v", res)
	}
	if code := p.hook("/v1/webhooks/github/docs-a", body, githubHeaders(sec.Secret, "d-3", body), &again); code != 202 || again.Builds[0].Status != api.BuildAlreadyBuilt {
		t.Fatalf("push of a built commit = %d %+v", code, again)
	}
	if code := p.hook("/v1/webhooks/github/docs-a", body, githubHeaders(sec.Secret, "d-1", body), nil); code != 409 {
		t.Fatalf("replayed delivery = %d, want 409", code)
	}
	if n := p.runs(wfID); n != 1 {
		t.Fatalf("%d runs of %s, want 1", n, wfID)
	}
	p.assertReplays(wfID, "techdocs_build")

	// Served through the static route, to tenant A.
	base := "/api/techdocs/static/docs/default/component/handbook/"
	code, page, hdr := p.get(aRead.Key, base+"index.html")
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") || !strings.Contains(page, "</html>") || hdr.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("index.html = %d %s %.200q", code, hdr.Get("Content-Type"), page)
	}
	if code, dir, _ := p.get(aRead.Key, base); code != 200 || dir != page {
		t.Fatalf("folder URL = %d", code)
	}
	code, meta, hdr := p.get(aRead.Key, "/api/techdocs/metadata/techdocs/default/Component/Handbook")
	var m techdocsacts.Metadata
	if code != 200 || hdr.Get("Content-Type") != "application/json" || json.Unmarshal([]byte(meta), &m) != nil || m.Etag != commit1 || len(m.Files) < 5 {
		t.Fatalf("metadata = %d %.300s", code, meta)
	}
	for _, f := range m.Files {
		if code, _, _ := p.get(aRead.Key, base+f); code != 200 {
			t.Fatalf("listed file %s = %d", f, code)
		}
	}
	if code, idx, _ := p.get(aRead.Key, base+"search/search_index.json"); code != 200 || !strings.Contains(idx, `"docs"`) {
		t.Fatalf("search index = %d", code)
	}
	// (Paths with ".." never reach the handler: the mux redirects to the
	// cleaned path; the handler's own refusal is tested in package api.)
	for _, bad := range []string{"missing.html", "a/%00/b", "search"} {
		if code, _, _ := p.get(aRead.Key, base+bad); code != 404 {
			t.Fatalf("%s = %d, want 404", bad, code)
		}
	}
	// Tenant B sees nothing of A's: its own (empty) tenant, and A's by name.
	for _, path := range []string{base + "index.html", base + "index.html?tenant=docs-a", "/api/techdocs/metadata/techdocs/default/component/handbook?tenant=docs-a"} {
		if code, body, _ := p.get(bRead.Key, path); code != 404 || strings.Contains(body, "html") {
			t.Fatalf("tenant B reading %s = %d", path, code)
		}
	}
	if code, _, _ := p.get(p.adminKey, base+"index.html"); code != 400 {
		t.Fatalf("admin without ?tenant = %d, want 400", code)
	}
	if code, _, _ := p.get(p.adminKey, base+"index.html?tenant=docs-a"); code != 200 {
		t.Fatalf("admin with ?tenant = %d", code)
	}

	// The next commit, pushed through GitLab: a page is removed and the
	// home page changes; after the build the old page is gone.
	const removed = "deeper-nav/index.html"
	if !strings.Contains(strings.Join(m.Files, " "), removed) {
		t.Fatalf("fixture changed: %s not built (files %v)", removed, m.Files)
	}
	commit2 := repo.push(func(dir string) {
		if err := os.RemoveAll(filepath.Join(dir, "docs", "deeper-nav")); err != nil {
			t.Fatal(err)
		}
		idx := filepath.Join(dir, "docs", "index.md")
		old, _ := os.ReadFile(idx)
		if err := os.WriteFile(idx, append(old, []byte("\n\nSecond revision of the handbook.\n")...), 0o644); err != nil {
			t.Fatal(err)
		}
	})
	glBody := gitlabPushBody(cloneURL, commit2)
	glHeaders := map[string]string{"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": sec.Secret, "Idempotency-Key": "g-1"}
	if code := p.hook("/v1/webhooks/gitlab/docs-a", glBody, glHeaders, &hr); code != 202 || len(hr.Builds) != 1 {
		t.Fatalf("gitlab push = %d %+v", code, hr)
	}
	res2 := p.waitBuild(hr.Builds[0].WorkflowID)
	if res2.Status != store.TechDocsPublished || res2.Deleted == 0 {
		t.Fatalf("second build %+v", res2)
	}
	if code, _, _ := p.get(aRead.Key, base+removed); code != 404 {
		t.Fatalf("removed page still served: %d", code)
	}
	if _, page, _ := p.get(aRead.Key, base+"index.html"); !strings.Contains(page, "Second revision") {
		t.Fatal("the home page is not the second revision")
	}
	if code := p.hook("/v1/webhooks/gitlab/docs-a", glBody, glHeaders, nil); code != 409 {
		t.Fatalf("replayed GitLab delivery = %d, want 409", code)
	}

	// The CLI publishes through the API: a third commit, followed with
	// --wait until it is live.
	commit3 := repo.push(func(dir string) {
		if err := os.WriteFile(filepath.Join(dir, "docs", "cli.md"), []byte("# From the CLI\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	})
	var out, errOut bytes.Buffer
	cli := &starter.Client{BaseURL: p.api.URL, APIKey: p.tenantKey("docs-a", "run", "read").Key}
	if code := starter.TechDocs(ctx, cli, []string{"publish", cloneURL, "--tenant", "docs-a", "--entity", "default/component/handbook",
		"--ref", "main", "--wait", "--timeout", "60s"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "published") {
		t.Fatalf("rigger techdocs publish = %d:\n%s%s", code, out.String(), errOut.String())
	}
	if code, page, _ := p.get(aRead.Key, base+"cli/index.html"); code != 200 || !strings.Contains(page, "From the CLI") {
		t.Fatalf("page published by the CLI = %d", code)
	}
	// The API: a build of the branch head, which is commit3 and built.
	var br api.TechDocsBuildResponse
	req := map[string]any{"tenant": "docs-a", "entity": "default/component/handbook", "source": map[string]any{"git": cloneURL, "ref": "main"}}
	if code := p.callAs(aRun.Key, "POST", "/v1/techdocs/builds", req, &br); code != 200 || br.Status != api.BuildAlreadyBuilt || br.Commit != commit3 {
		t.Fatalf("API build of a built head = %d %+v", code, br)
	}
	if code := p.callAs(aRead.Key, "POST", "/v1/techdocs/builds", req, nil); code != 403 {
		t.Fatalf("API build with a read key = %d, want 403", code)
	}
	if code := p.callAs(bRead.Key, "GET", "/v1/techdocs/builds/docs-a/default/component/handbook", nil, nil); code != 404 {
		t.Fatalf("tenant B listing A's builds = %d, want 404", code)
	}
	var list struct {
		Builds []store.TechDocsBuild `json:"builds"`
	}
	if code := p.callAs(aRead.Key, "GET", "/v1/techdocs/builds/docs-a/default/component/handbook", nil, &list); code != 200 || len(list.Builds) != 3 ||
		list.Builds[0].Commit != commit3 || list.Builds[0].Trigger != workflows.TriggerAPI || list.Builds[1].Commit != commit2 || list.Builds[1].Status != store.TechDocsPublished || list.Builds[1].Trigger != workflows.TriggerGitLab ||
		list.Builds[2].Commit != commit1 || list.Builds[2].Trigger != workflows.TriggerGitHub {
		t.Fatalf("builds = %d %+v", code, list.Builds)
	}
	// The assistant's retrieval finds the published search index.
	objects, err := storage.NewLocal(p.storeDir)
	if err != nil {
		t.Fatal(err)
	}
	sites, err := retrieval.LoadTenantSites(ctx, objects, "docs-a")
	if err != nil || len(sites) != 1 {
		t.Fatalf("retrieval sites = %d %v", len(sites), err)
	}
	if sites, _ := retrieval.LoadTenantSites(ctx, objects, "docs-b"); len(sites) != 0 {
		t.Fatalf("tenant B's retrieval sees %d sites", len(sites))
	}

	// Build minutes: one event per commit.
	var n int
	if err := p.store.Pool.QueryRow(ctx, `SELECT count(*) FROM rigger.usage_events WHERE tenant_slug = 'docs-a' AND metric = $1 AND id LIKE 'techdocs/docs-a/default/component/handbook/%'`,
		store.MetricTechDocsBuildMinutes).Scan(&n); err != nil || n != 3 {
		t.Fatalf("usage events = %d %v", n, err)
	}
}

// secretFor is a tenant's webhook secret as the API derives it.
func (p *platform) secretFor(slug string) string {
	var sec api.WebhookSecretResponse
	if code := p.call("GET", "/v1/tenants/"+slug+"/webhook-secret", nil, &sec); code != 200 {
		p.t.Fatalf("webhook secret of %s = %d", slug, code)
	}
	return sec.Secret
}
