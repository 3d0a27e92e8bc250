package argocd

import (
	"context"
	"fmt"
	"time"

	"github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"
	"github.com/argoproj/gitops-engine/pkg/health"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rigger-platform/rigger/internal/tenant"
)

type WaitHealthyInput struct {
	Slug string
}

// WaitHealthyResult is also the heartbeat detail, so the Web UI shows where
// a long wait is stuck.
type WaitHealthyResult struct {
	Sync     string
	Health   string
	Revision string
}

// ArgoWaitHealthy polls the tenant's Application until ArgoCD reports it
// Synced and Healthy for the spec it currently has. It heartbeats on every
// poll; it has no deadline of its own, because the workflow's start-to-close
// timeout is what decides how long a deploy may take, and heartbeats let a
// dead worker be noticed well before that.
func (a *Activities) ArgoWaitHealthy(ctx context.Context, in WaitHealthyInput) (WaitHealthyResult, error) {
	if !a.Configured() {
		return WaitHealthyResult{}, notConfigured()
	}
	if err := tenant.ValidateSlug(in.Slug); err != nil {
		return WaitHealthyResult{}, invalid(err.Error())
	}
	name := tenant.ArgoApp(in.Slug)
	apps := a.Client.ArgoprojV1alpha1().Applications(a.namespace())
	what := "wait for application " + a.namespace() + "/" + name
	ticker := time.NewTicker(a.pollInterval())
	defer ticker.Stop()

	for {
		app, err := apps.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			// The create step must have run; waiting cannot make it appear.
			return WaitHealthyResult{}, temporal.NewNonRetryableApplicationError(what+": application not found", ErrTypeAppNotFound, err)
		}
		if err != nil {
			return WaitHealthyResult{}, classify(what, err)
		}
		if err := checkOwner(app, in.Slug); err != nil {
			return WaitHealthyResult{}, err
		}
		st := WaitHealthyResult{
			Sync:     string(app.Status.Sync.Status),
			Health:   string(app.Status.Health.Status),
			Revision: app.Status.Sync.Revision,
		}
		activity.RecordHeartbeat(ctx, st)
		if done(app) {
			return st, nil
		}
		activity.GetLogger(ctx).Debug("application not ready", "application", name, "sync", st.Sync, "health", st.Health)

		select {
		case <-ctx.Done():
			// Cancelled by the workflow, or the start-to-close timeout fired.
			return st, fmt.Errorf("%s (last seen %s/%s): %w", what, st.Sync, st.Health, ctx.Err())
		case <-ticker.C:
		}
	}
}

// done reports Synced+Healthy, but only for the spec the Application has now:
// right after ArgoCreateApplication changed the source, the status still
// describes the previous revision until the controller reconciles, and a
// stale "Synced/Healthy" must not end the wait.
func done(app *v1alpha1.Application) bool {
	if app.Status.Sync.Status != v1alpha1.SyncStatusCodeSynced || app.Status.Health.Status != health.HealthStatusHealthy {
		return false
	}
	if src, seen := app.Spec.Source, app.Status.Sync.ComparedTo.Source; src != nil {
		return seen.RepoURL == src.RepoURL && seen.Path == src.Path && seen.TargetRevision == src.TargetRevision
	}
	return true
}
