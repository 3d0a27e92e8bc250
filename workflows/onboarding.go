package workflows

import (
	"errors"
	"fmt"
	"time"

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

// Activity handles: nil receivers whose method values name the activities.
var (
	cpActs    *controlplane.Activities
	dbActs    *tenantdb.Activities
	cacheActs *cache.Activities
	storeActs *storage.Activities
	gitActs   *gitprovider.Activities
	kubeActs  *kube.Activities
	argoActs  *argocd.Activities
)

// OnboardingSteps lists the onboarding steps in order.
var OnboardingSteps = []string{StepRecord, StepDatabase, StepCache, StepStorage, StepGit, StepKubernetes, StepArgoCD, StepBilling, StepActivate}

// TenantOnboarding provisions a tenant as a saga: each step's undo is pushed
// after it succeeds, and a failure or cancellation runs the undos in reverse,
// leaving the tenant `failed` with the reason and nothing behind.
func TenantOnboarding(ctx workflow.Context, in OnboardingInput) (Progress, error) {
	o := &onboarding{in: in, t: newTracker(in.Slug, KindOnboarding, OnboardingSteps)}
	if err := o.setup(ctx); err != nil {
		return o.t.snapshot(), endRun(ctx, KindOnboarding, err)
	}
	p, err := o.run(ctx)
	return p, endSaga(ctx, KindOnboarding, err, o.undo.rolledBack)
}

type onboarding struct {
	in   OnboardingInput
	t    *tracker
	undo compensations
	caps controlplane.Capabilities
	repo gitprovider.CreateConfigRepoResult
}

func (o *onboarding) setup(ctx workflow.Context) error {
	if err := o.t.register(ctx); err != nil {
		return err
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, SearchTenant.ValueSet(o.in.Slug), SearchKind.ValueSet(KindOnboarding)); err != nil {
		workflow.GetLogger(ctx).Warn("upsert search attributes failed", "error", err)
	}
	// Which integrations exist is the worker's configuration; reading it
	// through an activity records the answer in history, so a replay takes
	// the same steps even if the configuration changed since.
	return workflow.ExecuteActivity(stepOptions(ctx, shortStep), cpActs.ControlPlaneCapabilities, controlplane.CapabilitiesInput{}).Get(ctx, &o.caps)
}

func (o *onboarding) run(ctx workflow.Context) (Progress, error) {
	err := o.steps(ctx)
	if err == nil {
		o.t.finish(ctx, store.StatusActive, nil)
		return o.t.snapshot(), nil
	}
	cancelled := temporal.IsCanceledError(err) || errors.Is(ctx.Err(), workflow.ErrCanceled)
	o.undo.run(ctx, o.t)
	reason := err.Error()
	status := store.StatusFailed
	if cancelled {
		reason, status = "cancelled", "cancelled"
	}
	o.markFailed(ctx, reason)
	o.t.finish(ctx, status, err)
	if cancelled {
		return o.t.snapshot(), temporal.NewCanceledError(reason)
	}
	return o.t.snapshot(), temporal.NewNonRetryableApplicationError("onboarding failed: "+reason, "OnboardingFailed", err)
}

// markFailed records the outcome even when the run was cancelled; it only
// moves a tenant that is still provisioning, so an offboarding that began
// meanwhile keeps its status.
func (o *onboarding) markFailed(ctx workflow.Context, reason string) {
	ctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	err := workflow.ExecuteActivity(undoOptions(ctx), cpActs.ControlPlaneSetStatus, controlplane.SetStatusInput{
		Slug: o.in.Slug, From: []string{store.StatusProvisioning}, To: store.StatusFailed, Reason: reason,
	}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Error("could not mark tenant failed", "error", err)
	}
}

func (o *onboarding) steps(ctx workflow.Context) error {
	in := o.in
	err := o.do(ctx, StepRecord, shortStep, func(ctx workflow.Context) (string, error) {
		var r controlplane.RecordTenantResult
		err := workflow.ExecuteActivity(ctx, cpActs.ControlPlaneRecordTenant, controlplane.RecordTenantInput{
			Slug: in.Slug, DisplayName: in.DisplayName, Plan: in.Plan, Owner: in.Owner, Admins: in.Admins, Plugins: in.Plugins,
		}).Get(ctx, &r)
		return "", err
	})
	if err != nil {
		return err
	}

	err = o.do(ctx, StepDatabase, shortStep, func(ctx workflow.Context) (string, error) {
		var r tenantdb.CreateResult
		err := workflow.ExecuteActivity(ctx, dbActs.TenantDBCreate, tenantdb.CreateInput{Slug: in.Slug}).Get(ctx, &r)
		o.undo.push(StepDatabase, func(ctx workflow.Context) error {
			return workflow.ExecuteActivity(ctx, dbActs.TenantDBDrop, tenantdb.DropInput{Slug: in.Slug}).Get(ctx, nil)
		})
		return fmt.Sprintf("schema %s, role %s", r.Schema, r.Role), err
	})
	if err != nil {
		return err
	}

	if o.caps.Redis {
		err = o.do(ctx, StepCache, shortStep, func(ctx workflow.Context) (string, error) {
			var r cache.CreateUserResult
			err := workflow.ExecuteActivity(ctx, cacheActs.CacheCreateUser, cache.CreateUserInput{Slug: in.Slug}).Get(ctx, &r)
			o.undo.push(StepCache, func(ctx workflow.Context) error {
				return workflow.ExecuteActivity(ctx, cacheActs.CacheDeleteUser, cache.DeleteUserInput{Slug: in.Slug}).Get(ctx, nil)
			})
			return fmt.Sprintf("user %s, keys %s", r.User, r.KeyPattern), err
		})
		if err != nil {
			return err
		}
	} else {
		o.skip(ctx, StepCache)
	}

	err = o.do(ctx, StepStorage, shortStep, func(ctx workflow.Context) (string, error) {
		var r storage.CreatePrefixResult
		err := workflow.ExecuteActivity(ctx, storeActs.StorageCreatePrefix, storage.CreatePrefixInput{Slug: in.Slug, DisplayName: in.DisplayName}).Get(ctx, &r)
		o.undo.push(StepStorage, func(ctx workflow.Context) error {
			return workflow.ExecuteActivity(ctx, storeActs.StorageDeletePrefix, storage.DeletePrefixInput{Slug: in.Slug}).Get(ctx, nil)
		})
		return "prefix " + r.Prefix, err
	})
	if err != nil {
		return err
	}

	if o.caps.Git {
		err = o.do(ctx, StepGit, remoteStep, func(ctx workflow.Context) (string, error) {
			err := workflow.ExecuteActivity(ctx, gitActs.GitCreateConfigRepo, gitprovider.CreateConfigRepoInput{
				Slug: in.Slug, DisplayName: in.DisplayName, Plan: in.Plan, Owner: in.Owner, Admins: in.Admins,
				Plugins: in.Plugins, Image: o.caps.BackstageImage,
			}).Get(ctx, &o.repo)
			o.undo.push(StepGit, func(ctx workflow.Context) error {
				return workflow.ExecuteActivity(ctx, gitActs.GitDeleteConfigRepo, gitprovider.DeleteConfigRepoInput{Slug: in.Slug}).Get(ctx, nil)
			})
			return fmt.Sprintf("%s repo %s at %s", o.repo.Provider, o.repo.WebURL, short(o.repo.CommitSHA)), err
		})
		if err != nil {
			return err
		}
	} else {
		o.skip(ctx, StepGit)
	}

	if o.caps.Kube {
		err = o.do(ctx, StepKubernetes, remoteStep, func(ctx workflow.Context) (string, error) {
			var r kube.EnsureNamespaceResult
			err := workflow.ExecuteActivity(ctx, kubeActs.KubeEnsureNamespace, kube.EnsureNamespaceInput{
				Slug: in.Slug, Plan: in.Plan, Admins: admins(in), Quota: kube.QuotaForPlan(in.Plan),
			}).Get(ctx, &r)
			o.undo.push(StepKubernetes, func(ctx workflow.Context) error {
				return workflow.ExecuteActivity(ctx, kubeActs.KubeDeleteNamespace, kube.DeleteNamespaceInput{Slug: in.Slug}).Get(ctx, nil)
			})
			return "namespace " + r.Namespace, err
		})
		if err != nil {
			return err
		}
	} else {
		o.skip(ctx, StepKubernetes)
	}

	// ArgoCD deploys from the config repo into the namespace: it needs both.
	if o.caps.Argo && o.caps.Git && o.caps.Kube {
		err = o.do(ctx, StepArgoCD, remoteStep, func(ctx workflow.Context) (string, error) {
			var r argocd.CreateApplicationResult
			err := workflow.ExecuteActivity(ctx, argoActs.ArgoCreateApplication, argocd.CreateApplicationInput{
				Slug: in.Slug, RepoURL: o.repo.CloneURL, Path: "deploy", Revision: o.repo.DefaultBranch,
			}).Get(ctx, &r)
			o.undo.push(StepArgoCD, func(ctx workflow.Context) error {
				return workflow.ExecuteActivity(ctx, argoActs.ArgoDeleteApplication, argocd.DeleteApplicationInput{Slug: in.Slug}).Get(ctx, nil)
			})
			if err != nil {
				return "", err
			}
			var h argocd.WaitHealthyResult
			err = workflow.ExecuteActivity(waitHealthyOptions(ctx, o.caps.ArgoSyncTimeout), argoActs.ArgoWaitHealthy, argocd.WaitHealthyInput{Slug: in.Slug}).Get(ctx, &h)
			return fmt.Sprintf("application %s %s/%s", r.Name, h.Sync, h.Health), err
		})
		if err != nil {
			return err
		}
	} else {
		o.skip(ctx, StepArgoCD)
	}

	err = o.do(ctx, StepBilling, shortStep, func(ctx workflow.Context) (string, error) {
		var r controlplane.SubscribeResult
		err := workflow.ExecuteActivity(ctx, cpActs.BillingSubscribe, controlplane.SubscribeInput{Slug: in.Slug, Plan: in.Plan}).Get(ctx, &r)
		o.undo.push(StepBilling, func(ctx workflow.Context) error {
			return workflow.ExecuteActivity(ctx, cpActs.BillingUnsubscribe, controlplane.UnsubscribeInput{Slug: in.Slug}).Get(ctx, nil)
		})
		return fmt.Sprintf("subscription %d to %s", r.SubscriptionID, in.Plan), err
	})
	if err != nil {
		return err
	}

	return o.do(ctx, StepActivate, shortStep, func(ctx workflow.Context) (string, error) {
		err := workflow.ExecuteActivity(ctx, cpActs.ControlPlaneSetStatus, controlplane.SetStatusInput{
			Slug: in.Slug, From: []string{store.StatusProvisioning}, To: store.StatusActive,
		}).Get(ctx, nil)
		return "", err
	})
}

// do runs one step with its activity options and records its state. The undo
// is pushed inside fn even when the activity failed: an activity that timed
// out may still have done its work, and every undo is idempotent.
func (o *onboarding) do(ctx workflow.Context, name string, timeout time.Duration, fn func(workflow.Context) (string, error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o.t.set(ctx, name, StepRunning, "", nil)
	detail, err := fn(stepOptions(ctx, timeout))
	if err != nil {
		o.t.set(ctx, name, StepFailed, "", err)
		return fmt.Errorf("step %s: %w", name, err)
	}
	o.t.set(ctx, name, StepDone, detail, nil)
	return nil
}

func (o *onboarding) skip(ctx workflow.Context, name string) {
	o.t.set(ctx, name, StepSkipped, "skipped: not configured", nil)
}

// waitHealthyOptions bounds the whole wait, retries included, by the
// configured sync timeout, so a stuck deployment fails the step.
func waitHealthyOptions(ctx workflow.Context, timeout time.Duration) workflow.Context {
	if timeout <= 0 {
		timeout = 10 * time.Minute
	}
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		ScheduleToCloseTimeout: timeout,
		HeartbeatTimeout:       heartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    30 * time.Second,
		},
	})
}

func admins(in OnboardingInput) []string {
	if len(in.Admins) > 0 {
		return in.Admins
	}
	return []string{in.Owner}
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
