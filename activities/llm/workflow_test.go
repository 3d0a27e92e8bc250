package llm

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// completeWorkflow calls LLMComplete the way the assistant workflow will:
// with a retry policy and a heartbeat timeout.
func completeWorkflow(ctx workflow.Context, in CompleteInput) (CompleteResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		HeartbeatTimeout:    time.Second, // heartbeats reach the server every 0.8s at most
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumAttempts: 4},
	})
	var a *Activities
	var res CompleteResult
	err := workflow.ExecuteActivity(ctx, a.LLMComplete, in).Get(ctx, &res)
	return res, err
}

// runWorkflow runs completeWorkflow in the SDK's workflow test environment
// (real retry policy, NextRetryDelay, heartbeat details carried to the next
// attempt; timers on a mock clock) and reports the workflow time it took.
func runWorkflow(t *testing.T, a *Activities, in CompleteInput, onHeartbeat func(Progress)) (CompleteResult, time.Duration, error) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(completeWorkflow)
	env.RegisterActivity(a)
	if onHeartbeat != nil {
		env.SetOnActivityHeartbeatListener(func(_ *activity.Info, details converter.EncodedValues) {
			var p Progress
			if details.HasValues() && details.Get(&p) == nil {
				onHeartbeat(p)
			}
		})
	}
	start := env.Now()
	env.ExecuteWorkflow(completeWorkflow, in)
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	var res CompleteResult
	err := env.GetWorkflowError()
	if err == nil {
		err = env.GetWorkflowResult(&res)
	}
	return res, env.Now().Sub(start), err
}

func TestRetryAfterThenSuccess(t *testing.T) {
	st := newStore(t)
	addTenant(t, st, "acme", "team")
	f := newFake(t,
		apiError(429, "requests", "rate_limit_exceeded", "Rate limit reached for gpt-4o-mini.", map[string]string{"Retry-After": "7"}),
		apiError(503, "server_error", "", "The engine is currently overloaded.", nil),
		completion("Use the postgres template.", "stop", 42, 7),
	)
	a := newActivities(t, f, st)
	res, took, err := runWorkflow(t, a, ask("acme", "How do I get a database?"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != "Use the postgres template." || res.TotalTokens != 49 {
		t.Errorf("result %+v", res)
	}
	if n := len(f.requests()); n != 3 {
		t.Errorf("%d requests, want 3 (429, 503, 200)", n)
	}
	// 7s as the server asked, then the policy's own backoff for the 503.
	if took < 8*time.Second || took > 10*time.Second {
		t.Errorf("retries took %v of workflow time, want 7s (Retry-After) + the policy's backoff", took)
	}
	if n, got := usageEvents(t, st, "acme"), aiUsage(t, st, "acme"); n != 1 || got != 49 {
		t.Errorf("%d usage events for %d tokens, want 1 for 49", n, got)
	}
}

func TestNonRetryableStopsRetries(t *testing.T) {
	st := newStore(t)
	addTenant(t, st, "acme", "team")
	f := newFake(t, apiError(401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided.", nil))
	_, _, err := runWorkflow(t, newActivities(t, f, st), ask("acme", "hi"), nil)
	appErr(t, err, ErrTypeUnauthorized, false)
	if n := len(f.requests()); n != 1 {
		t.Errorf("%d requests for a 401, want 1", n)
	}
}

// When the answer arrives but recording its usage fails, the retry finds
// the answer in the last heartbeat and only records: the model is not
// asked (and paid) twice, and the tokens are billed once.
func TestUsageFailureResumesWithoutSecondCall(t *testing.T) {
	st := newStore(t)
	addTenant(t, st, "acme", "team")
	_, err := st.Pool.Exec(context.Background(), `
		CREATE SEQUENCE test_fail_usage;
		CREATE FUNCTION test_fail_usage_once() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF nextval('test_fail_usage') = 1 THEN RAISE EXCEPTION 'injected: usage store unavailable'; END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER test_fail_usage BEFORE INSERT ON rigger.usage_events FOR EACH ROW EXECUTE FUNCTION test_fail_usage_once();`)
	if err != nil {
		t.Fatal(err)
	}
	f := newFake(t, completion("Use the postgres template.", "stop", 42, 7))
	res, _, err := runWorkflow(t, newActivities(t, f, st), ask("acme", "How do I get a database?"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != "Use the postgres template." {
		t.Errorf("result %+v", res)
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("%d requests; the retry must reuse the first answer", n)
	}
	if n, got := usageEvents(t, st, "acme"), aiUsage(t, st, "acme"); n != 1 || got != 49 {
		t.Errorf("%d usage events for %d tokens, want 1 for 49", n, got)
	}
}
