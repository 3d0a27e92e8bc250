package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	actassistant "github.com/rigger-platform/rigger/activities/assistant"
	"github.com/rigger-platform/rigger/activities/llm"
	"github.com/rigger-platform/rigger/activities/scaffold"
	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/api"
	"github.com/rigger-platform/rigger/internal/retrieval"
	"github.com/rigger-platform/rigger/internal/scaffolder"
	"github.com/rigger-platform/rigger/internal/store"
	"github.com/rigger-platform/rigger/internal/techdocs"
	"github.com/rigger-platform/rigger/starter"
	"github.com/rigger-platform/rigger/workflows"
)

// fakeLLM speaks OpenAI's chat-completions wire format: a JSON completion
// with a usage block, or (for "stream": true) an SSE stream of
// chat.completion.chunk objects with a final usage chunk and "data:
// [DONE]". Replies are queued; with none queued it answers "OK [1]".
type fakeLLM struct {
	srv     *httptest.Server
	mu      sync.Mutex
	queue   []fakeReply
	prompts [][]fakeMsg // every request's messages, in order
}

type fakeMsg struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type fakeReply struct {
	text   string
	chunks int           // stream the text in this many pieces (default 3)
	every  time.Duration // between pieces
}

func newFakeLLM(t testing.TB) *fakeLLM {
	f := &fakeLLM{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeLLM) push(r ...fakeReply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue = append(f.queue, r...)
}

func (f *fakeLLM) calls() [][]fakeMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]fakeMsg(nil), f.prompts...)
}

func (f *fakeLLM) serve(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model    string    `json:"model"`
		Messages []fakeMsg `json:"messages"`
		Stream   bool      `json:"stream"`
	}
	if r.URL.Path != "/v1/chat/completions" || json.NewDecoder(r.Body).Decode(&req) != nil || len(req.Messages) == 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":{"message":"bad request","type":"invalid_request_error","param":null,"code":null}}`)
		return
	}
	f.mu.Lock()
	f.prompts = append(f.prompts, req.Messages)
	rep := fakeReply{text: "OK [1]"}
	if len(f.queue) > 0 {
		rep, f.queue = f.queue[0], f.queue[1:]
	}
	f.mu.Unlock()
	promptTokens := 0
	for _, m := range req.Messages {
		promptTokens += len(m.Content)/4 + 4
	}
	completionTokens := len(rep.text)/4 + 1
	usage := fmt.Sprintf(`{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}`, promptTokens, completionTokens, promptTokens+completionTokens)
	if !req.Stream {
		content, _ := json.Marshal(rep.text)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"chatcmpl-e2e","object":"chat.completion","created":1741569952,"model":%q,"choices":[{"index":0,"message":{"role":"assistant","content":%s},"finish_reason":"stop"}],"usage":%s}`,
			req.Model, content, usage)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	fl := w.(http.Flusher)
	chunk := func(delta, finish, usage string) {
		fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-e2e\",\"object\":\"chat.completion.chunk\",\"created\":1741569952,\"model\":%q,\"choices\":[%s],\"usage\":%s}\n\n",
			req.Model, func() string {
				if delta == "" {
					return ""
				}
				return `{"index":0,"delta":` + delta + `,"finish_reason":` + finish + `}`
			}(), usage)
		fl.Flush()
	}
	chunk(`{"role":"assistant","content":""}`, "null", "null")
	n := max(rep.chunks, 3)
	size := (len(rep.text) + n - 1) / n
	for i := 0; i < len(rep.text); i += size {
		piece, _ := json.Marshal(rep.text[i:min(i+size, len(rep.text))])
		chunk(`{"content":`+string(piece)+`}`, "null", "null")
		select {
		case <-r.Context().Done():
			return
		case <-time.After(rep.every):
		}
	}
	chunk(`{}`, `"stop"`, "null")
	chunk("", "", usage)
	io.WriteString(w, "data: [DONE]\n\n")
}

// configureAssistant gives the (not yet started) worker an LLM at baseURL,
// or none when baseURL is empty.
func (p *platform) configureAssistant(baseURL string) {
	p.t.Helper()
	var cfg llm.Config
	if baseURL != "" {
		cfg = llm.Config{BaseURL: baseURL + "/v1", APIKey: "sk-e2e-Zq7u2Vb9Lw4XpS1eN8rT", Model: "gpt-4o-mini"}
	}
	la, err := llm.New(cfg, p.store)
	if err != nil {
		p.t.Fatal(err)
	}
	la.HeartbeatEvery = 100 * time.Millisecond
	p.deps.LLM = la
	p.deps.Assistant = &actassistant.Activities{Objects: p.deps.Storage.Store, LLMConfigured: la.Client != nil,
		Settings: actassistant.Settings{RepairRounds: 3, ApprovalTimeout: time.Hour, TopK: 5}}
}

// activeTenant records a tenant as onboarded, without running onboarding
// (the assistant needs only its record, plan and storage).
func (p *platform) activeTenant(slug, plan string) {
	p.t.Helper()
	ctx := context.Background()
	if _, _, err := p.store.ClaimTenant(ctx, store.TenantSpec{Slug: slug, DisplayName: slug, Plan: plan, Owner: "alice"}); err != nil {
		p.t.Fatal(err)
	}
	if _, err := p.store.SetTenantStatus(ctx, slug, nil, store.StatusActive, ""); err != nil {
		p.t.Fatal(err)
	}
}

func assistantCorpus(t testing.TB) string {
	for _, dir := range []string{os.Getenv("RIGGER_CORPUS"), "../../shared/corpus", "/work/shared/corpus"} {
		if dir == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "techdocs")); err == nil {
			return filepath.Join(dir, "techdocs")
		}
	}
	t.Skip("TechDocs corpus not found (set RIGGER_CORPUS to the shared/corpus directory)")
	return ""
}

// publishDocs builds a TechDocs site with the real builder and stores its
// search index where the publisher does, plus extra documents.
func publishDocs(t testing.TB, objects storage.Store, slug, entity, src string, extra ...retrieval.Document) {
	t.Helper()
	ctx := context.Background()
	sink := &techdocs.MemSink{}
	if _, err := techdocs.Build(ctx, techdocs.Options{SourceDir: src, Sink: sink, Now: func() time.Time { return time.Unix(1_700_000_000, 0) }}); err != nil {
		t.Fatal(err)
	}
	data := sink.Files["search/search_index.json"]
	if len(extra) > 0 {
		var idx map[string]any
		if err := json.Unmarshal(data, &idx); err != nil {
			t.Fatal(err)
		}
		docs, _ := idx["docs"].([]any)
		for _, d := range extra {
			docs = append(docs, map[string]any{"location": d.Location, "title": d.Title, "text": d.Text})
		}
		idx["docs"] = docs
		data, _ = json.Marshal(idx)
	}
	key := retrieval.SearchIndexKey("default", "component", entity)
	if err := storage.Scoped(objects, slug).Put(ctx, key, bytes.NewReader(data), int64(len(data)), "application/json"); err != nil {
		t.Fatal(err)
	}
}

func (p *platform) startTask(key string, body map[string]any) api.AssistantTaskResponse {
	p.t.Helper()
	var t api.AssistantTaskResponse
	if code := p.callAs(key, "POST", "/v1/assistant/tasks", body, &t); code != http.StatusAccepted {
		p.t.Fatalf("start assistant task %v = %d %+v", body, code, t)
	}
	return t
}

// waitTask polls GET until done says so.
func (p *platform) waitTask(key, id string, timeout time.Duration, done func(api.AssistantTaskResponse) bool) api.AssistantTaskResponse {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	var t api.AssistantTaskResponse
	for time.Now().Before(deadline) {
		t = api.AssistantTaskResponse{}
		if code := p.callAs(key, "GET", "/v1/assistant/tasks/"+id, nil, &t); code != 200 {
			p.t.Fatalf("GET task %s = %d", id, code)
		}
		if done(t) {
			return t
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("task %s: condition not met within %s; last %+v", id, timeout, t)
	return t
}

func settled(t api.AssistantTaskResponse) bool {
	return t.Status != workflows.AssistStatusRunning && t.Status != "cancelling"
}

type sseEvent struct{ name, data string }

// readStream reads a task's event stream to its end.
func (p *platform) readStream(key, id string) []sseEvent {
	p.t.Helper()
	req, _ := http.NewRequest("GET", p.api.URL+"/v1/assistant/tasks/"+id+"/stream", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		p.t.Fatalf("stream = %d %s", resp.StatusCode, readAll(resp))
	}
	var out []sseEvent
	var ev sseEvent
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			ev.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.data = strings.TrimPrefix(line, "data: ")
		case line == "" && ev.name != "":
			out = append(out, ev)
			ev = sseEvent{}
		}
	}
	return out
}

func prompt(msgs []fakeMsg) string {
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString(m.Role + ": " + m.Content + "\n")
	}
	return b.String()
}

const e2eValidTemplate = "Here is the corrected template:\n\n```yaml\n" + `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: go-service
  title: Go service
  description: A Go HTTP service with CI
spec:
  owner: group:default/platform
  type: service
  parameters:
    - title: Service
      required: [name, repoUrl]
      properties:
        name:
          type: string
          title: Name
        repoUrl:
          type: string
          title: Repository
          ui:field: RepoUrlPicker
  steps:
    - id: catalog
      name: Write catalog-info.yaml
      action: catalog:write
      input:
        entity:
          apiVersion: backstage.io/v1alpha1
          kind: Component
          metadata:
            name: ${{ parameters.name }}
          spec:
            type: service
            owner: group:default/platform
            lifecycle: experimental
    - id: publish
      name: Publish
      action: publish:github
      input:
        repoUrl: ${{ parameters.repoUrl }}
        description: Service ${{ parameters.name | upper }}
    - id: register
      name: Register
      action: catalog:register
      input:
        repoContentsUrl: ${{ steps['publish'].output.repoContentsUrl }}
        catalogInfoPath: /catalog-info.yaml
  output:
    links:
      - title: Repository
        url: ${{ steps['publish'].output.remoteUrl }}
` + "```\n"

const e2eInvalidTemplate = "```yaml\napiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: go-service\nspec:\n  owner: group:default/platform\n  type: service\n  steps:\n    - id: fetch\n      action: fetch:cookiecutter\n      input:\n        url: ./skeleton\n    - id: publish\n      action: publish:github\n      input:\n        description: ${{ parameters.name | shout }}\n```"

// TestAssistantEndToEnd drives the assistant through the real API, worker,
// Temporal, PostgreSQL and storage, against an httptest server speaking
// the OpenAI chat-completions wire format (JSON and SSE).
func TestAssistantEndToEnd(t *testing.T) {
	corpus := assistantCorpus(t)
	model := newFakeLLM(t)
	p := newPlatform(t, platformOptions{devDefaults: true, noWorker: true})
	p.configureAssistant(model.srv.URL)
	p.startWorker()
	objects := p.deps.Storage.Store
	for _, slug := range []string{"docs-a", "docs-b", "broke-c"} {
		p.activeTenant(slug, "team")
	}
	aRun, aAdmin := p.tenantKey("docs-a", "run").Key, p.tenantKey("docs-a", "admin").Key
	bRun, bAdmin := p.tenantKey("docs-b", "run").Key, p.tenantKey("docs-b", "admin").Key
	cRun := p.tenantKey("broke-c", "run").Key
	const canary = "CANARY-A-91c7"
	publishDocs(t, objects, "docs-a", "mkdocs", filepath.Join(corpus, "mkdocs"), retrieval.Document{
		Location: "internal/writing/#markdown-pages", Title: "Writing markdown documentation pages",
		Text: canary + " Tenant A's private guide: write markdown documentation pages in the docs folder.",
	})
	publishDocs(t, objects, "docs-b", "documented-component", filepath.Join(corpus, "backstage-documented-component"))
	publishDocs(t, objects, "broke-c", "documented-component", filepath.Join(corpus, "backstage-documented-component"))

	t.Log("ask streams an answer with citations")
	func() {
		answer := "Run `mkdocs gh-deploy` from the directory holding mkdocs.yml: it builds the site and pushes it to the gh-pages branch of your repository [1]. For an organisation site, deploy from the <username>.github.io repository instead [2]."
		model.push(fakeReply{text: answer, chunks: 30, every: 60 * time.Millisecond})
		task := p.startTask(aRun, map[string]any{"tenant": "docs-a", "type": "ask", "input": map[string]any{"question": "How do I deploy my project documentation to GitHub Pages?"}})
		if !strings.HasPrefix(task.ID, "docs-a.") || task.WorkflowID != "assist/docs-a/"+strings.TrimPrefix(task.ID, "docs-a.") {
			t.Fatalf("task %+v", task)
		}
		partial := p.waitTask(aRun, task.ID, 15*time.Second, func(v api.AssistantTaskResponse) bool { return v.PartialText != "" || settled(v) })
		if partial.PartialText == "" || !strings.HasPrefix(answer, partial.PartialText) || partial.Status != workflows.AssistStatusRunning || partial.Stage != workflows.AssistStageAnswer {
			t.Fatalf("no partial text while streaming: %+v", partial)
		}
		events := p.readStream(aRun, task.ID)
		streamed := ""
		var done api.AssistantTaskResponse
		for _, e := range events {
			switch e.name {
			case "delta":
				var d struct{ Text string }
				_ = json.Unmarshal([]byte(e.data), &d)
				streamed += d.Text
			case "done":
				_ = json.Unmarshal([]byte(e.data), &done)
			}
		}
		if len(events) < 2 || events[0].name != "status" || events[len(events)-1].name != "done" {
			t.Fatalf("events %v", events)
		}
		if done.Status != workflows.AssistStatusDone || done.Result == nil || done.Result.Answer != answer || !strings.HasPrefix(answer, streamed) {
			t.Fatalf("stream ended with %+v (streamed %q), events %v", done, streamed, events)
		}
		p.assertReplays(task.WorkflowID, "assistant_ask")
		cites := done.Result.Citations
		if len(cites) != 2 || !strings.HasPrefix(cites[0].Location, "default/component/mkdocs/user-guide/deploying-your-docs/") ||
			cites[0].URL != "/docs/"+cites[0].Location {
			t.Fatalf("citations %+v", cites)
		}
		calls := model.calls()
		last := prompt(calls[len(calls)-1])
		if !strings.Contains(last, "Question: How do I deploy my project documentation to GitHub Pages?") || !strings.Contains(last, "gh-deploy") {
			t.Errorf("prompt:\n%s", last)
		}
		from, to := llm.MonthOf(time.Now())
		totals, err := p.store.UsageTotals(context.Background(), "docs-a", from, to)
		if err != nil || totals[store.MetricAITokens] != int64(done.Tokens) || done.Tokens == 0 {
			t.Errorf("metered %v (%v), task says %d tokens", totals, err, done.Tokens)
		}
	}()

	t.Log("tenants retrieve only their own documents")
	func() {
		q := "How do I write markdown documentation pages?"
		// A through the CLI: the answer streams to stdout with its sources.
		c := &starter.Client{BaseURL: p.api.URL, APIKey: aRun}
		var out, errOut bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		model.push(fakeReply{text: "Put Markdown files in the docs folder [1]."})
		if code := starter.Assistant(ctx, c, []string{"ask", "--tenant", "docs-a", q}, &out, &errOut); code != 0 ||
			!strings.Contains(out.String(), "Put Markdown files in the docs folder [1].") || !strings.Contains(out.String(), "Sources:") {
			t.Fatalf("rigger assistant ask = %d:\n%s\n%s", code, out.String(), errOut.String())
		}
		t.Logf("rigger assistant ask:\n%s%s", errOut.String(), out.String())
		aPrompt := prompt(model.calls()[len(model.calls())-1])
		if !strings.Contains(aPrompt, canary) {
			t.Fatalf("A's own canary section was not retrieved for A:\n%s", aPrompt)
		}
		n := len(model.calls())
		task := p.startTask(bRun, map[string]any{"tenant": "docs-b", "type": "ask", "input": map[string]any{"question": q}})
		done := p.waitTask(bRun, task.ID, 15*time.Second, settled)
		if done.Status != workflows.AssistStatusDone {
			t.Fatalf("B's task %+v", done)
		}
		calls := model.calls()
		if len(calls) != n+1 {
			t.Fatalf("B's question made %d model calls", len(calls)-n)
		}
		bPrompt := prompt(calls[n])
		if strings.Contains(bPrompt, canary) || strings.Contains(bPrompt, "default/component/mkdocs") || !strings.Contains(bPrompt, "default/component/documented-component") {
			t.Fatalf("B's prompt holds A's text or none of B's:\n%s", bPrompt)
		}
		for _, c := range done.Result.Citations {
			if !strings.HasPrefix(c.Location, "default/component/documented-component/") {
				t.Errorf("B cites %+v", c)
			}
		}
		// A's task is invisible to B.
		if code := p.callAs(bRun, "GET", "/v1/assistant/tasks/"+task.ID, nil, nil); code != 200 {
			t.Fatalf("B reading its own task = %d", code)
		}
	}()

	t.Log("draft repaired, approved and committed")
	func() {
		n := len(model.calls())
		model.push(fakeReply{text: e2eInvalidTemplate}, fakeReply{text: e2eValidTemplate})
		task := p.startTask(aRun, map[string]any{"tenant": "docs-a", "type": "draft", "input": map[string]any{"description": "A Go HTTP service published to GitHub and registered in the catalog"}})
		v := p.waitTask(aRun, task.ID, 20*time.Second, func(v api.AssistantTaskResponse) bool { return v.Status != workflows.AssistStatusRunning })
		if v.Status != workflows.AssistStatusAwaiting || v.Round != 2 || v.Proposal == nil || !v.Proposal.Valid || v.Proposal.Name != "go-service" {
			t.Fatalf("awaiting approval: %+v", v)
		}
		calls := model.calls()[n:]
		if len(calls) != 2 {
			t.Fatalf("%d model calls, want 2", len(calls))
		}
		repair := calls[1][len(calls[1])-1].Content
		for _, want := range []string{`action "fetch:cookiecutter" is not a built-in or registered action`, `unknown filter "shout"`} {
			if !strings.Contains(repair, want) {
				t.Errorf("repair prompt lacks %q:\n%s", want, repair)
			}
		}
		if code := p.callAs(aRun, "POST", "/v1/assistant/tasks/"+task.ID+"/approve", nil, nil); code != 403 {
			t.Fatalf("approve with a run key = %d, want 403", code)
		}
		if code := p.callAs(bAdmin, "POST", "/v1/assistant/tasks/"+task.ID+"/approve", nil, nil); code != 404 {
			t.Fatalf("approve by another tenant's admin = %d, want 404", code)
		}
		var d api.AssistantDecisionResponse
		if code := p.callAs(aAdmin, "POST", "/v1/assistant/tasks/"+task.ID+"/approve", nil, &d); code != 202 || d.ProposalID != v.Proposal.ID {
			t.Fatalf("approve = %d %+v", code, d)
		}
		v = p.waitTask(aRun, task.ID, 15*time.Second, settled)
		if v.Status != workflows.AssistStatusDone || v.Result == nil || v.Result.Decision != workflows.DecisionApproved ||
			v.Result.CommittedTo != "templates/go-service/template.yaml" {
			t.Fatalf("after approval: %+v", v)
		}
		if code := p.callAs(aAdmin, "POST", "/v1/assistant/tasks/"+task.ID+"/reject", nil, nil); code != 409 {
			t.Fatalf("deciding a finished task = %d, want 409", code)
		}
		p.assertReplays(task.WorkflowID, "assistant_draft")
		// The committed template is one the scaffolder parses, validates
		// and renders in a dry run.
		r, err := storage.Scoped(objects, "docs-a").Get(context.Background(), v.Result.CommittedTo)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(r)
		r.Close()
		tpl, err := scaffolder.Parse(data, "template.yaml")
		if err != nil {
			t.Fatal(err)
		}
		engine := scaffolder.NewEngine(scaffolder.EngineOptions{Strict: true})
		if err := engine.Validate(tpl, scaffolder.RiggerActions, nil); err != nil {
			t.Fatal(err)
		}
		// The scaffolder's own dry run: every step through the action
		// registry (input schemas, catalog:write writing its file,
		// publish and register reporting what they would do).
		plan := scaffold.Plan{Name: tpl.Metadata.Name, Steps: tpl.Spec.Steps, Output: tpl.Spec.Output, Path: "template.yaml"}
		src := fstest.MapFS{"template.yaml": &fstest.MapFile{Data: data}}
		dry, ws, err := (&scaffold.Activities{}).DryRun(context.Background(), scaffold.DryRunInput{Tenant: "docs-a", TaskID: "e2e-dry-run", Plan: plan,
			Values: map[string]any{"name": "payments", "repoUrl": "github.com?owner=acme&repo=payments"}}, src)
		if err != nil {
			t.Fatalf("scaffolder dry run: %v (log %+v)", err, dry.Log)
		}
		if ws == nil || len(dry.Steps) != 3 || dry.Output["links"] == nil {
			t.Fatalf("scaffolder dry run result %+v", dry)
		}
		if info, err := fs.ReadFile(ws.FS(), "catalog-info.yaml"); err != nil || !strings.Contains(string(info), "name: payments") {
			t.Fatalf("dry run wrote catalog-info.yaml %q %v", info, err)
		}
		values := map[string]any{"name": "payments", "repoUrl": "github.com?owner=acme&repo=payments"}
		params, err := scaffolder.CompileParameters(tpl)
		if err != nil || params.Validate(values) != nil {
			t.Fatalf("parameters: %v %v", err, params.Validate(values))
		}
		in, err := engine.RenderInput(context.Background(), tpl.Spec.Steps[1].Input, &scaffolder.Context{Parameters: values})
		if err != nil || in["description"] != "Service PAYMENTS" || in["repoUrl"] != "github.com?owner=acme&repo=payments" {
			t.Fatalf("rendered publish input %v %v", in, err)
		}
	}()

	t.Log("a draft rejected through the CLI")
	func() {
		model.push(fakeReply{text: strings.Replace(e2eValidTemplate, "name: go-service", "name: go-worker", 1)})
		c := &starter.Client{BaseURL: p.api.URL, APIKey: aRun}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var out, errOut bytes.Buffer
		if code := starter.Assistant(ctx, c, []string{"draft", "--tenant", "docs-a", "A Go worker"}, &out, &errOut); code != 0 ||
			!strings.Contains(out.String(), "awaiting-approval") || !strings.Contains(out.String(), "name: go-worker") {
			t.Fatalf("rigger assistant draft = %d:\n%s\n%s", code, out.String(), errOut.String())
		}
		id := strings.TrimSpace(strings.TrimPrefix(strings.SplitN(errOut.String(), "\n", 2)[0], "task "))
		admin := &starter.Client{BaseURL: p.api.URL, APIKey: aAdmin}
		out.Reset()
		if code := starter.Assistant(ctx, admin, []string{"reject", id, "--reason", "we have one already"}, &out, &errOut); code != 0 {
			t.Fatalf("rigger assistant reject = %d:\n%s\n%s", code, out.String(), errOut.String())
		}
		v := p.waitTask(aRun, id, 10*time.Second, settled)
		if v.Status != workflows.AssistStatusRejected || v.Result.Reason != "we have one already" || v.Result.CommittedTo != "" {
			t.Fatalf("rejected draft: %+v", v)
		}
		if _, err := storage.Scoped(objects, "docs-a").Stat(context.Background(), "templates/go-worker/template.yaml"); err == nil {
			t.Fatal("a rejected draft was committed")
		}
	}()

	var failedTask string
	t.Log("budget exhausted fails with no model call")
	func() {
		_, err := p.store.RecordUsage(context.Background(), store.UsageEvent{ID: "e2e-burn", Tenant: "broke-c", Metric: store.MetricAITokens,
			Quantity: 100_000_000, OccurredAt: time.Now(), Source: "test"})
		if err != nil {
			t.Fatal(err)
		}
		n := len(model.calls())
		task := p.startTask(cRun, map[string]any{"tenant": "broke-c", "type": "ask", "input": map[string]any{"question": "How do I write markdown documentation pages?"}})
		v := p.waitTask(cRun, task.ID, 15*time.Second, settled)
		if v.Status != workflows.AssistStatusFailed || v.ErrorType != llm.ErrTypeBudgetExhausted || !strings.Contains(v.Error, "AI token budget exhausted") {
			t.Fatalf("task %+v", v)
		}
		if len(model.calls()) != n {
			t.Fatalf("the model was called %d times", len(model.calls())-n)
		}
		failedTask = v.WorkflowID
	}()

	t.Log("explain: another tenant's run is not found, one's own is explained")
	func() {
		if failedTask == "" {
			t.Fatal("needs the failed task of the budget case")
		}
		n := len(model.calls())
		task := p.startTask(bRun, map[string]any{"tenant": "docs-b", "type": "explain", "input": map[string]any{"workflowId": failedTask}})
		v := p.waitTask(bRun, task.ID, 15*time.Second, settled)
		if v.Status != workflows.AssistStatusFailed || v.ErrorType != workflows.ErrTypeAssistantRunNotFound || len(model.calls()) != n {
			t.Fatalf("B explaining C's run: %+v (%d model calls)", v, len(model.calls())-n)
		}
		if _, err := p.store.Pool.Exec(context.Background(), `DELETE FROM rigger.usage_events WHERE id = 'e2e-burn'`); err != nil {
			t.Fatal(err)
		}
		model.push(fakeReply{text: "The task stopped because the tenant's monthly AI token budget was used up; upgrade the plan or wait for the renewal."})
		task = p.startTask(cRun, map[string]any{"tenant": "broke-c", "type": "explain", "input": map[string]any{"workflowId": failedTask}})
		v = p.waitTask(cRun, task.ID, 15*time.Second, settled)
		if v.Status != workflows.AssistStatusDone || v.Result == nil || v.Result.Run == nil || len(v.Result.Run.Failures) == 0 {
			t.Fatalf("C explaining its run: %+v", v)
		}
		last := prompt(model.calls()[len(model.calls())-1])
		if !strings.Contains(last, "LLMComplete") || !strings.Contains(last, llm.ErrTypeBudgetExhausted) || !strings.Contains(last, "is Failed") {
			t.Errorf("explain prompt:\n%s", last)
		}
	}()

	t.Log("cancel stops the model call")
	func() {
		model.push(fakeReply{text: strings.Repeat("a very long answer ", 50), chunks: 100, every: 100 * time.Millisecond})
		task := p.startTask(aRun, map[string]any{"tenant": "docs-a", "type": "ask", "input": map[string]any{"question": "How do I install MkDocs with pip?"}})
		p.waitTask(aRun, task.ID, 15*time.Second, func(v api.AssistantTaskResponse) bool { return v.PartialText != "" })
		if code := p.callAs(aRun, "DELETE", "/v1/assistant/tasks/"+task.ID, nil, nil); code != 202 {
			t.Fatalf("cancel = %d", code)
		}
		start := time.Now()
		v := p.waitTask(aRun, task.ID, 10*time.Second, settled)
		if v.Status != workflows.AssistStatusCanceled || time.Since(start) > 5*time.Second {
			t.Fatalf("after cancel (%v): %+v", time.Since(start), v)
		}
	}()

	t.Log("no LLM configured fails fast with a clear error")
	func() {
		p.stopWorker()
		p.configureAssistant("")
		p.startWorker()
		start := time.Now()
		task := p.startTask(aRun, map[string]any{"tenant": "docs-a", "type": "ask", "input": map[string]any{"question": "How do I install MkDocs with pip?"}})
		v := p.waitTask(aRun, task.ID, 10*time.Second, settled)
		if v.Status != workflows.AssistStatusFailed || v.ErrorType != workflows.ErrTypeAssistantNotConfigured ||
			!strings.Contains(v.Error, "assistant not configured") || !strings.Contains(v.Error, llm.EnvBaseURL) {
			t.Fatalf("task %+v", v)
		}
		t.Logf("failed after %v", time.Since(start))
	}()
}
