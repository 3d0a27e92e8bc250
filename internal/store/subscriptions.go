package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// Subscription ties a tenant to a plan for a span of time.
type Subscription struct {
	ID        int64
	Tenant    string
	Plan      string
	StartedAt time.Time
	EndedAt   *time.Time
}

// Subscribe opens the tenant's subscription to plan unless one is open
// already; the partial unique index makes a retried call a no-op.
func (s *Store) Subscribe(ctx context.Context, slug, plan string) (Subscription, bool, error) {
	var sub Subscription
	err := s.Pool.QueryRow(ctx, `INSERT INTO rigger.subscriptions (tenant_slug, plan_id) VALUES ($1, $2)
		ON CONFLICT (tenant_slug) WHERE ended_at IS NULL DO NOTHING
		RETURNING id, tenant_slug, plan_id, started_at, ended_at`, slug, plan).
		Scan(&sub.ID, &sub.Tenant, &sub.Plan, &sub.StartedAt, &sub.EndedAt)
	if err == nil {
		return sub, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return sub, false, err
	}
	sub, err = s.OpenSubscription(ctx, slug)
	return sub, false, err
}

// OpenSubscription returns the tenant's open subscription or ErrNotFound.
func (s *Store) OpenSubscription(ctx context.Context, slug string) (Subscription, error) {
	var sub Subscription
	err := s.Pool.QueryRow(ctx, `SELECT id, tenant_slug, plan_id, started_at, ended_at FROM rigger.subscriptions
		WHERE tenant_slug = $1 AND ended_at IS NULL`, slug).
		Scan(&sub.ID, &sub.Tenant, &sub.Plan, &sub.StartedAt, &sub.EndedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return sub, ErrNotFound
	}
	return sub, err
}

// EndSubscription closes the open subscription, if any.
func (s *Store) EndSubscription(ctx context.Context, slug string) (bool, error) {
	tag, err := s.Pool.Exec(ctx, `UPDATE rigger.subscriptions SET ended_at = now() WHERE tenant_slug = $1 AND ended_at IS NULL`, slug)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() > 0, nil
}
