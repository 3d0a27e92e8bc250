package backup

import (
	"context"
	"fmt"
)

type DropScratchInput struct{ Schema string }

type DropScratchResult struct {
	Dropped bool // false when the schema did not exist
}

// DropScratch drops a schema RestoreTenant made. It refuses, non-retryably,
// any name outside the drill_/restore_ scratch space and any schema without
// the restore marker, so that no mistake in a workflow (or in an operator's
// input) can point it at live data. Dropping a missing schema succeeds, so it
// is safe as a compensation that may run twice.
func (a *Activities) DropScratch(ctx context.Context, in DropScratchInput) (DropScratchResult, error) {
	if err := checkScratch(in.Schema); err != nil {
		return DropScratchResult{}, err
	}
	exists, mk, err := readMarker(ctx, a.Pool, in.Schema)
	if err != nil || !exists {
		return DropScratchResult{}, classify(phaseRestore, err)
	}
	if mk == nil || (mk.State != stateLoading && mk.State != stateComplete) {
		return DropScratchResult{}, nonRetryable(ErrTypeNotScratch,
			fmt.Errorf("schema %s was not made by RestoreTenant (no restore marker); refusing to drop it", in.Schema))
	}
	if err := execFormat(ctx, a.Pool, "DROP SCHEMA IF EXISTS %I CASCADE", in.Schema); err != nil {
		return DropScratchResult{}, classify(phaseRestore, err)
	}
	return DropScratchResult{Dropped: true}, nil
}
