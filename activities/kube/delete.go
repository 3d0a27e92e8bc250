package kube

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rigger-platform/rigger/internal/tenant"
)

type DeleteNamespaceInput struct {
	Slug string
}

type DeleteNamespaceResult struct {
	// Deleted is true when this call asked for the deletion, false when the
	// namespace was already gone. The namespace controller then removes its
	// contents asynchronously; a later ensure waits it out (KubeNamespaceTerminating).
	Deleted bool
}

// KubeDeleteNamespace deletes the tenant's namespace and with it everything
// inside. It is a compensation and an offboarding step, so a missing
// namespace is success, and it refuses any namespace not labelled for this
// tenant.
func (a *Activities) KubeDeleteNamespace(ctx context.Context, in DeleteNamespaceInput) (DeleteNamespaceResult, error) {
	if !a.Configured() {
		return DeleteNamespaceResult{}, notConfigured()
	}
	if err := tenant.ValidateSlug(in.Slug); err != nil {
		return DeleteNamespaceResult{}, invalid(err.Error(), nil)
	}
	ns := tenant.Namespace(in.Slug)
	nsClient := a.Client.CoreV1().Namespaces()
	live, err := nsClient.Get(ctx, ns, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return DeleteNamespaceResult{}, nil
	}
	if err != nil {
		return DeleteNamespaceResult{}, classify("get namespace "+ns, err)
	}
	if err := checkOwner(live, in.Slug); err != nil {
		return DeleteNamespaceResult{}, err
	}
	// The UID precondition deletes exactly the namespace whose label we just
	// checked, never one recreated under the same name in between.
	uid := live.UID
	policy := metav1.DeletePropagationBackground
	err = nsClient.Delete(ctx, ns, metav1.DeleteOptions{
		Preconditions:     &metav1.Preconditions{UID: &uid},
		PropagationPolicy: &policy,
	})
	switch {
	case apierrors.IsNotFound(err):
		return DeleteNamespaceResult{}, nil
	case err != nil:
		// Including Conflict (failed UID precondition: replaced since our
		// Get), which is retryable, and the retry re-checks the new owner.
		return DeleteNamespaceResult{}, classify("delete namespace "+ns, err)
	}
	return DeleteNamespaceResult{Deleted: true}, nil
}
