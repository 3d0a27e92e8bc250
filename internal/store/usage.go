package store

import (
	"context"
	"time"
)

// Metrics billed per tenant. Producers use these names; plans price them.
const (
	MetricTenantDays           = "tenant_days"
	MetricSeats                = "seats"
	MetricScaffolderRuns       = "scaffolder_runs"
	MetricTechDocsBuildMinutes = "techdocs_build_minutes"
	MetricAITokens             = "ai_tokens"
	MetricAPICalls             = "api_calls"
)

// UsageEvent is one metered quantity. ID makes recording idempotent.
type UsageEvent struct {
	ID         string
	Tenant     string
	Metric     string
	Quantity   int64
	OccurredAt time.Time
	Source     string
}

// RecordUsage stores the event unless one with its ID exists; it reports
// whether this call stored it.
func (s *Store) RecordUsage(ctx context.Context, e UsageEvent) (bool, error) {
	tag, err := s.Pool.Exec(ctx, `INSERT INTO rigger.usage_events (id, tenant_slug, metric, quantity, occurred_at, source)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
		e.ID, e.Tenant, e.Metric, e.Quantity, e.OccurredAt, e.Source)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

// UsageTotals sums a tenant's usage per metric over [from, to).
func (s *Store) UsageTotals(ctx context.Context, tenant string, from, to time.Time) (map[string]int64, error) {
	rows, err := s.Pool.Query(ctx, `SELECT metric, sum(quantity)::bigint FROM rigger.usage_events
		WHERE tenant_slug = $1 AND occurred_at >= $2 AND occurred_at < $3 GROUP BY metric`, tenant, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var m string
		var q int64
		if err := rows.Scan(&m, &q); err != nil {
			return nil, err
		}
		out[m] = q
	}
	return out, rows.Err()
}
