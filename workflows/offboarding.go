package workflows

import (
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rigger-platform/rigger/activities/argocd"
	"github.com/rigger-platform/rigger/activities/cache"
	"github.com/rigger-platform/rigger/activities/controlplane"
	"github.com/rigger-platform/rigger/activities/gitprovider"
	"github.com/rigger-platform/rigger/activities/kube"
	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/activities/tenantdb"
	"github.com/rigger-platform/rigger/internal/store"
)

// OffboardingSteps lists the offboarding steps in order: the reverse of
// onboarding, with a final backup before any data is removed.
var OffboardingSteps = []string{StepMarkOffboarding, StepFinalBackup, StepArgoCD, StepKubernetes, StepGit, StepStorage, StepCache, StepDatabase, StepBilling, StepMarkDeleted}

// TenantOffboarding removes every resource of a tenant. Each removal is
// idempotent (already gone is success), so the workflow moves forward only:
// a failed run is fixed and started again rather than compensated.
func TenantOffboarding(ctx workflow.Context, in OffboardingInput) (Progress, error) {
	f := &offboarding{in: in, t: newTracker(in.Slug, KindOffboarding, OffboardingSteps)}
	if err := f.setup(ctx); err != nil {
		return f.t.snapshot(), endRun(ctx, KindOffboarding, err)
	}
	p, err := f.run(ctx)
	return p, endRun(ctx, KindOffboarding, err)
}

type offboarding struct {
	in   OffboardingInput
	t    *tracker
	caps controlplane.Capabilities
}

func (f *offboarding) setup(ctx workflow.Context) error {
	if err := f.t.register(ctx); err != nil {
		return err
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, SearchTenant.ValueSet(f.in.Slug), SearchKind.ValueSet(KindOffboarding)); err != nil {
		workflow.GetLogger(ctx).Warn("upsert search attributes failed", "error", err)
	}
	return workflow.ExecuteActivity(stepOptions(ctx, shortStep), cpActs.ControlPlaneCapabilities, controlplane.CapabilitiesInput{}).Get(ctx, &f.caps)
}

func (f *offboarding) run(ctx workflow.Context) (Progress, error) {
	if err := f.steps(ctx); err != nil {
		f.t.finish(ctx, store.StatusFailed, err)
		f.recordFailure(ctx, err)
		if temporal.IsCanceledError(err) {
			return f.t.snapshot(), err
		}
		return f.t.snapshot(), temporal.NewNonRetryableApplicationError("offboarding failed: "+err.Error(), "OffboardingFailed", err)
	}
	f.t.finish(ctx, store.StatusDeleted, nil)
	return f.t.snapshot(), nil
}

// recordFailure leaves the tenant `offboarding` with the reason, so the
// operator sees what is left and can start the offboarding again.
func (f *offboarding) recordFailure(ctx workflow.Context, cause error) {
	ctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	err := workflow.ExecuteActivity(undoOptions(ctx), cpActs.ControlPlaneSetStatus, controlplane.SetStatusInput{
		Slug: f.in.Slug, From: []string{store.StatusOffboarding}, To: store.StatusOffboarding, Reason: "offboarding failed: " + cause.Error(),
	}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Error("could not record offboarding failure", "error", err)
	}
}

func (f *offboarding) steps(ctx workflow.Context) error {
	slug := f.in.Slug
	type removal struct {
		step       string
		configured bool
		timeout    time.Duration
		call       func(ctx workflow.Context) (string, error)
	}
	removals := []removal{
		{StepMarkOffboarding, true, shortStep, func(ctx workflow.Context) (string, error) {
			err := workflow.ExecuteActivity(ctx, cpActs.ControlPlaneSetStatus, controlplane.SetStatusInput{
				Slug: slug, To: store.StatusOffboarding, Reason: f.in.Reason,
			}).Get(ctx, nil)
			return "", err
		}},
		// A verified backup before anything is removed (see finalBackup).
		{StepFinalBackup, true, shortStep, f.finalBackup},
		{StepArgoCD, f.caps.Argo, remoteStep, func(ctx workflow.Context) (string, error) {
			var r argocd.DeleteApplicationResult
			err := workflow.ExecuteActivity(ctx, argoActs.ArgoDeleteApplication, argocd.DeleteApplicationInput{Slug: slug}).Get(ctx, &r)
			return removed(r.Deleted), err
		}},
		{StepKubernetes, f.caps.Kube, remoteStep, func(ctx workflow.Context) (string, error) {
			var r kube.DeleteNamespaceResult
			err := workflow.ExecuteActivity(ctx, kubeActs.KubeDeleteNamespace, kube.DeleteNamespaceInput{Slug: slug}).Get(ctx, &r)
			return removed(r.Deleted), err
		}},
		{StepGit, f.caps.Git, remoteStep, func(ctx workflow.Context) (string, error) {
			var r gitprovider.DeleteConfigRepoResult
			err := workflow.ExecuteActivity(ctx, gitActs.GitDeleteConfigRepo, gitprovider.DeleteConfigRepoInput{Slug: slug}).Get(ctx, &r)
			return removed(r.Deleted), err
		}},
		{StepStorage, true, remoteStep, func(ctx workflow.Context) (string, error) {
			var r storage.DeletePrefixResult
			err := workflow.ExecuteActivity(ctx, storeActs.StorageDeletePrefix, storage.DeletePrefixInput{Slug: slug}).Get(ctx, &r)
			return fmt.Sprintf("%d objects removed", r.Deleted), err
		}},
		{StepCache, f.caps.Redis, shortStep, func(ctx workflow.Context) (string, error) {
			var r cache.DeleteUserResult
			err := workflow.ExecuteActivity(ctx, cacheActs.CacheDeleteUser, cache.DeleteUserInput{Slug: slug}).Get(ctx, &r)
			return fmt.Sprintf("%s, %d keys removed", removed(r.Deleted), r.KeysDeleted), err
		}},
		{StepDatabase, true, shortStep, func(ctx workflow.Context) (string, error) {
			var r tenantdb.DropResult
			err := workflow.ExecuteActivity(ctx, dbActs.TenantDBDrop, tenantdb.DropInput{Slug: slug}).Get(ctx, &r)
			return removed(r.Dropped), err
		}},
		{StepBilling, true, shortStep, func(ctx workflow.Context) (string, error) {
			var r controlplane.UnsubscribeResult
			err := workflow.ExecuteActivity(ctx, cpActs.BillingUnsubscribe, controlplane.UnsubscribeInput{Slug: slug}).Get(ctx, &r)
			return removed(r.Ended), err
		}},
		{StepMarkDeleted, true, shortStep, func(ctx workflow.Context) (string, error) {
			err := workflow.ExecuteActivity(ctx, cpActs.ControlPlaneSetStatus, controlplane.SetStatusInput{
				Slug: slug, From: []string{store.StatusOffboarding}, To: store.StatusDeleted, Reason: f.in.Reason,
			}).Get(ctx, nil)
			return "", err
		}},
	}
	for _, r := range removals {
		if r.step == StepFinalBackup && workflow.GetVersion(ctx, finalBackupChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
			// A run that started before the final backup existed skipped
			// it; its replay must take the same path.
			r.configured, r.call = false, nil
		}
		if !r.configured {
			detail := "skipped: not configured"
			if r.call == nil {
				detail = "skipped: no backup hook installed yet"
			}
			f.t.set(ctx, r.step, StepSkipped, detail, nil)
			continue
		}
		f.t.set(ctx, r.step, StepRunning, "", nil)
		detail, err := r.call(stepOptions(ctx, r.timeout))
		if err != nil {
			f.t.set(ctx, r.step, StepFailed, "", err)
			return fmt.Errorf("step %s: %w", r.step, err)
		}
		f.t.set(ctx, r.step, StepDone, detail, nil)
	}
	return nil
}

func removed(did bool) string {
	if did {
		return "removed"
	}
	return "already gone"
}

// finalBackupChange versions the final backup: runs recorded before it
// (version DefaultVersion) skipped the step.
const finalBackupChange = "offboarding-final-backup"

// finalBackupTimeout bounds the whole final backup, retries included; if
// no worker serves the dr queue the offboarding fails after it, with the
// tenant's data still in place.
const finalBackupTimeout = 24 * time.Hour

// finalBackup takes the tenant's last backup as a TenantBackup child on the
// dr queue (ID backup/<slug>/final-<stamp>): dumped, verified by a restore
// into a scratch schema, then copied under the retained prefix, outside the
// tenant's storage prefix that the storage step deletes. Any failure fails
// the offboarding here, before any data is removed. A tenant without a
// schema (its onboarding failed early, or an earlier offboarding run dropped
// it) has nothing to back up and passes.
func (f *offboarding) finalBackup(ctx workflow.Context) (string, error) {
	now := workflow.Now(ctx).UTC()
	id := FinalBackupID(BackupStamp(now))
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:               BackupWorkflowID(f.in.Slug, id),
		TaskQueue:                TaskQueueDR,
		WorkflowExecutionTimeout: finalBackupTimeout,
		// A failed final backup may be tried again by the next run.
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		// Cancelling or terminating the offboarding cancels the backup,
		// which then drops its scratch copy; a cancel waits for that.
		ParentClosePolicy:   enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
		WaitForCancellation: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(SearchTenant.ValueSet(f.in.Slug), SearchKind.ValueSet(KindBackup),
			SearchStage.ValueSet("queued")),
		StaticSummary: "Final backup of " + f.in.Slug + " before offboarding",
	})
	var r TenantBackupResult
	err := workflow.ExecuteChildWorkflow(cctx, TenantBackupWorkflow, TenantBackupInput{
		Slug: f.in.Slug, Reason: "offboarding", BackupID: id, TakenAt: now.Truncate(time.Second), Final: true,
	}).Get(ctx, &r)
	if err != nil {
		return "", err
	}
	if r.Skipped != "" {
		return r.Skipped, nil
	}
	return fmt.Sprintf("backup %s verified (%d tables, %d rows), kept at %s", r.BackupID, r.Tables, r.Rows, r.RetainedAt), nil
}
