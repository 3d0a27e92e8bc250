package kube

import (
	"context"
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	k8stesting "k8s.io/client-go/testing"
)

func TestErrorClassification(t *testing.T) {
	nsGR := schema.GroupResource{Resource: "namespaces"}
	terminating := &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: 403, Reason: metav1.StatusReasonForbidden,
		Message: "namespace tenant-acme is being terminated",
		Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{Type: corev1.NamespaceTerminatingCause}}},
	}}
	for _, tc := range []struct {
		name      string
		verb      string
		err       error
		wantType  string
		retryable bool
	}{
		{"forbidden", "create", apierrors.NewForbidden(nsGR, "tenant-acme", errors.New("rbac says no")), ErrTypeForbidden, false},
		{"unauthorized", "create", apierrors.NewUnauthorized("token expired"), ErrTypeForbidden, false},
		{"invalid", "create", apierrors.NewInvalid(schema.GroupKind{Kind: "Namespace"}, "tenant-acme", field.ErrorList{field.Invalid(field.NewPath("metadata"), "x", "bad")}), ErrTypeInvalid, false},
		{"internal 500", "create", apierrors.NewInternalError(errors.New("etcd hiccup")), ErrTypeTransient, true},
		{"server timeout", "create", apierrors.NewServerTimeout(nsGR, "create", 1), ErrTypeTransient, true},
		{"throttled", "get", apierrors.NewTooManyRequests("slow down", 1), ErrTypeTransient, true},
		{"namespace terminating", "create", terminating, ErrTypeTerminating, true},
		{"conflict that never ends", "create", apierrors.NewAlreadyExists(nsGR, "tenant-acme"), ErrTypeTransient, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, cs := newActivities(t)
			cs.PrependReactor(tc.verb, "namespaces", func(k8stesting.Action) (bool, runtime.Object, error) {
				if tc.verb == "create" || tc.name == "throttled" {
					return true, nil, tc.err
				}
				return false, nil, nil
			})
			if tc.name == "conflict that never ends" {
				// Create says AlreadyExists but Get keeps saying NotFound.
				cs.PrependReactor("get", "namespaces", func(k8stesting.Action) (bool, runtime.Object, error) {
					return true, nil, apierrors.NewNotFound(nsGR, "tenant-acme")
				})
			}
			_, err := a.KubeEnsureNamespace(ctx, EnsureNamespaceInput{Slug: "acme"})
			appError(t, err, tc.wantType, tc.retryable)
		})
	}
}

func TestErrorClassificationOnDelete(t *testing.T) {
	a, cs := newActivities(t)
	ensureTenant(t, a, "acme")
	cs.PrependReactor("delete", "namespaces", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "namespaces"}, "tenant-acme", errors.New("no"))
	})
	_, err := a.KubeDeleteNamespace(ctx, DeleteNamespaceInput{Slug: "acme"})
	appError(t, err, ErrTypeForbidden, false)
}

func TestCancellationIsNotWrapped(t *testing.T) {
	a, cs := newActivities(t)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	cs.PrependReactor("*", "*", func(k8stesting.Action) (bool, runtime.Object, error) { return true, nil, cctx.Err() })
	_, err := a.KubeEnsureNamespace(cctx, EnsureNamespaceInput{Slug: "acme"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestBadInputAndMissingClient(t *testing.T) {
	_, err := (&Activities{}).KubeEnsureNamespace(ctx, EnsureNamespaceInput{Slug: "acme"})
	appError(t, err, ErrTypeNotConfigured, false)
	_, err = (*Activities)(nil).KubeDeleteNamespace(ctx, DeleteNamespaceInput{Slug: "acme"})
	appError(t, err, ErrTypeNotConfigured, false)

	a, cs := newActivities(t)
	for _, slug := range []string{"", "Acme", "../kube-system", "a"} {
		_, err = a.KubeEnsureNamespace(ctx, EnsureNamespaceInput{Slug: slug})
		appError(t, err, ErrTypeInvalid, false)
		_, err = a.KubeDeleteNamespace(ctx, DeleteNamespaceInput{Slug: slug})
		appError(t, err, ErrTypeInvalid, false)
	}
	if len(cs.Actions()) != 0 {
		t.Fatalf("bad slugs reached the API: %v", cs.Actions())
	}
}
