package argocd

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"
	"github.com/argoproj/argo-cd/v2/pkg/client/clientset/versioned/fake"
	"go.temporal.io/sdk/temporal"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/rigger-platform/rigger/internal/tenant"
)

var ctx = context.Background()

func newActivities(objs ...runtime.Object) (*Activities, *fake.Clientset) {
	cs := fake.NewSimpleClientset(objs...)
	return &Activities{Client: cs, PollInterval: 2 * time.Millisecond}, cs
}

func createApp(t *testing.T, a *Activities, slug, revision string) {
	t.Helper()
	_, err := a.ArgoCreateApplication(ctx, CreateApplicationInput{
		Slug: slug, RepoURL: "https://git.example.com/" + slug + "/config.git", Path: "deploy", Revision: revision,
	})
	if err != nil {
		t.Fatalf("create %s: %v", slug, err)
	}
}

func getApp(t *testing.T, cs *fake.Clientset, slug string) *v1alpha1.Application {
	t.Helper()
	app, err := cs.ArgoprojV1alpha1().Applications(DefaultNamespace).Get(ctx, tenant.ArgoApp(slug), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// foreignApp is an Application named like slug's but labelled otherwise.
func foreignApp(slug string, labels map[string]string) *v1alpha1.Application {
	return &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Name: tenant.ArgoApp(slug), Namespace: DefaultNamespace, Labels: labels},
		Spec:       v1alpha1.ApplicationSpec{Project: "platform", Destination: v1alpha1.ApplicationDestination{Namespace: "kube-system"}},
	}
}

// writes lists the mutating calls the fake saw.
func writes(cs *fake.Clientset) []k8stesting.Action {
	var out []k8stesting.Action
	for _, act := range cs.Actions() {
		switch act.GetVerb() {
		case "get", "list", "watch":
		default:
			out = append(out, act)
		}
	}
	return out
}

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

func newFake(objs ...runtime.Object) *fake.Clientset { return fake.NewSimpleClientset(objs...) }

func equalSpec(a, b v1alpha1.ApplicationSpec) bool { return sameJSON(a, b) }
