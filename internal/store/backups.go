// Backups and disaster-recovery drills: the control plane's record of what
// the backup activities wrote to storage and what the drills found.

package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// Backup statuses.
const (
	BackupRunning  = "running"
	BackupComplete = "complete"
	BackupFailed   = "failed"
	BackupDeleted  = "deleted"
)

// Backup is the control plane's record of one tenant backup.
type Backup struct {
	Tenant     string
	ID         string
	TakenAt    time.Time
	Status     string
	Bytes      int64
	Manifest   json.RawMessage // the backup's manifest.json, or nil
	VerifiedAt *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

const backupCols = `tenant_slug, id, taken_at, status, bytes, manifest, verified_at, created_at, updated_at`

func scanBackup(row pgx.Row) (Backup, error) {
	var b Backup
	var manifest []byte
	err := row.Scan(&b.Tenant, &b.ID, &b.TakenAt, &b.Status, &b.Bytes, &manifest, &b.VerifiedAt, &b.CreatedAt, &b.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return b, ErrNotFound
	}
	if manifest != nil {
		b.Manifest = json.RawMessage(manifest)
	}
	return b, err
}

// RecordBackup creates or updates the record (tenant, ID). A repeat with the
// same manifest keeps the verification; a different manifest (the backup was
// taken again) clears it, since what was verified is gone.
func (s *Store) RecordBackup(ctx context.Context, b Backup) error {
	var manifest any
	if b.Manifest != nil {
		manifest = string(b.Manifest)
	}
	_, err := s.Pool.Exec(ctx, `INSERT INTO rigger.backups (tenant_slug, id, taken_at, status, bytes, manifest)
		VALUES ($1, $2, $3, $4, $5, $6::jsonb)
		ON CONFLICT (tenant_slug, id) DO UPDATE SET taken_at = EXCLUDED.taken_at, status = EXCLUDED.status,
			bytes = EXCLUDED.bytes, manifest = EXCLUDED.manifest, updated_at = now(),
			verified_at = CASE WHEN rigger.backups.manifest IS NOT DISTINCT FROM EXCLUDED.manifest
				THEN rigger.backups.verified_at END`,
		b.Tenant, b.ID, b.TakenAt, b.Status, b.Bytes, manifest)
	return err
}

// MarkBackupVerified records that a restore of the backup verified at at.
// The latest verification wins; a backup that is not complete (or not
// recorded) is ErrNotFound.
func (s *Store) MarkBackupVerified(ctx context.Context, slug, id string, at time.Time) error {
	tag, err := s.Pool.Exec(ctx, `UPDATE rigger.backups SET verified_at = greatest(verified_at, $3), updated_at = now()
		WHERE tenant_slug = $1 AND id = $2 AND status = 'complete'`, slug, id, at)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// MarkBackupDeleted records that retention removed the backup; a backup the
// control plane never recorded is not an error.
func (s *Store) MarkBackupDeleted(ctx context.Context, slug, id string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE rigger.backups SET status = 'deleted', updated_at = now()
		WHERE tenant_slug = $1 AND id = $2 AND status <> 'deleted'`, slug, id)
	return err
}

// GetBackup returns one record or ErrNotFound.
func (s *Store) GetBackup(ctx context.Context, slug, id string) (Backup, error) {
	return scanBackup(s.Pool.QueryRow(ctx, `SELECT `+backupCols+` FROM rigger.backups WHERE tenant_slug = $1 AND id = $2`, slug, id))
}

// ListBackups returns the tenant's records, newest first, optionally of one
// status.
func (s *Store) ListBackups(ctx context.Context, slug, status string) ([]Backup, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+backupCols+` FROM rigger.backups
		WHERE tenant_slug = $1 AND ($2 = '' OR status = $2) ORDER BY taken_at DESC, id DESC`, slug, status)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Backup
	for rows.Next() {
		b, err := scanBackup(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// LatestBackup is the tenant's newest complete backup, or ErrNotFound.
func (s *Store) LatestBackup(ctx context.Context, slug string) (Backup, error) {
	return scanBackup(s.Pool.QueryRow(ctx, `SELECT `+backupCols+` FROM rigger.backups
		WHERE tenant_slug = $1 AND status = 'complete' ORDER BY taken_at DESC, id DESC LIMIT 1`, slug))
}

// TenantRowsJSON returns the tenant's control-plane rows as JSON, for its
// backup: the rigger.tenants row as an object and its rigger.subscriptions
// rows as an array ordered by ID. A missing tenant is ErrNotFound.
func (s *Store) TenantRowsJSON(ctx context.Context, slug string) (tenant, subscriptions json.RawMessage, err error) {
	var t, subs string
	err = s.Pool.QueryRow(ctx, `SELECT to_jsonb(t)::text,
		coalesce((SELECT jsonb_agg(to_jsonb(s) ORDER BY s.id) FROM rigger.subscriptions s WHERE s.tenant_slug = t.slug), '[]')::text
		FROM rigger.tenants t WHERE t.slug = $1`, slug).Scan(&t, &subs)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	return json.RawMessage(t), json.RawMessage(subs), nil
}

// Drill statuses.
const (
	DrillRunning   = "running"
	DrillPassed    = "passed"
	DrillFailed    = "failed"
	DrillCancelled = "cancelled"
)

// Drill is one disaster-recovery drill run.
type Drill struct {
	ID         string
	StartedAt  time.Time
	FinishedAt *time.Time
	Status     string
	Report     json.RawMessage // nil until finished
}

// DrillResult is one tenant's outcome in a drill.
type DrillResult struct {
	DrillID  string
	Tenant   string
	BackupID string
	OK       bool
	// RTO is restore plus verify time; RPO the backup's age at the drill.
	RTO, RPO time.Duration
	Problems []string
}

// StartDrill records a running drill unless one with that ID exists, and
// returns the stored row and whether this call created it.
func (s *Store) StartDrill(ctx context.Context, id string, startedAt time.Time) (Drill, bool, error) {
	tag, err := s.Pool.Exec(ctx, `INSERT INTO rigger.drills (id, started_at, status) VALUES ($1, $2, 'running')
		ON CONFLICT (id) DO NOTHING`, id, startedAt)
	if err != nil {
		return Drill{}, false, err
	}
	d, err := s.GetDrill(ctx, id)
	return d, tag.RowsAffected() > 0, err
}

// FinishDrill sets the drill's outcome and report; repeating it with the
// same values changes nothing. A missing drill is ErrNotFound.
func (s *Store) FinishDrill(ctx context.Context, id, status string, finishedAt time.Time, report json.RawMessage) error {
	var rep any
	if report != nil {
		rep = string(report)
	}
	tag, err := s.Pool.Exec(ctx, `UPDATE rigger.drills SET status = $2, finished_at = $3, report = $4::jsonb WHERE id = $1`,
		id, status, finishedAt, rep)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// GetDrill returns one drill or ErrNotFound.
func (s *Store) GetDrill(ctx context.Context, id string) (Drill, error) {
	return scanDrill(s.Pool.QueryRow(ctx, `SELECT id, started_at, finished_at, status, report FROM rigger.drills WHERE id = $1`, id))
}

// ListDrills returns the newest drills first.
func (s *Store) ListDrills(ctx context.Context, limit int) ([]Drill, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.Pool.Query(ctx, `SELECT id, started_at, finished_at, status, report FROM rigger.drills
		ORDER BY started_at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Drill
	for rows.Next() {
		d, err := scanDrill(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func scanDrill(row pgx.Row) (Drill, error) {
	var d Drill
	var report []byte
	err := row.Scan(&d.ID, &d.StartedAt, &d.FinishedAt, &d.Status, &report)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, ErrNotFound
	}
	if report != nil {
		d.Report = json.RawMessage(report)
	}
	return d, err
}

// RecordDrillResult stores the tenant's outcome in the drill; a repeat
// (a retried activity) overwrites it with the same or a newer outcome.
// Negative durations (clock skew between hosts) are stored as zero.
func (s *Store) RecordDrillResult(ctx context.Context, r DrillResult) error {
	problems := r.Problems
	if problems == nil {
		problems = []string{}
	}
	pj, err := json.Marshal(problems)
	if err != nil {
		return err
	}
	_, err = s.Pool.Exec(ctx, `INSERT INTO rigger.drill_results (drill_id, tenant_slug, backup_id, ok, rto_ms, rpo_ms, problems)
		VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
		ON CONFLICT (drill_id, tenant_slug) DO UPDATE SET backup_id = EXCLUDED.backup_id, ok = EXCLUDED.ok,
			rto_ms = EXCLUDED.rto_ms, rpo_ms = EXCLUDED.rpo_ms, problems = EXCLUDED.problems, recorded_at = now()`,
		r.DrillID, r.Tenant, r.BackupID, r.OK, max(r.RTO, 0).Milliseconds(), max(r.RPO, 0).Milliseconds(), string(pj))
	return err
}

// DrillResults returns a drill's per-tenant outcomes ordered by tenant.
func (s *Store) DrillResults(ctx context.Context, drillID string) ([]DrillResult, error) {
	rows, err := s.Pool.Query(ctx, `SELECT drill_id, tenant_slug, backup_id, ok, coalesce(rto_ms, 0), coalesce(rpo_ms, 0), problems
		FROM rigger.drill_results WHERE drill_id = $1 ORDER BY tenant_slug`, drillID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DrillResult
	for rows.Next() {
		var r DrillResult
		var rto, rpo int64
		var problems []byte
		if err := rows.Scan(&r.DrillID, &r.Tenant, &r.BackupID, &r.OK, &rto, &rpo, &problems); err != nil {
			return nil, err
		}
		r.RTO, r.RPO = time.Duration(rto)*time.Millisecond, time.Duration(rpo)*time.Millisecond
		if err := json.Unmarshal(problems, &r.Problems); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
