package workflows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/rigger-platform/rigger/activities/scaffold"
	"github.com/rigger-platform/rigger/internal/scaffolder"
)

// scaffoldFake answers the scaffolder's activities: every step succeeds
// unless fail names it (by step id), block makes a step wait until it is
// cancelled, and every call is recorded in order.
type scaffoldFake struct {
	mu       sync.Mutex
	plan     scaffold.Plan
	fail     map[string]error
	block    map[string]bool
	onBlock  func()         // called (once per blocked step) when a step blocks
	flaky    map[string]int // step id -> how many first attempts fail (retryably)
	seq      []string
	attempts map[string]int
	statuses []string
	usage    int
}

func (f *scaffoldFake) record(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq = append(f.seq, s)
}

func (f *scaffoldFake) calls(prefix string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, s := range f.seq {
		if strings.HasPrefix(s, prefix) {
			out = append(out, strings.TrimPrefix(s, prefix))
		}
	}
	return out
}

func testPlan(steps ...scaffolder.Step) scaffold.Plan {
	p := scaffold.Plan{Name: "t", Steps: steps, Rollback: true, Concurrency: 10, Options: map[string]scaffold.StepOptions{},
		Undoable: map[string]bool{}, Integrations: map[string]string{"github.com": "github"},
		Output: map[string]any{"links": []any{map[string]any{"url": "${{ steps.publish.output.remoteUrl }}"}}}}
	for _, s := range steps {
		o := scaffold.DefaultStepOptions
		o.InitialInterval, o.MaximumInterval = time.Millisecond, time.Millisecond
		p.Options[s.ID] = o
		if act, ok := scaffold.Lookup(s.Action); ok && act.Undo != nil {
			p.Undoable[s.Action] = true
		}
	}
	return p
}

func step(id, action string) scaffolder.Step {
	return scaffolder.Step{ID: id, Name: "Step " + id, Action: action, Input: map[string]any{"repoUrl": "github.com?owner=acme&repo=${{ parameters.name }}"}}
}

// standardPlan: fetch (no undo), publish (undo), pull request (undo),
// register (undo).
func standardPlan() scaffold.Plan {
	return testPlan(step("fetch", "fetch:template"), step("publish", "publish:github"),
		step("pr", "publish:github:pull-request"), step("register", "catalog:register"))
}

func newScaffoldEnv(t *testing.T, f *scaffoldFake) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	RegisterScaffolder(env)
	(&scaffold.Activities{}).Register(env)
	if f.fail == nil {
		f.fail = map[string]error{}
	}
	f.attempts = map[string]int{}
	env.OnActivity(scaffold.PrepareActivity, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in scaffold.PrepareInput) (scaffold.Plan, error) {
			f.record("prepare")
			if err := f.fail["prepare"]; err != nil {
				return scaffold.Plan{}, err
			}
			return f.plan, nil
		})
	for _, id := range scaffold.ActionIDs() {
		if act, _ := scaffold.Lookup(id); act.Workflow {
			continue
		}
		env.OnActivity(scaffold.StepActivityName(id), mock.Anything, mock.Anything).Return(
			func(ctx context.Context, in scaffold.StepInput) (scaffold.StepResult, error) {
				f.mu.Lock()
				f.attempts[in.StepID]++
				n := f.attempts[in.StepID]
				f.mu.Unlock()
				f.record("run:" + in.StepID)
				if f.block[in.StepID] {
					if f.onBlock != nil {
						go f.onBlock()
					}
					<-ctx.Done()
					return scaffold.StepResult{}, ctx.Err()
				}
				if err := f.fail[in.StepID]; err != nil {
					return scaffold.StepResult{}, err
				}
				if n <= f.flaky[in.StepID] {
					return scaffold.StepResult{}, errors.New("worker went away")
				}
				out := map[string]any{}
				if in.Action == "publish:github" {
					out["remoteUrl"] = "https://github.com/acme/" + fmt.Sprint(in.Input["repoUrl"])
				}
				return scaffold.StepResult{Output: out, Workspace: in.SaveAs, Logs: []string{"did " + in.StepID},
					Undo: map[string]any{"step": in.StepID}, Attempt: int32(n)}, nil
			}).Maybe()
	}
	env.OnActivity(scaffold.UndoActivity, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in scaffold.UndoInput) error {
			f.record("undo:" + in.StepID)
			return nil
		}).Maybe()
	env.OnActivity(scaffold.SetStatusActivity, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in scaffold.SetStatusInput) error {
			f.mu.Lock()
			f.statuses = append(f.statuses, in.Status)
			f.mu.Unlock()
			return nil
		}).Maybe()
	env.OnActivity(scaffold.UsageActivity, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in scaffold.UsageInput) error {
			f.mu.Lock()
			f.usage++
			f.mu.Unlock()
			return nil
		}).Maybe()
	env.OnActivity(scaffold.CleanupActivity, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in scaffold.CleanupInput) error { f.record("cleanup"); return nil }).Maybe()
	// The tenant's semaphore answers at once; TestScaffolderSlots tests it.
	env.OnSignalExternalWorkflow(mock.Anything, ScaffoldSlotsWorkflowID("acme"), "", mock.Anything, mock.Anything).Return(
		func(namespace, workflowID, runID, signalName string, arg interface{}) error {
			f.record("slot:" + signalName)
			return nil
		}).Maybe()
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalSlotGranted, nil) }, time.Millisecond)
	return env
}

var scaffoldIn = ScaffoldInput{Tenant: "acme", TaskID: "task-1", TemplateRef: "template:default/t", Values: map[string]any{"name": "svc"}}

func runScaffold(t *testing.T, env *testsuite.TestWorkflowEnvironment, in ScaffoldInput) (ScaffoldProgress, error) {
	t.Helper()
	env.ExecuteWorkflow(ScaffolderRunWorkflow, in)
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	var p ScaffoldProgress
	err := env.GetWorkflowError()
	if res := env.GetWorkflowResult(&p); res != nil && err == nil {
		t.Fatal(res)
	}
	if err != nil {
		// The progress is the last query answer.
		v, qerr := env.QueryWorkflow(QueryProgress)
		if qerr != nil {
			t.Fatal(qerr)
		}
		if qerr := v.Get(&p); qerr != nil {
			t.Fatal(qerr)
		}
	}
	return p, err
}

func TestScaffolderRunCompletes(t *testing.T) {
	f := &scaffoldFake{plan: standardPlan()}
	env := newScaffoldEnv(t, f)
	p, err := runScaffold(t, env, scaffoldIn)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != TaskCompleted || len(f.calls("undo:")) != 0 {
		t.Fatalf("status %s, undos %v", p.Status, f.calls("undo:"))
	}
	if got := f.calls("run:"); !slices.Equal(got, []string{"fetch", "publish", "pr", "register"}) {
		t.Fatalf("ran %v", got)
	}
	links, _ := p.Output["links"].([]any)
	if len(links) != 1 || !strings.Contains(fmt.Sprint(links[0]), "https://github.com/acme/github.com?owner=acme&repo=svc") {
		t.Fatalf("output %v", p.Output)
	}
	if f.usage != 1 || !slices.Equal(f.statuses, []string{TaskProcessing, TaskCompleted}) {
		t.Fatalf("usage %d statuses %v", f.usage, f.statuses)
	}
	// The event log: begin/finish per step, then completion.
	v, err := env.QueryWorkflow(QueryScaffoldEvents, 0)
	if err != nil {
		t.Fatal(err)
	}
	var events []TaskEvent
	_ = v.Get(&events)
	last := events[len(events)-1]
	if last.Type != "completion" || last.Body["message"] != "Run completed with status: completed" {
		t.Fatalf("last event %+v", last)
	}
	v, _ = env.QueryWorkflow(QueryScaffoldEvents, len(events)-1)
	var tail []TaskEvent
	_ = v.Get(&tail)
	if len(tail) != 1 || tail[0].ID != len(events) {
		t.Fatalf("events after %d: %+v", len(events)-1, tail)
	}
}

// TestScaffolderUndoOrder fails each step in turn: the steps before it (and
// the failing step itself, which may have done part of its work) are undone
// in reverse order, and only those with an undo.
func TestScaffolderUndoOrder(t *testing.T) {
	want := map[string][]string{
		"fetch":    nil,
		"publish":  {"publish"},
		"pr":       {"pr", "publish"},
		"register": {"register", "pr", "publish"},
	}
	for _, failing := range []string{"fetch", "publish", "pr", "register"} {
		t.Run(failing, func(t *testing.T) {
			f := &scaffoldFake{plan: standardPlan(), fail: map[string]error{
				failing: temporal.NewNonRetryableApplicationError("boom", "Boom", nil),
			}}
			env := newScaffoldEnv(t, f)
			p, err := runScaffold(t, env, scaffoldIn)
			if err == nil || p.Status != TaskFailed {
				t.Fatalf("status %s err %v", p.Status, err)
			}
			if got := f.calls("undo:"); !slices.Equal(got, want[failing]) {
				t.Fatalf("undid %v, want %v", got, want[failing])
			}
			if !strings.Contains(p.Error, `step "`+failing+`"`) || !strings.Contains(p.Error, "boom") {
				t.Fatalf("error %q", p.Error)
			}
			if f.usage != 0 || f.statuses[len(f.statuses)-1] != TaskFailed {
				t.Fatalf("usage %d statuses %v", f.usage, f.statuses)
			}
			for _, s := range p.Steps {
				if s.ID == failing && s.Status != TaskFailed {
					t.Fatalf("step %s = %s", s.ID, s.Status)
				}
			}
		})
	}
}

func TestScaffolderRollbackOptOut(t *testing.T) {
	plan := standardPlan()
	plan.Rollback = false
	f := &scaffoldFake{plan: plan, fail: map[string]error{"register": temporal.NewNonRetryableApplicationError("boom", "Boom", nil)}}
	env := newScaffoldEnv(t, f)
	if _, err := runScaffold(t, env, scaffoldIn); err == nil {
		t.Fatal("want failure")
	}
	if got := f.calls("undo:"); len(got) != 0 {
		t.Fatalf("undid %v with rollback off", got)
	}
	// A single step can opt out too.
	plan = standardPlan()
	o := plan.Options["pr"]
	o.Undo = false
	plan.Options["pr"] = o
	f = &scaffoldFake{plan: plan, fail: map[string]error{"register": temporal.NewNonRetryableApplicationError("boom", "Boom", nil)}}
	env = newScaffoldEnv(t, f)
	_, _ = runScaffold(t, env, scaffoldIn)
	if got := f.calls("undo:"); !slices.Equal(got, []string{"register", "publish"}) {
		t.Fatalf("undid %v", got)
	}
}

func TestScaffolderValidationFailsBeforeSideEffects(t *testing.T) {
	f := &scaffoldFake{plan: standardPlan(), fail: map[string]error{"prepare": temporal.NewNonRetryableApplicationError(
		`template cannot run: step "x" action "fetch:rails": action "fetch:rails" is not a built-in or registered action`, scaffold.ErrTypeValidation, nil)}}
	env := newScaffoldEnv(t, f)
	p, err := runScaffold(t, env, scaffoldIn)
	if err == nil || p.Status != TaskFailed || !strings.Contains(p.Error, `action "fetch:rails"`) {
		t.Fatalf("status %s error %q", p.Status, p.Error)
	}
	if len(f.calls("run:")) != 0 || len(f.calls("undo:")) != 0 {
		t.Fatalf("side effects after a validation failure: %v", f.seq)
	}
}

func approvalPlan() scaffold.Plan {
	appr := scaffolder.Step{ID: "approve", Name: "Approve", Action: "rigger:approval", Input: map[string]any{"message": "ok?", "timeout": "1h"}}
	return testPlan(step("publish", "publish:github"), appr, step("register", "catalog:register"))
}

func TestScaffolderApproval(t *testing.T) {
	cases := []struct {
		name     string
		decision *ApprovalDecision
		status   string
		err      string
		undos    []string
	}{
		{"approve", &ApprovalDecision{Approve: true, By: "alice"}, TaskCompleted, "", nil},
		{"reject", &ApprovalDecision{Approve: false, By: "bob", Comment: "not now"}, TaskFailed, "rejected by bob: not now", []string{"publish"}},
		{"timeout", nil, TaskFailed, "approval timed out after 1h0m0s", []string{"publish"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &scaffoldFake{plan: approvalPlan()}
			env := newScaffoldEnv(t, f)
			if c.decision != nil {
				env.RegisterDelayedCallback(func() {
					// Nothing is pending yet before the step: an early
					// decision is refused.
					v, _ := env.QueryWorkflow(QueryProgress)
					var p ScaffoldProgress
					_ = v.Get(&p)
					if p.Approval == nil || p.Approval.StepID != "approve" || p.Stage != "approval:approve" {
						t.Errorf("pending approval %+v stage %s", p.Approval, p.Stage)
					}
					env.UpdateWorkflow(UpdateApproval, "", &testsuite.TestUpdateCallback{
						OnReject: func(err error) { t.Errorf("update rejected: %v", err) },
						OnAccept: func() {},
						OnComplete: func(v interface{}, err error) {
							if err != nil {
								t.Errorf("update: %v", err)
							}
						},
					}, *c.decision)
				}, 10*time.Minute)
			}
			p, err := runScaffold(t, env, scaffoldIn)
			if p.Status != c.status || (c.err != "" && !strings.Contains(p.Error, c.err)) {
				t.Fatalf("status %s error %q (%v)", p.Status, p.Error, err)
			}
			if got := f.calls("undo:"); !slices.Equal(got, c.undos) {
				t.Fatalf("undid %v, want %v", got, c.undos)
			}
			if c.status == TaskCompleted && !slices.Equal(f.calls("run:"), []string{"publish", "register"}) {
				t.Fatalf("ran %v", f.calls("run:"))
			}
		})
	}
}

func TestScaffolderApprovalRefusedWhenNothingPending(t *testing.T) {
	f := &scaffoldFake{plan: standardPlan(), fail: map[string]error{"pr": temporal.NewNonRetryableApplicationError("boom", "Boom", nil)}}
	env := newScaffoldEnv(t, f)
	var rejected error
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateApproval, "", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { rejected = err }, OnAccept: func() {}, OnComplete: func(interface{}, error) {},
		}, ApprovalDecision{Approve: true})
	}, time.Millisecond)
	_, _ = runScaffold(t, env, scaffoldIn)
	if rejected == nil || !strings.Contains(rejected.Error(), "no approval is pending") {
		t.Fatalf("update without a pending approval: %v", rejected)
	}
}

// TestScaffolderCancelMidStep cancels while the pull request step runs: the
// step is cancelled, the earlier steps (and the interrupted one) undone.
func TestScaffolderCancelMidStep(t *testing.T) {
	f := &scaffoldFake{plan: standardPlan(), block: map[string]bool{"pr": true}}
	env := newScaffoldEnv(t, f)
	f.onBlock = func() { time.Sleep(50 * time.Millisecond); env.CancelWorkflow() }
	p, err := runScaffold(t, env, scaffoldIn)
	if !temporal.IsCanceledError(err) || p.Status != TaskCancelled {
		t.Fatalf("status %s err %v", p.Status, err)
	}
	if got := f.calls("undo:"); !slices.Equal(got, []string{"pr", "publish"}) {
		t.Fatalf("undid %v", got)
	}
	if slices.Contains(f.calls("run:"), "register") {
		t.Fatal("a step after the cancellation ran")
	}
	if f.statuses[len(f.statuses)-1] != TaskCancelled {
		t.Fatalf("statuses %v", f.statuses)
	}
	for _, s := range p.Steps {
		if s.ID == "pr" && s.Status != TaskCancelled {
			t.Fatalf("pr = %s", s.Status)
		}
		if s.ID == "publish" && s.Status != TaskUndone {
			t.Fatalf("publish = %s", s.Status)
		}
	}
}

// TestScaffolderStepRetryPolicy: transient errors retry up to the step's
// maximumAttempts (rigger override), non-retryable errors do not.
func TestScaffolderStepRetryPolicy(t *testing.T) {
	for _, c := range []struct {
		name     string
		attempts int32
		err      error
		want     int
	}{
		{"override 3", 3, temporal.NewApplicationError("503", "GitUnavailable"), 3},
		{"default 5", 0, temporal.NewApplicationError("503", "GitUnavailable"), 5},
		{"4xx no retry", 3, temporal.NewNonRetryableApplicationError("422", "GitValidation", nil), 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			plan := standardPlan()
			if c.attempts > 0 {
				o := plan.Options["publish"]
				o.MaximumAttempts = c.attempts
				plan.Options["publish"] = o
			}
			f := &scaffoldFake{plan: plan, fail: map[string]error{"publish": c.err}}
			env := newScaffoldEnv(t, f)
			if _, err := runScaffold(t, env, scaffoldIn); err == nil {
				t.Fatal("want failure")
			}
			if n := f.attempts["publish"]; n != c.want {
				t.Fatalf("publish attempted %d times, want %d", n, c.want)
			}
		})
	}
}

func TestScaffolderRecoveredEvent(t *testing.T) {
	f := &scaffoldFake{plan: standardPlan(), flaky: map[string]int{"publish": 1}}
	env := newScaffoldEnv(t, f)
	if _, err := runScaffold(t, env, scaffoldIn); err != nil {
		t.Fatal(err)
	}
	v, _ := env.QueryWorkflow(QueryScaffoldEvents, 0)
	var events []TaskEvent
	_ = v.Get(&events)
	found := false
	for _, e := range events {
		found = found || e.Type == "recovered" && e.Body["stepId"] == "publish"
	}
	if !found {
		t.Fatalf("no recovered event in %+v", events)
	}
}

// TestScaffolderSlots: the semaphore grants Limit slots, queues the rest in
// order, and hands a released slot to the next in line.
func TestScaffolderSlots(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	RegisterScaffolder(env)
	var mu sync.Mutex
	var granted []string
	env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, "", SignalSlotGranted, mock.Anything).Return(
		func(namespace, workflowID, runID, signalName string, arg interface{}) error {
			mu.Lock()
			defer mu.Unlock()
			if workflowID == "gone" {
				return errors.New("unknown external workflow execution")
			}
			granted = append(granted, workflowID)
			return nil
		})
	send := func(at time.Duration, name string, req SlotRequest) {
		env.RegisterDelayedCallback(func() { env.SignalWorkflow(name, req) }, at)
	}
	send(time.Second, SignalSlotAcquire, SlotRequest{WorkflowID: "a", Limit: 2})
	send(2*time.Second, SignalSlotAcquire, SlotRequest{WorkflowID: "b", Limit: 2})
	send(3*time.Second, SignalSlotAcquire, SlotRequest{WorkflowID: "gone", Limit: 2})
	send(4*time.Second, SignalSlotAcquire, SlotRequest{WorkflowID: "c", Limit: 2})
	send(4*time.Second+500*time.Millisecond, SignalSlotAcquire, SlotRequest{WorkflowID: "c", Limit: 2}) // a repeat is no second entry
	env.RegisterDelayedCallback(func() {
		v, _ := env.QueryWorkflow(QuerySlots)
		var st SlotsState
		_ = v.Get(&st)
		if !slices.Equal(st.Holders, []string{"a", "b"}) || !slices.Equal(st.Queue, []string{"gone", "c"}) || st.Position("c") != 2 {
			t.Errorf("state %+v", st)
		}
	}, 5*time.Second)
	send(6*time.Second, SignalSlotRelease, SlotRequest{WorkflowID: "a"})
	env.RegisterDelayedCallback(func() {
		v, _ := env.QueryWorkflow(QuerySlots)
		var st SlotsState
		_ = v.Get(&st)
		if !slices.Equal(st.Holders, []string{"b", "c"}) || len(st.Queue) != 0 {
			t.Errorf("after release %+v", st)
		}
	}, 7*time.Second)
	send(8*time.Second, SignalSlotRelease, SlotRequest{WorkflowID: "b"})
	send(9*time.Second, SignalSlotRelease, SlotRequest{WorkflowID: "c"})
	env.ExecuteWorkflow(ScaffolderSlotsWorkflow, SlotsState{Tenant: "acme"})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(granted, []string{"a", "b", "c"}) {
		t.Fatalf("granted %v", granted)
	}
}
