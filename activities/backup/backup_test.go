package backup

import (
	"os"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"

	"github.com/rigger-platform/rigger/internal/tenant"
)

func TestBackupRefusesWhatItCannotKeep(t *testing.T) {
	e := newEnv(t)
	e.tenant(t, "acme")
	e.asTenant(t, "acme", `CREATE TABLE t (a int);
		CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
		CREATE TRIGGER t_touch BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION touch();
		CREATE MATERIALIZED VIEW mv AS SELECT 1 AS one`)
	_, err := e.a.BackupTenant(ctx, BackupInput{Slug: "acme", BackupID: "b1"})
	wantAppErr(t, err, ErrTypeUnsupported)
	for _, want := range []string{"function touch()", "trigger t_touch on t", "materialized view mv"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %q: %v", want, err)
		}
	}
	if _, err := os.Stat(e.file("acme", "b1", manifestFile)); !os.IsNotExist(err) {
		t.Fatalf("a failed backup wrote a manifest: %v", err)
	}
}

func TestBackupInputErrors(t *testing.T) {
	e := newEnv(t)
	e.tenant(t, "acme")
	_, err := e.a.BackupTenant(ctx, BackupInput{Slug: "Bad Slug", BackupID: "b1"})
	wantAppErr(t, err, ErrTypeInvalidSlug)
	_, err = e.a.BackupTenant(ctx, BackupInput{Slug: "acme", BackupID: "../x"})
	wantAppErr(t, err, ErrTypeInvalidInput)
	_, err = e.a.BackupTenant(ctx, BackupInput{Slug: "nobody", BackupID: "b1"})
	wantAppErr(t, err, ErrTypeTenantNotFound)
	e.exec(t, "DROP SCHEMA tenant_acme CASCADE")
	_, err = e.a.BackupTenant(ctx, BackupInput{Slug: "acme", BackupID: "b1"})
	wantAppErr(t, err, ErrTypeSchemaNotFound)
}

// TestBackupRetryConverges: an attempt that died half-way leaves files; the
// retry replaces them, removes those it does not need, and only then writes
// the manifest.
func TestBackupRetryConverges(t *testing.T) {
	e := newEnv(t)
	e.fixture(t, "acme")
	for _, stale := range []string{"data/0002-accounts.copy.zst", "data/0099-dropped_table.copy.zst"} {
		path := e.file("acme", "b1", stale)
		os.MkdirAll(path[:strings.LastIndex(path, "/")], 0o750)
		if err := os.WriteFile(path, []byte("left by a dead attempt"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	res := e.backup(t, "acme", "b1")
	if _, err := os.Stat(e.file("acme", "b1", "data/0099-dropped_table.copy.zst")); !os.IsNotExist(err) {
		t.Fatalf("stale file kept: %v", err)
	}
	if _, err := e.a.RestoreTenant(ctx, RestoreInput{Slug: "acme", BackupID: "b1", TargetSchema: "drill_r"}); err != nil {
		t.Fatal(err)
	}
	if v, err := e.a.VerifyRestore(ctx, VerifyInput{Slug: "acme", BackupID: "b1", Schema: "drill_r"}); err != nil || !v.OK {
		t.Fatalf("verify %+v %v", v, err)
	}
	list, err := e.a.ListBackups(ctx, ListBackupsInput{Slug: "acme"})
	if err != nil || len(list.Backups) != 1 {
		t.Fatalf("list %+v %v", list, err)
	}
	b := list.Backups[0]
	if !b.Complete || b.Rows != 3004+4500+3 || b.Tables != 4 || b.VerifiedAt == nil || b.StoredBytes <= res.Bytes {
		t.Fatalf("listed %+v", b)
	}
}

// TestActivitiesUnderTheSDK runs backup and restore as real activities, so
// their heartbeats go through the SDK.
func TestActivitiesUnderTheSDK(t *testing.T) {
	e := newEnv(t)
	e.fixture(t, "acme")
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivityWithOptions(e.a, activity.RegisterOptions{SkipInvalidStructFunctions: true})
	val, err := env.ExecuteActivity(e.a.BackupTenant, BackupInput{Slug: "acme", BackupID: "sdk", TakenAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	var res BackupResult
	if err := val.Get(&res); err != nil || len(res.Manifest.Tables) != 4 {
		t.Fatalf("result %+v %v", res, err)
	}
	val, err = env.ExecuteActivity(e.a.RestoreTenant, RestoreInput{Slug: "acme", BackupID: "sdk", TargetSchema: "drill_sdk"})
	if err != nil {
		t.Fatal(err)
	}
	var r RestoreResult
	if err := val.Get(&r); err != nil || r.Rows != 7507 {
		t.Fatalf("restore %+v %v", r, err)
	}
	_, err = env.ExecuteActivity(e.a.DropScratch, DropScratchInput{Schema: tenant.Schema("acme")})
	if err == nil || !strings.Contains(err.Error(), ErrTypeNotScratch) {
		t.Fatalf("drop live through the SDK: %v", err)
	}
}
