package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rigger-platform/rigger/internal/store"
)

// The drill's bookkeeping, as activities so the DRDrill workflow can write
// its report to the control plane (GET /v1/dr/drills/{id} reads it back).

type RecordDrillStartInput struct {
	DrillID   string
	StartedAt time.Time
}

type RecordDrillStartResult struct {
	Created bool // false when a run with this ID was recorded before
}

// RecordDrillStart records a running drill; repeating it is a no-op.
func (a *Activities) RecordDrillStart(ctx context.Context, in RecordDrillStartInput) (RecordDrillStartResult, error) {
	if err := a.needStore2(); err != nil {
		return RecordDrillStartResult{}, err
	}
	if in.DrillID == "" || len(in.DrillID) > 200 {
		return RecordDrillStartResult{}, nonRetryable(ErrTypeInvalidInput, errors.New("drill ID must be 1-200 bytes"))
	}
	_, created, err := a.Store2.StartDrill(ctx, in.DrillID, in.StartedAt)
	return RecordDrillStartResult{Created: created}, classify(phaseBackup, err)
}

type RecordDrillResultInput struct {
	DrillID  string
	Slug     string
	BackupID string // "" when the tenant had no backup to restore
	OK       bool
	RTO, RPO time.Duration
	Problems []string
}

type RecordDrillResultResult struct{}

// RecordDrillResult stores one tenant's outcome; a repeat overwrites it.
func (a *Activities) RecordDrillResult(ctx context.Context, in RecordDrillResultInput) (RecordDrillResultResult, error) {
	if err := a.needStore2(); err != nil {
		return RecordDrillResultResult{}, err
	}
	err := a.Store2.RecordDrillResult(ctx, store.DrillResult{DrillID: in.DrillID, Tenant: in.Slug, BackupID: in.BackupID,
		OK: in.OK, RTO: in.RTO, RPO: in.RPO, Problems: in.Problems})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" { // foreign_key_violation
		return RecordDrillResultResult{}, nonRetryable(ErrTypeInvalidInput, fmt.Errorf("drill %s was never started", in.DrillID))
	}
	return RecordDrillResultResult{}, classify(phaseBackup, err)
}

type RecordDrillFinishInput struct {
	DrillID    string
	Status     string // store.DrillPassed, DrillFailed or DrillCancelled
	FinishedAt time.Time
	Report     json.RawMessage
}

type RecordDrillFinishResult struct{}

// RecordDrillFinish stores the drill's outcome and report.
func (a *Activities) RecordDrillFinish(ctx context.Context, in RecordDrillFinishInput) (RecordDrillFinishResult, error) {
	if err := a.needStore2(); err != nil {
		return RecordDrillFinishResult{}, err
	}
	switch in.Status {
	case store.DrillPassed, store.DrillFailed, store.DrillCancelled:
	default:
		return RecordDrillFinishResult{}, nonRetryable(ErrTypeInvalidInput, fmt.Errorf("drill status %q is not a final status", in.Status))
	}
	err := a.Store2.FinishDrill(ctx, in.DrillID, in.Status, in.FinishedAt, in.Report)
	if errors.Is(err, store.ErrNotFound) {
		return RecordDrillFinishResult{}, nonRetryable(ErrTypeInvalidInput, fmt.Errorf("drill %s was never started", in.DrillID))
	}
	return RecordDrillFinishResult{}, classify(phaseBackup, err)
}

func (a *Activities) needStore2() error {
	if a.Store2 == nil {
		return nonRetryable(ErrTypeInvalidInput, errors.New("backup: no control-plane store configured"))
	}
	return nil
}
