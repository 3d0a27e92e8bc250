package workflows

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	techdocsacts "github.com/rigger-platform/rigger/activities/techdocs"
	"github.com/rigger-platform/rigger/internal/store"
)

var docsInput = TechDocsBuildInput{
	Tenant: "acme", Namespace: "default", Kind: "component", Name: "payments",
	Commit:  "0123456789abcdef0123456789abcdef01234567",
	Source:  techdocsacts.Source{GitURL: "https://github.com/acme/payments", Ref: "main"},
	Trigger: TriggerGitHub,
}

// docsEnv mocks the TechDocs activities; failures maps an activity name to
// the errors its successive calls return (nil: success).
type docsEnv struct {
	*testsuite.TestWorkflowEnvironment
	calls    *calls
	finishes []techdocsacts.RecordFinishInput
	meters   []techdocsacts.MeterInput
	stages   atomic.Int32
	publishs atomic.Int32
}

func newDocsEnv(t *testing.T, failures map[string][]error, publishStatus string, stageTakes ...time.Duration) *docsEnv {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	RegisterTechDocs(env)
	env.RegisterActivityWithOptions(&techdocsacts.Activities{}, activity.RegisterOptions{SkipInvalidStructFunctions: true})
	d := &docsEnv{TestWorkflowEnvironment: env, calls: &calls{}}
	n := map[string]int{}
	fail := func(name string) error {
		d.calls.add(name)
		errs := failures[name]
		i := n[name]
		n[name]++
		if i < len(errs) {
			return errs[i]
		}
		return nil
	}
	env.OnActivity(docsActs.TechDocsRecordStart, mock.Anything, mock.Anything).Return(
		func(context.Context, techdocsacts.RecordStartInput) (techdocsacts.RecordStartResult, error) {
			return techdocsacts.RecordStartResult{}, fail("RecordStart")
		}).Maybe()
	stage := env.OnActivity(docsActs.TechDocsStage, mock.Anything, mock.Anything)
	if len(stageTakes) > 0 {
		stage = stage.After(stageTakes[0])
	}
	stage.Return(
		func(_ context.Context, in techdocsacts.StageInput) (techdocsacts.StageResult, error) {
			d.stages.Add(1)
			return techdocsacts.StageResult{Commit: in.Commit, Etag: in.Commit, SiteName: "Payments", Pages: 3, Files: 9,
				Warnings: 1, FirstWarnings: []string{"docs/a.md:3: broken link"}, BuildMillis: 61_000}, fail("Stage")
		}).Maybe()
	env.OnActivity(docsActs.TechDocsPublish, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in techdocsacts.PublishInput) (techdocsacts.PublishResult, error) {
			d.publishs.Add(1)
			if in.Etag != in.Commit {
				return techdocsacts.PublishResult{}, errors.New("publish got the wrong etag")
			}
			return techdocsacts.PublishResult{Status: publishStatus, Files: 9, Copied: 9, Deleted: 2, PublishMillis: 500}, fail("Publish")
		}).Maybe()
	env.OnActivity(docsActs.TechDocsMeter, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in techdocsacts.MeterInput) (techdocsacts.MeterResult, error) {
			d.meters = append(d.meters, in)
			return techdocsacts.MeterResult{EventID: "techdocs/acme/default/component/payments/" + in.Commit,
				Minutes: techdocsacts.BuildMinutes(in.Millis), Recorded: true}, fail("Meter")
		}).Maybe()
	env.OnActivity(docsActs.TechDocsRecordFinish, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in techdocsacts.RecordFinishInput) (techdocsacts.RecordFinishResult, error) {
			d.finishes = append(d.finishes, in)
			return techdocsacts.RecordFinishResult{}, fail("RecordFinish:" + in.Status)
		}).Maybe()
	env.OnActivity(docsActs.TechDocsDiscardStaging, mock.Anything, mock.Anything).Return(
		func(context.Context, techdocsacts.DiscardInput) (techdocsacts.DiscardResult, error) {
			return techdocsacts.DiscardResult{Deleted: 4}, fail("Discard")
		}).Maybe()
	return d
}

func docsProgress(t *testing.T, env *docsEnv) Progress {
	t.Helper()
	v, err := env.QueryWorkflow(QueryProgress)
	if err != nil {
		t.Fatalf("query progress: %v", err)
	}
	var p Progress
	if err := v.Get(&p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTechDocsBuildPublishesAndMeters(t *testing.T) {
	env := newDocsEnv(t, nil, store.TechDocsPublished)
	env.ExecuteWorkflow(TechDocsBuild, docsInput)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res TechDocsBuildResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	want := []string{"RecordStart", "Stage", "Publish", "Meter", "RecordFinish:published"}
	if got := env.calls.list(); !slices.Equal(got, want) {
		t.Fatalf("activities:\n got %v\nwant %v", got, want)
	}
	if res.Status != store.TechDocsPublished || res.Entity != "default/component/payments" || res.Pages != 3 || res.Files != 9 ||
		res.Deleted != 2 || res.Warnings != 1 || res.Minutes != 2 || res.SiteName != "Payments" {
		t.Fatalf("result %+v", res)
	}
	// 61 s of build and 0.5 s of publishing are two started minutes.
	if m := env.meters[0]; m.Millis != 61_500 || m.Commit != docsInput.Commit || m.OccurredAt.IsZero() {
		t.Fatalf("meter input %+v", m)
	}
	p := docsProgress(t, env)
	if p.Status != store.TechDocsPublished || p.Kind != KindTechDocs || p.Tenant != "acme" {
		t.Fatalf("progress %+v", p)
	}
	for _, s := range p.Steps {
		if s.State != StepDone {
			t.Fatalf("step %s = %s", s.Name, s.State)
		}
	}
}

func TestTechDocsWorkflowIDIsLowerCaseAndPerCommit(t *testing.T) {
	got := TechDocsWorkflowID("acme", "Default", "Component", "Payments", "ABCDEF")
	if got != "techdocs/acme/default/component/payments/abcdef" {
		t.Fatal(got)
	}
	if TechDocsWorkflowID("acme", "default", "component", "payments", "a") == TechDocsWorkflowID("acme", "default", "component", "payments", "b") {
		t.Fatal("two commits share a workflow ID")
	}
}

// A broken source fails at once: no retry, staging discarded, the record
// says why, and nothing is published or metered.
func TestTechDocsBrokenSourceFailsWithoutRetry(t *testing.T) {
	for _, typ := range []string{techdocsacts.ErrTypeStrict, techdocsacts.ErrTypeNoConfig, techdocsacts.ErrTypeSourceNotFound} {
		t.Run(typ, func(t *testing.T) {
			broken := temporal.NewNonRetryableApplicationError("broken source", typ, nil)
			env := newDocsEnv(t, map[string][]error{"Stage": {broken}}, store.TechDocsPublished)
			env.ExecuteWorkflow(TechDocsBuild, docsInput)
			err := env.GetWorkflowError()
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) || appErr.Type() != ErrTypeTechDocsBuildFailed {
				t.Fatalf("want %s, got %v", ErrTypeTechDocsBuildFailed, err)
			}
			if n := env.stages.Load(); n != 1 {
				t.Fatalf("stage ran %d times, want 1", n)
			}
			want := []string{"RecordStart", "Stage", "Discard", "RecordFinish:failed"}
			if got := env.calls.list(); !slices.Equal(got, want) {
				t.Fatalf("activities:\n got %v\nwant %v", got, want)
			}
			if f := env.finishes[0]; f.Error == "" {
				t.Fatalf("failure recorded without a reason: %+v", f)
			}
			p := docsProgress(t, env)
			if p.Status != store.TechDocsFailed || stateOf(p, StepTechDocsBuild) != StepFailed || stateOf(p, StepTechDocsPublish) != StepPending {
				t.Fatalf("progress %+v", p)
			}
		})
	}
}

// A storage hiccup while publishing is retried, and the run still succeeds.
func TestTechDocsPublishRetriesTransientErrors(t *testing.T) {
	flaky := temporal.NewApplicationError("s3 503", "StorageUnavailable")
	env := newDocsEnv(t, map[string][]error{"Publish": {flaky, flaky}}, store.TechDocsPublished)
	env.ExecuteWorkflow(TechDocsBuild, docsInput)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if n := env.publishs.Load(); n != 3 {
		t.Fatalf("publish ran %d times, want 3", n)
	}
}

// An older build finishing after a newer one is published is recorded as
// superseded (and still metered: it used the minutes).
func TestTechDocsSupersededBuild(t *testing.T) {
	env := newDocsEnv(t, nil, store.TechDocsSuperseded)
	env.ExecuteWorkflow(TechDocsBuild, docsInput)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res TechDocsBuildResult
	_ = env.GetWorkflowResult(&res)
	if res.Status != store.TechDocsSuperseded {
		t.Fatalf("result %+v", res)
	}
	if f := env.finishes[0]; f.Status != store.TechDocsSuperseded {
		t.Fatalf("finish %+v", f)
	}
	if len(env.meters) != 1 {
		t.Fatalf("metered %d times", len(env.meters))
	}
}

// Cancelling mid-build discards staging and records the build as failed
// ("cancelled"), on a disconnected context.
func TestTechDocsCancelledMidBuildCleansUp(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	RegisterTechDocs(env)
	env.RegisterActivityWithOptions(&techdocsacts.Activities{}, activity.RegisterOptions{SkipInvalidStructFunctions: true})
	c := &calls{}
	var finish techdocsacts.RecordFinishInput
	env.OnActivity(docsActs.TechDocsRecordStart, mock.Anything, mock.Anything).Return(techdocsacts.RecordStartResult{}, nil)
	env.OnActivity(docsActs.TechDocsStage, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, _ techdocsacts.StageInput) (techdocsacts.StageResult, error) {
			c.add("Stage")
			env.CancelWorkflow()
			<-ctx.Done()
			return techdocsacts.StageResult{}, ctx.Err()
		})
	env.OnActivity(docsActs.TechDocsDiscardStaging, mock.Anything, mock.Anything).Return(
		func(context.Context, techdocsacts.DiscardInput) (techdocsacts.DiscardResult, error) {
			c.add("Discard")
			return techdocsacts.DiscardResult{}, nil
		})
	env.OnActivity(docsActs.TechDocsRecordFinish, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in techdocsacts.RecordFinishInput) (techdocsacts.RecordFinishResult, error) {
			c.add("RecordFinish:" + in.Status)
			finish = in
			return techdocsacts.RecordFinishResult{}, nil
		})
	env.ExecuteWorkflow(TechDocsBuild, docsInput)
	if err := env.GetWorkflowError(); !temporal.IsCanceledError(err) {
		t.Fatalf("want cancelled, got %v", err)
	}
	want := []string{"Stage", "Discard", "RecordFinish:failed"}
	if got := c.list(); !slices.Equal(got, want) {
		t.Fatalf("activities:\n got %v\nwant %v", got, want)
	}
	if finish.Error != "cancelled" {
		t.Fatalf("finish %+v", finish)
	}
}

// The progress query answers while the build runs.
func TestTechDocsProgressWhileBuilding(t *testing.T) {
	env := newDocsEnv(t, nil, store.TechDocsPublished, time.Minute)
	var mid Progress
	env.RegisterDelayedCallback(func() { mid = docsProgress(t, env) }, 30*time.Second)
	env.ExecuteWorkflow(TechDocsBuild, docsInput)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if mid.Status != "running" || mid.Stage != StepTechDocsBuild || stateOf(mid, StepRecord) != StepDone || stateOf(mid, StepTechDocsBuild) != StepRunning {
		t.Fatalf("mid-run progress %+v", mid)
	}
}
