package kube

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rigger-platform/rigger/internal/tenant"
)

func TestDeleteNamespaceTouchesOnlyItsTenant(t *testing.T) {
	a, cs := newActivities(t)
	ensureTenant(t, a, "acme")
	ensureTenant(t, a, "globex")
	cs.ClearActions()

	res, err := a.KubeDeleteNamespace(ctx, DeleteNamespaceInput{Slug: "acme"})
	if err != nil || !res.Deleted {
		t.Fatalf("delete = %+v, %v", res, err)
	}
	w := writes(cs)
	if len(w) != 1 || w[0] != "delete namespaces /tenant-acme" {
		t.Fatalf("writes = %v", w)
	}
	for _, act := range cs.Actions() {
		if act.GetNamespace() == "tenant-globex" || strings.Contains(actionName(act), "globex") {
			t.Fatalf("deleting acme touched globex: %v", act)
		}
	}
	if _, err := cs.CoreV1().Namespaces().Get(ctx, "tenant-acme", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("tenant-acme still there: %v", err)
	}
	if _, err := cs.CoreV1().Namespaces().Get(ctx, "tenant-globex", metav1.GetOptions{}); err != nil {
		t.Fatalf("tenant-globex gone: %v", err)
	}

	// Idempotent: gone is done.
	res, err = a.KubeDeleteNamespace(ctx, DeleteNamespaceInput{Slug: "acme"})
	if err != nil || res.Deleted {
		t.Fatalf("second delete = %+v, %v", res, err)
	}
}

func TestDeleteNamespaceRefusesForeignNamespace(t *testing.T) {
	for name, labels := range map[string]map[string]string{
		"unlabelled":     nil,
		"other tenant's": {tenant.Label: "globex"},
		"empty label":    {tenant.Label: ""},
	} {
		t.Run(name, func(t *testing.T) {
			a, cs := newActivities(t)
			seed(t, cs, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "tenant-acme", Labels: labels}})
			_, err := a.KubeDeleteNamespace(ctx, DeleteNamespaceInput{Slug: "acme"})
			appError(t, err, ErrTypeForeignNamespace, false)
			if w := writes(cs); len(w) != 0 {
				t.Fatalf("wrote: %v", w)
			}
			if _, err := cs.CoreV1().Namespaces().Get(ctx, "tenant-acme", metav1.GetOptions{}); err != nil {
				t.Fatalf("namespace gone: %v", err)
			}
		})
	}
}

func actionName(act interface{ GetVerb() string }) string {
	if n, ok := act.(interface{ GetName() string }); ok {
		return n.GetName()
	}
	return ""
}
