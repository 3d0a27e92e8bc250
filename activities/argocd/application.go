package argocd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"
	"go.temporal.io/sdk/temporal"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rigger-platform/rigger/internal/tenant"
)

// desiredApplication is the tenant's Application: one Git source, deployed
// into the tenant's namespace only, kept in sync automatically. Prune removes
// what was deleted from Git and selfHeal reverts hand edits in the cluster,
// so Git stays the single truth. The resources finalizer makes deleting the
// Application delete what it deployed, so offboarding leaves nothing behind.
func (a *Activities) desiredApplication(slug, repoURL, path, revision string) *v1alpha1.Application {
	return &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{
			Name:       tenant.ArgoApp(slug),
			Namespace:  a.namespace(),
			Labels:     tenantLabels(slug),
			Finalizers: []string{v1alpha1.ResourcesFinalizerName},
		},
		Spec: v1alpha1.ApplicationSpec{
			Project: a.project(),
			Source: &v1alpha1.ApplicationSource{
				RepoURL:        repoURL,
				Path:           path,
				TargetRevision: revision,
			},
			Destination: v1alpha1.ApplicationDestination{
				Server:    a.server(),
				Namespace: tenant.Namespace(slug),
			},
			SyncPolicy: &v1alpha1.SyncPolicy{
				Automated: &v1alpha1.SyncPolicyAutomated{Prune: true, SelfHeal: true},
			},
		},
	}
}

// checkOwner is the isolation line: Rigger reads, changes and deletes only an
// Application labelled for the tenant it acts for. An unlabelled one was not
// made by Rigger; another tenant's label means a collision or a confused
// caller. No retry changes either.
func checkOwner(app *v1alpha1.Application, slug string) error {
	owner, ok := app.Labels[tenant.Label]
	switch {
	case !ok:
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("application %s/%s has no %s label; refusing to touch an Application Rigger did not create", app.Namespace, app.Name, tenant.Label),
			ErrTypeForeignApp, nil)
	case owner != slug:
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("application %s/%s belongs to tenant %q, not %q", app.Namespace, app.Name, owner, slug),
			ErrTypeForeignApp, nil)
	}
	return nil
}

// converge edits live towards desired and reports whether anything changed.
// The whole spec is Rigger's; labels and finalizers others added are kept,
// and annotations (CreatedByAnnotation among them) are history, not desired
// state, so they are left alone.
func converge(live, desired *v1alpha1.Application) bool {
	changed := false
	for k, v := range desired.Labels {
		if cur, ok := live.Labels[k]; !ok || cur != v {
			changed = true
		}
	}
	if changed {
		labels := maps.Clone(live.Labels)
		if labels == nil {
			labels = map[string]string{}
		}
		maps.Copy(labels, desired.Labels)
		live.Labels = labels
	}
	for _, f := range desired.Finalizers {
		if !slices.Contains(live.Finalizers, f) {
			live.Finalizers = append(live.Finalizers, f)
			changed = true
		}
	}
	if !sameJSON(live.Spec, desired.Spec) {
		live.Spec = desired.Spec
		changed = true
	}
	return changed
}

// sameJSON compares specs as the API server stores them. Semantic.DeepEqual
// panics on ApplicationDestination's unexported fields, and reflect.DeepEqual
// would tell nil from empty where the stored object cannot.
func sameJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}
