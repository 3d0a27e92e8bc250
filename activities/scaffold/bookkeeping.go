package scaffold

import (
	"context"
	"time"

	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/internal/store"
)

// SetStatusInput records a task's status in the control-plane store.
type SetStatusInput struct {
	TaskID string `json:"taskId"`
	RunID  string `json:"runId"`
	Status string `json:"status"`
}

// ScaffolderSetStatus records the task's status (for lists that need no
// Temporal round trip). Dry runs have no task row and are not recorded.
func (a *Activities) ScaffolderSetStatus(ctx context.Context, in SetStatusInput) error {
	if a.Store == nil {
		return errNotConfigured("the control-plane store")
	}
	return a.Store.SetTaskStatus(ctx, in.TaskID, in.RunID, in.Status, time.Now().UTC())
}

// UsageInput names a completed run.
type UsageInput struct {
	Tenant string `json:"tenant"`
	TaskID string `json:"taskId"`
}

// ScaffolderRecordUsage meters one completed run (usage event
// scaffold/<task>, idempotent).
func (a *Activities) ScaffolderRecordUsage(ctx context.Context, in UsageInput) error {
	if a.Store == nil {
		return errNotConfigured("the control-plane store")
	}
	_, err := a.Store.RecordUsage(ctx, store.UsageEvent{
		ID: "scaffold/" + in.TaskID, Tenant: in.Tenant, Metric: store.MetricScaffolderRuns, Quantity: 1,
		OccurredAt: time.Now().UTC(), Source: "scaffolder",
	})
	return err
}

// CleanupInput names the run whose snapshots go.
type CleanupInput struct {
	Tenant string `json:"tenant"`
	TaskID string `json:"taskId"`
	RunID  string `json:"runId"`
}

// ScaffolderCleanup deletes the run's workspace snapshots.
func (a *Activities) ScaffolderCleanup(ctx context.Context, in CleanupInput) error {
	if a.Objects == nil {
		return nil
	}
	prefix := SnapshotPrefix(in.TaskID, in.RunID)
	a.snapCache().dropPrefix(in.Tenant + "/" + prefix)
	_, err := storage.Scoped(a.Objects, in.Tenant).DeletePrefix(ctx, prefix)
	return err
}
