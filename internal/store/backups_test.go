package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/rigger-platform/rigger/internal/store"
)

func TestBackupRecords(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if _, _, err := s.ClaimTenant(ctx, store.TenantSpec{Slug: "acme", DisplayName: "A", Plan: "team", Owner: "o"}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	b := store.Backup{Tenant: "acme", ID: "20261103", TakenAt: at, Status: store.BackupComplete, Bytes: 42,
		Manifest: json.RawMessage(`{"backupId": "20261103"}`)}
	for range 2 { // idempotent
		if err := s.RecordBackup(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	verified := at.Add(time.Hour)
	if err := s.MarkBackupVerified(ctx, "acme", "20261103", verified); err != nil {
		t.Fatal(err)
	}
	// An older verification does not move the time back.
	if err := s.MarkBackupVerified(ctx, "acme", "20261103", at); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetBackup(ctx, "acme", "20261103")
	if err != nil || got.VerifiedAt == nil || !got.VerifiedAt.Equal(verified) || got.Bytes != 42 {
		t.Fatalf("get %+v %v", got, err)
	}
	// Recording the same manifest again keeps the verification...
	if err := s.RecordBackup(ctx, b); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetBackup(ctx, "acme", "20261103"); got.VerifiedAt == nil {
		t.Fatal("same manifest lost its verification")
	}
	// ...a different one (the backup was taken again) clears it.
	b.Manifest = json.RawMessage(`{"backupId": "20261103", "again": true}`)
	if err := s.RecordBackup(ctx, b); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetBackup(ctx, "acme", "20261103"); got.VerifiedAt != nil {
		t.Fatal("new manifest kept the old verification")
	}
	older := store.Backup{Tenant: "acme", ID: "20261102", TakenAt: at.AddDate(0, 0, -1), Status: store.BackupComplete}
	if err := s.RecordBackup(ctx, older); err != nil {
		t.Fatal(err)
	}
	if latest, err := s.LatestBackup(ctx, "acme"); err != nil || latest.ID != "20261103" {
		t.Fatalf("latest %+v %v", latest, err)
	}
	if err := s.MarkBackupDeleted(ctx, "acme", "20261103"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkBackupDeleted(ctx, "acme", "never-recorded"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkBackupVerified(ctx, "acme", "20261103", at); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("verify a deleted backup: %v", err)
	}
	if latest, err := s.LatestBackup(ctx, "acme"); err != nil || latest.ID != "20261102" {
		t.Fatalf("latest after delete %+v %v", latest, err)
	}
	all, err := s.ListBackups(ctx, "acme", "")
	if err != nil || len(all) != 2 || all[0].ID != "20261103" {
		t.Fatalf("list %+v %v", all, err)
	}
	if bad := (store.Backup{Tenant: "acme", ID: "../x", TakenAt: at, Status: store.BackupComplete}); s.RecordBackup(ctx, bad) == nil {
		t.Fatal("a backup ID that is not a key segment was accepted")
	}
	tenantJSON, subs, err := s.TenantRowsJSON(ctx, "acme")
	if err != nil || !json.Valid(tenantJSON) || string(subs) != "[]" {
		t.Fatalf("rows %s %s %v", tenantJSON, subs, err)
	}
	if _, _, err := s.TenantRowsJSON(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing tenant: %v", err)
	}
}

func TestDrillRecords(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	start := time.Date(2026, 11, 8, 3, 0, 0, 0, time.UTC)
	d, created, err := s.StartDrill(ctx, "2026-11-08", start)
	if err != nil || !created || d.Status != store.DrillRunning {
		t.Fatalf("start %+v %v %v", d, created, err)
	}
	if _, created, err := s.StartDrill(ctx, "2026-11-08", start.Add(time.Minute)); err != nil || created {
		t.Fatalf("restart %v %v", created, err)
	}
	for range 2 {
		err := s.RecordDrillResult(ctx, store.DrillResult{DrillID: "2026-11-08", Tenant: "acme", BackupID: "b1", OK: false,
			RTO: 1500 * time.Millisecond, RPO: -time.Second, Problems: []string{"table x: checksum differs"}})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordDrillResult(ctx, store.DrillResult{DrillID: "2026-11-08", Tenant: "beta", OK: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordDrillResult(ctx, store.DrillResult{DrillID: "no-such-drill", Tenant: "acme"}); err == nil {
		t.Fatal("result for an unknown drill accepted")
	}
	res, err := s.DrillResults(ctx, "2026-11-08")
	if err != nil || len(res) != 2 || res[0].RTO != 1500*time.Millisecond || res[0].RPO != 0 || len(res[0].Problems) != 1 || len(res[1].Problems) != 0 {
		t.Fatalf("results %+v %v", res, err)
	}
	report := json.RawMessage(`{"tenants": 2, "failed": ["acme"]}`)
	if err := s.FinishDrill(ctx, "2026-11-08", store.DrillFailed, start.Add(time.Hour), report); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishDrill(ctx, "nope", store.DrillFailed, start, nil); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("finish unknown: %v", err)
	}
	got, err := s.GetDrill(ctx, "2026-11-08")
	if err != nil || got.Status != store.DrillFailed || got.FinishedAt == nil || !json.Valid(got.Report) {
		t.Fatalf("drill %+v %v", got, err)
	}
	if list, err := s.ListDrills(ctx, 10); err != nil || len(list) != 1 {
		t.Fatalf("list %+v %v", list, err)
	}
}
