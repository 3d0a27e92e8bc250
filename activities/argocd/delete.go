package argocd

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rigger-platform/rigger/internal/tenant"
)

type DeleteApplicationInput struct {
	Slug string
}

type DeleteApplicationResult struct {
	// Deleted is true when this call asked for the deletion, false when the
	// Application was already gone. ArgoCD then prunes the deployed resources
	// (the finalizer) before the Application disappears.
	Deleted bool
}

// ArgoDeleteApplication deletes the tenant's Application, which cascades to
// what it deployed. Missing is success, so it serves as a compensation; an
// Application not labelled for this tenant is refused.
func (a *Activities) ArgoDeleteApplication(ctx context.Context, in DeleteApplicationInput) (DeleteApplicationResult, error) {
	if !a.Configured() {
		return DeleteApplicationResult{}, notConfigured()
	}
	if err := tenant.ValidateSlug(in.Slug); err != nil {
		return DeleteApplicationResult{}, invalid(err.Error())
	}
	name := tenant.ArgoApp(in.Slug)
	apps := a.Client.ArgoprojV1alpha1().Applications(a.namespace())
	what := "delete application " + a.namespace() + "/" + name

	live, err := apps.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return DeleteApplicationResult{}, nil
	}
	if err != nil {
		return DeleteApplicationResult{}, classify(what, err)
	}
	if err := checkOwner(live, in.Slug); err != nil {
		return DeleteApplicationResult{}, err
	}
	// Delete exactly the Application whose owner we checked; a replacement
	// made in between fails the precondition (Conflict, retryable) and is
	// checked afresh by the next attempt.
	uid := live.UID
	err = apps.Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	if apierrors.IsNotFound(err) {
		return DeleteApplicationResult{}, nil
	}
	if err != nil {
		return DeleteApplicationResult{}, classify(what, err)
	}
	return DeleteApplicationResult{Deleted: true}, nil
}
