package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Tenant statuses. A tenant moves provisioning -> active | failed, and
// offboarding -> deleted; a failed or deleted slug can be onboarded again.
const (
	StatusProvisioning = "provisioning"
	StatusActive       = "active"
	StatusFailed       = "failed"
	StatusOffboarding  = "offboarding"
	StatusDeleted      = "deleted"
)

// TenantSpec is what a customer asks for when onboarding.
type TenantSpec struct {
	Slug        string
	DisplayName string
	Plan        string
	Owner       string
	Admins      []string
	Plugins     []string
}

// Tenant is a control-plane row.
type Tenant struct {
	TenantSpec
	Status       string
	StatusReason string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

const tenantCols = `slug, display_name, plan_id, owner, admins, plugins, status, status_reason, created_at, updated_at`

func scanTenant(row pgx.Row) (Tenant, error) {
	var t Tenant
	err := row.Scan(&t.Slug, &t.DisplayName, &t.Plan, &t.Owner, &t.Admins, &t.Plugins, &t.Status, &t.StatusReason, &t.CreatedAt, &t.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, ErrNotFound
	}
	return t, err
}

// GetTenant returns one tenant or ErrNotFound.
func (s *Store) GetTenant(ctx context.Context, slug string) (Tenant, error) {
	return scanTenant(s.Pool.QueryRow(ctx, `SELECT `+tenantCols+` FROM rigger.tenants WHERE slug = $1`, slug))
}

// ListTenants returns tenants ordered by slug, optionally of one status,
// starting after the given slug (keyset pagination).
func (s *Store) ListTenants(ctx context.Context, status, after string, limit int) ([]Tenant, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.Pool.Query(ctx, `SELECT `+tenantCols+` FROM rigger.tenants
		WHERE ($1 = '' OR status = $1) AND slug > $2 ORDER BY slug LIMIT $3`, status, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Tenant
	for rows.Next() {
		t, err := scanTenant(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// PlanExists reports whether a plan id is known.
func (s *Store) PlanExists(ctx context.Context, plan string) (bool, error) {
	var ok bool
	err := s.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM rigger.plans WHERE id = $1)`, plan).Scan(&ok)
	return ok, err
}

// SameRequest reports whether an onboarding request matches an existing
// tenant closely enough to be the same request repeated.
func SameRequest(t Tenant, spec TenantSpec) bool {
	return t.Owner == spec.Owner && t.Plan == spec.Plan && t.DisplayName == spec.DisplayName &&
		slices.Equal(t.Admins, spec.Admins) && slices.Equal(t.Plugins, spec.Plugins)
}

// ClaimTenant records a tenant for onboarding. It is idempotent: a retry of
// the same request finds its own row and succeeds. A slug held by a live
// tenant with a different request is ErrConflict; a failed or deleted
// tenant's slug is taken over and set back to provisioning.
func (s *Store) ClaimTenant(ctx context.Context, spec TenantSpec) (Tenant, bool, error) {
	var out Tenant
	created := false
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO rigger.tenants (slug, display_name, plan_id, owner, admins, plugins, status)
			VALUES ($1, $2, $3, $4, $5, $6, 'provisioning') ON CONFLICT (slug) DO NOTHING`,
			spec.Slug, spec.DisplayName, spec.Plan, spec.Owner, nonNil(spec.Admins), nonNil(spec.Plugins))
		if err != nil {
			return err
		}
		created = tag.RowsAffected() == 1
		cur, err := scanTenant(tx.QueryRow(ctx, `SELECT `+tenantCols+` FROM rigger.tenants WHERE slug = $1 FOR UPDATE`, spec.Slug))
		if err != nil {
			return err
		}
		switch {
		case cur.Status == StatusFailed || cur.Status == StatusDeleted:
			cur, err = scanTenant(tx.QueryRow(ctx, `UPDATE rigger.tenants SET display_name = $2, plan_id = $3, owner = $4,
				admins = $5, plugins = $6, status = 'provisioning', status_reason = '', updated_at = now()
				WHERE slug = $1 RETURNING `+tenantCols,
				spec.Slug, spec.DisplayName, spec.Plan, spec.Owner, nonNil(spec.Admins), nonNil(spec.Plugins)))
			created = true
		case !SameRequest(cur, spec):
			return fmt.Errorf("%w: slug %q is already taken by another tenant", ErrConflict, spec.Slug)
		case cur.Status == StatusOffboarding:
			return fmt.Errorf("%w: tenant %q is being offboarded", ErrConflict, spec.Slug)
		}
		out = cur
		return err
	})
	return out, created, err
}

// SetTenantStatus moves a tenant to status `to`, but only from one of the
// statuses in `from` (all when empty): a late compensation of a cancelled
// onboarding must not overwrite an offboarding that started meanwhile.
// It reports whether the row changed.
func (s *Store) SetTenantStatus(ctx context.Context, slug string, from []string, to, reason string) (bool, error) {
	tag, err := s.Pool.Exec(ctx, `UPDATE rigger.tenants SET status = $2, status_reason = $3, updated_at = now()
		WHERE slug = $1 AND (cardinality($4::text[]) = 0 OR status = ANY($4)) AND (status <> $2 OR status_reason <> $3)`,
		slug, to, reason, nonNil(from))
	if err != nil {
		return false, err
	}
	if tag.RowsAffected() == 0 {
		if _, err := s.GetTenant(ctx, slug); err != nil {
			return false, err
		}
	}
	return tag.RowsAffected() > 0, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
