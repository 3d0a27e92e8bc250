package kube

import (
	"context"
	"errors"

	"go.temporal.io/sdk/temporal"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Application error types, so workflows can tell failures apart without
// parsing messages.
const (
	ErrTypeNotConfigured    = "KubeNotConfigured"
	ErrTypeForbidden        = "KubeForbidden"
	ErrTypeInvalid          = "KubeInvalid"
	ErrTypeForeignNamespace = "KubeForeignNamespace"
	// The namespace is still being deleted; retrying later recreates it.
	ErrTypeTerminating = "KubeNamespaceTerminating"
	// Anything the next attempt may fix: timeouts, conflicts, throttling, 5xx.
	ErrTypeTransient = "KubeTransient"
)

// classify turns an API error into a Temporal application error whose
// retryability matches what a retry can achieve: no retry grants a missing
// permission or repairs a rejected object, but servers recover and conflicts
// resolve.
func classify(what string, err error) error {
	var appErr *temporal.ApplicationError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &appErr):
		return err // already classified where more was known
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		// Cancellation and the activity's own timeout must reach the SDK as such.
		return err
	case apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause):
		// Reported as Forbidden, but it ends by itself once deletion finishes.
		return temporal.NewApplicationErrorWithCause(what, ErrTypeTerminating, err)
	case apierrors.IsForbidden(err), apierrors.IsUnauthorized(err):
		return temporal.NewNonRetryableApplicationError(what, ErrTypeForbidden, err)
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err):
		return temporal.NewNonRetryableApplicationError(what, ErrTypeInvalid, err)
	default:
		return temporal.NewApplicationErrorWithCause(what, ErrTypeTransient, err)
	}
}

func notConfigured() error {
	return temporal.NewNonRetryableApplicationError("kubernetes is not configured", ErrTypeNotConfigured, nil)
}

func invalid(msg string, cause error) error {
	return temporal.NewNonRetryableApplicationError(msg, ErrTypeInvalid, cause)
}
