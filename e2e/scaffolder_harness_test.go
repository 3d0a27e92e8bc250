package e2e

import (
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"gopkg.in/yaml.v3"

	"github.com/rigger-platform/rigger/activities/argocd"
	"github.com/rigger-platform/rigger/activities/scaffold"
	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/api"
	"github.com/rigger-platform/rigger/internal/gitfake"
	"github.com/rigger-platform/rigger/internal/store"
)

func init() {
	// The event stream is documented as text/event-stream; the checker reads
	// it as text.
	openapi3filter.RegisterBodyDecoder("text/event-stream", openapi3filter.FileBodyDecoder)
}

// scaffoldOptions configure the scaffolder of a test platform.
type scaffoldOptions struct {
	integrations []scaffold.Integration
	concurrency  int
}

func (o scaffoldOptions) activities(st *store.Store, objects storage.Store, argo *argocd.Activities) *scaffold.Activities {
	a := &scaffold.Activities{Store: st, Objects: objects, Argo: argo, Integrations: o.integrations, Concurrency: o.concurrency}
	a.Templates = &scaffold.Templates{Integrations: o.integrations, Objects: objects}
	return a
}

// forges are a fake GitHub and GitLab whose organisation/group is acme,
// configured as github.com and gitlab.com.
type forges struct {
	gh *gitfake.GitHub
	gl *gitfake.GitLab
}

func newForges(t testing.TB) forges {
	return forges{gh: gitfake.NewGitHub(t, gitfake.WithOwner("acme")), gl: gitfake.NewGitLab(t, gitfake.WithOwner("acme"))}
}

func (f forges) integrations() []scaffold.Integration {
	return []scaffold.Integration{
		{Host: "github.com", Type: "github", APIURL: f.gh.URL(), Token: f.gh.Token()},
		{Host: "gitlab.com", Type: "gitlab", APIURL: f.gl.URL(), Token: f.gl.Token()},
	}
}

// corpusLocations are the corpus' template repositories (one location each):
// <repo>/../shared/corpus/templates, else /work/shared/corpus/templates.
func corpusLocations(t testing.TB) []string {
	dir := os.Getenv("RIGGER_CORPUS_DIR")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		for _, c := range []string{filepath.Join(filepath.Dir(file), "..", "..", "shared", "corpus", "templates"), "/work/shared/corpus/templates"} {
			if fi, err := os.Stat(c); err == nil && fi.IsDir() {
				dir = c
				break
			}
		}
	}
	if dir == "" {
		t.Skip("shared/corpus/templates not found (set RIGGER_CORPUS_DIR)")
	}
	dir, _ = filepath.Abs(dir)
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}

func repoFile(parts ...string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(append([]string{filepath.Dir(file), ".."}, parts...)...)
}

func corpusValues(t testing.TB) map[string]map[string]any {
	raw, err := os.ReadFile(repoFile("internal", "scaffolder", "testdata", "corpus-values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]map[string]any
	if err := yaml.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// goldenFiles reads the files section of a template's golden transcript
// (internal/scaffolder/testdata/golden): path -> "size=N sha256=H".
func goldenFiles(t testing.TB, name string) map[string]string {
	raw, err := os.ReadFile(repoFile("internal", "scaffolder", "testdata", "golden", name+".golden"))
	if err != nil {
		t.Fatal(err)
	}
	_, files, _ := strings.Cut(string(raw), "\n## files\n")
	out := map[string]string{}
	for _, line := range strings.Split(files, "\n") {
		rest, ok := strings.CutPrefix(line, "== ")
		i := strings.Index(rest, " size=")
		if !ok || i < 0 {
			continue
		}
		out[strings.TrimSuffix(rest[:i], " executable")] = rest[i+1:]
	}
	return out
}

func digest(data []byte) string {
	return fmt.Sprintf("size=%d sha256=%x", len(data), sha256.Sum256(data))
}

// unsupportedCorpus are the corpus templates Rigger cannot run, with what
// the validation error names.
var unsupportedCorpus = map[string]string{
	"docs-template-cookiecutter": `step "fetch" (Template Docs Skeleton) action "fetch:cookiecutter"`,
	"rails-demo":                 `step "fetch-base" (Fetch Base) action "fetch:rails"`,
	"dotnet-frontend-template":   `step "publish" (Publishing to the Source Code Repository) action "publish:azure"`,
	"tekton-template":            `step "merge" (Merge YAML) action "roadiehq:utils:merge"`,
	"obc-template":               `step "manifestsTemplate" (Generating the Manifests Component) action "fetch:template": input.url`,
	"sdlc-app-template":          `step "template-gitops" (Fetch Skeleton + Template) action "fetch:template": input.url`,
}

// scaffoldTenant onboards slug and points its template locations at dirs.
func (p *platform) scaffoldTenant(slug string, dirs ...string) {
	p.t.Helper()
	p.onboardActive(slug)
	var locs []map[string]any
	for _, d := range dirs {
		locs = append(locs, map[string]any{"type": "dir", "target": d})
	}
	if code := p.call("PUT", "/v1/tenants/"+slug+"/template-locations", map[string]any{"locations": locs}, nil); code != 200 {
		p.t.Fatalf("set template locations = %d", code)
	}
}

// startTask starts a task as the admin for tenant and returns its ID.
func (p *platform) startScaffold(tenant, ref string, values map[string]any) string {
	p.t.Helper()
	var out struct {
		ID    string         `json:"id"`
		Error map[string]any `json:"error"`
	}
	if code := p.call("POST", "/v2/tasks?tenant="+tenant, map[string]any{"templateRef": ref, "values": values, "createdBy": "user:default/jdoe"}, &out); code != http.StatusCreated {
		p.t.Fatalf("POST /v2/tasks %s = %d %v", ref, code, out.Error)
	}
	return out.ID
}

func (p *platform) getScaffold(id string) api.TaskResponse {
	p.t.Helper()
	var t api.TaskResponse
	if code := p.call("GET", "/v2/tasks/"+id, nil, &t); code != 200 {
		p.t.Fatalf("GET task %s = %d", id, code)
	}
	return t
}

// waitTask polls until the task satisfies ok.
func (p *platform) waitScaffold(id string, timeout time.Duration, ok func(api.TaskResponse) bool) api.TaskResponse {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	var t api.TaskResponse
	for time.Now().Before(deadline) {
		t = p.getScaffold(id)
		if ok(t) {
			return t
		}
		time.Sleep(100 * time.Millisecond)
	}
	state := ""
	if t.State != nil {
		b, _ := json.Marshal(t.State)
		state = string(b)
	}
	p.t.Fatalf("task %s: condition not met within %s; last status %s state %s", id, timeout, t.Status, state)
	return t
}

func (p *platform) waitScaffoldStatus(id, status string, timeout time.Duration) api.TaskResponse {
	p.t.Helper()
	return p.waitScaffold(id, timeout, func(t api.TaskResponse) bool {
		if store.TaskTerminal(t.Status) && t.Status != status {
			b, _ := json.Marshal(t.State)
			p.t.Fatalf("task %s ended %s, want %s: %s", id, t.Status, status, b)
		}
		return t.Status == status
	})
}

// events reads the task's events after n.
func (p *platform) scaffoldEvents(id string, after int) []map[string]any {
	p.t.Helper()
	var ev []map[string]any
	if code := p.call("GET", fmt.Sprintf("/v2/tasks/%s/events?after=%d", id, after), nil, &ev); code != 200 {
		p.t.Fatalf("events = %d", code)
	}
	return ev
}

// eventStream reads the SSE stream until it ends and returns the event
// types in order and the last event's data.
func (p *platform) scaffoldStream(id string) ([]string, map[string]any) {
	p.t.Helper()
	req, _ := http.NewRequest("GET", p.api.URL+"/v2/tasks/"+id+"/eventstream", nil)
	req.Header.Set("Authorization", "Bearer "+p.adminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		p.t.Fatalf("eventstream = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var types []string
	var last map[string]any
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if t, ok := strings.CutPrefix(line, "event: "); ok {
			types = append(types, t)
		}
		if d, ok := strings.CutPrefix(line, "data: "); ok {
			last = nil
			_ = json.Unmarshal([]byte(d), &last)
		}
	}
	return types, last
}

// writeTemplate writes a template location with one template and skeleton.
func writeTemplate(t testing.TB, dir, name, yamlText string, files map[string]string) {
	t.Helper()
	root := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Join(root, "skeleton"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "template.yaml"), []byte(yamlText), 0o644); err != nil {
		t.Fatal(err)
	}
	for p, c := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// approvalTemplate publishes a repository, then waits for approval, then
// (with wait) waits 30 s, then logs each of two items.
const approvalTemplate = `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: approval-demo
  title: Approval demo
spec:
  parameters:
    - title: Repository
      required: [name]
      properties:
        name: {type: string, pattern: '^[a-z0-9-]+$'}
        wait: {type: boolean}
  steps:
    - id: fetch
      name: Fetch skeleton
      action: fetch:template
      input:
        url: ./skeleton
        values: {name: '${{ parameters.name }}'}
    - id: publish
      name: Publish
      action: publish:github
      rigger: {retry: {maximumAttempts: 3, initialInterval: 100ms}, timeout: 1m}
      input:
        repoUrl: 'github.com?owner=acme&repo=${{ parameters.name }}'
        defaultBranch: main
    - id: approve
      name: Approve
      action: rigger:approval
      input: {message: 'Ship ${{ parameters.name }}?', timeout: 1h}
    - id: wait
      name: Wait
      if: ${{ parameters.wait }}
      action: debug:wait
      input: {seconds: 30}
    - id: log
      name: Log
      action: debug:log
      each: ['a', 'b']
      input: {message: 'item ${{ each.value }}'}
  output:
    links:
      - {title: Repository, url: '${{ steps.publish.output.remoteUrl }}'}
`

var approvalSkeleton = map[string]string{"skeleton/README.md": "# ${{ values.name }}\n"}

// cliTemplate has no side effects outside its workspace.
const cliTemplate = `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: cli-demo
spec:
  parameters:
    - properties:
        name: {type: string, default: demo}
  steps:
    - id: fetch
      name: Fetch skeleton
      action: fetch:template
      input:
        url: ./skeleton
        values: {name: '${{ parameters.name }}'}
    - id: entity
      name: Write entity
      action: catalog:write
      input:
        entity: {apiVersion: backstage.io/v1alpha1, kind: Component, metadata: {name: '${{ parameters.name }}'}}
    - id: log
      name: Log
      action: debug:log
      input: {message: 'hello ${{ parameters.name }}', listWorkspace: true}
  output:
    text:
      - {title: Name, content: '${{ parameters.name }}'}
`

// dryRunFiles decodes a dry run's directoryContents: path -> digest.
func dryRunFiles(t testing.TB, contents []api.DryRunFile) map[string]string {
	out := map[string]string{}
	for _, f := range contents {
		data, err := base64.StdEncoding.DecodeString(f.Base64Content)
		if err != nil {
			t.Fatal(err)
		}
		out[f.Path] = digest(data)
	}
	return out
}

func yamlUnmarshal(s string, v any) error { return yaml.Unmarshal([]byte(s), v) }
