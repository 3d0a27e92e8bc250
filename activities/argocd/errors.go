package argocd

import (
	"context"
	"errors"

	"go.temporal.io/sdk/temporal"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Application error types, so workflows can tell failures apart without
// parsing messages.
const (
	ErrTypeNotConfigured = "ArgoNotConfigured"
	ErrTypeForbidden     = "ArgoForbidden"
	ErrTypeInvalid       = "ArgoInvalid"
	ErrTypeAppNotFound   = "ArgoAppNotFound"
	ErrTypeForeignApp    = "ArgoForeignApplication"
	// The Application is being deleted (its finalizer is pruning resources);
	// the next attempt recreates it once it is gone.
	ErrTypeTerminating = "ArgoAppTerminating"
	// Anything the next attempt may fix: timeouts, conflicts, throttling, 5xx.
	ErrTypeTransient = "ArgoTransient"
)

// classify maps API errors to retryable or not by whether a retry can help:
// it cannot grant a permission or repair a rejected object, but servers
// recover and conflicts resolve.
func classify(what string, err error) error {
	var appErr *temporal.ApplicationError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &appErr):
		return err
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err // cancellation and timeouts must reach the SDK as such
	case apierrors.IsForbidden(err), apierrors.IsUnauthorized(err):
		return temporal.NewNonRetryableApplicationError(what, ErrTypeForbidden, err)
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err):
		return temporal.NewNonRetryableApplicationError(what, ErrTypeInvalid, err)
	default:
		return temporal.NewApplicationErrorWithCause(what, ErrTypeTransient, err)
	}
}

func notConfigured() error {
	return temporal.NewNonRetryableApplicationError("argocd is not configured", ErrTypeNotConfigured, nil)
}

func invalid(msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, ErrTypeInvalid, nil)
}
