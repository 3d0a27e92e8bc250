package backup

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/rigger-platform/rigger/internal/tenant"
)

type SwapInput struct {
	Slug string
	// FromSchema is a complete "restore_..." schema restored from one of
	// the tenant's backups.
	FromSchema string
}

type SwapResult struct {
	Schema string // the tenant's live schema, now holding the restored data
	// AsideSchema is where the previous live schema went ("replaced_...");
	// empty when there was none. It is kept for an operator to inspect and
	// drop by hand: DropScratch refuses it on purpose.
	AsideSchema string
	Swapped     bool // false when an earlier attempt already swapped
}

// swapLockKey serialises swaps (and the ownership changes they make) per
// database, like tenantdb's DDL lock.
const swapLockKey int64 = 0x7269676762737770 // "riggbswp"

// SwapSchema puts a restored schema in place of the tenant's live one in one
// transaction: the live schema is renamed aside, the restored one takes its
// name, and it and everything in it is handed to the tenant's role. The
// role's sessions are ended before and after, so none keeps writing into
// the old tables through a cached plan. Writes made since the backup's
// snapshot stay in the aside schema only: that is what a restore means.
func (a *Activities) SwapSchema(ctx context.Context, in SwapInput) (SwapResult, error) {
	if err := checkSlug(in.Slug); err != nil {
		return SwapResult{}, err
	}
	if err := checkScratch(in.FromSchema); err != nil || !strings.HasPrefix(in.FromSchema, "restore_") {
		return SwapResult{}, nonRetryable(ErrTypeNotScratch, fmt.Errorf("only a restore_ schema can be swapped in, not %q", in.FromSchema))
	}
	live, role := tenant.Schema(in.Slug), a.RolePrefix+tenant.DBRole(in.Slug)
	aside := "replaced_" + strings.TrimPrefix(in.FromSchema, "restore_")
	res := SwapResult{Schema: live, AsideSchema: aside}

	exists, mk, err := readMarker(ctx, a.Pool, in.FromSchema)
	if err != nil {
		return res, classify(phaseRestore, err)
	}
	if !exists {
		return a.alreadySwapped(ctx, in, res)
	}
	if mk == nil || mk.State != stateComplete || mk.Tenant != in.Slug {
		return res, nonRetryable(ErrTypeNotScratch, fmt.Errorf("schema %s is not a complete restore of tenant %s", in.FromSchema, in.Slug))
	}
	var roleExists bool
	if err := a.Pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", role).Scan(&roleExists); err != nil {
		return res, classify(phaseRestore, err)
	}
	if !roleExists {
		return res, nonRetryable(ErrTypeTenantNotFound, fmt.Errorf("tenant role %s does not exist; provision the tenant first", role))
	}
	if err := a.endSessions(ctx, role); err != nil {
		return res, classify(phaseRestore, err)
	}
	err = pgx.BeginFunc(ctx, a.Pool, func(tx pgx.Tx) error {
		return swap(ctx, tx, in.FromSchema, live, aside, role, mk, &res)
	})
	if err != nil {
		return res, classify(phaseRestore, err)
	}
	res.Swapped = true
	return res, classify(phaseRestore, a.endSessions(ctx, role))
}

// alreadySwapped answers a retry whose first attempt committed.
func (a *Activities) alreadySwapped(ctx context.Context, in SwapInput, res SwapResult) (SwapResult, error) {
	_, mk, err := readMarker(ctx, a.Pool, res.Schema)
	if err != nil {
		return res, classify(phaseRestore, err)
	}
	if mk == nil || mk.State != stateSwapped || mk.From != in.FromSchema {
		return res, nonRetryable(ErrTypeSchemaNotFound, fmt.Errorf("schema %s does not exist", in.FromSchema))
	}
	res.AsideSchema = mk.Aside
	return res, nil
}

func swap(ctx context.Context, tx pgx.Tx, from, live, aside, role string, mk *marker, res *SwapResult) error {
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", swapLockKey); err != nil {
		return err
	}
	if err := pinSession(ctx, tx, live); err != nil {
		return err
	}
	liveExists, _, err := readMarker(ctx, tx, live)
	if err != nil {
		return err
	}
	if liveExists {
		if taken, _, err := readMarker(ctx, tx, aside); err != nil || taken {
			return cmpErr(err, nonRetryable(ErrTypeTargetExists, fmt.Errorf("schema %s already exists; drop or rename it first", aside)))
		}
		// Wait (up to lock_timeout) for running transactions on the live
		// tables, and keep new ones out until the swap commits.
		if err := lockAll(ctx, tx, live); err != nil {
			return err
		}
		if err := execFormat(ctx, tx, "ALTER SCHEMA %I RENAME TO %I", live, aside); err != nil {
			return err
		}
		if err := writeMarker(ctx, tx, aside, marker{Tenant: mk.Tenant, State: stateReplaced}); err != nil {
			return err
		}
	} else {
		res.AsideSchema = ""
	}
	if err := execFormat(ctx, tx, "ALTER SCHEMA %I RENAME TO %I", from, live); err != nil {
		return err
	}
	if err := giveTo(ctx, tx, live, role); err != nil {
		return err
	}
	swapped := *mk
	swapped.State, swapped.From, swapped.Aside = stateSwapped, from, res.AsideSchema
	return writeMarker(ctx, tx, live, swapped)
}

func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

func lockAll(ctx context.Context, tx pgx.Tx, schema string) error {
	rows, err := tx.Query(ctx, `SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'v') ORDER BY c.oid`, schema)
	if err != nil {
		return err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(names) == 0 {
		return err
	}
	_, err = tx.Exec(ctx, "LOCK TABLE "+strings.Join(names, ", ")+" IN ACCESS EXCLUSIVE MODE")
	return err
}

// ownershipSQL lists the statements that hand the schema's objects to the
// role. Sequences owned by a column follow their table and may not be
// altered alone; indexes follow their table.
const ownershipSQL = `
SELECT format(CASE c.relkind WHEN 'S' THEN 'ALTER SEQUENCE %I.%I OWNER TO %I' WHEN 'v' THEN 'ALTER VIEW %I.%I OWNER TO %I'
       ELSE 'ALTER TABLE %I.%I OWNER TO %I' END, n.nspname, c.relname, $2::text)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'v', 'S')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                  AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))
UNION ALL
SELECT format(CASE t.typtype WHEN 'd' THEN 'ALTER DOMAIN %I.%I OWNER TO %I' ELSE 'ALTER TYPE %I.%I OWNER TO %I' END,
       n.nspname, t.typname, $2::text)
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = $1 AND t.typtype IN ('e', 'd')`

func giveTo(ctx context.Context, tx pgx.Tx, schema, role string) error {
	if err := execFormat(ctx, tx, "ALTER SCHEMA %I OWNER TO %I", schema, role); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, ownershipSQL, schema, role)
	if err != nil {
		return err
	}
	stmts, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, s := range stmts {
		if _, err := tx.Exec(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// endSessions terminates the role's sessions, waiting up to 5 s for each.
func (a *Activities) endSessions(ctx context.Context, role string) error {
	_, err := a.Pool.Exec(ctx, "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = $1", role)
	return err
}
