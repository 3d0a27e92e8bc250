package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// TemplateLocation is where a tenant's software templates live: a local
// directory ("dir", platform admin only) or a git repository ("git", cloned
// at Ref; empty Ref means the default branch).
type TemplateLocation struct {
	Type   string `json:"type"`
	Target string `json:"target"`
	Ref    string `json:"ref,omitempty"`
}

// SetTemplateLocations replaces the tenant's template locations.
func (s *Store) SetTemplateLocations(ctx context.Context, tenant string, locs []TemplateLocation) error {
	return pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM rigger.template_locations WHERE tenant_slug = $1`, tenant); err != nil {
			return err
		}
		for i, l := range locs {
			if _, err := tx.Exec(ctx, `INSERT INTO rigger.template_locations (tenant_slug, position, type, target, ref)
				VALUES ($1, $2, $3, $4, $5)`, tenant, i, l.Type, l.Target, l.Ref); err != nil {
				return err
			}
		}
		return nil
	})
}

// TemplateLocations lists the tenant's template locations in search order.
func (s *Store) TemplateLocations(ctx context.Context, tenant string) ([]TemplateLocation, error) {
	rows, err := s.Pool.Query(ctx, `SELECT type, target, ref FROM rigger.template_locations
		WHERE tenant_slug = $1 ORDER BY position`, tenant)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (TemplateLocation, error) {
		var l TemplateLocation
		err := r.Scan(&l.Type, &l.Target, &l.Ref)
		return l, err
	})
}

// Scaffolder task statuses, as Backstage names them.
const (
	TaskOpen       = "open"
	TaskProcessing = "processing"
	TaskCompleted  = "completed"
	TaskFailed     = "failed"
	TaskCancelled  = "cancelled"
)

// TaskTerminal reports whether a task status is final.
func TaskTerminal(status string) bool {
	return status == TaskCompleted || status == TaskFailed || status == TaskCancelled
}

// ScaffolderTask is one row of rigger.scaffolder_tasks.
type ScaffolderTask struct {
	ID              string
	Tenant          string
	TemplateRef     string
	CreatedBy       string
	Status          string
	Spec            json.RawMessage
	RunID           string
	Attempts        int
	CreatedAt       time.Time
	LastHeartbeatAt *time.Time
}

const taskColumns = `id, tenant_slug, template_ref, created_by, status, spec, run_id, attempts, created_at, last_heartbeat_at`

func scanTask(r pgx.Row) (ScaffolderTask, error) {
	var t ScaffolderTask
	err := r.Scan(&t.ID, &t.Tenant, &t.TemplateRef, &t.CreatedBy, &t.Status, &t.Spec, &t.RunID, &t.Attempts, &t.CreatedAt, &t.LastHeartbeatAt)
	return t, err
}

// NewTaskID returns a random UUID (version 4), the shape Backstage's task
// IDs have.
func NewTaskID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// CreateTask stores a new task in status open.
func (s *Store) CreateTask(ctx context.Context, t ScaffolderTask) (ScaffolderTask, error) {
	row := s.Pool.QueryRow(ctx, `INSERT INTO rigger.scaffolder_tasks (id, tenant_slug, template_ref, created_by, spec)
		VALUES ($1, $2, $3, $4, $5) RETURNING `+taskColumns, t.ID, t.Tenant, t.TemplateRef, t.CreatedBy, t.Spec)
	return scanTask(row)
}

// GetTask returns the task; ErrNotFound when it does not exist.
func (s *Store) GetTask(ctx context.Context, id string) (ScaffolderTask, error) {
	t, err := scanTask(s.Pool.QueryRow(ctx, `SELECT `+taskColumns+` FROM rigger.scaffolder_tasks WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return t, ErrNotFound
	}
	return t, err
}

// TaskFilter narrows ListTasks; empty fields match everything.
type TaskFilter struct {
	Tenant    string
	CreatedBy string
	Status    string
	Limit     int
	Offset    int
}

// ListTasks returns the tenant's tasks, newest first, and how many match.
func (s *Store) ListTasks(ctx context.Context, f TaskFilter) ([]ScaffolderTask, int, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 1000
	}
	where := `tenant_slug = $1 AND ($2 = '' OR created_by = $2) AND ($3 = '' OR status = $3)`
	var total int
	if err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM rigger.scaffolder_tasks WHERE `+where, f.Tenant, f.CreatedBy, f.Status).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.Pool.Query(ctx, `SELECT `+taskColumns+` FROM rigger.scaffolder_tasks WHERE `+where+`
		ORDER BY created_at DESC, id LIMIT $4 OFFSET $5`, f.Tenant, f.CreatedBy, f.Status, f.Limit, f.Offset)
	if err != nil {
		return nil, 0, err
	}
	tasks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ScaffolderTask, error) { return scanTask(r) })
	return tasks, total, err
}

// SetTaskStatus records what the task's workflow reports. A run only moves
// its own row (runID matches, or the row has none yet), so a late write from
// an earlier run of a retried task cannot overwrite the new run's status.
func (s *Store) SetTaskStatus(ctx context.Context, id, runID, status string, at time.Time) error {
	tag, err := s.Pool.Exec(ctx, `UPDATE rigger.scaffolder_tasks SET status = $3, last_heartbeat_at = $4,
		run_id = CASE WHEN run_id = '' THEN $2 ELSE run_id END
		WHERE id = $1 AND (run_id = '' OR run_id = $2)`, id, runID, status, at)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		if _, err := s.GetTask(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// RetryTask reopens a finished task for a new run: status open, the run ID
// cleared (the new run claims it), one more attempt. It fails with
// ErrConflict when the task is still running, unless ended says the caller
// knows its run has ended (the row may lag a moment behind the run).
func (s *Store) RetryTask(ctx context.Context, id string, ended bool) (ScaffolderTask, error) {
	t, err := scanTask(s.Pool.QueryRow(ctx, `UPDATE rigger.scaffolder_tasks
		SET status = 'open', run_id = '', attempts = attempts + 1, last_heartbeat_at = now()
		WHERE id = $1 AND (status IN ('completed', 'failed', 'cancelled') OR $2) RETURNING `+taskColumns, id, ended))
	if errors.Is(err, pgx.ErrNoRows) {
		if _, gerr := s.GetTask(ctx, id); gerr != nil {
			return t, gerr
		}
		return t, fmt.Errorf("%w: task %s is still running", ErrConflict, id)
	}
	return t, err
}

// CatalogLocation is an entry in Rigger's catalog, written by
// catalog:register.
type CatalogLocation struct {
	ID        string
	Tenant    string
	Target    string
	EntityRef string
	TaskID    string
	CreatedAt time.Time
}

// RegisterLocation records target for the tenant; created is false when it
// was registered already (by this task's earlier attempt or by anyone else).
func (s *Store) RegisterLocation(ctx context.Context, l CatalogLocation) (loc CatalogLocation, created bool, err error) {
	if l.ID == "" {
		l.ID = NewTaskID()
	}
	tag, err := s.Pool.Exec(ctx, `INSERT INTO rigger.catalog_locations (id, tenant_slug, target, entity_ref, task_id)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_slug, target) DO NOTHING`, l.ID, l.Tenant, l.Target, l.EntityRef, l.TaskID)
	if err != nil {
		return loc, false, err
	}
	err = s.Pool.QueryRow(ctx, `SELECT id, tenant_slug, target, entity_ref, task_id, created_at FROM rigger.catalog_locations
		WHERE tenant_slug = $1 AND target = $2`, l.Tenant, l.Target).Scan(&loc.ID, &loc.Tenant, &loc.Target, &loc.EntityRef, &loc.TaskID, &loc.CreatedAt)
	return loc, tag.RowsAffected() == 1, err
}

// UnregisterLocation removes the tenant's location for target if taskID
// registered it; it reports whether a row went.
func (s *Store) UnregisterLocation(ctx context.Context, tenant, target, taskID string) (bool, error) {
	tag, err := s.Pool.Exec(ctx, `DELETE FROM rigger.catalog_locations WHERE tenant_slug = $1 AND target = $2 AND task_id = $3`, tenant, target, taskID)
	return tag.RowsAffected() == 1, err
}

// CatalogLocations lists the tenant's registered locations, oldest first.
func (s *Store) CatalogLocations(ctx context.Context, tenant string) ([]CatalogLocation, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, tenant_slug, target, entity_ref, task_id, created_at FROM rigger.catalog_locations
		WHERE tenant_slug = $1 ORDER BY created_at, id`, tenant)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (CatalogLocation, error) {
		var l CatalogLocation
		err := r.Scan(&l.ID, &l.Tenant, &l.Target, &l.EntityRef, &l.TaskID, &l.CreatedAt)
		return l, err
	})
}
