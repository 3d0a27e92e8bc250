package llm

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rigger-platform/rigger/internal/store"
)

func TestCompleteSuccessRecordsUsage(t *testing.T) {
	st := newStore(t)
	addTenant(t, st, "acme", "team")
	f := newFake(t, completion("Use the postgres template.", "stop", 42, 7))
	a := newActivities(t, f, st)

	res, err := run(t, a, ask("acme", "How do I get a database?"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := CompleteResult{Text: "Use the postgres template.", PromptTokens: 42, CompletionTokens: 7, TotalTokens: 49, FinishReason: "stop", Model: fakeModel}
	if res != want {
		t.Errorf("result %+v, want %+v", res, want)
	}
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer "+testKey {
		t.Errorf("request %s", r)
	}
	msgs, _ := r.Body["messages"].([]any)
	if r.Body["model"] != "gpt-4o-mini" || len(msgs) != 2 || r.Body["max_completion_tokens"] != float64(defaultMaxTokens) || r.Body["stream"] == true {
		t.Errorf("body %v", r.Body)
	}
	if got := aiUsage(t, st, "acme"); got != 49 {
		t.Errorf("recorded %d tokens, want 49", got)
	}
	// The same step again (a retry after the result was lost) bills nothing
	// more, and a different step is a new call.
	in := ask("acme", "again")
	in.Step = "answer"
	for range 2 {
		if _, err := run(t, a, in, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n, got := usageEvents(t, st, "acme"), aiUsage(t, st, "acme"); n != 2 || got != 98 {
		t.Errorf("after a repeated step: %d events, %d tokens; want 2 and 98", n, got)
	}
}

func TestBudgetExhaustedMakesNoCall(t *testing.T) {
	st := newStore(t)
	addTenant(t, st, "acme", "free") // 50,000 tokens a month
	ctx := context.Background()
	// Last month's usage does not count; this month's does.
	from, _ := MonthOf(time.Now())
	for i, ev := range []store.UsageEvent{
		{ID: "old", Quantity: 50_000, OccurredAt: from.Add(-time.Hour)},
		{ID: "now", Quantity: 49_900, OccurredAt: time.Now()},
	} {
		ev.Tenant, ev.Metric = "acme", store.MetricAITokens
		if _, err := st.RecordUsage(ctx, ev); err != nil {
			t.Fatal(i, err)
		}
	}
	f := newFake(t, completion("short", "length", 10, 100))
	a := newActivities(t, f, st)

	// 100 left: the answer is capped at them.
	in := ask("acme", "Explain everything.")
	in.MaxTokens = 4000
	if _, err := run(t, a, in, nil); err != nil {
		t.Fatal(err)
	}
	if got := f.requests()[0].Body["max_completion_tokens"]; got != float64(100) {
		t.Errorf("max_completion_tokens %v, want the 100 left", got)
	}
	// Now 50,010 used of 50,000.
	_, err := run(t, a, ask("acme", "And more?"), nil)
	ae := appErr(t, err, ErrTypeBudgetExhausted, false)
	if !strings.Contains(ae.Error(), `"free" plan`) || !strings.Contains(ae.Error(), "50010 of the 50000") {
		t.Errorf("message: %v", ae)
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("%d requests reached the server; the exhausted call must send none", n)
	}
}

func TestNotConfigured(t *testing.T) {
	a, err := New(Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = run(t, a, ask("acme", "hi"), nil)
	ae := appErr(t, err, ErrTypeNotConfigured, false)
	if ae.Message() != "assistant not configured: set RIGGER_LLM_BASE_URL, RIGGER_LLM_API_KEY, RIGGER_LLM_MODEL" {
		t.Errorf("message %q", ae.Message())
	}
}

func TestUnknownTenantAndBadInput(t *testing.T) {
	st := newStore(t)
	f := newFake(t, completion("x", "stop", 1, 1))
	a := newActivities(t, f, st)
	_, err := run(t, a, ask("ghost", "hi"), nil)
	appErr(t, err, ErrTypeTenantNotFound, false)
	for _, in := range []CompleteInput{
		{Tenant: "acme"},
		{Tenant: "Not A Slug", Messages: []Message{{Role: RoleUser, Content: "x"}}},
		{Tenant: "acme", Messages: []Message{{Role: "tool", Content: "x"}}},
		{Tenant: "acme", Messages: []Message{{Role: RoleUser, Content: "x"}}, MaxTokens: -1},
	} {
		_, err := run(t, a, in, nil)
		appErr(t, err, ErrTypeInvalidInput, false)
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests for rejected inputs", n)
	}
}

func TestAPITypes(t *testing.T) {
	st := newStore(t)
	addTenant(t, st, "acme", "team")
	t.Run("azure", func(t *testing.T) {
		f := newFake(t, completion("ok", "stop", 3, 1))
		a := newActivitiesCfg(t, Config{APIType: APITypeAzure, BaseURL: f.srv.URL, APIKey: testKey, Model: "rigger-gpt4o", APIVersion: "2024-10-21"}, st)
		if _, err := run(t, a, ask("acme", "hi"), nil); err != nil {
			t.Fatal(err)
		}
		r := f.requests()[0]
		if r.Path != "/openai/deployments/rigger-gpt4o/chat/completions" || r.Query != "api-version=2024-10-21" ||
			r.Header.Get("api-key") != testKey || r.Header.Get("Authorization") != "" || r.Body["max_tokens"] != float64(defaultMaxTokens) {
			t.Errorf("azure request %s api-key=%q", r, r.Header.Get("api-key"))
		}
	})
	t.Run("compatible without key", func(t *testing.T) {
		f := newFake(t, completion("ok", "stop", 3, 1))
		a := newActivitiesCfg(t, Config{APIType: APITypeCompatible, BaseURL: f.srv.URL + "/v1/", Model: "llama3.1:8b"}, st)
		if _, err := run(t, a, ask("acme", "hi"), nil); err != nil {
			t.Fatal(err)
		}
		r := f.requests()[0]
		if r.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "" || r.Body["max_tokens"] != float64(defaultMaxTokens) || r.Body["model"] != "llama3.1:8b" {
			t.Errorf("compatible request %s", r)
		}
	})
}

// A server that reports no usage is still metered, by estimate.
func TestMissingUsageIsEstimated(t *testing.T) {
	st := newStore(t)
	addTenant(t, st, "acme", "team")
	f := newFake(t, reply{body: `{"id":"x","object":"chat.completion","created":1,"model":"local","choices":[{"index":0,"message":{"role":"assistant","content":"twelve chars"},"finish_reason":"stop"}]}`})
	a := newActivities(t, f, st)
	res, err := run(t, a, ask("acme", "hi"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.UsageEstimated || res.CompletionTokens != 3 || res.TotalTokens == 0 || aiUsage(t, st, "acme") != int64(res.TotalTokens) {
		t.Errorf("estimate %+v, recorded %d", res, aiUsage(t, st, "acme"))
	}
}
