package argocd

import (
	"context"
	"fmt"
	"maps"

	"go.temporal.io/sdk/temporal"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/rigger-platform/rigger/internal/tenant"
)

// Applications a scaffolder template asks for (argocd:create-resources).
// They are plain functions, not activities: the scaffolder's action activity
// calls them. Each Application is named tenant-<slug>-<app>, labelled for
// the tenant, and deploys into the tenant's namespace only, whatever
// namespace the template names: a template cannot reach another tenant.

// ScaffoldedApp is one Application requested by a template.
type ScaffoldedApp struct {
	Slug     string
	App      string // the template's appName
	RepoURL  string
	Path     string
	Revision string // "" = HEAD
	// Labels are added (e.g. the template's labelValue).
	Labels map[string]string
}

// ScaffoldedAppName is the Application's name for a tenant's app.
func ScaffoldedAppName(slug, app string) string { return tenant.ArgoApp(slug) + "-" + app }

// EnsureScaffoldedApp creates the Application, or converges one this tenant
// already has; it reports whether the current workflow run created it (in
// this attempt or an earlier one), so an undo deletes only its own.
func EnsureScaffoldedApp(ctx context.Context, a *Activities, in ScaffoldedApp) (name string, created bool, err error) {
	if !a.Configured() {
		return "", false, notConfigured()
	}
	if err := tenant.ValidateSlug(in.Slug); err != nil {
		return "", false, invalid(err.Error())
	}
	name = ScaffoldedAppName(in.Slug, in.App)
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return "", false, invalid(fmt.Sprintf("application name %q: %v", name, errs))
	}
	if in.RepoURL == "" {
		return "", false, invalid("application needs a repository URL")
	}
	desired := a.desiredApplication(in.Slug, in.RepoURL, in.Path, or(in.Revision, "HEAD"))
	desired.Name = name
	labels := maps.Clone(in.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	maps.Copy(labels, desired.Labels)
	desired.Labels = labels
	run := currentRun(ctx)
	if run != "" {
		desired.Annotations = map[string]string{CreatedByAnnotation: run}
	}
	apps := a.Client.ArgoprojV1alpha1().Applications(a.namespace())
	what := "ensure application " + a.namespace() + "/" + name
	for range maxRounds {
		live, err := apps.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			_, err = apps.Create(ctx, desired.DeepCopy(), metav1.CreateOptions{FieldManager: "rigger"})
			if apierrors.IsAlreadyExists(err) {
				continue
			}
			return name, err == nil, classify(what, err)
		}
		if err != nil {
			return "", false, classify(what, err)
		}
		if err := checkOwner(live, in.Slug); err != nil {
			return "", false, err
		}
		if live.DeletionTimestamp != nil {
			return "", false, temporal.NewApplicationError(what+": application is being deleted", ErrTypeTerminating)
		}
		created = run != "" && live.Annotations[CreatedByAnnotation] == run
		if !converge(live, desired) {
			return name, created, nil
		}
		_, err = apps.Update(ctx, live, metav1.UpdateOptions{FieldManager: "rigger"})
		if apierrors.IsConflict(err) {
			continue
		}
		return name, created, classify(what, err)
	}
	return "", false, classify(what, fmt.Errorf("application kept changing while being converged"))
}

// DeleteScaffoldedApp deletes the tenant's Application name if the current
// workflow run created it; missing is success.
func DeleteScaffoldedApp(ctx context.Context, a *Activities, slug, name string) (bool, error) {
	if !a.Configured() {
		return false, notConfigured()
	}
	apps := a.Client.ArgoprojV1alpha1().Applications(a.namespace())
	what := "delete application " + a.namespace() + "/" + name
	live, err := apps.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, classify(what, err)
	}
	if err := checkOwner(live, slug); err != nil {
		return false, err
	}
	if run := currentRun(ctx); run == "" || live.Annotations[CreatedByAnnotation] != run {
		return false, nil // not made by this run: leave it
	}
	uid := live.UID
	err = apps.Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	return err == nil, classify(what, err)
}
