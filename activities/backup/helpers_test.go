package backup

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/activities/tenantdb"
	"github.com/rigger-platform/rigger/internal/pgtest"
	"github.com/rigger-platform/rigger/internal/secrets"
	"github.com/rigger-platform/rigger/internal/store"
	"github.com/rigger-platform/rigger/internal/tenant"
)

var ctx = context.Background()

// env is one test's world: its own database (migrated control plane), its
// own local storage directory and its own role prefix.
type env struct {
	a      *Activities
	pool   *pgxpool.Pool
	store  *store.Store
	dir    string // the Local store's root
	tdb    *tenantdb.Activities
	prefix string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	url := pgtest.NewDatabase(t)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 8
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	s := &store.Store{Pool: pool}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	local, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { local.Close() })
	d, err := secrets.NewDeriver([]byte(strings.Repeat("b", 32)))
	if err != nil {
		t.Fatal(err)
	}
	prefix := "b" + pgtest.RandomSuffix() + "_"
	t.Cleanup(func() { dropRolesWithPrefix(t, url, prefix) })
	return &env{
		a:    &Activities{Pool: pool, Store: local, Store2: s, RolePrefix: prefix},
		pool: pool, store: s, dir: dir, prefix: prefix,
		tdb: &tenantdb.Activities{Pool: pool, Secrets: d, RolePrefix: prefix},
	}
}

// dropRolesWithPrefix removes the test's roles, which are cluster-global and
// would outlive the database.
func dropRolesWithPrefix(t testing.TB, url, prefix string) {
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Logf("cleanup: %v", err)
		return
	}
	defer c.Close(ctx)
	rows, _ := c.Query(ctx, "SELECT quote_ident(rolname) FROM pg_roles WHERE starts_with(rolname, $1)", prefix)
	roles, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Logf("cleanup: %v", err)
		return
	}
	for _, r := range roles {
		for _, q := range []string{"DROP OWNED BY " + r + " CASCADE", "DROP ROLE " + r} {
			if _, err := c.Exec(ctx, q); err != nil {
				t.Logf("cleanup %s: %v", q, err)
			}
		}
	}
}

// tenant provisions a tenant as onboarding does: control-plane row,
// subscription, schema and role.
func (e *env) tenant(t testing.TB, slug string) {
	t.Helper()
	if _, _, err := e.store.ClaimTenant(ctx, store.TenantSpec{Slug: slug, DisplayName: "Tenant " + slug, Plan: "team", Owner: "owner@example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.store.Subscribe(ctx, slug, "team"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.tdb.TenantDBCreate(ctx, tenantdb.CreateInput{Slug: slug}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) role(slug string) string { return e.prefix + tenant.DBRole(slug) }

// asTenant runs sql as the tenant's role in its schema, as its Backstage would.
func (e *env) asTenant(t testing.TB, slug, sql string) {
	t.Helper()
	err := pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL ROLE "+ident(e.role(slug))+"; SET LOCAL search_path = "+ident(tenant.Schema(slug))); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, sql)
		return err
	})
	if err != nil {
		t.Fatalf("as tenant %s: %v", slug, err)
	}
}

func (e *env) exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	if _, err := e.pool.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func (e *env) strings(t testing.TB, sql string, args ...any) []string {
	t.Helper()
	rows, err := e.pool.Query(ctx, sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

func (e *env) schemaExists(t testing.TB, schema string) bool {
	var ok bool
	if err := e.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", schema).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

// file is the path of a backup's file in the Local store.
func (e *env) file(slug, id, name string) string {
	return filepath.Join(e.dir, "tenants", slug, "backups", id, filepath.FromSlash(name))
}

func (e *env) backup(t testing.TB, slug, id string) BackupResult {
	t.Helper()
	res, err := e.a.BackupTenant(ctx, BackupInput{Slug: slug, BackupID: id, TakenAt: time.Now()})
	if err != nil {
		t.Fatalf("backup %s/%s: %v", slug, id, err)
	}
	return res
}

// wantAppErr checks err is a non-retryable application error of kind.
func wantAppErr(t testing.TB, err error, kind string) {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		t.Fatalf("want %s application error, got %v", kind, err)
	}
	if appErr.Type() != kind || !appErr.NonRetryable() {
		t.Fatalf("want non-retryable %s, got %s (non-retryable %v): %v", kind, appErr.Type(), appErr.NonRetryable(), err)
	}
}

// flipByte damages one byte in the middle of a file.
func flipByte(t testing.TB, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x55
	if err := os.WriteFile(path, b, 0o640); err != nil {
		t.Fatal(err)
	}
}
