package tenantdb

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/internal/pgtest"
	"github.com/rigger-platform/rigger/internal/secrets"
	"github.com/rigger-platform/rigger/internal/tenant"
)

type env struct {
	a     *Activities
	url   string // admin URL of the test database
	admin *pgxpool.Pool
}

// newEnv gives a test its own database and role prefix, and removes the
// prefix's roles at the end: roles are cluster-global and would outlive the
// database pgtest drops.
func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(t)
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	d, err := secrets.NewDeriver([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	prefix := "t" + pgtest.RandomSuffix() + "_"
	t.Cleanup(func() { dropRoles(t, dbURL, prefix) })
	return &env{a: &Activities{Pool: pool, Secrets: d, RolePrefix: prefix}, url: dbURL, admin: pool}
}

func dropRoles(t *testing.T, dbURL, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Logf("cleanup connect: %v", err)
		return
	}
	defer c.Close(ctx)
	rows, _ := c.Query(ctx, "SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1)", prefix)
	roles, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Logf("cleanup list roles: %v", err)
		return
	}
	for _, r := range roles {
		_, _ = c.Exec(ctx, "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = $1", r)
		for _, q := range []string{"DROP OWNED BY " + ident(r), "DROP ROLE " + ident(r)} {
			if _, err := c.Exec(ctx, q); err != nil {
				t.Errorf("cleanup %s: %v", q, err)
			}
		}
	}
}

func (e *env) create(t *testing.T, slug string) CreateResult {
	t.Helper()
	res, err := e.a.TenantDBCreate(context.Background(), CreateInput{Slug: slug})
	if err != nil {
		t.Fatalf("create %s: %v", slug, err)
	}
	return res
}

func (e *env) connect(t *testing.T, slug string) *pgx.Conn {
	t.Helper()
	u, err := e.a.TenantURL(e.url, slug)
	if err != nil {
		t.Fatal(err)
	}
	c, err := pgx.Connect(context.Background(), u)
	if err != nil {
		t.Fatalf("connect as %s: %v", slug, err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func exec(t *testing.T, c *pgx.Conn, sql string) {
	t.Helper()
	if _, err := c.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func wantCode(t *testing.T, err error, what string, codes ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: succeeded, want error %v", what, codes)
		return
	}
	for _, c := range codes {
		if pgCode(err) == c {
			return
		}
	}
	t.Errorf("%s: error %v, want SQLSTATE %v", what, err, codes)
}

func TestIsolation(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	// The control plane, as the store's migrations make it: owned by the admin.
	for _, q := range []string{
		"CREATE SCHEMA rigger",
		"CREATE TABLE rigger.tenants (slug text PRIMARY KEY)",
		"INSERT INTO rigger.tenants VALUES ('acme'), ('beta-co')",
	} {
		if _, err := e.admin.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	resA, resB := e.create(t, "acme"), e.create(t, "beta-co")
	if resA.Schema != "tenant_acme" || resA.Role != e.a.RolePrefix+"tenant_acme_owner" ||
		resA.PasswordRef != "postgres/acme" || !resA.Created {
		t.Fatalf("unexpected result %+v", resA)
	}
	bSchema := ident(resB.Schema)

	var super, inherit, createRole, createDB, login bool
	var limit int
	var config []string
	err := e.admin.QueryRow(ctx, `SELECT rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolconnlimit, rolconfig
		FROM pg_roles WHERE rolname = $1`, resA.Role).Scan(&super, &inherit, &createRole, &createDB, &login, &limit, &config)
	if err != nil {
		t.Fatal(err)
	}
	if super || inherit || createRole || createDB || !login || limit != DefaultConnLimit ||
		len(config) != 1 || config[0] != "search_path=tenant_acme" {
		t.Errorf("role attributes: super=%v inherit=%v createrole=%v createdb=%v login=%v limit=%d config=%v",
			super, inherit, createRole, createDB, login, limit, config)
	}

	b := e.connect(t, "beta-co")
	exec(t, b, "CREATE TABLE secrets (v text)")
	exec(t, b, "INSERT INTO secrets VALUES ('b-secret')")
	// An idle session of B whose last query text A must not see.
	exec(t, b, "SELECT 'b-secret-query'")
	var bPID uint32 = b.PgConn().PID()

	a := e.connect(t, "acme")
	// A works in its own schema, which is its search_path.
	exec(t, a, "CREATE TABLE notes (id int PRIMARY KEY, body text)")
	exec(t, a, "INSERT INTO notes VALUES (1, 'hello')")
	exec(t, a, "UPDATE notes SET body = 'hi' WHERE id = 1")
	var body string
	var where *string
	if err := a.QueryRow(ctx, "SELECT body, to_regclass('tenant_acme.notes')::text FROM notes").Scan(&body, &where); err != nil || body != "hi" || where == nil {
		t.Fatalf("own schema: body=%q table=%v err=%v", body, where, err)
	}

	denied := []struct{ what, sql string }{
		{"read B", "SELECT * FROM " + bSchema + ".secrets"},
		{"write B", "INSERT INTO " + bSchema + ".secrets VALUES ('x')"},
		{"delete B", "DELETE FROM " + bSchema + ".secrets"},
		{"create in B", "CREATE TABLE " + bSchema + ".planted (x int)"},
		{"drop B", "DROP SCHEMA " + bSchema + " CASCADE"},
		{"take B's schema", "ALTER SCHEMA " + bSchema + " OWNER TO CURRENT_USER"},
		{"view over B", "CREATE VIEW peek AS SELECT * FROM " + bSchema + ".secrets"},
		{"read control plane", "SELECT * FROM rigger.tenants"},
		{"write control plane", "INSERT INTO rigger.tenants VALUES ('evil')"},
		{"create in control plane", "CREATE TABLE rigger.planted (x int)"},
		{"create in public", "CREATE TABLE public.planted (x int)"},
		{"create function in public", "CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS 'SELECT 1'"},
		{"create schema", "CREATE SCHEMA planted"},
		{"temporary table", "CREATE TEMP TABLE planted (x int)"},
		{"large object", "SELECT lo_create(0)"},
		{"large object from bytea", "SELECT lo_from_bytea(0, 'x')"},
		{"logical message", "SELECT pg_logical_emit_message(false, 'x', 'y')"},
		{"server file read", "SELECT pg_read_file('PG_VERSION')"},
		{"server file write", "COPY (SELECT 1) TO '/tmp/rigger-tenantdb-test'"},
		{"SET ROLE to B", "SET ROLE " + ident(resB.Role)},
		{"SET SESSION AUTHORIZATION", "SET SESSION AUTHORIZATION " + ident(resB.Role)},
		{"grant B to self", "GRANT " + ident(resB.Role) + " TO CURRENT_USER"},
		{"change B's password", "ALTER ROLE " + ident(resB.Role) + " PASSWORD 'x'"},
		{"become superuser", "ALTER ROLE CURRENT_USER SUPERUSER"},
		{"create role", "CREATE ROLE planted"},
		{"create database", "CREATE DATABASE planted"},
	}
	for _, d := range denied {
		_, err := a.Exec(ctx, d.sql)
		wantCode(t, err, d.what, "42501")
	}
	_, err = a.PgConn().CopyTo(ctx, io.Discard, "COPY "+bSchema+".secrets TO STDOUT")
	wantCode(t, err, "COPY B to client", "42501")

	// search_path to B's schema: PostgreSQL skips schemas without USAGE, so
	// the table is just not found.
	exec(t, a, "SET search_path = "+bSchema)
	_, err = a.Exec(ctx, "SELECT * FROM secrets")
	wantCode(t, err, "read B via search_path", "42P01", "42501")
	exec(t, a, "RESET search_path")

	var q string
	if err := a.QueryRow(ctx, "SELECT coalesce(query, '') FROM pg_stat_activity WHERE pid = $1", bPID).Scan(&q); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(q, "b-secret") {
		t.Errorf("A sees B's query text %q", q)
	}

	// Nothing A tried landed anywhere.
	var n int
	if err := e.admin.QueryRow(ctx, "SELECT count(*) FROM tenant_beta_co.secrets WHERE v <> 'b-secret'").Scan(&n); err != nil || n != 0 {
		t.Errorf("B's table changed: %d extra rows, err=%v", n, err)
	}

	// CONNECT is not granted to PUBLIC any more: a login role that is not a
	// tenant cannot even connect.
	outsider := e.a.RolePrefix + "outsider"
	if _, err := e.admin.Exec(ctx, "CREATE ROLE "+ident(outsider)+" LOGIN"); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(e.url)
	u.User = url.User(outsider)
	c, err := pgx.Connect(ctx, u.String())
	if err == nil {
		c.Close(ctx)
	}
	wantCode(t, err, "outsider connects", "42501")
}

func TestCreateConverges(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	first := e.create(t, "acme")
	exec(t, e.connect(t, "acme"), "CREATE TABLE keep (v text); INSERT INTO keep VALUES ('data')")

	// Tamper with everything the activity is responsible for.
	for _, q := range []string{
		"ALTER ROLE " + ident(first.Role) + " NOLOGIN CREATEDB INHERIT CONNECTION LIMIT 1",
		"ALTER ROLE " + ident(first.Role) + " RESET search_path",
		"GRANT pg_read_all_data TO " + ident(first.Role),
		"ALTER SCHEMA tenant_acme OWNER TO CURRENT_USER",
		"GRANT ALL ON SCHEMA public TO PUBLIC",
		"GRANT TEMPORARY ON DATABASE " + ident(strings.TrimPrefix(mustURL(t, e.url).Path, "/")) + " TO PUBLIC",
		"GRANT EXECUTE ON FUNCTION lo_create(oid) TO PUBLIC",
	} {
		if _, err := e.admin.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	second := e.create(t, "acme")
	if second.Created || second.Role != first.Role || second.Schema != first.Schema {
		t.Errorf("second create: %+v", second)
	}
	var login, createDB, inherit bool
	var limit, members int
	var owner string
	err := e.admin.QueryRow(ctx, `SELECT rolcanlogin, rolcreatedb, rolinherit, rolconnlimit,
			(SELECT count(*) FROM pg_auth_members WHERE member = r.oid),
			(SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'tenant_acme')
		FROM pg_roles r WHERE rolname = $1`, first.Role).Scan(&login, &createDB, &inherit, &limit, &members, &owner)
	if err != nil {
		t.Fatal(err)
	}
	if !login || createDB || inherit || limit != DefaultConnLimit || members != 0 || owner != first.Role {
		t.Errorf("not converged: login=%v createdb=%v inherit=%v limit=%d memberships=%d owner=%s",
			login, createDB, inherit, limit, members, owner)
	}
	a := e.connect(t, "acme")
	var v string
	if err := a.QueryRow(ctx, "SELECT v FROM keep").Scan(&v); err != nil || v != "data" {
		t.Errorf("data after re-create: %q %v", v, err)
	}
	for what, q := range map[string]string{
		"create in public": "CREATE TABLE public.planted (x int)",
		"temporary table":  "CREATE TEMP TABLE planted (x int)",
		"large object":     "SELECT lo_create(0)",
		"read all data":    "SET ROLE pg_read_all_data",
	} {
		_, err := a.Exec(ctx, q)
		wantCode(t, err, what+" after re-create", "42501")
	}
}

func TestDropIdempotentAndRecreate(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.create(t, "acme")
	live := e.connect(t, "acme")
	exec(t, live, "CREATE TABLE old (v text)")

	res, err := e.a.TenantDBDrop(ctx, DropInput{Slug: "acme"})
	if err != nil || !res.Dropped {
		t.Fatalf("drop: %+v %v", res, err)
	}
	if _, err := live.Exec(ctx, "SELECT 1"); err == nil {
		t.Error("the tenant's session survived the drop")
	}
	var roles, schemas int
	err = e.admin.QueryRow(ctx, `SELECT (SELECT count(*) FROM pg_roles WHERE rolname = $1),
		(SELECT count(*) FROM pg_namespace WHERE nspname = 'tenant_acme')`, e.a.RolePrefix+tenant.DBRole("acme")).Scan(&roles, &schemas)
	if err != nil || roles != 0 || schemas != 0 {
		t.Fatalf("after drop: roles=%d schemas=%d err=%v", roles, schemas, err)
	}
	res, err = e.a.TenantDBDrop(ctx, DropInput{Slug: "acme"})
	if err != nil || res.Dropped {
		t.Fatalf("second drop: %+v %v", res, err)
	}

	if again := e.create(t, "acme"); !again.Created {
		t.Errorf("create after drop: %+v", again)
	}
	a := e.connect(t, "acme")
	exec(t, a, "CREATE TABLE fresh (v text)")
	var old *string
	if err := a.QueryRow(ctx, "SELECT to_regclass('old')::text").Scan(&old); err != nil || old != nil {
		t.Errorf("old table came back: %v %v", old, err)
	}
}

func TestConcurrentCreate(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	var slugs []string
	for i := range 10 {
		slugs = append(slugs, fmt.Sprintf("conc-%02d", i))
	}
	// Every tenant twice, as an activity retry overlapping its first attempt would.
	work := append(append([]string{}, slugs...), slugs...)
	var wg sync.WaitGroup
	errs := make(chan error, len(work))
	for _, s := range work {
		wg.Go(func() {
			if _, err := e.a.TenantDBCreate(ctx, CreateInput{Slug: s}); err != nil {
				errs <- fmt.Errorf("%s: %w", s, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var n int
	err := e.admin.QueryRow(ctx, `SELECT count(*) FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner
		WHERE starts_with(n.nspname, 'tenant_conc_') AND starts_with(r.rolname, $1)`, e.a.RolePrefix).Scan(&n)
	if err != nil || n != len(slugs) {
		t.Errorf("owned tenant schemas: %d, want %d (%v)", n, len(slugs), err)
	}
	for _, s := range slugs {
		exec(t, e.connect(t, s), "CREATE TABLE t (x int)")
	}
}

func TestInvalidSlug(t *testing.T) {
	a := &Activities{}
	check := func(what string, err error) {
		t.Helper()
		var appErr *temporal.ApplicationError
		if !errors.As(err, &appErr) || appErr.Type() != "InvalidSlug" || !appErr.NonRetryable() {
			t.Errorf("%s: %v, want non-retryable InvalidSlug", what, err)
		}
	}
	for _, slug := range []string{"", "ab", "Acme", "acme_x", "acme-", "a--b", `x"; DROP ROLE postgres; --`} {
		_, err := a.TenantDBCreate(context.Background(), CreateInput{Slug: slug})
		check("create "+slug, err)
		_, err = a.TenantDBDrop(context.Background(), DropInput{Slug: slug})
		check("drop "+slug, err)
		_, err = a.TenantURL("postgres://h/db", slug)
		check("url "+slug, err)
	}
	long := &Activities{RolePrefix: strings.Repeat("p", 20)}
	if _, err := long.TenantURL("postgres://h/db", strings.Repeat("a", tenant.MaxSlugLen)); err == nil {
		t.Error("a role name over 63 bytes was accepted")
	}
}

func TestTenantURL(t *testing.T) {
	d, _ := secrets.NewDeriver([]byte(strings.Repeat("k", 32)))
	a := &Activities{Secrets: d, RolePrefix: "p_"}
	got, err := a.TenantURL("postgres://admin:hunter2@db.example:5433/rigger?sslmode=require&user=admin&options=-csearch_path%3Drigger", "beta-co")
	if err != nil {
		t.Fatal(err)
	}
	u := mustURL(t, got)
	pw, _ := u.User.Password()
	if u.User.Username() != "p_tenant_beta_co_owner" || pw != d.Secret("postgres/beta-co") ||
		u.Host != "db.example:5433" || u.Path != "/rigger" || u.RawQuery != "sslmode=require" {
		t.Errorf("TenantURL = %s", got)
	}
	if _, err := a.TenantURL("host=db user=admin", "acme"); err == nil {
		t.Error("keyword/value connection string accepted")
	}
}

func TestClassify(t *testing.T) {
	for code, want := range map[string]string{
		"42501": "TenantDBForbidden", "28P01": "TenantDBForbidden", "2BP01": "TenantDBDependentObjects",
		"42601": "TenantDBInvalid", "22023": "TenantDBInvalid",
		"40001": "", "40P01": "", "08006": "", "55P03": "", "57P01": "", "53300": "", "XX000": "",
	} {
		err := Classify(fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: code, Message: "m"}))
		var appErr *temporal.ApplicationError
		isApp := errors.As(err, &appErr)
		switch {
		case want == "" && isApp:
			t.Errorf("%s: %v classified non-retryable", code, err)
		case want != "" && (!isApp || appErr.Type() != want || !appErr.NonRetryable()):
			t.Errorf("%s: %v, want non-retryable %s", code, err, want)
		}
		if pgCode(err) != code {
			t.Errorf("%s: cause lost: %v", code, err)
		}
	}
	if Classify(nil) != nil || !errors.Is(Classify(context.Canceled), context.Canceled) {
		t.Error("nil or context errors changed")
	}
}

// The verifier must be what PostgreSQL itself computes for the password, or
// tenants cannot log in wherever authentication is not "trust" (the test
// server's is, so logging in would prove nothing).
func TestSCRAMVerifierMatchesServer(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	role := e.a.RolePrefix + "scram"
	const password = "Zm9vYmFy-_0123456789abcdefghijklmnopqrstu"
	// One connection, so the SET applies to the CREATE ROLE.
	c, err := pgx.Connect(ctx, e.url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for _, q := range []string{
		"SET password_encryption = 'scram-sha-256'",
		"CREATE ROLE " + ident(role) + " PASSWORD " + quoteLiteral(password),
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	var stored string
	if err := c.QueryRow(ctx, "SELECT rolpassword FROM pg_authid WHERE rolname = $1", role).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	var iter int
	var salt64, rest string
	if _, err := fmt.Sscanf(strings.NewReplacer("$", " ", ":", " ").Replace(stored), "SCRAM-SHA-256 %d %s %s", &iter, &salt64, &rest); err != nil {
		t.Fatalf("parse %q: %v", stored, err)
	}
	salt, err := base64.StdEncoding.DecodeString(salt64)
	if err != nil {
		t.Fatal(err)
	}
	got, err := scramVerifierWith(password, salt, iter)
	if err != nil || got != stored {
		t.Fatalf("verifier mismatch:\n got  %s\n want %s (%v)", got, stored, err)
	}
	// And the server takes ours verbatim as an already-hashed password.
	mine, _ := scramVerifier(password)
	if _, err := e.admin.Exec(ctx, "ALTER ROLE "+ident(role)+" PASSWORD "+quoteLiteral(mine)); err != nil {
		t.Fatal(err)
	}
	if err := e.admin.QueryRow(ctx, "SELECT rolpassword FROM pg_authid WHERE rolname = $1", role).Scan(&stored); err != nil || stored != mine {
		t.Errorf("server stored %q, want %q (%v)", stored, mine, err)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Two transactions creating the same role (the advisory lock is per database,
// roles are per cluster): the loser waits on the unique index, then must see
// the winner's role and converge instead of failing.
func TestEnsureRoleRace(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	role := e.a.RolePrefix + "race"
	attrs := "LOGIN NOCREATEDB NOCREATEROLE NOINHERIT"
	tx1, err := e.admin.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx1.Rollback(ctx)
	if created, err := ensureRole(ctx, tx1, role, attrs); err != nil || !created {
		t.Fatalf("first: %v %v", created, err)
	}
	type result struct {
		created bool
		err     error
	}
	done := make(chan result, 1)
	go func() {
		tx2, err := e.admin.Begin(ctx)
		if err != nil {
			done <- result{err: err}
			return
		}
		created, err := ensureRole(ctx, tx2, role, attrs)
		if err == nil {
			err = tx2.Commit(ctx)
		} else {
			_ = tx2.Rollback(ctx)
		}
		done <- result{created, err}
	}()
	time.Sleep(300 * time.Millisecond) // let the second block on the role's name
	if err := tx1.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if r := <-done; r.err != nil || r.created {
		t.Fatalf("second: created=%v err=%v", r.created, r.err)
	}
}
