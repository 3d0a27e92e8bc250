package techdocs

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/internal/pgtest"
	"github.com/rigger-platform/rigger/internal/store"
)

func newControlPlane(t *testing.T, tenants ...string) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, slug := range tenants {
		if _, _, err := st.ClaimTenant(ctx, store.TenantSpec{Slug: slug, DisplayName: slug, Plan: "team", Owner: "alice"}); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// TestBuildRecordAndMeter runs the activities in the workflow's order
// against PostgreSQL: the build row goes running → published with its
// warnings and page count, and the minutes are metered once however often
// the meter step repeats.
func TestBuildRecordAndMeter(t *testing.T) {
	ctx := context.Background()
	st := newControlPlane(t, "acme")
	root := t.TempDir()
	objects, _ := storage.NewLocal(t.TempDir())
	a := &Activities{Objects: objects, Store: st, SourceRoot: root}
	writeSite(t, filepath.Join(root, "acme", "v1"), map[string]string{
		"mkdocs.yml": "site_name: Payments\n", "docs/index.md": "# Home\n\n[gone](gone.md)\n", "docs/a.md": "# A\n",
	})
	key := BuildKey{Tenant: "acme", Namespace: "default", Kind: "component", Name: "payments", Commit: "path-v1"}
	requested := time.Now().UTC().Truncate(time.Millisecond)
	if _, err := a.TechDocsRecordStart(ctx, RecordStartInput{BuildKey: key, WorkflowID: "techdocs/acme/default/component/payments/path-v1",
		Source: "path:v1", Trigger: "api", RequestedAt: requested}); err != nil {
		t.Fatal(err)
	}
	staged, err := a.TechDocsStage(ctx, StageInput{BuildKey: key, Source: Source{Path: "v1"}})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := a.TechDocsPublish(ctx, PublishInput{BuildKey: key, Etag: staged.Etag, RequestedAt: requested})
	if err != nil || pub.Status != store.TechDocsPublished || pub.Files != staged.Files {
		t.Fatalf("publish %+v %v", pub, err)
	}
	for i := 0; i < 3; i++ { // a retried meter step
		m, err := a.TechDocsMeter(ctx, MeterInput{BuildKey: key, Millis: 61_000, OccurredAt: requested})
		if err != nil || m.Minutes != 2 || m.EventID != "techdocs/acme/default/component/payments/path-v1" || m.Recorded != (i == 0) {
			t.Fatalf("meter #%d: %+v %v", i, m, err)
		}
	}
	totals, err := st.UsageTotals(ctx, "acme", requested.Add(-time.Hour), requested.Add(time.Hour))
	if err != nil || totals[store.MetricTechDocsBuildMinutes] != 2 {
		t.Fatalf("usage %v %v", totals, err)
	}
	if _, err := a.TechDocsRecordFinish(ctx, RecordFinishInput{BuildKey: key, Status: store.TechDocsPublished, Files: pub.Files}); err != nil {
		t.Fatal(err)
	}
	b, err := st.GetTechDocsBuild(ctx, "acme", "default/component/payments", "path-v1")
	if err != nil {
		t.Fatal(err)
	}
	if b.Status != store.TechDocsPublished || b.Files != staged.Files || b.Pages != 2 || len(b.Warnings) != staged.Warnings ||
		staged.Warnings == 0 || b.FinishedAt == nil || b.Source != "path:v1" || !b.RequestedAt.Equal(requested) {
		t.Fatalf("build row %+v (staged %+v)", b, staged)
	}
	// A build for a tenant that does not exist is refused for good.
	ghost := key
	ghost.Tenant = "ghost"
	if _, err := a.TechDocsRecordStart(ctx, RecordStartInput{BuildKey: ghost, WorkflowID: "x", RequestedAt: requested}); errType(err) != ErrTypeUnknownTenant {
		t.Fatalf("unknown tenant: %v", err)
	}
}

// Two builds of one entity racing to publish: the publish lock serialises
// them, and an older request never overwrites a newer published one.
func TestPublishLockAndSupersede(t *testing.T) {
	ctx := context.Background()
	st := newControlPlane(t, "acme")
	root := t.TempDir()
	objects, _ := storage.NewLocal(t.TempDir())
	a := &Activities{Objects: objects, Store: st, SourceRoot: root}
	t0 := time.Now().UTC().Add(-time.Minute).Truncate(time.Millisecond)
	build := func(commit string, files map[string]string, at time.Time) (BuildKey, StageResult) {
		writeSite(t, filepath.Join(root, "acme", commit), files)
		k := BuildKey{Tenant: "acme", Namespace: "default", Kind: "component", Name: "payments", Commit: commit}
		if _, err := a.TechDocsRecordStart(ctx, RecordStartInput{BuildKey: k, WorkflowID: commit, RequestedAt: at}); err != nil {
			t.Fatal(err)
		}
		s, err := a.TechDocsStage(ctx, StageInput{BuildKey: k, Source: Source{Path: commit}})
		if err != nil {
			t.Fatal(err)
		}
		return k, s
	}
	oldKey, oldStage := build("old", siteV1, t0)
	newKey, newStage := build("new", siteV2, t0.Add(time.Second))

	// Both publish at once; whichever goes first, the lock keeps each
	// publish whole.
	var wg sync.WaitGroup
	results := make([]PublishResult, 2)
	errs := make([]error, 2)
	for i, in := range []PublishInput{
		{BuildKey: oldKey, Etag: oldStage.Etag, RequestedAt: t0},
		{BuildKey: newKey, Etag: newStage.Etag, RequestedAt: t0.Add(time.Second)},
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = a.TechDocsPublish(ctx, in)
			if errs[i] == nil {
				_, errs[i] = a.TechDocsRecordFinish(ctx, RecordFinishInput{BuildKey: in.BuildKey, Status: results[i].Status, Files: results[i].Files})
			}
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	if results[1].Status != store.TechDocsPublished {
		t.Fatalf("the newer build was not published: %+v", results[1])
	}
	scoped := storage.Scoped(objects, "acme")
	m, err := ReadMetadata(ctx, scoped, SitePrefix(testEntity)+MetadataFile)
	if err != nil || m.Etag != newStage.Etag {
		t.Fatalf("live etag %q (%v), want the newer build's %q; results %+v", m.Etag, err, newStage.Etag, results)
	}
	if got := liveFiles(t, scoped, SitePrefix(testEntity)); len(got) != len(m.Files) {
		t.Fatalf("live files %v, metadata %v", got, m.Files)
	}
	// Publishing the old build again (a late retry) is superseded.
	again, err := a.TechDocsPublish(ctx, PublishInput{BuildKey: oldKey, Etag: oldStage.Etag, RequestedAt: t0})
	if err != nil || again.Status != store.TechDocsSuperseded {
		t.Fatalf("late old publish: %+v %v", again, err)
	}
	if left := liveFiles(t, scoped, "techdocs-staging/"); len(left) != 0 {
		t.Fatalf("staging left behind: %v", left)
	}
	builds, err := st.LatestTechDocsBuilds(ctx, "acme", "default/component/payments", 10)
	if err != nil || len(builds) != 2 {
		t.Fatalf("builds %+v %v", builds, err)
	}
}

// The newer build publishes first and the older one's publish follows
// before the newer run has recorded its finish: the publish itself marks
// the row, so the older build is still superseded.
func TestOlderBuildAfterNewerPublishIsSuperseded(t *testing.T) {
	ctx := context.Background()
	st := newControlPlane(t, "acme")
	root := t.TempDir()
	objects, _ := storage.NewLocal(t.TempDir())
	a := &Activities{Objects: objects, Store: st, SourceRoot: root}
	t0 := time.Now().UTC().Add(-time.Minute).Truncate(time.Millisecond)
	stageAt := func(commit string, files map[string]string, at time.Time) PublishInput {
		writeSite(t, filepath.Join(root, "acme", commit), files)
		k := BuildKey{Tenant: "acme", Namespace: "default", Kind: "component", Name: "payments", Commit: commit}
		if _, err := a.TechDocsRecordStart(ctx, RecordStartInput{BuildKey: k, WorkflowID: commit, RequestedAt: at}); err != nil {
			t.Fatal(err)
		}
		s, err := a.TechDocsStage(ctx, StageInput{BuildKey: k, Source: Source{Path: commit}})
		if err != nil {
			t.Fatal(err)
		}
		return PublishInput{BuildKey: k, Etag: s.Etag, RequestedAt: at}
	}
	older := stageAt("older", siteV1, t0)
	newer := stageAt("newer", siteV2, t0.Add(time.Second))
	if r, err := a.TechDocsPublish(ctx, newer); err != nil || r.Status != store.TechDocsPublished {
		t.Fatalf("newer: %+v %v", r, err)
	}
	if r, err := a.TechDocsPublish(ctx, older); err != nil || r.Status != store.TechDocsSuperseded {
		t.Fatalf("older after newer: %+v %v", r, err)
	}
	m, err := ReadMetadata(ctx, storage.Scoped(objects, "acme"), SitePrefix(testEntity)+MetadataFile)
	if err != nil || m.Etag != newer.Etag {
		t.Fatalf("live etag %q %v", m.Etag, err)
	}
	b, _ := st.GetTechDocsBuild(ctx, "acme", "default/component/payments", "older")
	if b.Status != store.TechDocsSuperseded || b.FinishedAt == nil {
		t.Fatalf("older row %+v", b)
	}
}
