package llm

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/rigger-platform/rigger/internal/pgtest"
	"github.com/rigger-platform/rigger/internal/store"
)

const testKey = "sk-test-Zq7u2Vb9Lw4XpS1eN8rT"

func newStore(t testing.TB) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

func addTenant(t testing.TB, st *store.Store, slug, plan string) {
	t.Helper()
	_, _, err := st.ClaimTenant(context.Background(), store.TenantSpec{Slug: slug, DisplayName: slug, Plan: plan, Owner: "owner@example.com"})
	if err != nil {
		t.Fatal(err)
	}
}

func aiUsage(t testing.TB, st *store.Store, slug string) int64 {
	t.Helper()
	from, to := MonthOf(time.Now())
	totals, err := st.UsageTotals(context.Background(), slug, from, to)
	if err != nil {
		t.Fatal(err)
	}
	return totals[store.MetricAITokens]
}

func usageEvents(t testing.TB, st *store.Store, slug string) int {
	t.Helper()
	var n int
	if err := st.Pool.QueryRow(context.Background(), `SELECT count(*) FROM rigger.usage_events WHERE tenant_slug = $1`, slug).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// newActivities points the activities at the fake, OpenAI-style.
func newActivities(t testing.TB, f *fakeOpenAI, st *store.Store) *Activities {
	t.Helper()
	return newActivitiesCfg(t, Config{BaseURL: f.srv.URL + "/v1", APIKey: testKey, Model: "gpt-4o-mini"}, st)
}

func newActivitiesCfg(t testing.TB, cfg Config, st *store.Store) *Activities {
	t.Helper()
	a, err := New(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	a.HeartbeatEvery = 10 * time.Millisecond
	return a
}

// run executes LLMComplete in the SDK's activity test environment, so
// activity.GetInfo, heartbeats and error conversion are the SDK's own.
func run(t testing.TB, a *Activities, in CompleteInput, onHeartbeat func(Progress)) (CompleteResult, error) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	// The SDK sends heartbeats at most every 0.8 × HeartbeatTimeout, capped
	// by these; the listener sees only what is sent.
	env.SetWorkerOptions(worker.Options{DefaultHeartbeatThrottleInterval: time.Millisecond, MaxHeartbeatThrottleInterval: time.Millisecond})
	env.RegisterActivity(a)
	if onHeartbeat != nil {
		env.SetOnActivityHeartbeatListener(func(_ *activity.Info, details converter.EncodedValues) {
			var p Progress
			if details.HasValues() && details.Get(&p) == nil {
				onHeartbeat(p)
			}
		})
	}
	val, err := env.ExecuteActivity(a.LLMComplete, in)
	var res CompleteResult
	if err == nil {
		err = val.Get(&res)
	}
	return res, err
}

func ask(tenant, question string) CompleteInput {
	return CompleteInput{Tenant: tenant, TaskID: "assistant/" + tenant + "/t1", Messages: []Message{
		{Role: RoleSystem, Content: "You answer questions about the platform."},
		{Role: RoleUser, Content: question},
	}}
}

// appErr asserts an application error of the given type and retryability.
func appErr(t testing.TB, err error, typ string, retryable bool) *temporal.ApplicationError {
	t.Helper()
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) {
		t.Fatalf("want application error %s, got %T %v", typ, err, err)
	}
	if ae.Type() != typ || ae.NonRetryable() == retryable {
		t.Fatalf("want %s (retryable=%v), got %s (non-retryable=%v): %v", typ, retryable, ae.Type(), ae.NonRetryable(), ae)
	}
	return ae
}
