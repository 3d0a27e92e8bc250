package backup

import (
	"os"
	"slices"
	"testing"
	"time"

	"github.com/rigger-platform/rigger/internal/store"
)

func TestRetainedRules(t *testing.T) {
	day := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, time.UTC) }
	verified := day(1, 0)
	// Newest first, as listBackups returns them. 2026-11-16 is a Monday.
	list := []BackupInfo{
		{ID: "partial", LastModified: day(20, 12)},
		{ID: "20-b", Complete: true, TakenAt: day(20, 10)},
		{ID: "20-a", Complete: true, TakenAt: day(20, 2)},
		{ID: "19", Complete: true, TakenAt: day(19, 2)},
		{ID: "16", Complete: true, TakenAt: day(16, 2)},
		{ID: "15", Complete: true, TakenAt: day(15, 2)},
		{ID: "12", Complete: true, TakenAt: day(12, 2), VerifiedAt: &verified},
		{ID: "08", Complete: true, TakenAt: day(8, 2)},
		{ID: "03", Complete: true, TakenAt: day(3, 2), VerifiedAt: &verified},
	}
	cases := []struct {
		daily, weekly int
		want          []string
	}{
		{0, 0, []string{"20-b", "12"}},       // the newest and the newest verified, always
		{2, 0, []string{"20-b", "19", "12"}}, // one per day, newest of the day
		{0, 2, []string{"20-b", "15", "12"}}, // weeks of 16-22 and 9-15 Nov
		{3, 3, []string{"20-b", "19", "16", "15", "12", "08"}},
		{100, 100, []string{"20-b", "19", "16", "15", "12", "08", "03"}},
	}
	for _, c := range cases {
		keep := retained(list, c.daily, c.weekly)
		var got []string
		for _, b := range list {
			if keep[b.ID] {
				got = append(got, b.ID)
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("daily %d weekly %d: kept %v, want %v", c.daily, c.weekly, got, c.want)
		}
	}
}

// TestApplyRetention runs the rules over backups in storage and the control
// plane: 40 daily backups, a second one on the last day, a verified old one
// and two incomplete attempts, one abandoned.
func TestApplyRetention(t *testing.T) {
	e := newEnv(t)
	e.tenant(t, "acme")
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC) // a Friday
	var all []string
	for d := 0; d < 40; d++ {
		at := now.AddDate(0, 0, -d).Truncate(24 * time.Hour).Add(2 * time.Hour)
		id := at.Format("20060102T1504Z")
		e.fakeBackup(t, "acme", id, at)
		all = append(all, id)
	}
	e.fakeBackup(t, "acme", "20261120T1000Z", time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
	for _, id := range []string{"20261013T0200Z", "20261015T0200Z"} {
		if err := e.store.MarkBackupVerified(ctx, "acme", id, now); err != nil {
			t.Fatal(err)
		}
	}
	e.partialBackup(t, "acme", "abandoned", now.Add(-25*time.Hour))
	e.partialBackup(t, "acme", "in-progress", now.Add(-time.Hour))

	res, err := e.a.ApplyRetention(ctx, RetentionInput{Slug: "acme", KeepDaily: 7, KeepWeekly: 4, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	wantKept := []string{"20261120T1000Z", "20261119T0200Z", "20261118T0200Z", "20261117T0200Z", "20261116T0200Z",
		"20261115T0200Z", "20261114T0200Z", "20261108T0200Z", "20261101T0200Z", "20261015T0200Z"}
	if !slices.Equal(res.Kept, wantKept) {
		t.Fatalf("kept %v\nwant %v", res.Kept, wantKept)
	}
	if len(res.Deleted) != 41-len(wantKept)+1 || !slices.Contains(res.Deleted, "abandoned") || slices.Contains(res.Deleted, "in-progress") {
		t.Fatalf("deleted %v", res.Deleted)
	}
	list, err := e.a.ListBackups(ctx, ListBackupsInput{Slug: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, b := range list.Backups {
		ids = append(ids, b.ID)
	}
	if want := append([]string{"in-progress"}, wantKept...); !slices.Equal(ids, want) {
		t.Fatalf("left in storage %v, want %v", ids, want)
	}
	if rec, err := e.store.GetBackup(ctx, "acme", "20261119T0200Z"); err != nil || rec.Status != store.BackupComplete {
		t.Fatalf("kept record %+v %v", rec, err)
	}
	if rec, err := e.store.GetBackup(ctx, "acme", "20261013T0200Z"); err != nil || rec.Status != store.BackupDeleted {
		t.Fatalf("deleted record %+v %v", rec, err)
	}
	// Applying it again finds nothing more to do.
	again, err := e.a.ApplyRetention(ctx, RetentionInput{Slug: "acme", KeepDaily: 7, KeepWeekly: 4, Now: now})
	if err != nil || len(again.Deleted) != 0 || !slices.Equal(again.Kept, wantKept) {
		t.Fatalf("second run %+v %v", again, err)
	}
}

// fakeBackup writes a minimal complete backup (retention reads manifests
// only) and records it in the control plane.
func (e *env) fakeBackup(t *testing.T, slug, id string, at time.Time) {
	t.Helper()
	st, dir := e.a.scope(slug), backupDir(id)
	f, err := putJSON(ctx, st, dir, "data/0001-t.copy.zst", map[string]string{"fake": id})
	if err != nil {
		t.Fatal(err)
	}
	m := Manifest{Format: ManifestFormat, Tenant: slug, BackupID: id, TakenAt: at, SnapshotAt: at, FinishedAt: at,
		DataFormat: DataFormat, ChecksumAlgorithm: ChecksumAlgorithm, Files: []FileEntry{f}, Bytes: f.Size}
	if _, err := putJSON(ctx, st, dir, manifestFile, m); err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.finishBackup(ctx, m); err != nil {
		t.Fatal(err)
	}
}

// partialBackup leaves what an interrupted attempt leaves: data, no manifest.
func (e *env) partialBackup(t *testing.T, slug, id string, modified time.Time) {
	t.Helper()
	if _, err := putJSON(ctx, e.a.scope(slug), backupDir(id), "data/0001-t.copy.zst", "partial"); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(e.file(slug, id, "data/0001-t.copy.zst"), modified, modified); err != nil {
		t.Fatal(err)
	}
}
