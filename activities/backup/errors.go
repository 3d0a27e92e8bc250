package backup

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/activities/storage"
)

// Application error types, for workflows that branch on them. All but
// ErrTypeUnavailable are non-retryable: no retry repairs a corrupt file, a
// bad name or an unsupported schema object.
const (
	ErrTypeInvalidSlug  = "InvalidSlug"
	ErrTypeInvalidInput = "BackupInvalidInput"
	// ErrTypeNotFound: the backup's manifest does not exist.
	ErrTypeNotFound = "BackupNotFound"
	// ErrTypeCorrupt: a file does not match its SHA-256 or size, the
	// manifest does not parse, or a file's rows disagree with the manifest.
	ErrTypeCorrupt = "BackupCorrupt"
	// ErrTypeUnsupported: the schema holds objects a backup would lose, or
	// the backup has a format this code does not read.
	ErrTypeUnsupported = "BackupUnsupported"
	// ErrTypeSchemaNotFound: the tenant's (or swap source's) schema is missing.
	ErrTypeSchemaNotFound = "SchemaNotFound"
	// ErrTypeTenantNotFound: the control plane has no such tenant.
	ErrTypeTenantNotFound = "TenantNotFound"
	// ErrTypeNotScratch: DropScratch or RestoreTenant was pointed at a schema
	// that is not a scratch schema made by RestoreTenant.
	ErrTypeNotScratch = "NotScratchSchema"
	// ErrTypeTargetExists: the restore target exists and was not made by
	// RestoreTenant, or the swap's aside name is taken.
	ErrTypeTargetExists = "RestoreTargetExists"
	// ErrTypeRestoreFailed: PostgreSQL rejected the data or DDL (a data or
	// definition error, so a retry would fail the same way).
	ErrTypeRestoreFailed = "RestoreFailed"
	// ErrTypeForbidden: the admin connection lacks a privilege.
	ErrTypeForbidden = "BackupForbidden"
	// ErrTypeUnavailable: the database or the store failed in a way a later
	// attempt may not (connection loss, lock timeout, 5xx). Retryable.
	ErrTypeUnavailable = "BackupUnavailable"
)

func nonRetryable(kind string, err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), kind, err)
}

// phase says how to read a PostgreSQL error: during a backup a vanished
// table means concurrent DDL (retry); during a restore a definition error
// means the DDL or data cannot be replayed (do not).
type phase int

const (
	phaseBackup phase = iota
	phaseRestore
)

// classify turns an error into what Temporal should do with it.
func classify(p phase, err error) error {
	var appErr *temporal.ApplicationError
	var pgErr *pgconn.PgError
	switch {
	case err == nil || errors.As(err, &appErr):
		return err
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err // cancellation and timeouts must reach the SDK as such
	case errors.Is(err, storage.ErrInvalidKey):
		return nonRetryable(ErrTypeInvalidInput, err)
	case errors.As(err, &pgErr):
		return classifyPG(p, pgErr, err)
	default:
		return temporal.NewApplicationErrorWithCause(err.Error(), ErrTypeUnavailable, err)
	}
}

func classifyPG(p phase, pgErr *pgconn.PgError, err error) error {
	class := pgErr.Code[:min(2, len(pgErr.Code))]
	switch {
	case pgErr.Code == "42501" || class == "28": // insufficient_privilege, invalid authorization
		return nonRetryable(ErrTypeForbidden, err)
	case p == phaseRestore && (class == "22" || class == "23" || class == "42"):
		return nonRetryable(ErrTypeRestoreFailed, err)
	case p == phaseBackup && class == "42" && pgErr.Code != "42P01" && pgErr.Code != "42704":
		// 42P01/42704: a table or type dropped under us; anything else in
		// class 42 is our own SQL failing, which a retry will not fix.
		return nonRetryable(ErrTypeUnsupported, err)
	default:
		return temporal.NewApplicationErrorWithCause(err.Error(), ErrTypeUnavailable, err)
	}
}

// errorType is the application error type of err, or "".
func errorType(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type()
	}
	return ""
}

func nonRetryableErr(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.NonRetryable()
}

// corruptf builds the BackupCorrupt error.
func corruptf(format string, args ...any) error {
	return nonRetryable(ErrTypeCorrupt, fmt.Errorf("backup: "+format, args...))
}
