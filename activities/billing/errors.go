package billing

import (
	"context"
	"errors"
	"io/fs"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/internal/store"
	"github.com/rigger-platform/rigger/internal/tenant"
)

func nonRetryable(errType string, err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), errType, err)
}

func notConfigured(what string) error {
	return temporal.NewNonRetryableApplicationError("billing: "+what+" is not configured", ErrTypeNotConfigured, nil)
}

func checkSlug(slug string) error {
	if err := tenant.ValidateSlug(slug); err != nil {
		return nonRetryable(ErrTypeInvalidSlug, err)
	}
	return nil
}

// storeError classifies a control-plane store error: a missing invoice, or
// a row PostgreSQL refuses as invalid data or a broken constraint (SQLSTATE
// classes 22 and 23), fails the same way however often it is retried; a
// lost connection or a deadlock may not.
func storeError(err error) error {
	var pg *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, store.ErrNotFound):
		return nonRetryable(ErrTypeInvoiceNotFound, err)
	case errors.Is(err, store.ErrInvalidInvoice):
		return nonRetryable(ErrTypeInvalidInvoice, err)
	case errors.As(err, &pg) && (strings.HasPrefix(pg.Code, "22") || strings.HasPrefix(pg.Code, "23")):
		return nonRetryable(ErrTypeInvalidInvoice, err)
	default:
		return temporal.NewApplicationErrorWithCause(err.Error(), ErrTypeStoreUnavailable, err)
	}
}

// storageError classifies an object-store error the way the storage
// activities do, coarsely: a bad key or a refused permission needs a fix,
// anything else may pass on retry.
func storageError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, storage.ErrInvalidKey), errors.Is(err, fs.ErrPermission):
		return nonRetryable(ErrTypeStorageRejected, err)
	default:
		return temporal.NewApplicationErrorWithCause(err.Error(), ErrTypeStorageUnavailable, err)
	}
}
