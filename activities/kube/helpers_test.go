package kube

import (
	"context"
	"errors"
	"testing"

	"go.temporal.io/sdk/temporal"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func newActivities(t *testing.T) (*Activities, *fake.Clientset) {
	t.Helper()
	cs := fake.NewClientset()
	return &Activities{Client: cs}, cs
}

func ensureTenant(t *testing.T, a *Activities, slug string, admins ...string) EnsureNamespaceResult {
	t.Helper()
	res, err := a.KubeEnsureNamespace(context.Background(), EnsureNamespaceInput{Slug: slug, Plan: PlanTeam, Admins: admins})
	if err != nil {
		t.Fatalf("ensure %s: %v", slug, err)
	}
	return res
}

// writes lists the mutating calls the fake saw, as "verb resource ns/name".
func writes(cs *fake.Clientset) []string {
	var out []string
	for _, act := range cs.Actions() {
		switch act.GetVerb() {
		case "get", "list", "watch":
			continue
		}
		name := ""
		switch a := act.(type) {
		case k8stesting.CreateAction:
			if m, ok := a.GetObject().(interface{ GetName() string }); ok {
				name = m.GetName()
			}
		case k8stesting.UpdateAction:
			if m, ok := a.GetObject().(interface{ GetName() string }); ok {
				name = m.GetName()
			}
		case k8stesting.DeleteAction:
			name = a.GetName()
		}
		out = append(out, act.GetVerb()+" "+act.GetResource().Resource+" "+act.GetNamespace()+"/"+name)
	}
	return out
}

// appError asserts err is an application error of the given type and
// retryability.
func appError(t *testing.T, err error, wantType string, wantRetryable bool) {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		t.Fatalf("want application error %s, got %T %v", wantType, err, err)
	}
	if appErr.Type() != wantType || appErr.NonRetryable() == wantRetryable {
		t.Fatalf("want type %s retryable=%v, got type %s retryable=%v (%v)", wantType, wantRetryable, appErr.Type(), !appErr.NonRetryable(), err)
	}
}
