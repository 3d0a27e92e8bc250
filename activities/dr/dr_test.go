package dr

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/activities/backup"
	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/internal/pgtest"
	"github.com/rigger-platform/rigger/internal/store"
)

var ctx = context.Background()

func newStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

func addTenant(t *testing.T, st *store.Store, slug, status string) {
	t.Helper()
	if _, _, err := st.ClaimTenant(ctx, store.TenantSpec{Slug: slug, DisplayName: slug, Plan: "team", Owner: "alice"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetTenantStatus(ctx, slug, nil, status, ""); err != nil {
		t.Fatal(err)
	}
}

func appType(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Type()
	}
	return ""
}

func TestDRListTenantsPagesAndSamples(t *testing.T) {
	st := newStore(t)
	var active []string
	for i := range 25 {
		slug := fmt.Sprintf("t-%03d", i)
		addTenant(t, st, slug, store.StatusActive)
		active = append(active, slug)
	}
	addTenant(t, st, "failed-co", store.StatusFailed)
	addTenant(t, st, "gone-co", store.StatusDeleted)
	a := &Activities{Store: st}

	var paged []string
	after := ""
	for pages := 0; ; pages++ {
		r, err := a.DRListTenants(ctx, ListTenantsInput{After: after, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, r.Tenants...)
		if r.Next == "" {
			break
		}
		after = r.Next
		if pages > 5 {
			t.Fatal("paging does not end")
		}
	}
	if !slices.Equal(paged, active) {
		t.Fatalf("pages %v", paged)
	}

	s1, err := a.DRListTenants(ctx, ListTenantsInput{Sample: 5, Seed: "2026-11-03"})
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := a.DRListTenants(ctx, ListTenantsInput{Sample: 5, Seed: "2026-11-03"})
	s3, _ := a.DRListTenants(ctx, ListTenantsInput{Sample: 5, Seed: "2026-11-10"})
	if len(s1.Tenants) != 5 || s1.Total != 25 || !slices.Equal(s1.Tenants, s2.Tenants) || !slices.IsSorted(s1.Tenants) {
		t.Fatalf("samples %+v %+v", s1, s2)
	}
	for _, s := range s1.Tenants {
		if !slices.Contains(active, s) {
			t.Fatalf("sampled a tenant that is not active: %s", s)
		}
	}
	if slices.Equal(s1.Tenants, s3.Tenants) {
		t.Fatalf("another seed drew the same sample %v (possible, but 1 in 53130)", s1.Tenants)
	}
	all, _ := a.DRListTenants(ctx, ListTenantsInput{Sample: 100, Seed: "x"})
	if !slices.Equal(all.Tenants, active) {
		t.Fatalf("a sample larger than the population is everyone: %v", all.Tenants)
	}
}

func TestDRSettingsDefaults(t *testing.T) {
	s, _ := (&Activities{}).DRSettings(ctx, SettingsInput{})
	if s.KeepDaily != 7 || s.KeepWeekly != 4 || s.RPOObjective != 26*time.Hour || s.AlertConfigured {
		t.Fatalf("defaults %+v", s)
	}
	s, _ = (&Activities{AlertURL: "http://x", Settings: Settings{KeepDaily: 2, KeepWeekly: 0, RPOObjective: time.Hour, DrillSample: 3}}).DRSettings(ctx, SettingsInput{})
	if s.KeepDaily != 2 || s.KeepWeekly != 0 || s.RPOObjective != time.Hour || s.DrillSample != 3 || !s.AlertConfigured {
		t.Fatalf("configured %+v", s)
	}
}

func TestDRAlert(t *testing.T) {
	var mu sync.Mutex
	var got []*http.Request
	var bodies [][]byte
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, bodies = append(got, r), append(bodies, b)
		code := status
		mu.Unlock()
		if code == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "7")
		}
		w.WriteHeader(code)
	}))
	defer srv.Close()
	in := AlertInput{Kind: "dr-drill", ID: "2026-11-03", Status: "failed", Summary: "1 of 2 tenants failed",
		Tenants: []AlertTenant{{Tenant: "acme", BackupID: "b1", Problems: []string{"data file does not match its SHA-256"}}}}

	a := &Activities{AlertURL: srv.URL + "/hook?token=secret"}
	r, err := a.DRAlert(ctx, in)
	if err != nil || !r.Sent {
		t.Fatalf("%+v %v", r, err)
	}
	var body Alert
	if err := json.Unmarshal(bodies[0], &body); err != nil {
		t.Fatal(err)
	}
	if body.Type != "rigger.dr.alert" || body.ID != "2026-11-03" || body.Tenants[0].Tenant != "acme" || !strings.Contains(body.Text, "acme") {
		t.Fatalf("body %s", bodies[0])
	}
	if got[0].Header.Get(AlertDeliveryHeader) != "dr-drill/2026-11-03" || got[0].Header.Get("Content-Type") != "application/json" {
		t.Fatalf("headers %v", got[0].Header)
	}

	status = http.StatusServiceUnavailable
	_, err = a.DRAlert(ctx, in)
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.NonRetryable() || app.Type() != ErrTypeUnavailable || app.NextRetryDelay() != 7*time.Second {
		t.Fatalf("503: %v", err)
	}
	status = http.StatusBadRequest
	if _, err = a.DRAlert(ctx, in); appType(err) != ErrTypeAlertRejected || !errors.As(err, &app) || !app.NonRetryable() {
		t.Fatalf("400: %v", err)
	}

	// Unreachable: retryable, and the token in the URL is not in the error.
	dead := &Activities{AlertURL: "http://127.0.0.1:1/hook?token=secret"}
	if _, err = dead.DRAlert(ctx, in); appType(err) != ErrTypeUnavailable || strings.Contains(err.Error(), "secret") {
		t.Fatalf("unreachable: %v", err)
	}
	// Not configured: logged only.
	if r, err := (&Activities{}).DRAlert(ctx, in); err != nil || r.Sent {
		t.Fatalf("unconfigured: %+v %v", r, err)
	}
}

// writeBackup stores a small backup the way BackupTenant lays it out:
// files, then the manifest listing their sizes and SHA-256s.
func writeBackup(t *testing.T, st storage.Store, slug, id string) backup.Manifest {
	t.Helper()
	dir := "tenants/" + slug + "/backups/" + id + "/"
	m := backup.Manifest{Format: backup.ManifestFormat, Tenant: slug, BackupID: id, DataFormat: backup.DataFormat,
		ChecksumAlgorithm: backup.ChecksumAlgorithm, TakenAt: time.Now().UTC()}
	for name, body := range map[string]string{"data/0001-t.copy.zst": strings.Repeat("rows ", 1000), "schema.json": `{"preData":[]}`, "controlplane.json": `{}`} {
		if err := st.Put(ctx, dir+name, strings.NewReader(body), int64(len(body)), ""); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(body))
		m.Files = append(m.Files, backup.FileEntry{Name: name, Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:])})
	}
	slices.SortFunc(m.Files, func(a, b backup.FileEntry) int { return strings.Compare(a.Name, b.Name) })
	body, _ := json.Marshal(m)
	if err := st.Put(ctx, dir+"manifest.json", bytes.NewReader(body), int64(len(body)), ""); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDRRetainBackup(t *testing.T) {
	db := newStore(t)
	addTenant(t, db, "acme", store.StatusOffboarding)
	objects, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m := writeBackup(t, objects, "acme", "final-20261103-0200")
	writeBackup(t, objects, "acme", "20261102-0200")
	for _, id := range []string{"20261102-0200", "final-20261103-0200"} {
		if err := db.RecordBackup(ctx, store.Backup{Tenant: "acme", ID: id, TakenAt: time.Now(), Status: store.BackupComplete}); err != nil {
			t.Fatal(err)
		}
	}
	a := &Activities{Store: db, Objects: objects}
	r, err := a.DRRetainBackup(ctx, RetainInput{Slug: "acme", BackupID: "final-20261103-0200"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Prefix != "retained/tenants/acme/backups/final-20261103-0200/" || r.Objects != len(m.Files)+1 || r.Released != 2 {
		t.Fatalf("result %+v", r)
	}
	for _, f := range append(m.Files, backup.FileEntry{Name: "manifest.json"}) {
		src, _ := readObject(ctx, objects, "tenants/acme/backups/final-20261103-0200/"+f.Name)
		dst, err := readObject(ctx, objects, r.Prefix+f.Name)
		if err != nil || !bytes.Equal(src, dst) {
			t.Fatalf("%s: copy differs (%v)", f.Name, err)
		}
	}
	recs, _ := db.ListBackups(ctx, "acme", store.BackupComplete)
	if len(recs) != 0 {
		t.Fatalf("records still listed as complete: %+v", recs)
	}
	// Offboarding then deletes the tenant's prefix; the retained copy stays.
	if _, err := storage.Scoped(objects, "acme").DeletePrefix(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if left, _ := objects.List(ctx, RetainedPrefix); len(left) != len(m.Files)+1 {
		t.Fatalf("retained objects %v", left)
	}
	// A backup without a manifest cannot be kept.
	if _, err := a.DRRetainBackup(ctx, RetainInput{Slug: "acme", BackupID: "missing"}); appType(err) != ErrTypeBackupMissing {
		t.Fatalf("missing backup: %v", err)
	}
}

func TestDRRetainBackupRefusesCorruptSource(t *testing.T) {
	objects, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	writeBackup(t, objects, "acme", "final-1")
	bad := strings.Repeat("ROWS ", 1000) // same size, other bytes
	if err := objects.Put(ctx, "tenants/acme/backups/final-1/data/0001-t.copy.zst", strings.NewReader(bad), int64(len(bad)), ""); err != nil {
		t.Fatal(err)
	}
	a := &Activities{Objects: objects}
	_, err = a.DRRetainBackup(ctx, RetainInput{Slug: "acme", BackupID: "final-1"})
	if appType(err) != ErrTypeCopyMismatch {
		t.Fatalf("want %s, got %v", ErrTypeCopyMismatch, err)
	}
	if _, err := objects.Stat(ctx, RetainedBackupPrefix("acme", "final-1")+"manifest.json"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("a copy that failed must have no manifest: %v", err)
	}
	if _, err := a.DRRetainBackup(ctx, RetainInput{Slug: "../etc", BackupID: "x"}); appType(err) != ErrTypeInvalidInput {
		t.Fatalf("bad slug: %v", err)
	}
}
