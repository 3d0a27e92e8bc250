// Package tenantdb isolates each tenant's data in PostgreSQL: one schema per
// tenant, owned by one login role per tenant, and that role reaches nothing
// else in the Rigger database — not the control plane, not other tenants, not
// the public schema.
package tenantdb

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/internal/secrets"
	"github.com/rigger-platform/rigger/internal/tenant"
)

// DefaultConnLimit bounds each tenant role's concurrent sessions, so one
// tenant's Backstage (a connection pool per plugin) cannot exhaust the server.
const DefaultConnLimit = 50

// Activities provisions and removes tenant schemas and roles.
type Activities struct {
	// Pool is an admin connection to the Rigger database, as a superuser.
	// (A non-superuser would also need ownership of the database and
	// membership in every tenant role, and its REVOKEs on pg_catalog
	// functions would be no-ops with a warning.)
	Pool    *pgxpool.Pool
	Secrets *secrets.Deriver
	// RolePrefix is prepended to every role name. Roles are cluster-global
	// while schemas live in one database, so tests (and a dev platform
	// sharing a server) use a distinct prefix to never touch each other's
	// roles. Production uses "".
	RolePrefix string
	// ConnLimit is the tenant role's connection limit; 0 means DefaultConnLimit.
	ConnLimit int
}

type CreateInput struct{ Slug string }

type CreateResult struct {
	Schema string
	Role   string
	// PasswordRef names the role's password in the secrets deriver; the
	// password itself never appears in workflow histories.
	PasswordRef string
	// Created is true when this call created the role or the schema. A retry
	// after a lost response reports false, so do not base compensation on it.
	Created bool
}

type DropInput struct{ Slug string }

type DropResult struct {
	// Dropped is false when neither the role nor the schema existed.
	Dropped bool
}

// lockKey is the transaction-level advisory lock that serialises tenant DDL
// in one database: concurrent GRANT/REVOKE on the same database or schema
// ACL otherwise fail with "tuple concurrently updated".
const lockKey int64 = 0x7269676774646231 // "riggtdb1"

// riskyFuncs are pg_catalog functions every role may execute by default that
// write outside any schema: large objects live in pg_largeobject, logical
// messages go into the WAL stream that change-data-capture consumers read.
var riskyFuncs = []string{"lo_creat", "lo_create", "lo_from_bytea", "lo_import", "pg_logical_emit_message"}

// maxIdentLen is PostgreSQL's NAMEDATALEN-1; longer names are silently
// truncated, which could make two tenants share a role.
const maxIdentLen = 63

func (a *Activities) names(slug string) (schema, role string, err error) {
	if err := tenant.ValidateSlug(slug); err != nil {
		return "", "", temporal.NewNonRetryableApplicationError(err.Error(), "InvalidSlug", err)
	}
	schema, role = tenant.Schema(slug), a.RolePrefix+tenant.DBRole(slug)
	if len(role) > maxIdentLen {
		return "", "", temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("tenantdb: role name %q is longer than %d bytes (RolePrefix too long)", role, maxIdentLen), "TenantDBInvalid", nil)
	}
	return schema, role, nil
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// TenantDBCreate creates (or converges) the tenant's role and schema and the
// database-wide revocations that keep tenant roles apart. Everything happens
// in one transaction, so a failed attempt leaves nothing half-made.
func (a *Activities) TenantDBCreate(ctx context.Context, in CreateInput) (CreateResult, error) {
	schema, role, err := a.names(in.Slug)
	if err != nil {
		return CreateResult{}, err
	}
	ref := secrets.Ref("postgres", in.Slug)
	// Send a SCRAM verifier rather than the password, so the password never
	// reaches server logs (log_statement) or pg_stat_statements.
	verifier, err := scramVerifier(a.Secrets.Secret(ref))
	if err != nil {
		return CreateResult{}, err
	}
	res := CreateResult{Schema: schema, Role: role, PasswordRef: ref}
	err = pgx.BeginFunc(ctx, a.Pool, func(tx pgx.Tx) error {
		var err error
		res.Created, err = a.create(ctx, tx, schema, role, verifier)
		return err
	})
	if err != nil {
		return CreateResult{}, Classify(fmt.Errorf("tenantdb: create %s: %w", in.Slug, err))
	}
	return res, nil
}

func (a *Activities) create(ctx context.Context, tx pgx.Tx, schema, role, verifier string) (bool, error) {
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockKey); err != nil {
		return false, err
	}
	limit := a.ConnLimit
	if limit <= 0 {
		limit = DefaultConnLimit
	}
	attrs := fmt.Sprintf("LOGIN NOCREATEDB NOCREATEROLE NOINHERIT CONNECTION LIMIT %d PASSWORD %s", limit, quoteLiteral(verifier))
	roleCreated, err := ensureRole(ctx, tx, role, attrs)
	if err != nil {
		return false, err
	}
	r, s := ident(role), ident(schema)
	if _, err := tx.Exec(ctx, "ALTER ROLE "+r+" SET search_path = "+s); err != nil {
		return false, err
	}
	// A membership (say in pg_read_all_data) would let the role SET ROLE
	// around its isolation despite NOINHERIT, so converge to none.
	granted, err := collectStrings(ctx, tx, `SELECT g.rolname FROM pg_auth_members m
		JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = $1`, role)
	if err != nil {
		return false, err
	}
	for _, g := range granted {
		if _, err := tx.Exec(ctx, "REVOKE "+ident(g)+" FROM "+r); err != nil {
			return false, err
		}
	}

	schemaCreated := false
	var owner string
	err = tx.QueryRow(ctx, "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = $1", schema).Scan(&owner)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		if _, err := tx.Exec(ctx, "CREATE SCHEMA "+s+" AUTHORIZATION "+r); err != nil {
			return false, err
		}
		schemaCreated = true
	case err != nil:
		return false, err
	case owner != role:
		if _, err := tx.Exec(ctx, "ALTER SCHEMA "+s+" OWNER TO "+r); err != nil {
			return false, err
		}
	}

	var db string
	if err := tx.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil {
		return false, err
	}
	if err := hardenDatabase(ctx, tx, db); err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, "GRANT CONNECT ON DATABASE "+ident(db)+" TO "+r); err != nil {
		return false, err
	}
	return roleCreated || schemaCreated, nil
}

// ensureRole creates the role or re-applies its attributes and password.
func ensureRole(ctx context.Context, tx pgx.Tx, role, attrs string) (created bool, err error) {
	r := ident(role)
	for attempt := 0; ; attempt++ {
		var elevated bool
		err := tx.QueryRow(ctx, "SELECT rolsuper OR rolreplication OR rolbypassrls FROM pg_roles WHERE rolname = $1", role).Scan(&elevated)
		if errors.Is(err, pgx.ErrNoRows) {
			// A savepoint, so that losing a race (another transaction created
			// the same role; roles are cluster-global) does not abort ours.
			err = pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error {
				_, err := sp.Exec(ctx, "CREATE ROLE "+r+" WITH "+attrs+" NOSUPERUSER NOREPLICATION NOBYPASSRLS")
				return err
			})
			if attempt == 0 && (pgCode(err) == "42710" || pgCode(err) == "23505") { // duplicate_object, unique_violation
				continue
			}
			return err == nil, err
		}
		if err != nil {
			return false, err
		}
		stmt := "ALTER ROLE " + r + " WITH " + attrs
		// Naming these needs superuser even when unchanged, so only when needed.
		if elevated {
			stmt += " NOSUPERUSER NOREPLICATION NOBYPASSRLS"
		}
		_, err = tx.Exec(ctx, stmt)
		return false, err
	}
}

// hardenDatabase removes what PostgreSQL grants every role by default in this
// database, so a tenant role can do only what it is granted explicitly.
func hardenDatabase(ctx context.Context, tx pgx.Tx, db string) error {
	var hasPublic bool
	err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'public')").Scan(&hasPublic)
	if err != nil {
		return err
	}
	// CONNECT and TEMPORARY: connecting is granted per tenant role instead,
	// and temporary tables would be storage outside the tenant's schema.
	stmts := []string{"REVOKE ALL ON DATABASE " + ident(db) + " FROM PUBLIC"}
	if hasPublic {
		stmts = append(stmts, "REVOKE ALL ON SCHEMA public FROM PUBLIC")
	}
	// Look the functions up, rather than spelling signatures, because they
	// change between PostgreSQL versions; regprocedure prints a safe signature.
	sigs, err := collectStrings(ctx, tx, `SELECT oid::regprocedure::text FROM pg_proc
		WHERE pronamespace = 'pg_catalog'::regnamespace AND proname = ANY($1) ORDER BY 1`, riskyFuncs)
	if err != nil {
		return err
	}
	for _, sig := range sigs {
		stmts = append(stmts, "REVOKE EXECUTE ON FUNCTION pg_catalog."+sig+" FROM PUBLIC")
	}
	for _, q := range stmts {
		if _, err := tx.Exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// TenantDBDrop removes the tenant's schema (with all its data) and its role.
func (a *Activities) TenantDBDrop(ctx context.Context, in DropInput) (DropResult, error) {
	schema, role, err := a.names(in.Slug)
	if err != nil {
		return DropResult{}, err
	}
	dropped, err := a.drop(ctx, schema, role)
	if err != nil {
		return DropResult{}, Classify(fmt.Errorf("tenantdb: drop %s: %w", in.Slug, err))
	}
	return DropResult{Dropped: dropped}, nil
}

func (a *Activities) drop(ctx context.Context, schema, role string) (bool, error) {
	r := ident(role)
	var roleExists bool
	if err := a.Pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", role).Scan(&roleExists); err != nil {
		return false, err
	}
	if roleExists {
		// Refuse new logins first (committed at once), so the sessions
		// terminated next cannot be replaced before the role is gone.
		if _, err := a.Pool.Exec(ctx, "ALTER ROLE "+r+" NOLOGIN"); err != nil {
			return false, err
		}
		// Wait up to 5 s per session for it to exit and release its locks.
		if _, err := a.Pool.Exec(ctx, "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = $1", role); err != nil {
			return false, err
		}
	}
	dropped := false
	err := pgx.BeginFunc(ctx, a.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockKey); err != nil {
			return err
		}
		var schemaExists, roleExists bool
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1),
			EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $2)`, schema, role).Scan(&schemaExists, &roleExists)
		if err != nil {
			return err
		}
		if schemaExists {
			if _, err := tx.Exec(ctx, "DROP SCHEMA "+ident(schema)+" CASCADE"); err != nil {
				return err
			}
		}
		if roleExists {
			// DROP OWNED removes what the role still owns or was granted in
			// this database; DROP ROLE fails (non-retryably) only if it also
			// has objects in another database, which an operator must look at.
			for _, q := range []string{"DROP OWNED BY " + r, "DROP ROLE " + r} {
				if _, err := tx.Exec(ctx, q); err != nil {
					return err
				}
			}
		}
		dropped = schemaExists || roleExists
		return nil
	})
	return dropped, err
}

// TenantURL is the connection URL of the tenant's role for the database that
// baseURL points at, with the role's derived password. It keeps the host,
// database and TLS settings of baseURL and drops anything that would pick
// another user or override the role's search_path.
func (a *Activities) TenantURL(baseURL, slug string) (string, error) {
	_, role, err := a.names(slug)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		// Not echoing baseURL: it usually holds the admin password.
		return "", errors.New("tenantdb: base URL must be a postgres:// URL")
	}
	u.User = url.UserPassword(role, a.Secrets.Secret(secrets.Ref("postgres", slug)))
	q := u.Query()
	for _, k := range []string{"user", "password", "passfile", "service", "servicefile", "options", "search_path"} {
		q.Del(k)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Classify turns a PostgreSQL error into what Temporal should do with it:
// errors no retry can fix become non-retryable application errors with a type
// name; everything else (connection loss, serialization failures, deadlocks,
// lock timeouts, shutdowns, resource exhaustion) is returned unchanged and
// therefore retried.
func Classify(err error) error {
	var appErr *temporal.ApplicationError
	if err == nil || errors.As(err, &appErr) {
		return err
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	kind, class := "", pgErr.Code
	if len(class) > 2 {
		class = class[:2]
	}
	switch {
	case pgErr.Code == "42501" || class == "28": // insufficient_privilege, invalid authorization
		kind = "TenantDBForbidden"
	case pgErr.Code == "2BP01": // dependent_objects_still_exist
		kind = "TenantDBDependentObjects"
	case class == "22" || class == "42": // data exception, syntax error or access rule violation
		kind = "TenantDBInvalid"
	default:
		return err
	}
	return temporal.NewNonRetryableApplicationError(err.Error(), kind, err)
}

func pgCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

func collectStrings(ctx context.Context, tx pgx.Tx, sql string, args ...any) ([]string, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// quoteLiteral quotes s as an escape-string literal, whose meaning does not
// depend on the session's standard_conforming_strings.
func quoteLiteral(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return "E'" + strings.ReplaceAll(s, "'", "''") + "'"
}
