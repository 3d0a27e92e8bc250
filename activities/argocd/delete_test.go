package argocd

import (
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rigger-platform/rigger/internal/tenant"
)

func TestDeleteApplicationTouchesOnlyItsTenant(t *testing.T) {
	a, cs := newActivities()
	createApp(t, a, "acme", "main")
	createApp(t, a, "globex", "main")
	cs.ClearActions()

	res, err := a.ArgoDeleteApplication(ctx, DeleteApplicationInput{Slug: "acme"})
	if err != nil || !res.Deleted {
		t.Fatalf("delete = %+v, %v", res, err)
	}
	w := writes(cs)
	if len(w) != 1 || w[0].GetVerb() != "delete" || w[0].(interface{ GetName() string }).GetName() != "tenant-acme" {
		t.Fatalf("writes = %v", w)
	}
	if _, err := cs.ArgoprojV1alpha1().Applications(DefaultNamespace).Get(ctx, "tenant-acme", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("tenant-acme still there: %v", err)
	}
	getApp(t, cs, "globex")

	res, err = a.ArgoDeleteApplication(ctx, DeleteApplicationInput{Slug: "acme"})
	if err != nil || res.Deleted {
		t.Fatalf("second delete = %+v, %v", res, err)
	}
}

func TestDeleteApplicationRefusesForeignApplication(t *testing.T) {
	for name, labels := range map[string]map[string]string{
		"unlabelled":     nil,
		"other tenant's": {tenant.Label: "globex"},
	} {
		t.Run(name, func(t *testing.T) {
			a, cs := newActivities(foreignApp("acme", labels))
			_, err := a.ArgoDeleteApplication(ctx, DeleteApplicationInput{Slug: "acme"})
			appError(t, err, ErrTypeForeignApp, false)
			if w := writes(cs); len(w) != 0 {
				t.Fatalf("wrote: %v", w)
			}
		})
	}
}
