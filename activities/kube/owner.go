package kube

import (
	"fmt"

	"go.temporal.io/sdk/temporal"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rigger-platform/rigger/internal/tenant"
)

// checkOwner is the isolation line: Rigger only ever adopts, changes or
// deletes a namespace whose tenant label names the tenant it is acting for.
// A namespace without the label was not made by Rigger (and may hold someone
// else's workloads); one with another tenant's label means names collided or
// a caller is confused. Neither improves with retries.
func checkOwner(obj metav1.Object, slug string) error {
	owner, ok := obj.GetLabels()[tenant.Label]
	switch {
	case !ok:
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("namespace %q has no %s label; refusing to touch a namespace Rigger did not create", obj.GetName(), tenant.Label),
			ErrTypeForeignNamespace, nil)
	case owner != slug:
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("namespace %q belongs to tenant %q, not %q", obj.GetName(), owner, slug),
			ErrTypeForeignNamespace, nil)
	}
	return nil
}
