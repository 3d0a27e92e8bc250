package backup

import (
	"testing"

	"github.com/rigger-platform/rigger/internal/tenant"
)

func TestDropScratchRefusesWhatRestoreDidNotMake(t *testing.T) {
	e := newEnv(t)
	e.fixture(t, "acme")
	e.exec(t, "CREATE SCHEMA drill_handmade")
	e.exec(t, "CREATE SCHEMA restore_commented; COMMENT ON SCHEMA restore_commented IS 'important'")
	for schema, kind := range map[string]string{
		tenant.Schema("acme"): ErrTypeNotScratch, // the live tenant: wrong name
		"public":              ErrTypeNotScratch,
		"drill_handmade":      ErrTypeNotScratch, // right name, no marker
		"restore_commented":   ErrTypeNotScratch,
		"drill_x; DROP":       ErrTypeNotScratch,
		"":                    ErrTypeNotScratch,
	} {
		_, err := e.a.DropScratch(ctx, DropScratchInput{Schema: schema})
		wantAppErr(t, err, kind)
	}
	for _, s := range []string{tenant.Schema("acme"), "drill_handmade", "restore_commented"} {
		if !e.schemaExists(t, s) {
			t.Fatalf("%s was dropped", s)
		}
	}
	// Restoring over a schema the restore did not make is refused as well.
	_, err := e.a.RestoreTenant(ctx, RestoreInput{Slug: "acme", BackupID: "b1", TargetSchema: "drill_handmade"})
	wantAppErr(t, err, ErrTypeNotFound) // no backup b1 yet: checked first
	e.backup(t, "acme", "b1")
	_, err = e.a.RestoreTenant(ctx, RestoreInput{Slug: "acme", BackupID: "b1", TargetSchema: "drill_handmade"})
	wantAppErr(t, err, ErrTypeTargetExists)
	_, err = e.a.RestoreTenant(ctx, RestoreInput{Slug: "acme", BackupID: "b1", TargetSchema: tenant.Schema("acme")})
	wantAppErr(t, err, ErrTypeNotScratch)
}

func TestSwapSchema(t *testing.T) {
	e := newEnv(t)
	e.fixture(t, "acme")
	m := e.backup(t, "acme", "b1").Manifest
	// Changes after the backup: the restore must undo them.
	e.asTenant(t, "acme", `DELETE FROM events; INSERT INTO accounts (name) VALUES ('after backup')`)
	if _, err := e.a.RestoreTenant(ctx, RestoreInput{Slug: "acme", BackupID: "b1", TargetSchema: "restore_acme_1"}); err != nil {
		t.Fatal(err)
	}
	_, err := e.a.SwapSchema(ctx, SwapInput{Slug: "acme", FromSchema: "drill_acme_1"})
	wantAppErr(t, err, ErrTypeNotScratch) // drills are never swapped in

	res, err := e.a.SwapSchema(ctx, SwapInput{Slug: "acme", FromSchema: "restore_acme_1"})
	if err != nil || !res.Swapped || res.Schema != "tenant_acme" || res.AsideSchema != "replaced_acme_1" {
		t.Fatalf("swap %+v %v", res, err)
	}
	v, err := e.a.VerifyRestore(ctx, VerifyInput{Slug: "acme", BackupID: "b1", Schema: "tenant_acme"})
	if err != nil || !v.OK {
		t.Fatalf("live schema after swap does not match the backup: %+v %v", v, err)
	}
	// The tenant's role owns and uses its restored schema as before.
	owners := e.strings(t, `SELECT DISTINCT pg_get_userbyid(relowner)::text FROM pg_class WHERE relnamespace = 'tenant_acme'::regnamespace
		UNION SELECT pg_get_userbyid(nspowner)::text FROM pg_namespace WHERE nspname = 'tenant_acme'
		UNION SELECT DISTINCT pg_get_userbyid(typowner)::text FROM pg_type WHERE typnamespace = 'tenant_acme'::regnamespace`)
	if len(owners) != 1 || owners[0] != e.role("acme") {
		t.Fatalf("owners after swap %v, want only %s", owners, e.role("acme"))
	}
	e.asTenant(t, "acme", `INSERT INTO events (account_id, kind) VALUES (1, 'after restore');
		INSERT INTO accounts (name, feeling) VALUES ('tenant writes', 'ok'); SELECT nextval('invoice_numbers')`)
	if n := e.strings(t, `SELECT count(*)::text FROM replaced_acme_1.accounts`); n[0] != "3005" {
		t.Fatalf("aside schema has %s accounts, want the 3005 of before the swap", n[0])
	}
	// A retried swap reports the swap already done.
	again, err := e.a.SwapSchema(ctx, SwapInput{Slug: "acme", FromSchema: "restore_acme_1"})
	if err != nil || again.Swapped || again.AsideSchema != "replaced_acme_1" {
		t.Fatalf("retry %+v %v", again, err)
	}
	// The aside copy is old live data: DropScratch will not touch it.
	_, err = e.a.DropScratch(ctx, DropScratchInput{Schema: "replaced_acme_1"})
	wantAppErr(t, err, ErrTypeNotScratch)
	_ = m
}
