package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	techdocsacts "github.com/rigger-platform/rigger/activities/techdocs"
	"github.com/rigger-platform/rigger/internal/store"
)

// docsActs is the activity handle of the TechDocs family.
var docsActs *techdocsacts.Activities

// RegisterTechDocs registers the TechDocs family under its fixed names.
func RegisterTechDocs(r Registrar) {
	r.RegisterWorkflowWithOptions(TechDocsBuild, workflowOptions(TechDocsBuildWorkflow))
}

// Step budgets. The build clones and renders (a large handbook takes
// seconds, a clone of a big repository minutes); publishing copies each file
// once more. Both heartbeat (the worker's interceptor, plus progress details
// from the activities), so a dead worker is noticed within heartbeatTimeout.
const (
	techdocsBuildTimeout   = 20 * time.Minute
	techdocsPublishTimeout = 10 * time.Minute
	// TechDocsRunTimeout bounds a whole run, retries included; the API sets
	// it as the workflow execution timeout.
	TechDocsRunTimeout = time.Hour
)

func techdocsOptions(ctx workflow.Context, startToClose time.Duration, attempts int32) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: startToClose,
		HeartbeatTimeout:    heartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        time.Minute,
			MaximumAttempts:        attempts,
			NonRetryableErrorTypes: techdocsacts.NonRetryableErrorTypes,
		},
	})
}

// TechDocsBuild builds one entity's site at one commit and publishes it:
// record (running) → build (fetch + render into a staging prefix) → publish
// (staging → live, metadata last, stale files removed, under a per-entity
// lock; skipped as "superseded" when a later request is already live) →
// meter (build minutes, once per commit) → finish (the build record).
//
// A broken source (no mkdocs.yml, strict warnings, a missing commit, a URL
// that is not allowed) fails the build at once: those errors are
// non-retryable. On failure or cancellation the staging prefix is removed
// and the record says why; the live site is untouched.
func TechDocsBuild(ctx workflow.Context, in TechDocsBuildInput) (TechDocsBuildResult, error) {
	d := &docsBuild{in: in, t: newTracker(in.Tenant, KindTechDocs, TechDocsSteps)}
	if err := d.t.register(ctx); err != nil {
		return TechDocsBuildResult{}, endRun(ctx, KindTechDocs, err)
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, SearchTenant.ValueSet(in.Tenant), SearchKind.ValueSet(KindTechDocs)); err != nil {
		workflow.GetLogger(ctx).Warn("upsert search attributes failed", "error", err)
	}
	d.key = techdocsacts.BuildKey{Tenant: in.Tenant, Namespace: in.Namespace, Kind: in.Kind, Name: in.Name, Commit: in.Commit}
	d.res = TechDocsBuildResult{Tenant: in.Tenant, Entity: in.Entity(), Commit: in.Commit}
	err := d.run(ctx)
	if err == nil {
		d.t.finish(ctx, d.res.Status, nil)
		return d.res, endRun(ctx, KindTechDocs, nil)
	}
	cancelled := temporal.IsCanceledError(err) || errors.Is(ctx.Err(), workflow.ErrCanceled)
	d.cleanup(ctx, err, cancelled)
	if cancelled {
		d.t.finish(ctx, "cancelled", err)
		return d.res, endRun(ctx, KindTechDocs, temporal.NewCanceledError("cancelled"))
	}
	d.t.finish(ctx, store.TechDocsFailed, err)
	return d.res, endRun(ctx, KindTechDocs, temporal.NewNonRetryableApplicationError("techdocs build failed: "+err.Error(), ErrTypeTechDocsBuildFailed, err))
}

type docsBuild struct {
	in     TechDocsBuildInput
	t      *tracker
	key    techdocsacts.BuildKey
	res    TechDocsBuildResult
	staged bool
}

func (d *docsBuild) run(ctx workflow.Context) error {
	in := d.in
	requestedAt := workflow.GetInfo(ctx).WorkflowStartTime
	err := d.step(ctx, StepRecord, func() (string, error) {
		err := workflow.ExecuteActivity(techdocsOptions(ctx, shortStep, 5), docsActs.TechDocsRecordStart, techdocsacts.RecordStartInput{
			BuildKey: d.key, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, Source: in.Source.Describe(),
			Ref: in.Source.Ref, Trigger: in.Trigger, RequestedAt: requestedAt,
		}).Get(ctx, nil)
		return "", err
	})
	if err != nil {
		return err
	}

	var staged techdocsacts.StageResult
	err = d.step(ctx, StepTechDocsBuild, func() (string, error) {
		d.staged = true // from here on, a failure has staging to clean up
		err := workflow.ExecuteActivity(techdocsOptions(ctx, techdocsBuildTimeout, 3), docsActs.TechDocsStage, techdocsacts.StageInput{
			BuildKey: d.key, Source: in.Source, Strict: in.Strict,
		}).Get(ctx, &staged)
		d.res.SiteName, d.res.Pages, d.res.Warnings, d.res.FirstWarnings = staged.SiteName, staged.Pages, staged.Warnings, staged.FirstWarnings
		return fmt.Sprintf("%d pages, %d files, %d warnings", staged.Pages, staged.Files, staged.Warnings), err
	})
	if err != nil {
		return err
	}

	var pub techdocsacts.PublishResult
	err = d.step(ctx, StepTechDocsPublish, func() (string, error) {
		err := workflow.ExecuteActivity(techdocsOptions(ctx, techdocsPublishTimeout, 5), docsActs.TechDocsPublish, techdocsacts.PublishInput{
			BuildKey: d.key, Etag: staged.Etag, RequestedAt: requestedAt,
		}).Get(ctx, &pub)
		d.res.Status, d.res.Files, d.res.Deleted = pub.Status, pub.Files, pub.Deleted
		if pub.Status == store.TechDocsSuperseded {
			return "superseded: a later build of this entity is already published", err
		}
		return fmt.Sprintf("%d files, %d stale removed", pub.Files, pub.Deleted), err
	})
	if err != nil {
		return err
	}
	d.staged = false // published or discarded by the activity

	err = d.step(ctx, StepTechDocsMeter, func() (string, error) {
		var m techdocsacts.MeterResult
		err := workflow.ExecuteActivity(techdocsOptions(ctx, shortStep, 10), docsActs.TechDocsMeter, techdocsacts.MeterInput{
			BuildKey: d.key, Millis: staged.BuildMillis + pub.PublishMillis, OccurredAt: workflow.Now(ctx),
		}).Get(ctx, &m)
		d.res.Minutes = m.Minutes
		return fmt.Sprintf("%d minute(s) as %s", m.Minutes, m.EventID), err
	})
	if err != nil {
		return err
	}

	return d.step(ctx, StepTechDocsFinish, func() (string, error) {
		err := workflow.ExecuteActivity(techdocsOptions(ctx, shortStep, 10), docsActs.TechDocsRecordFinish, techdocsacts.RecordFinishInput{
			BuildKey: d.key, Status: pub.Status, Files: pub.Files,
		}).Get(ctx, nil)
		return pub.Status, err
	})
}

// step runs one step and records its state.
func (d *docsBuild) step(ctx workflow.Context, name string, fn func() (string, error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d.t.set(ctx, name, StepRunning, "", nil)
	detail, err := fn()
	if err != nil {
		d.t.set(ctx, name, StepFailed, "", err)
		return fmt.Errorf("step %s: %w", name, err)
	}
	d.t.set(ctx, name, StepDone, detail, nil)
	return nil
}

// cleanup removes the staging prefix and records the failure, on a
// disconnected context so it also runs after a cancellation. Neither may
// fail the cleanup of the other. (When recording the start is what failed,
// the finish finds no row and gives up at once: it is non-retryable.)
func (d *docsBuild) cleanup(ctx workflow.Context, cause error, cancelled bool) {
	ctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	ctx = undoOptions(ctx)
	if d.staged {
		if err := workflow.ExecuteActivity(ctx, docsActs.TechDocsDiscardStaging, techdocsacts.DiscardInput{BuildKey: d.key}).Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Error("discard staging failed", "error", err)
		}
	}
	msg := cause.Error()
	if cancelled {
		msg = "cancelled"
	}
	err := workflow.ExecuteActivity(ctx, docsActs.TechDocsRecordFinish, techdocsacts.RecordFinishInput{
		BuildKey: d.key, Status: store.TechDocsFailed, Error: msg,
	}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Error("record failed build", "error", err)
	}
}
