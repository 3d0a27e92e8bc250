package llm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rigger-platform/rigger/internal/store"
)

// Allowance is a tenant's AI token budget for one period.
type Allowance struct {
	Plan     string
	Included int64 // tokens the plan includes per period
	Used     int64 // tokens recorded in the period so far
	From, To time.Time
}

// Remaining may be negative: a call's tokens are known only after it, so
// the last call of a period can overshoot by up to its own size.
func (a Allowance) Remaining() int64 { return a.Included - a.Used }

// Budget tells how many tokens a tenant may still spend.
type Budget interface {
	// Allowance is the tenant's budget for the period containing now; an
	// unknown tenant is store.ErrNotFound.
	Allowance(ctx context.Context, tenant string, now time.Time) (Allowance, error)
}

// PlanBudget is the plan's included "ai_tokens" per calendar month (UTC)
// minus the ai_tokens usage events recorded in that month. It is a hard
// cap: the plans price no AI overage, and an assistant loop must not run up
// a bill nobody agreed to. Concurrent tasks of one tenant each see the same
// remainder, so together they can overshoot by what they spend at once.
type PlanBudget struct{ Store *store.Store }

// MonthOf is the budget period containing t: its UTC calendar month.
func MonthOf(t time.Time) (from, to time.Time) {
	t = t.UTC()
	from = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	return from, from.AddDate(0, 1, 0)
}

func (b PlanBudget) Allowance(ctx context.Context, tenant string, now time.Time) (Allowance, error) {
	al := Allowance{}
	al.From, al.To = MonthOf(now)
	// A plan without the key includes no AI tokens.
	err := b.Store.Pool.QueryRow(ctx, `SELECT p.id, COALESCE((p.included->>$2)::bigint, 0)
		FROM rigger.tenants t JOIN rigger.plans p ON p.id = t.plan_id WHERE t.slug = $1`,
		tenant, store.MetricAITokens).Scan(&al.Plan, &al.Included)
	if errors.Is(err, pgx.ErrNoRows) {
		return al, fmt.Errorf("tenant %q: %w", tenant, store.ErrNotFound)
	}
	if err != nil {
		return al, fmt.Errorf("read plan of tenant %q: %w", tenant, err)
	}
	totals, err := b.Store.UsageTotals(ctx, tenant, al.From, al.To)
	if err != nil {
		return al, fmt.Errorf("read AI usage of tenant %q: %w", tenant, err)
	}
	al.Used = totals[store.MetricAITokens]
	return al, nil
}
