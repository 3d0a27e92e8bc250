package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrInvalidInvoice means an invoice's lines do not add up to its subtotal,
// or it lacks its identity; nothing is written.
var ErrInvalidInvoice = errors.New("invalid invoice")

// InvoiceIssued is the status of a newly created invoice.
const InvoiceIssued = "issued"

// Invoice is a tenant's bill for one period ("YYYY-MM"). Amounts are minor
// units of Currency. Lines is empty in ListInvoices results.
type Invoice struct {
	ID              string
	Tenant          string
	Period          string
	Currency        string
	SubtotalMinor   int64
	TotalMinor      int64
	Status          string
	CreatedAt       time.Time
	RenderedJSONKey string // relative to the tenant's storage prefix
	RenderedHTMLKey string
	NotifiedAt      *time.Time
	Lines           []InvoiceLine
}

// InvoiceLine is one row of an invoice, stored as billing computed it.
type InvoiceLine struct {
	Kind           string
	Description    string
	PlanID         string
	Metric         string
	From, To       time.Time
	Days           int
	PeriodDays     int
	Used           int64
	Included       int64
	Quantity       int64
	UnitPriceMinor int64
	AmountMinor    int64
}

const invoiceCols = `id, tenant_slug, period, currency, subtotal_minor, total_minor, status, created_at,
	coalesce(rendered_json_key, ''), coalesce(rendered_html_key, ''), notified_at`

func scanInvoice(row pgx.Row) (Invoice, error) {
	var inv Invoice
	err := row.Scan(&inv.ID, &inv.Tenant, &inv.Period, &inv.Currency, &inv.SubtotalMinor, &inv.TotalMinor,
		&inv.Status, &inv.CreatedAt, &inv.RenderedJSONKey, &inv.RenderedHTMLKey, &inv.NotifiedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return inv, ErrNotFound
	}
	return inv, err
}

// CreateInvoice stores the invoice and its lines in one transaction, unless
// the tenant already has an invoice for the period: then it returns that
// one, unchanged, with created=false. So a billing run repeated for a period
// (a retried activity, a re-run cycle, two racing workers) writes nothing
// new; the unique key (tenant_slug, period) settles races, the loser's
// INSERT waits for the winner's commit and then finds its row. inv.ID,
// Status and CreatedAt are assigned by the store.
func (s *Store) CreateInvoice(ctx context.Context, inv Invoice) (Invoice, bool, error) {
	if err := checkInvoice(inv); err != nil {
		return Invoice{}, false, err
	}
	created := false
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO rigger.invoices (tenant_slug, period, currency, subtotal_minor, total_minor)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_slug, period) DO NOTHING RETURNING id, status, created_at`,
			inv.Tenant, inv.Period, inv.Currency, inv.SubtotalMinor, inv.TotalMinor).Scan(&inv.ID, &inv.Status, &inv.CreatedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // someone else's invoice; read it after this transaction
		}
		if err != nil {
			return err
		}
		rows := make([][]any, len(inv.Lines))
		for i, l := range inv.Lines {
			rows[i] = []any{inv.ID, i, l.Kind, l.Description, l.PlanID, l.Metric, l.From, l.To, l.Days, l.PeriodDays,
				l.Used, l.Included, l.Quantity, l.UnitPriceMinor, l.AmountMinor}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"rigger", "invoice_lines"}, lineCols, pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		created = true
		return nil
	})
	if err != nil {
		return Invoice{}, false, fmt.Errorf("store: create invoice %s/%s: %w", inv.Tenant, inv.Period, err)
	}
	if created {
		inv.RenderedJSONKey, inv.RenderedHTMLKey, inv.NotifiedAt = "", "", nil
		return inv, true, nil
	}
	out, err := s.InvoiceForPeriod(ctx, inv.Tenant, inv.Period)
	return out, false, err
}

var lineCols = []string{"invoice_id", "position", "kind", "description", "plan_id", "metric", "span_from", "span_to",
	"days", "period_days", "used", "included", "quantity", "unit_price_minor", "amount_minor"}

// checkInvoice rejects what the table constraints cannot express: lines that
// do not add up. (Each line's own arithmetic is a CHECK.)
func checkInvoice(inv Invoice) error {
	if inv.Tenant == "" || inv.Period == "" {
		return fmt.Errorf("%w: tenant and period are required", ErrInvalidInvoice)
	}
	var sum int64
	for _, l := range inv.Lines {
		sum += l.AmountMinor
		if l.AmountMinor < 0 || sum < 0 {
			return fmt.Errorf("%w: line amounts must be non-negative and fit in int64", ErrInvalidInvoice)
		}
	}
	if sum != inv.SubtotalMinor {
		return fmt.Errorf("%w: lines sum to %d, subtotal is %d", ErrInvalidInvoice, sum, inv.SubtotalMinor)
	}
	return nil
}

// GetInvoice returns the tenant's invoice with its lines. An ID that belongs
// to another tenant is ErrNotFound, exactly like one that does not exist, so
// the API cannot be used to probe other tenants' invoice IDs.
func (s *Store) GetInvoice(ctx context.Context, tenant, id string) (Invoice, error) {
	return s.invoiceWithLines(ctx, `SELECT `+invoiceCols+` FROM rigger.invoices WHERE tenant_slug = $1 AND id = $2`, tenant, id)
}

// InvoiceForPeriod returns the tenant's invoice for a period, with lines.
func (s *Store) InvoiceForPeriod(ctx context.Context, tenant, period string) (Invoice, error) {
	return s.invoiceWithLines(ctx, `SELECT `+invoiceCols+` FROM rigger.invoices WHERE tenant_slug = $1 AND period = $2`, tenant, period)
}

func (s *Store) invoiceWithLines(ctx context.Context, query string, args ...any) (Invoice, error) {
	inv, err := scanInvoice(s.Pool.QueryRow(ctx, query, args...))
	if err != nil {
		return inv, err
	}
	rows, err := s.Pool.Query(ctx, `SELECT kind, description, plan_id, metric, span_from, span_to, days, period_days,
		used, included, quantity, unit_price_minor, amount_minor FROM rigger.invoice_lines WHERE invoice_id = $1 ORDER BY position`, inv.ID)
	if err != nil {
		return inv, err
	}
	inv.Lines, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (InvoiceLine, error) {
		var l InvoiceLine
		err := row.Scan(&l.Kind, &l.Description, &l.PlanID, &l.Metric, &l.From, &l.To, &l.Days, &l.PeriodDays,
			&l.Used, &l.Included, &l.Quantity, &l.UnitPriceMinor, &l.AmountMinor)
		l.From, l.To = l.From.UTC(), l.To.UTC()
		return l, err
	})
	return inv, err
}

// ListInvoices returns the tenant's invoices, newest period first, without
// lines.
func (s *Store) ListInvoices(ctx context.Context, tenant string) ([]Invoice, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+invoiceCols+` FROM rigger.invoices WHERE tenant_slug = $1 ORDER BY period DESC`, tenant)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Invoice, error) { return scanInvoice(row) })
}

// SetInvoiceRendered records where the rendered documents are. Rendering is
// deterministic, so a repeat writes the same keys.
func (s *Store) SetInvoiceRendered(ctx context.Context, tenant, id, jsonKey, htmlKey string) error {
	tag, err := s.Pool.Exec(ctx, `UPDATE rigger.invoices SET rendered_json_key = $3, rendered_html_key = $4
		WHERE tenant_slug = $1 AND id = $2`, tenant, id, jsonKey, htmlKey)
	if err == nil && tag.RowsAffected() == 0 {
		err = ErrNotFound
	}
	return err
}

// MarkInvoiceNotified sets notified_at once; it reports whether this call
// set it (false: it was already set).
func (s *Store) MarkInvoiceNotified(ctx context.Context, tenant, id string) (bool, error) {
	tag, err := s.Pool.Exec(ctx, `UPDATE rigger.invoices SET notified_at = now()
		WHERE tenant_slug = $1 AND id = $2 AND notified_at IS NULL`, tenant, id)
	if err != nil {
		return false, err
	}
	if tag.RowsAffected() == 0 {
		if _, err := scanInvoice(s.Pool.QueryRow(ctx, `SELECT `+invoiceCols+` FROM rigger.invoices WHERE tenant_slug = $1 AND id = $2`, tenant, id)); err != nil {
			return false, err
		}
	}
	return tag.RowsAffected() == 1, nil
}

// BillableTenants lists, in slug order, the tenants with a subscription in
// force at some moment of [from, to), except tenants already deleted before
// from (their subscription should have ended; if one was left open, it must
// not bill a tenant that no longer exists). after/limit page through the
// result by slug; limit <= 0 returns everything after `after`.
func (s *Store) BillableTenants(ctx context.Context, from, to time.Time, after string, limit int) ([]string, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.Pool.Query(ctx, `SELECT t.slug FROM rigger.tenants t
		WHERE t.slug > $3
		  AND NOT (t.status = 'deleted' AND t.updated_at < $1)
		  AND EXISTS (SELECT 1 FROM rigger.subscriptions s WHERE s.tenant_slug = t.slug
		              AND s.started_at < $2 AND (s.ended_at IS NULL OR s.ended_at > $1)
		              AND (s.ended_at IS NULL OR s.ended_at > s.started_at))
		ORDER BY t.slug LIMIT CASE WHEN $4::int < 0 THEN NULL ELSE $4::int END`, from, to, after, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// PlanSubscription is a subscription with the prices of its plan.
type PlanSubscription struct {
	Subscription
	PlanName       string
	Currency       string
	BasePriceMinor int64
	Included       map[string]int64
	OverageMinor   map[string]int64
}

// SubscriptionsInPeriod returns the tenant's subscriptions in force at some
// moment of [from, to), oldest first (ties by id), with their plans' current
// prices.
func (s *Store) SubscriptionsInPeriod(ctx context.Context, tenant string, from, to time.Time) ([]PlanSubscription, error) {
	rows, err := s.Pool.Query(ctx, `SELECT s.id, s.tenant_slug, s.plan_id, s.started_at, s.ended_at,
			p.display_name, p.currency, p.base_price_minor, p.included, p.overage_minor
		FROM rigger.subscriptions s JOIN rigger.plans p ON p.id = s.plan_id
		WHERE s.tenant_slug = $1 AND s.started_at < $3 AND (s.ended_at IS NULL OR s.ended_at > $2)
		ORDER BY s.started_at, s.id`, tenant, from, to)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (PlanSubscription, error) {
		var p PlanSubscription
		err := row.Scan(&p.ID, &p.Tenant, &p.Plan, &p.StartedAt, &p.EndedAt,
			&p.PlanName, &p.Currency, &p.BasePriceMinor, &p.Included, &p.OverageMinor)
		return p, err
	})
}

// DailyUsage is a tenant's total of one metric on one UTC day.
type DailyUsage struct {
	Day      time.Time // 00:00 UTC
	Metric   string
	Quantity int64
}

// UsageByDay sums the tenant's usage per UTC day and metric over [from, to),
// the granularity billing prorates at, so invoices read a few dozen rows
// however many events there were.
func (s *Store) UsageByDay(ctx context.Context, tenant string, from, to time.Time) ([]DailyUsage, error) {
	rows, err := s.Pool.Query(ctx, `SELECT date_trunc('day', occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day,
			metric, sum(quantity)::bigint
		FROM rigger.usage_events WHERE tenant_slug = $1 AND occurred_at >= $2 AND occurred_at < $3
		GROUP BY 1, 2 ORDER BY 1, 2`, tenant, from, to)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (DailyUsage, error) {
		var d DailyUsage
		err := row.Scan(&d.Day, &d.Metric, &d.Quantity)
		d.Day = d.Day.UTC()
		return d, err
	})
}
