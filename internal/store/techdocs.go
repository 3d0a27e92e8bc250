package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// TechDocs build statuses.
const (
	TechDocsRunning    = "running"
	TechDocsPublished  = "published"
	TechDocsSuperseded = "superseded"
	TechDocsFailed     = "failed"
)

// MaxTechDocsWarnings bounds the warnings kept per build row.
const MaxTechDocsWarnings = 1000

// TechDocsBuild is one row of rigger.techdocs_builds.
type TechDocsBuild struct {
	Tenant      string     `json:"tenant"`
	Entity      string     `json:"entity"`
	Commit      string     `json:"commit"`
	WorkflowID  string     `json:"workflowId"`
	Source      string     `json:"source"`
	Ref         string     `json:"ref,omitempty"`
	Trigger     string     `json:"trigger,omitempty"`
	Status      string     `json:"status"`
	RequestedAt time.Time  `json:"requestedAt"`
	StartedAt   time.Time  `json:"startedAt"`
	FinishedAt  *time.Time `json:"finishedAt,omitempty"`
	Files       int        `json:"files"`
	Pages       int        `json:"pages"`
	Warnings    []string   `json:"warnings"`
	Error       string     `json:"error,omitempty"`
}

// StartTechDocsBuild records a build as running. A repeat for the same
// (tenant, entity, commit) — a retried activity, or a new run after a failed
// one — resets the row rather than adding one.
func (s *Store) StartTechDocsBuild(ctx context.Context, b TechDocsBuild) error {
	_, err := s.Pool.Exec(ctx, `INSERT INTO rigger.techdocs_builds
		(tenant_slug, entity, commit, workflow_id, source, ref, trigger, status, requested_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 'running', $8)
		ON CONFLICT (tenant_slug, entity, commit) DO UPDATE SET
			workflow_id = EXCLUDED.workflow_id, source = EXCLUDED.source, ref = EXCLUDED.ref,
			trigger = EXCLUDED.trigger, requested_at = EXCLUDED.requested_at,
			status = 'running', started_at = now(), finished_at = NULL, files = 0, pages = 0,
			warnings = '[]', error = ''
		WHERE rigger.techdocs_builds.status <> 'running' OR rigger.techdocs_builds.workflow_id <> EXCLUDED.workflow_id
			OR rigger.techdocs_builds.requested_at <> EXCLUDED.requested_at`,
		b.Tenant, b.Entity, b.Commit, b.WorkflowID, b.Source, b.Ref, b.Trigger, b.RequestedAt)
	return err
}

// SetTechDocsWarnings stores a build's warnings (at most MaxTechDocsWarnings)
// and page count once the site is built.
func (s *Store) SetTechDocsWarnings(ctx context.Context, tenant, entity, commit string, pages int, warnings []string) error {
	if len(warnings) > MaxTechDocsWarnings {
		warnings = warnings[:MaxTechDocsWarnings]
	}
	if warnings == nil {
		warnings = []string{}
	}
	w, err := json.Marshal(warnings)
	if err != nil {
		return err
	}
	_, err = s.Pool.Exec(ctx, `UPDATE rigger.techdocs_builds SET warnings = $4, pages = $5
		WHERE tenant_slug = $1 AND entity = $2 AND commit = $3`, tenant, entity, commit, w, pages)
	return err
}

// FinishTechDocsBuild records the outcome. Repeats converge on the same row.
func (s *Store) FinishTechDocsBuild(ctx context.Context, tenant, entity, commit, status string, files int, errMsg string) error {
	switch status {
	case TechDocsPublished, TechDocsSuperseded, TechDocsFailed:
	default:
		return fmt.Errorf("store: %q is not a final TechDocs build status", status)
	}
	tag, err := s.Pool.Exec(ctx, `UPDATE rigger.techdocs_builds SET status = $4, files = $5, error = $6,
		finished_at = COALESCE(CASE WHEN status = $4 THEN finished_at END, now())
		WHERE tenant_slug = $1 AND entity = $2 AND commit = $3`, tenant, entity, commit, status, files, errMsg)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: techdocs build %s/%s@%s", ErrNotFound, tenant, entity, commit)
	}
	return nil
}

// LatestTechDocsBuilds lists an entity's builds, newest first.
func (s *Store) LatestTechDocsBuilds(ctx context.Context, tenant, entity string, limit int) ([]TechDocsBuild, error) {
	rows, err := s.Pool.Query(ctx, `SELECT tenant_slug, entity, commit, workflow_id, source, ref, trigger, status,
		requested_at, started_at, finished_at, files, pages, warnings, error
		FROM rigger.techdocs_builds WHERE tenant_slug = $1 AND entity = $2
		ORDER BY started_at DESC, commit LIMIT $3`, tenant, entity, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (TechDocsBuild, error) {
		var b TechDocsBuild
		var w []byte
		err := row.Scan(&b.Tenant, &b.Entity, &b.Commit, &b.WorkflowID, &b.Source, &b.Ref, &b.Trigger, &b.Status,
			&b.RequestedAt, &b.StartedAt, &b.FinishedAt, &b.Files, &b.Pages, &w, &b.Error)
		if err == nil {
			err = json.Unmarshal(w, &b.Warnings)
		}
		return b, err
	})
}

// GetTechDocsBuild returns one build or ErrNotFound.
func (s *Store) GetTechDocsBuild(ctx context.Context, tenant, entity, commit string) (TechDocsBuild, error) {
	var b TechDocsBuild
	var w []byte
	err := s.Pool.QueryRow(ctx, `SELECT tenant_slug, entity, commit, workflow_id, source, ref, trigger, status,
		requested_at, started_at, finished_at, files, pages, warnings, error
		FROM rigger.techdocs_builds WHERE tenant_slug = $1 AND entity = $2 AND commit = $3`, tenant, entity, commit).
		Scan(&b.Tenant, &b.Entity, &b.Commit, &b.WorkflowID, &b.Source, &b.Ref, &b.Trigger, &b.Status,
			&b.RequestedAt, &b.StartedAt, &b.FinishedAt, &b.Files, &b.Pages, &w, &b.Error)
	if errors.Is(err, pgx.ErrNoRows) {
		return b, ErrNotFound
	}
	if err == nil {
		err = json.Unmarshal(w, &b.Warnings)
	}
	return b, err
}

// WithTechDocsPublishLock runs fn while holding a PostgreSQL advisory lock
// for (tenant, entity), so two builds of one entity never publish at once
// (each deletes the files the other's site lacks). The lock is a session
// lock on one connection: a worker that dies releases it with its
// connection. fn receives whether a build of the entity requested after
// requestedAt is already published; such a build must not be overwritten
// by an older one. When fn succeeds, the build's row is marked published
// (with fn's file count) or superseded before the lock is released, so the
// next publisher's check sees it.
func (s *Store) WithTechDocsPublishLock(ctx context.Context, tenant, entity, commit string, requestedAt time.Time, fn func(newerPublished bool) (files int, err error)) error {
	conn, err := s.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	key := "techdocs:" + tenant + "/" + entity
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(72730007, hashtext($1))`, key); err != nil {
		// A cancelled wait may leave the connection mid-query: drop it.
		conn.Conn().Close(context.Background())
		return err
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock(72730007, hashtext($1))`, key); err != nil {
			conn.Conn().Close(context.Background()) // closing the session releases the lock
		}
	}()
	var newer bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM rigger.techdocs_builds
		WHERE tenant_slug = $1 AND entity = $2 AND commit <> $3 AND status = 'published' AND requested_at > $4)`,
		tenant, entity, commit, requestedAt).Scan(&newer); err != nil {
		return err
	}
	files, err := fn(newer)
	if err != nil {
		return err
	}
	status := TechDocsPublished
	if newer {
		status = TechDocsSuperseded
	}
	_, err = conn.Exec(ctx, `UPDATE rigger.techdocs_builds SET status = $4, files = $5,
		finished_at = COALESCE(CASE WHEN status = $4 THEN finished_at END, now())
		WHERE tenant_slug = $1 AND entity = $2 AND commit = $3`, tenant, entity, commit, status, files)
	return err
}

// TechDocsSource maps a repository to an entity for push webhooks.
type TechDocsSource struct {
	RepoURL  string `json:"repo"`
	RepoKey  string `json:"-"`
	Entity   string `json:"entity"`
	DocsPath string `json:"path,omitempty"`
	Branch   string `json:"branch,omitempty"`
}

// ReplaceTechDocsSources sets the tenant's whole mapping in one transaction.
func (s *Store) ReplaceTechDocsSources(ctx context.Context, tenant string, sources []TechDocsSource) error {
	return pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM rigger.techdocs_sources WHERE tenant_slug = $1`, tenant); err != nil {
			return err
		}
		for _, src := range sources {
			if _, err := tx.Exec(ctx, `INSERT INTO rigger.techdocs_sources (tenant_slug, repo_key, repo_url, entity, docs_path, branch)
				VALUES ($1, $2, $3, $4, $5, $6)`, tenant, src.RepoKey, src.RepoURL, src.Entity, src.DocsPath, src.Branch); err != nil {
				return err
			}
		}
		return nil
	})
}

// TechDocsSources lists the tenant's mapping, by entity; with repoKeys set,
// only the sources of those repositories.
func (s *Store) TechDocsSources(ctx context.Context, tenant string, repoKeys ...string) ([]TechDocsSource, error) {
	q := `SELECT repo_url, repo_key, entity, docs_path, branch FROM rigger.techdocs_sources WHERE tenant_slug = $1`
	args := []any{tenant}
	if len(repoKeys) > 0 {
		q += ` AND repo_key = ANY($2)`
		args = append(args, repoKeys)
	}
	rows, err := s.Pool.Query(ctx, q+` ORDER BY entity`, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (TechDocsSource, error) {
		var src TechDocsSource
		err := row.Scan(&src.RepoURL, &src.RepoKey, &src.Entity, &src.DocsPath, &src.Branch)
		return src, err
	})
}

// WebhookReplayWindow is how long a delivery ID is remembered.
const WebhookReplayWindow = 24 * time.Hour

// ClaimWebhookDelivery remembers a delivery and reports whether it is new:
// false means the same provider delivered the same ID to this tenant within
// WebhookReplayWindow (a replay). Deliveries older than the window are
// forgotten on the way.
func (s *Store) ClaimWebhookDelivery(ctx context.Context, provider, tenant, id string) (bool, error) {
	if _, err := s.Pool.Exec(ctx, `DELETE FROM rigger.webhook_deliveries WHERE received_at < now() - make_interval(secs => $1)`,
		WebhookReplayWindow.Seconds()); err != nil {
		return false, err
	}
	tag, err := s.Pool.Exec(ctx, `INSERT INTO rigger.webhook_deliveries (provider, tenant_slug, delivery_id) VALUES ($1, $2, $3)
		ON CONFLICT (provider, tenant_slug, delivery_id) DO UPDATE SET received_at = now()
		WHERE rigger.webhook_deliveries.received_at < now() - make_interval(secs => $4)`, provider, tenant, id, WebhookReplayWindow.Seconds())
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

// ForgetWebhookDelivery undoes ClaimWebhookDelivery when the delivery could
// not be acted on, so the sender's redelivery (same ID) is not refused.
func (s *Store) ForgetWebhookDelivery(ctx context.Context, provider, tenant, id string) error {
	_, err := s.Pool.Exec(ctx, `DELETE FROM rigger.webhook_deliveries WHERE provider = $1 AND tenant_slug = $2 AND delivery_id = $3`,
		provider, tenant, id)
	return err
}
