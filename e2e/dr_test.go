package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/activities/backup"
	"github.com/rigger-platform/rigger/activities/dr"
	"github.com/rigger-platform/rigger/api"
	"github.com/rigger-platform/rigger/internal/store"
	"github.com/rigger-platform/rigger/internal/tenant"
	"github.com/rigger-platform/rigger/workflows"
)

// alertReceiver is the operators' webhook: it keeps every DR alert.
type alertReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	alerts []dr.Alert
}

func newAlertReceiver(t *testing.T) *alertReceiver {
	a := &alertReceiver{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var al dr.Alert
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &al); err != nil || r.Header.Get(dr.AlertDeliveryHeader) == "" {
			http.Error(w, "bad alert", http.StatusBadRequest)
			return
		}
		a.mu.Lock()
		a.alerts = append(a.alerts, al)
		a.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *alertReceiver) list() []dr.Alert {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]dr.Alert(nil), a.alerts...)
}

// drFixture creates, as the tenant's own role, tables whose types are easy
// to get wrong in a dump: numeric (huge, tiny, NaN), jsonb, bytea (NUL and
// high bytes), timestamptz across zones, arrays (with NULL elements, nested,
// of an enum), NULLs everywhere, an identity and a serial column, a view.
var drFixture = []string{
	`CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`,
	`CREATE TABLE accounts (
		id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		name text NOT NULL,
		balance numeric(30,10),
		ratio numeric,
		settings jsonb,
		avatar bytea,
		created timestamptz,
		tags text[],
		scores int[],
		grid numeric[][],
		moods mood[],
		note text)`,
	`CREATE INDEX accounts_name ON accounts (lower(name))`,
	`INSERT INTO accounts (name, balance, ratio, settings, avatar, created, tags, scores, grid, moods, note) VALUES
		('alice', 12345678901234567890.0123456789, 'NaN', '{"a": [1, 2.50, {"b": null}], "unicode": "ünï\u2603", "quote": "\"x\""}',
		 '\x00ff10de'::bytea, '2026-03-29 01:59:59.999999+01', '{"x","with space","quote\"d", NULL}', '{1,NULL,3}',
		 '{{1.5,2},{3,NULL}}', '{happy,sad}', E'tab\there\nnewline\\backslash'),
		('bob', -0.0000000001, 1e-30, 'null', ''::bytea, '1970-01-01 00:00:00+00', '{}', NULL, NULL, '{}', ''),
		('carol', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
	`INSERT INTO accounts (name, balance, settings, avatar, created, tags)
		SELECT 'user' || g, g * 1.25, jsonb_build_object('n', g, 'even', g % 2 = 0), decode(md5(g::text), 'hex'),
		       timestamptz '2026-01-01 00:00:00+00' + g * interval '37 minutes', ARRAY['t' || g, NULL]
		FROM generate_series(1, 3000) g`,
	`CREATE TABLE events (
		id serial PRIMARY KEY,
		account bigint REFERENCES accounts (id),
		at timestamptz NOT NULL DEFAULT now(),
		payload jsonb NOT NULL,
		mood mood)`,
	`INSERT INTO events (account, payload, mood) SELECT (g % 3000) + 1, jsonb_build_object('i', g), (ARRAY['sad','ok','happy'])[g % 3 + 1]::mood
		FROM generate_series(1, 5000) g`,
	`CREATE VIEW rich AS SELECT id, name FROM accounts WHERE balance > 1000`,
}

// tableText renders every row of the tenant's tables in a fixed order, so
// two schemas can be compared exactly.
func tableText(t *testing.T, p *platform, schema string) string {
	t.Helper()
	var out []string
	for _, q := range []string{
		`SELECT count(*)::text || ':' || coalesce(string_agg(a::text, '|' ORDER BY a.id), '') FROM %s.accounts a`,
		`SELECT count(*)::text || ':' || coalesce(string_agg(e::text, '|' ORDER BY e.id), '') FROM %s.events e`,
		`SELECT count(*)::text FROM %s.rich`,
	} {
		var s string
		if err := p.store.Pool.QueryRow(context.Background(), strings.ReplaceAll(q, "%s", pgx.Identifier{schema}.Sanitize())).Scan(&s); err != nil {
			t.Fatalf("read %s: %v", schema, err)
		}
		out = append(out, s)
	}
	return strings.Join(out, "\n")
}

func scratchSchemas(t *testing.T, p *platform) []string {
	t.Helper()
	rows, err := p.store.Pool.Query(context.Background(), `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'drill\_%' OR nspname LIKE 'restore\_%'`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func waitRun(t *testing.T, p *platform, id, runID string, out any) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	return p.client.GetWorkflow(ctx, id, runID).Get(ctx, out)
}

func (p *platform) startDrill(t *testing.T, tenants ...string) api.StartedResponse {
	t.Helper()
	var d api.StartedResponse
	if code := p.call("POST", "/v1/dr/drills", map[string]any{"tenants": tenants}, &d); code != http.StatusAccepted || d.ID == "" {
		t.Fatalf("POST /v1/dr/drills = %d %+v", code, d)
	}
	return d
}

func (p *platform) getDrill(t *testing.T, id string) api.DrillResponse {
	t.Helper()
	var d api.DrillResponse
	if code := p.call("GET", "/v1/dr/drills/"+id, nil, &d); code != http.StatusOK {
		t.Fatalf("GET drill %s = %d", id, code)
	}
	return d
}

// TestBackupDrillRestoreEndToEnd: a tenant with real data in awkward types is
// backed up through the API (verified by a scratch restore), drilled (RTO and
// RPO reported), restored over changed data, then one backup file is
// corrupted: the next drill reports the tenant failed and alerts, a restore
// from it fails without touching live data, and offboarding takes a final
// backup that outlives the tenant's storage.
func TestBackupDrillRestoreEndToEnd(t *testing.T) {
	alerts := newAlertReceiver(t)
	p := newPlatform(t, platformOptions{devDefaults: true, noWorker: true})
	p.deps.DR.AlertURL = alerts.URL + "/dr?token=s3cret"
	p.startWorker()
	slug := "dr-" + pgtest4()
	p.onboardActive(slug)
	ctx := context.Background()
	schema, role := tenant.Schema(slug), p.rolePfx+tenant.DBRole(slug)
	err := pgx.BeginFunc(ctx, p.store.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL ROLE "+pgx.Identifier{role}.Sanitize()); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "SET LOCAL search_path TO "+pgx.Identifier{schema}.Sanitize()); err != nil {
			return err
		}
		for _, q := range drFixture {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	original := tableText(t, p, schema)

	// 1. A backup through the API, as the tenant's admin.
	admin := p.tenantKey(slug, "admin")
	var started api.StartedResponse
	if code := p.callAs(admin.Key, "POST", "/v1/tenants/"+slug+"/backups", nil, &started); code != http.StatusAccepted {
		t.Fatalf("POST backups = %d %+v", code, started)
	}
	var br workflows.TenantBackupResult
	if err := waitRun(t, p, started.WorkflowID, started.RunID, &br); err != nil {
		t.Fatalf("backup: %v", err)
	}
	if !br.Verified || br.Tables != 2 || br.Rows != 3003+5000 || br.BackupID != started.BackupID {
		t.Fatalf("backup result %+v", br)
	}
	reader := p.tenantKey(slug, "read")
	var list struct {
		Backups []api.BackupResponse `json:"backups"`
	}
	if code := p.callAs(reader.Key, "GET", "/v1/tenants/"+slug+"/backups", nil, &list); code != http.StatusOK || len(list.Backups) != 1 {
		t.Fatalf("GET backups = %d %+v", code, list)
	}
	if b := list.Backups[0]; b.ID != br.BackupID || b.VerifiedAt == nil || b.Rows != br.Rows || b.SnapshotAt == nil || b.Status != "complete" {
		t.Fatalf("listed backup %+v", b)
	}
	if n := scratchSchemas(t, p); len(n) != 0 {
		t.Fatalf("verification left scratch schemas: %v", n)
	}
	p.assertReplays(started.WorkflowID, "backup")

	// 2. A drill through the API: it restores and verifies, with RTO and RPO.
	d1 := p.startDrill(t, slug)
	var rep workflows.DrillReport
	if err := waitRun(t, p, d1.WorkflowID, d1.RunID, &rep); err != nil {
		t.Fatalf("drill: %v", err)
	}
	got := p.getDrill(t, d1.ID)
	if got.Status != store.DrillPassed || len(got.Results) != 1 || got.FinishedAt == nil || len(got.Report) == 0 {
		t.Fatalf("drill %+v", got)
	}
	if r := got.Results[0]; !r.OK || r.BackupID != br.BackupID || r.RTOMs <= 0 || r.RPOMs <= 0 || r.RPO == "" || len(r.Problems) != 0 {
		t.Fatalf("drill result %+v", r)
	}
	t.Logf("drill %s: RTO %s, RPO %s for %d rows", got.ID, got.Results[0].RTO, got.Results[0].RPO, br.Rows)
	if n := scratchSchemas(t, p); len(n) != 0 {
		t.Fatalf("the drill left scratch schemas: %v", n)
	}
	p.assertReplays(d1.WorkflowID, "dr_drill")
	p.assertReplays(workflows.DrillTenantWorkflowID(d1.ID, slug), "dr_drill_tenant")

	// 3. A restore through the API puts the backup back over changed data.
	if _, err := p.store.Pool.Exec(ctx, `DELETE FROM `+pgx.Identifier{schema, "events"}.Sanitize()+` WHERE id > 10;
		UPDATE `+pgx.Identifier{schema, "accounts"}.Sanitize()+` SET note = 'changed'`); err != nil {
		t.Fatal(err)
	}
	if code := p.callAs(admin.Key, "POST", "/v1/tenants/"+slug+"/restore", map[string]string{"backupId": br.BackupID}, nil); code != http.StatusForbidden {
		t.Fatalf("a tenant admin may not restore: %d", code)
	}
	var rs api.StartedResponse
	if code := p.call("POST", "/v1/tenants/"+slug+"/restore", map[string]string{"backupId": br.BackupID}, &rs); code != http.StatusAccepted {
		t.Fatalf("POST restore = %d %+v", code, rs)
	}
	var rr workflows.TenantRestoreResult
	if err := waitRun(t, p, rs.WorkflowID, rs.RunID, &rr); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if now := tableText(t, p, schema); now != original {
		t.Fatalf("restored data differs from the backup:\n%.300s\nvs\n%.300s", now, original)
	}
	if aside := tableText(t, p, rr.AsideSchema); !strings.HasPrefix(aside, "3003:") || !strings.Contains(aside, "\n10:") {
		t.Fatalf("the replaced data was not kept aside in %s: %.200s", rr.AsideSchema, aside)
	}
	// The tenant's own role owns and reads the restored tables.
	err = pgx.BeginFunc(ctx, p.store.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL ROLE "+pgx.Identifier{role}.Sanitize()); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO "+pgx.Identifier{schema, "events"}.Sanitize()+" (account, payload) VALUES (1, '{}')")
		return err
	})
	if err != nil {
		t.Fatalf("the tenant role cannot write its restored schema: %v", err)
	}
	p.assertReplays(rs.WorkflowID, "restore") // before step 5 reuses the ID

	// 4. Corrupt one data file of the backup: the next drill fails loudly.
	dataDir := filepath.Join(p.storeDir, tenant.StoragePrefix(slug), "backups", br.BackupID, "data")
	files, _ := filepath.Glob(filepath.Join(dataDir, "*accounts*"))
	if len(files) != 1 {
		t.Fatalf("data files %v", files)
	}
	body, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	body[len(body)/2] ^= 0xff // same size, other bytes
	if err := os.WriteFile(files[0], body, 0o640); err != nil {
		t.Fatal(err)
	}
	d2 := p.startDrill(t, slug)
	err = waitRun(t, p, d2.WorkflowID, d2.RunID, nil)
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != workflows.ErrTypeDrillFailed {
		t.Fatalf("the drill over a corrupt backup = %v, want %s", err, workflows.ErrTypeDrillFailed)
	}
	got = p.getDrill(t, d2.ID)
	if got.Status != store.DrillFailed || len(got.Results) != 1 || got.Results[0].OK {
		t.Fatalf("drill %+v", got)
	}
	if probs := strings.Join(got.Results[0].Problems, "; "); !strings.Contains(probs, "SHA-256") {
		t.Fatalf("problems %q", probs)
	}
	var stored workflows.DrillReport
	if err := json.Unmarshal(got.Report, &stored); err != nil || stored.Summary.Failed != 1 || !stored.Alerted {
		t.Fatalf("stored report %s: %v", got.Report, err)
	}
	al := alerts.list()
	if len(al) != 1 || al[0].Kind != "dr-drill" || al[0].ID != d2.ID || len(al[0].Tenants) != 1 || al[0].Tenants[0].Tenant != slug {
		t.Fatalf("alerts %+v", al)
	}
	if n := scratchSchemas(t, p); len(n) != 0 {
		t.Fatalf("the failed drill left scratch schemas: %v", n)
	}

	// 5. A restore from the corrupt backup fails and leaves live data alone.
	before := tableText(t, p, schema)
	if code := p.call("POST", "/v1/tenants/"+slug+"/restore", map[string]string{"backupId": br.BackupID}, &rs); code != http.StatusAccepted {
		t.Fatalf("POST restore = %d", code)
	}
	if err := waitRun(t, p, rs.WorkflowID, rs.RunID, nil); err == nil {
		t.Fatal("a restore from a corrupt backup succeeded")
	}
	if tableText(t, p, schema) != before {
		t.Fatal("a failed restore changed the live data")
	}
	if n := scratchSchemas(t, p); len(n) != 0 {
		t.Fatalf("the failed restore left schemas: %v", n)
	}

	// 5b. The scheduled fan-out (as the schedule starts it, for one
	// tenant) takes a fresh backup through a TenantBackup child. Its stamp
	// must differ from step 1's (same minute: the child is not started).
	for workflows.BackupStamp(time.Now()) == br.BackupID {
		time.Sleep(time.Second)
	}
	fan, err := p.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.BackupsWorkflowID(workflows.BackupStamp(time.Now())),
		TaskQueue: workflows.TaskQueueDR}, workflows.TenantBackupsWorkflow, workflows.TenantBackupsInput{Tenants: []string{slug}})
	if err != nil {
		t.Fatal(err)
	}
	var fr workflows.TenantBackupsResult
	if err := waitRun(t, p, fan.GetID(), fan.GetRunID(), &fr); err != nil || len(fr.BackedUp) != 1 || len(fr.Failed) != 0 || fr.Stamp == br.BackupID {
		t.Fatalf("tenant backups: %+v %v", fr, err)
	}
	p.assertReplays(fan.GetID(), "backups")
	p.assertReplays(workflows.BackupWorkflowID(slug, fr.Stamp), "backups_child")

	// 6. Offboarding takes a verified final backup, kept outside the
	// tenant's prefix, before removing anything.
	if code := p.call("DELETE", "/v1/tenants/"+slug, nil, nil); code != http.StatusAccepted {
		t.Fatalf("DELETE = %d", code)
	}
	gone := p.waitStatus(slug, "deleted", 3*time.Minute)
	var finalDetail string
	for _, s := range gone.Steps {
		if s.Name == workflows.StepFinalBackup {
			finalDetail = s.Detail
			if s.State != workflows.StepDone {
				t.Fatalf("final backup step %+v", s)
			}
		}
	}
	manifests, _ := filepath.Glob(filepath.Join(p.storeDir, dr.RetainedPrefix, tenant.StoragePrefix(slug), "backups", "final-*", "manifest.json"))
	if len(manifests) != 1 || !strings.Contains(finalDetail, "verified") {
		t.Fatalf("retained final backup: %v (step: %q)", manifests, finalDetail)
	}
	mbody, _ := os.ReadFile(manifests[0])
	var m backup.Manifest
	if err := json.Unmarshal(mbody, &m); err != nil || m.Tenant != slug || len(m.Tables) != 2 {
		t.Fatalf("final manifest: %v %+v", err, m)
	}
	var rows int64
	for _, tb := range m.Tables {
		rows += tb.Rows
	}
	if rows != 3003+5000+1 { // the restored data plus the tenant's insert
		t.Fatalf("final backup has %d rows", rows)
	}
	if entries, _ := os.ReadDir(filepath.Join(p.storeDir, tenant.StoragePrefix(slug))); len(entries) != 0 {
		t.Fatalf("tenant prefix not removed: %v", entries)
	}
	recs, _ := p.store.ListBackups(ctx, slug, "")
	for _, r := range recs {
		if r.Status != store.BackupDeleted {
			t.Fatalf("backup record %s still %s after offboarding", r.ID, r.Status)
		}
	}
	p.assertRemoved(slug)
}

// TestDrillCancelledMidRestore: an operator cancels a drill while a real
// restore is loading; the restore stops first, then the scratch copy is
// dropped, and the drill is recorded cancelled.
func TestDrillCancelledMidRestore(t *testing.T) {
	p := newPlatform(t, platformOptions{devDefaults: true})
	slug := "drc-" + pgtest4()
	p.onboardActive(slug)
	ctx := context.Background()
	tbl := pgx.Identifier{tenant.Schema(slug), "big"}.Sanitize()
	if _, err := p.store.Pool.Exec(ctx, `CREATE TABLE `+tbl+` (id int PRIMARY KEY, pad text, doc jsonb);
		INSERT INTO `+tbl+` SELECT g, repeat(md5(g::text), 8), jsonb_build_object('g', g) FROM generate_series(1, 200000) g`); err != nil {
		t.Fatal(err)
	}
	var started api.StartedResponse
	if code := p.call("POST", "/v1/tenants/"+slug+"/backups", nil, &started); code != http.StatusAccepted {
		t.Fatalf("POST backups = %d", code)
	}
	if err := waitRun(t, p, started.WorkflowID, started.RunID, nil); err != nil {
		t.Fatal(err)
	}
	d := p.startDrill(t, slug)
	scratch := backup.ScratchSchema("drill", slug, d.ID)
	deadline := time.Now().Add(time.Minute)
	for {
		var n int
		_ = p.store.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_namespace WHERE nspname = $1`, scratch).Scan(&n)
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the drill's restore never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := p.client.CancelWorkflow(ctx, d.WorkflowID, ""); err != nil {
		t.Fatal(err)
	}
	if err := waitRun(t, p, d.WorkflowID, d.RunID, nil); !temporal.IsCanceledError(err) {
		t.Fatalf("want cancelled, got %v", err)
	}
	if n := scratchSchemas(t, p); len(n) != 0 {
		t.Fatalf("a cancelled drill left %v", n)
	}
	if got := p.getDrill(t, d.ID); got.Status != store.DrillCancelled || len(got.Results) != 0 {
		t.Fatalf("drill %+v", got)
	}
}
