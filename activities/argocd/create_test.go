package argocd

import (
	"errors"
	"slices"
	"testing"

	"github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"

	"github.com/rigger-platform/rigger/internal/tenant"
)

func TestCreateApplication(t *testing.T) {
	a, cs := newActivities()
	res, err := a.ArgoCreateApplication(ctx, CreateApplicationInput{Slug: "acme", RepoURL: "https://git.example.com/acme.git"})
	if err != nil || res != (CreateApplicationResult{Name: "tenant-acme", Created: true}) {
		t.Fatalf("create = %+v, %v", res, err)
	}
	app := getApp(t, cs, "acme")
	if app.Labels[tenant.Label] != "acme" || app.Labels[ManagedByLabel] != "rigger" {
		t.Fatalf("labels = %v", app.Labels)
	}
	if !slices.Equal(app.Finalizers, []string{"resources-finalizer.argocd.argoproj.io"}) {
		t.Fatalf("finalizers = %v", app.Finalizers)
	}
	want := v1alpha1.ApplicationSpec{
		Project:     "default",
		Source:      &v1alpha1.ApplicationSource{RepoURL: "https://git.example.com/acme.git", TargetRevision: "HEAD"},
		Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: "tenant-acme"},
		SyncPolicy:  &v1alpha1.SyncPolicy{Automated: &v1alpha1.SyncPolicyAutomated{Prune: true, SelfHeal: true}},
	}
	if !equalSpec(app.Spec, want) {
		t.Fatalf("spec = %+v", app.Spec)
	}
}

func TestCreateApplicationHonoursSettings(t *testing.T) {
	cs := newFake()
	a := &Activities{Client: cs, Namespace: "gitops", Project: "tenants", DestinationServer: "https://tenants.example.com"}
	createApp(t, a, "acme", "v1.2.3")
	app, err := cs.ArgoprojV1alpha1().Applications("gitops").Get(ctx, "tenant-acme", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if app.Spec.Project != "tenants" || app.Spec.Destination.Server != "https://tenants.example.com" ||
		app.Spec.Source.TargetRevision != "v1.2.3" || app.Spec.Source.Path != "deploy" {
		t.Fatalf("spec = %+v", app.Spec)
	}
}

func TestCreateApplicationTwiceIsANoOp(t *testing.T) {
	a, cs := newActivities()
	createApp(t, a, "acme", "main")
	cs.ClearActions()
	res, err := a.ArgoCreateApplication(ctx, CreateApplicationInput{
		Slug: "acme", RepoURL: "https://git.example.com/acme/config.git", Path: "deploy", Revision: "main",
	})
	if err != nil || res.Created {
		t.Fatalf("second create = %+v, %v", res, err)
	}
	if w := writes(cs); len(w) != 0 {
		t.Fatalf("second create wrote: %v", w)
	}
}

func TestCreateApplicationConvergesDrift(t *testing.T) {
	a, cs := newActivities()
	createApp(t, a, "acme", "main")
	app := getApp(t, cs, "acme")
	app.Spec.Destination.Namespace = "kube-system" // the dangerous kind of drift
	app.Spec.SyncPolicy.Automated.SelfHeal = false
	app.Finalizers = []string{"example.com/keep"}
	app.Labels["team"] = "platform"
	if _, err := cs.ArgoprojV1alpha1().Applications(DefaultNamespace).Update(ctx, app, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	createApp(t, a, "acme", "v2") // also a new revision to roll out
	app = getApp(t, cs, "acme")
	if app.Spec.Destination.Namespace != "tenant-acme" || !app.Spec.SyncPolicy.Automated.SelfHeal || app.Spec.Source.TargetRevision != "v2" {
		t.Fatalf("spec not converged: %+v", app.Spec)
	}
	if !slices.Contains(app.Finalizers, v1alpha1.ResourcesFinalizerName) || !slices.Contains(app.Finalizers, "example.com/keep") {
		t.Fatalf("finalizers = %v", app.Finalizers)
	}
	if app.Labels["team"] != "platform" || app.Labels[tenant.Label] != "acme" {
		t.Fatalf("labels = %v", app.Labels)
	}
}

func TestCreateApplicationRefusesForeignApplication(t *testing.T) {
	for name, labels := range map[string]map[string]string{
		"unlabelled":     nil,
		"other tenant's": {tenant.Label: "globex"},
	} {
		t.Run(name, func(t *testing.T) {
			a, cs := newActivities(foreignApp("acme", labels))
			_, err := a.ArgoCreateApplication(ctx, CreateApplicationInput{Slug: "acme", RepoURL: "https://git.example.com/acme.git"})
			appError(t, err, ErrTypeForeignApp, false)
			if w := writes(cs); len(w) != 0 {
				t.Fatalf("overwrote a foreign application: %v", w)
			}
		})
	}
}

func TestCreateApplicationWaitsOutDeletion(t *testing.T) {
	now := metav1.Now()
	app := foreignApp("acme", tenantLabels("acme"))
	app.DeletionTimestamp = &now
	app.Finalizers = []string{v1alpha1.ResourcesFinalizerName}
	a, _ := newActivities(app)
	_, err := a.ArgoCreateApplication(ctx, CreateApplicationInput{Slug: "acme", RepoURL: "https://git.example.com/acme.git"})
	appError(t, err, ErrTypeTerminating, true)
}

func TestCreateApplicationSurvivesConflict(t *testing.T) {
	a, cs := newActivities()
	createApp(t, a, "acme", "main")
	conflicted := false
	cs.PrependReactor("update", "applications", func(k8stesting.Action) (bool, runtime.Object, error) {
		if conflicted {
			return false, nil, nil
		}
		conflicted = true
		return true, nil, apierrors.NewConflict(schema.GroupResource{Resource: "applications"}, "tenant-acme", errors.New("stale"))
	})
	createApp(t, a, "acme", "v2")
	if !conflicted || getApp(t, cs, "acme").Spec.Source.TargetRevision != "v2" {
		t.Fatal("conflict not retried")
	}
}

func TestErrorClassification(t *testing.T) {
	gr := schema.GroupResource{Group: "argoproj.io", Resource: "applications"}
	for _, tc := range []struct {
		name      string
		verb      string
		err       error
		wantType  string
		retryable bool
	}{
		{"forbidden", "create", apierrors.NewForbidden(gr, "tenant-acme", errors.New("rbac")), ErrTypeForbidden, false},
		{"unauthorized", "get", apierrors.NewUnauthorized("expired"), ErrTypeForbidden, false},
		{"invalid", "create", apierrors.NewBadRequest("spec.source.repoURL: bad"), ErrTypeInvalid, false},
		{"internal 500", "get", apierrors.NewInternalError(errors.New("etcd")), ErrTypeTransient, true},
		{"timeout", "create", apierrors.NewServerTimeout(gr, "create", 2), ErrTypeTransient, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, cs := newActivities()
			cs.PrependReactor(tc.verb, "applications", func(k8stesting.Action) (bool, runtime.Object, error) {
				return true, nil, tc.err
			})
			_, err := a.ArgoCreateApplication(ctx, CreateApplicationInput{Slug: "acme", RepoURL: "https://git.example.com/acme.git"})
			appError(t, err, tc.wantType, tc.retryable)
		})
	}
}

func TestBadInputAndMissingClient(t *testing.T) {
	_, err := (&Activities{}).ArgoCreateApplication(ctx, CreateApplicationInput{Slug: "acme", RepoURL: "x"})
	appError(t, err, ErrTypeNotConfigured, false)
	_, err = (*Activities)(nil).ArgoDeleteApplication(ctx, DeleteApplicationInput{Slug: "acme"})
	appError(t, err, ErrTypeNotConfigured, false)
	_, err = (&Activities{}).ArgoWaitHealthy(ctx, WaitHealthyInput{Slug: "acme"})
	appError(t, err, ErrTypeNotConfigured, false)

	a, cs := newActivities()
	_, err = a.ArgoCreateApplication(ctx, CreateApplicationInput{Slug: "acme"})
	appError(t, err, ErrTypeInvalid, false)
	for _, slug := range []string{"", "ACME", "tenant/../x"} {
		_, err = a.ArgoCreateApplication(ctx, CreateApplicationInput{Slug: slug, RepoURL: "https://git.example.com/x.git"})
		appError(t, err, ErrTypeInvalid, false)
		_, err = a.ArgoDeleteApplication(ctx, DeleteApplicationInput{Slug: slug})
		appError(t, err, ErrTypeInvalid, false)
	}
	if len(cs.Actions()) != 0 {
		t.Fatalf("bad input reached the API: %v", cs.Actions())
	}
}
