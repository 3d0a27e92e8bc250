package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/rigger-platform/rigger/activities/backup"
	"github.com/rigger-platform/rigger/activities/dr"
	"github.com/rigger-platform/rigger/internal/store"
)

var drStart = time.Date(2026, 11, 3, 2, 0, 0, 0, time.UTC)

// drFake plays the backup and DR activities. Every call is recorded as
// "Activity:detail" in order; per-tenant behaviour comes from the maps.
type drFake struct {
	mu      sync.Mutex
	calls   []string
	tenants []string // active tenants, sorted
	// snapshotAge is how old each tenant's latest backup is (default 1h).
	snapshotAge map[string]time.Duration
	noBackup    map[string]bool
	backupErr   map[string]error
	restoreErr  map[string]error
	// verifyProblems makes VerifyRestore report OK false.
	verifyProblems map[string][]string
	// blockRestore makes RestoreTenant call cancel (the operator cancels
	// the run mid-restore) and run until the cancellation reaches it.
	blockRestore bool
	cancel       func()
	settings     dr.Settings
	alerts       []dr.AlertInput
	results      []backup.RecordDrillResultInput
	finishes     []backup.RecordDrillFinishInput
	retention    []backup.RetentionInput
	lists        []dr.ListTenantsInput
	inFlight     int
	maxInFlight  int
}

func (f *drFake) add(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

func (f *drFake) list() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// callsOf keeps the calls of one activity (prefix "Name:").
func (f *drFake) callsOf(name string) []string {
	var out []string
	for _, c := range f.list() {
		if strings.HasPrefix(c, name+":") {
			out = append(out, c)
		}
	}
	return out
}

func newDREnv(t *testing.T, f *drFake) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(drStart)
	RegisterDR(env)
	env.RegisterActivityWithOptions(&backup.Activities{}, activity.RegisterOptions{SkipInvalidStructFunctions: true})
	env.RegisterActivityWithOptions(&dr.Activities{}, activity.RegisterOptions{SkipInvalidStructFunctions: true})
	if f.settings.KeepDaily == 0 {
		f.settings = dr.Settings{KeepDaily: 7, KeepWeekly: 4, RPOObjective: 26 * time.Hour}
	}

	env.OnActivity(drActs.DRSettings, mock.Anything, mock.Anything).Return(
		func(context.Context, dr.SettingsInput) (dr.Settings, error) { return f.settings, nil }).Maybe()
	env.OnActivity(drActs.DRListTenants, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in dr.ListTenantsInput) (dr.ListTenantsResult, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.lists = append(f.lists, in)
			if in.Sample > 0 {
				out := slices.Clone(f.tenants)
				slices.SortFunc(out, func(a, b string) int {
					ra, rb := dr.SampleRank(in.Seed, a), dr.SampleRank(in.Seed, b)
					return strings.Compare(string(ra[:]), string(rb[:]))
				})
				out = out[:min(in.Sample, len(out))]
				slices.Sort(out)
				return dr.ListTenantsResult{Tenants: out, Total: len(f.tenants)}, nil
			}
			i, found := slices.BinarySearch(f.tenants, in.After)
			if found {
				i++
			}
			page := slices.Clone(f.tenants[i:min(i+in.Limit, len(f.tenants))])
			res := dr.ListTenantsResult{Tenants: page}
			if i+in.Limit < len(f.tenants) {
				res.Next = page[len(page)-1]
			}
			return res, nil
		}).Maybe()
	env.OnActivity(drActs.DRAlert, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in dr.AlertInput) (dr.AlertResult, error) {
			f.add("DRAlert:" + in.Kind)
			f.mu.Lock()
			defer f.mu.Unlock()
			f.alerts = append(f.alerts, in)
			return dr.AlertResult{Sent: true}, nil
		}).Maybe()
	env.OnActivity(drActs.DRRetainBackup, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in dr.RetainInput) (dr.RetainResult, error) {
			f.add("DRRetainBackup:" + in.Slug + "/" + in.BackupID)
			return dr.RetainResult{Prefix: dr.RetainedBackupPrefix(in.Slug, in.BackupID), Objects: 4}, nil
		}).Maybe()

	env.OnActivity(bkActs.BackupTenant, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in backup.BackupInput) (backup.BackupResult, error) {
			f.add("BackupTenant:" + in.Slug + "/" + in.BackupID)
			f.mu.Lock()
			f.inFlight++
			f.maxInFlight = max(f.maxInFlight, f.inFlight)
			err := f.backupErr[in.Slug]
			f.mu.Unlock()
			time.Sleep(5 * time.Millisecond) // let siblings overlap
			f.mu.Lock()
			f.inFlight--
			f.mu.Unlock()
			if err != nil {
				return backup.BackupResult{}, err
			}
			m := backup.Manifest{Tenant: in.Slug, BackupID: in.BackupID, TakenAt: in.TakenAt, SnapshotAt: in.TakenAt,
				Tables: []backup.TableEntry{{Name: "t1", Rows: 3}, {Name: "t2", Rows: 4}}, DataBytes: 1000}
			return backup.BackupResult{BackupID: in.BackupID, Manifest: m, Bytes: 400}, nil
		}).Maybe()
	env.OnActivity(bkActs.ListBackups, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in backup.ListBackupsInput) (backup.ListBackupsResult, error) {
			f.add("ListBackups:" + in.Slug)
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.noBackup[in.Slug] {
				return backup.ListBackupsResult{}, nil
			}
			age := f.snapshotAge[in.Slug]
			if age == 0 {
				age = time.Hour
			}
			return backup.ListBackupsResult{Backups: []backup.BackupInfo{
				{ID: "20261103-0100", Complete: true, SnapshotAt: drStart.Add(-age), TakenAt: drStart.Add(-age), DataBytes: 1000},
				{ID: "20261102-0100", Complete: true, SnapshotAt: drStart.Add(-age - 24*time.Hour), DataBytes: 1000},
			}}, nil
		}).Maybe()
	env.OnActivity(bkActs.RestoreTenant, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in backup.RestoreInput) (backup.RestoreResult, error) {
			f.add("RestoreTenant:" + in.TargetSchema)
			if f.blockRestore {
				f.cancel()
				select { // the test environment resolves a cancelled activity at once
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
				return backup.RestoreResult{}, temporal.NewCanceledError()
			}
			if err := f.restoreErr[in.Slug]; err != nil {
				return backup.RestoreResult{}, err
			}
			return backup.RestoreResult{Schema: in.TargetSchema, Tables: 2, Rows: 7, Duration: 3 * time.Second}, nil
		}).Maybe()
	env.OnActivity(bkActs.VerifyRestore, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in backup.VerifyInput) (backup.VerifyResult, error) {
			f.add("VerifyRestore:" + in.Schema)
			f.mu.Lock()
			defer f.mu.Unlock()
			if p := f.verifyProblems[in.Slug]; len(p) > 0 {
				return backup.VerifyResult{OK: false, Problems: p}, nil
			}
			return backup.VerifyResult{OK: true, Tables: []backup.TableCheck{{Name: "t1"}, {Name: "t2"}}}, nil
		}).Maybe()
	env.OnActivity(bkActs.DropScratch, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in backup.DropScratchInput) (backup.DropScratchResult, error) {
			f.add("DropScratch:" + in.Schema)
			return backup.DropScratchResult{Dropped: true}, nil
		}).Maybe()
	env.OnActivity(bkActs.ApplyRetention, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in backup.RetentionInput) (backup.RetentionResult, error) {
			f.add("ApplyRetention:" + in.Slug)
			f.mu.Lock()
			defer f.mu.Unlock()
			f.retention = append(f.retention, in)
			return backup.RetentionResult{Deleted: []string{"20261001-0200"}, Kept: []string{"20261103-0200"}}, nil
		}).Maybe()
	env.OnActivity(bkActs.SwapSchema, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in backup.SwapInput) (backup.SwapResult, error) {
			f.add("SwapSchema:" + in.FromSchema)
			return backup.SwapResult{Schema: "tenant_" + in.Slug, AsideSchema: "replaced_x", Swapped: true}, nil
		}).Maybe()
	env.OnActivity(bkActs.RecordDrillStart, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in backup.RecordDrillStartInput) (backup.RecordDrillStartResult, error) {
			f.add("RecordDrillStart:" + in.DrillID)
			return backup.RecordDrillStartResult{Created: true}, nil
		}).Maybe()
	env.OnActivity(bkActs.RecordDrillResult, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in backup.RecordDrillResultInput) (backup.RecordDrillResultResult, error) {
			f.add("RecordDrillResult:" + in.Slug)
			f.mu.Lock()
			defer f.mu.Unlock()
			f.results = append(f.results, in)
			return backup.RecordDrillResultResult{}, nil
		}).Maybe()
	env.OnActivity(bkActs.RecordDrillFinish, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in backup.RecordDrillFinishInput) (backup.RecordDrillFinishResult, error) {
			f.add("RecordDrillFinish:" + in.Status)
			f.mu.Lock()
			defer f.mu.Unlock()
			f.finishes = append(f.finishes, in)
			return backup.RecordDrillFinishResult{}, nil
		}).Maybe()
	return env
}

func unsupported(msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, backup.ErrTypeUnsupported, nil)
}

func corrupt(msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, backup.ErrTypeCorrupt, nil)
}

// TestTenantBackupVerifiesThenPrunes: the backup is restored into a scratch
// schema and verified, the scratch copy dropped, and only then retention
// runs, with the configured counts.
func TestTenantBackupVerifiesThenPrunes(t *testing.T) {
	f := &drFake{settings: dr.Settings{KeepDaily: 3, KeepWeekly: 2, RPOObjective: time.Hour}}
	env := newDREnv(t, f)
	env.ExecuteWorkflow(TenantBackup, TenantBackupInput{Slug: "acme", BackupID: "20261103-0200", TakenAt: drStart})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res TenantBackupResult
	_ = env.GetWorkflowResult(&res)
	scratch := backup.ScratchSchema("drill", "acme", "v20261103-0200")
	want := []string{"BackupTenant:acme/20261103-0200", "RestoreTenant:" + scratch, "VerifyRestore:" + scratch,
		"DropScratch:" + scratch, "ApplyRetention:acme"}
	if got := f.list(); !slices.Equal(got, want) {
		t.Fatalf("calls:\n got %v\nwant %v", got, want)
	}
	if r := f.retention[0]; r.KeepDaily != 3 || r.KeepWeekly != 2 || !r.Now.Equal(drStart) {
		t.Fatalf("retention input %+v", r)
	}
	if !res.Verified || res.Rows != 7 || res.Tables != 2 || len(res.Pruned) != 1 || res.BackupID != "20261103-0200" {
		t.Fatalf("result %+v", res)
	}
}

// TestTenantBackupNoRetentionUnlessVerified: a backup that does not verify,
// or whose restore fails, fails the run; the scratch copy is still dropped
// and retention never runs, so no older backup is pruned for it.
func TestTenantBackupNoRetentionUnlessVerified(t *testing.T) {
	for name, f := range map[string]*drFake{
		"verify finds differences": {verifyProblems: map[string][]string{"acme": {"table t1 has 2 rows, the backup 3"}}},
		"restore finds corruption": {restoreErr: map[string]error{"acme": corrupt("data/0001-t1.copy.zst does not match its SHA-256")}},
	} {
		t.Run(name, func(t *testing.T) {
			env := newDREnv(t, f)
			env.ExecuteWorkflow(TenantBackup, TenantBackupInput{Slug: "acme", BackupID: "b1", TakenAt: drStart})
			err := env.GetWorkflowError()
			if err == nil {
				t.Fatal("want failure")
			}
			if len(f.callsOf("ApplyRetention")) != 0 {
				t.Fatalf("retention ran after a failed verification: %v", f.list())
			}
			if got := f.callsOf("DropScratch"); len(got) != 1 {
				t.Fatalf("scratch not dropped: %v", f.list())
			}
			var app *temporal.ApplicationError
			if !errors.As(err, &app) || (app.Type() != ErrTypeBackupNotVerified && app.Type() != ErrTypeBackupFailed) {
				t.Fatalf("error %v", err)
			}
		})
	}
}

// TestTenantBackupFinalIsRetainedNotPruned: offboarding's backup is copied
// under the retained prefix and never pruned; a tenant without a schema is
// skipped, not failed.
func TestTenantBackupFinal(t *testing.T) {
	f := &drFake{}
	env := newDREnv(t, f)
	env.ExecuteWorkflow(TenantBackup, TenantBackupInput{Slug: "acme", BackupID: "final-20261103-0200", TakenAt: drStart, Final: true})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res TenantBackupResult
	_ = env.GetWorkflowResult(&res)
	if len(f.callsOf("ApplyRetention")) != 0 || len(f.callsOf("DRRetainBackup")) != 1 || res.RetainedAt != "retained/tenants/acme/backups/final-20261103-0200/" {
		t.Fatalf("calls %v result %+v", f.list(), res)
	}

	f = &drFake{backupErr: map[string]error{"gone": temporal.NewNonRetryableApplicationError("schema tenant_gone does not exist", backup.ErrTypeSchemaNotFound, nil)}}
	env = newDREnv(t, f)
	env.ExecuteWorkflow(TenantBackup, TenantBackupInput{Slug: "gone", Final: true})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	_ = env.GetWorkflowResult(&res)
	if res.Skipped == "" || len(f.callsOf("RestoreTenant")) != 0 || !strings.HasPrefix(res.BackupID, "final-20261103-0200-") {
		t.Fatalf("calls %v result %+v", f.list(), res)
	}
}

// TestTenantBackupsFanOutPartialFailure: one child per active tenant, all
// pages, at most MaxInFlight at once; a failed tenant is listed and alerted
// and does not stop the others.
func TestTenantBackupsFanOutPartialFailure(t *testing.T) {
	f := &drFake{tenants: tenantNames(7), backupErr: map[string]error{"t-003": unsupported("schema has a trigger")}}
	env := newDREnv(t, f)
	var children []string
	env.SetOnChildWorkflowStartedListener(func(info *workflow.Info, _ workflow.Context, _ converter.EncodedValues) {
		children = append(children, info.WorkflowExecution.ID)
	})
	env.ExecuteWorkflow(TenantBackups, TenantBackupsInput{MaxInFlight: 2})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res TenantBackupsResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Stamp != "20261103-0200" || len(res.BackedUp) != 6 || len(res.Failed) != 1 || res.Failed[0].Tenant != "t-003" || !res.Alerted {
		t.Fatalf("result %+v", res)
	}
	if !strings.Contains(res.Failed[0].Error, "trigger") {
		t.Fatalf("failure %+v", res.Failed[0])
	}
	// Children started in one workflow task may report in either order.
	slices.Sort(children)
	if len(children) != 7 || children[0] != "backup/t-001/20261103-0200" || children[6] != "backup/t-007/20261103-0200" {
		t.Fatalf("children %v", children)
	}
	if f.maxInFlight > 2 {
		t.Fatalf("%d backups ran at once, limit 2", f.maxInFlight)
	}
	if len(f.alerts) != 1 || f.alerts[0].Tenants[0].Tenant != "t-003" {
		t.Fatalf("alerts %+v", f.alerts)
	}
	// Retention ran for every tenant that verified, never for t-003.
	if n := len(f.callsOf("ApplyRetention")); n != 6 || slices.Contains(f.callsOf("ApplyRetention"), "ApplyRetention:t-003") {
		t.Fatalf("retention calls %v", f.callsOf("ApplyRetention"))
	}
}

// TestTenantBackupsContinuesAsNew: after ContinueEvery tenants the run
// continues with its cursor, stamp and results, and the chain backs up
// every tenant once.
func TestTenantBackupsContinuesAsNew(t *testing.T) {
	f := &drFake{tenants: tenantNames(5)}
	env := newDREnv(t, f)
	env.ExecuteWorkflow(TenantBackups, TenantBackupsInput{ContinueEvery: 2})
	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) || can.WorkflowType.Name != TenantBackupsWorkflow {
		t.Fatalf("want continue-as-new, got %v", err)
	}
	var next TenantBackupsInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.Carry == nil || next.Carry.After != "t-002" || next.Carry.Stamp != "20261103-0200" || len(next.Carry.BackedUp) != 2 || next.ContinueEvery != 2 {
		t.Fatalf("continuation %+v carry %+v", next, next.Carry)
	}

	f = &drFake{tenants: tenantNames(5)}
	env = newDREnv(t, f)
	env.ExecuteWorkflow(func(ctx workflow.Context) (TenantBackupsResult, error) {
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: "backups/test", TaskQueue: TaskQueueDR})
		var r TenantBackupsResult
		err := workflow.ExecuteChildWorkflow(cctx, TenantBackupsWorkflow, TenantBackupsInput{ContinueEvery: 2}).Get(ctx, &r)
		return r, err
	})
	var res TenantBackupsResult
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	_ = env.GetWorkflowResult(&res)
	if res.Runs != 3 || !slices.Equal(res.BackedUp, tenantNames(5)) || len(f.callsOf("BackupTenant")) != 5 {
		t.Fatalf("result %+v calls %v", res, f.callsOf("BackupTenant"))
	}
}

// TestDRDrillPassesAndRecords: each tenant restored into its drill_ schema,
// verified, dropped; RTO and RPO recorded; the drill passes.
func TestDRDrillPassesAndRecords(t *testing.T) {
	f := &drFake{tenants: []string{"acme", "beta"}, snapshotAge: map[string]time.Duration{"acme": 2 * time.Hour}}
	env := newDREnv(t, f)
	env.ExecuteWorkflow(DRDrill, DRDrillInput{})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var rep DrillReport
	_ = env.GetWorkflowResult(&rep)
	if rep.DrillID != "2026-11-03" || rep.Status != store.DrillPassed || rep.Summary.Passed != 2 || rep.Summary.Failed != 0 {
		t.Fatalf("report %+v", rep)
	}
	if len(f.results) != 2 || len(f.alerts) != 0 {
		t.Fatalf("results %+v alerts %+v", f.results, f.alerts)
	}
	for _, r := range f.results {
		if !r.OK || r.RPO <= 0 || r.RPO > 3*time.Hour || r.BackupID != "20261103-0100" {
			t.Fatalf("result %+v", r)
		}
	}
	if rep.Summary.MaxRPO != 2*time.Hour {
		t.Fatalf("max RPO %s", rep.Summary.MaxRPO)
	}
	for _, slug := range []string{"acme", "beta"} {
		scratch := backup.ScratchSchema("drill", slug, "2026-11-03")
		if !slices.Contains(f.list(), "DropScratch:"+scratch) {
			t.Fatalf("scratch %s not dropped: %v", scratch, f.list())
		}
	}
	if len(f.finishes) != 1 || f.finishes[0].Status != store.DrillPassed {
		t.Fatalf("finish %+v", f.finishes)
	}
	var stored DrillReport
	if err := json.Unmarshal(f.finishes[0].Report, &stored); err != nil || stored.Summary.Tenants != 2 {
		t.Fatalf("stored report %s: %v", f.finishes[0].Report, err)
	}
}

// TestDRDrillFailsLoudly: a restore that does not verify (corrupt file), an
// RPO over the objective and a tenant without any backup each fail their
// tenant; the drill records itself failed, alerts, and fails. The scratch
// copy is dropped after a failed restore too.
func TestDRDrillFailsLoudly(t *testing.T) {
	f := &drFake{
		tenants:     []string{"corrupt-co", "fine-co", "none-co", "stale-co"},
		restoreErr:  map[string]error{"corrupt-co": corrupt("backup: data/0001-t1.copy.zst of backup 20261103-0100 does not match its SHA-256")},
		snapshotAge: map[string]time.Duration{"stale-co": 30 * time.Hour},
		noBackup:    map[string]bool{"none-co": true},
	}
	env := newDREnv(t, f)
	env.ExecuteWorkflow(DRDrill, DRDrillInput{DrillID: "2026-11-03T101500.000Z"})
	err := env.GetWorkflowError()
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != ErrTypeDrillFailed {
		t.Fatalf("want %s, got %v", ErrTypeDrillFailed, err)
	}
	var rep DrillReport
	if err := app.Details(&rep); err != nil || rep.Summary.Failed != 3 || rep.Summary.Passed != 1 || !rep.Alerted {
		t.Fatalf("report %+v (%v)", rep, err)
	}
	if len(f.alerts) != 1 || len(f.alerts[0].Tenants) != 3 || f.alerts[0].ID != "2026-11-03T101500.000Z" {
		t.Fatalf("alerts %+v", f.alerts)
	}
	if len(f.finishes) != 1 || f.finishes[0].Status != store.DrillFailed {
		t.Fatalf("finish %+v", f.finishes)
	}
	byTenant := map[string]backup.RecordDrillResultInput{}
	for _, r := range f.results {
		byTenant[r.Slug] = r
	}
	if r := byTenant["corrupt-co"]; r.OK || !strings.Contains(strings.Join(r.Problems, ";"), "SHA-256") {
		t.Fatalf("corrupt-co %+v", r)
	}
	if r := byTenant["stale-co"]; r.OK || r.RPO != 30*time.Hour || !strings.Contains(strings.Join(r.Problems, ";"), "RPO") {
		t.Fatalf("stale-co %+v", r)
	}
	if r := byTenant["none-co"]; r.OK || r.BackupID != "" {
		t.Fatalf("none-co %+v", r)
	}
	if r := byTenant["fine-co"]; !r.OK {
		t.Fatalf("fine-co %+v", r)
	}
	if !slices.Contains(f.list(), "DropScratch:"+backup.ScratchSchema("drill", "corrupt-co", "2026-11-03T101500.000Z")) {
		t.Fatalf("corrupt-co scratch not dropped: %v", f.list())
	}
}

// TestDRDrillCancelDropsScratch: cancelling a drill mid-restore cancels the
// tenant's run, which drops the scratch copy on a disconnected context; the
// drill is recorded cancelled, nothing is alerted or recorded per tenant.
// (That the drop waits for the restore to stop — WaitForCancellation — is
// not observable here: the SDK's test environment resolves a cancelled
// activity at once. The end-to-end test cancels a real restore.)
func TestDRDrillCancelDropsScratch(t *testing.T) {
	f := &drFake{tenants: []string{"acme"}, blockRestore: true}
	env := newDREnv(t, f)
	f.cancel = env.CancelWorkflow
	env.ExecuteWorkflow(DRDrill, DRDrillInput{Tenants: []string{"acme"}})
	if err := env.GetWorkflowError(); !temporal.IsCanceledError(err) {
		t.Fatalf("want cancelled, got %v", err)
	}
	scratch := backup.ScratchSchema("drill", "acme", "2026-11-03")
	calls := f.list()
	restored, dropped := slices.Index(calls, "RestoreTenant:"+scratch), slices.Index(calls, "DropScratch:"+scratch)
	if restored < 0 || dropped < restored {
		t.Fatalf("the scratch copy must be dropped after the cancelled restore: %v", calls)
	}
	if len(f.callsOf("VerifyRestore")) != 0 || len(f.results) != 0 || len(f.alerts) != 0 || len(f.finishes) != 1 || f.finishes[0].Status != store.DrillCancelled {
		t.Fatalf("calls %v results %+v alerts %+v finishes %+v", calls, f.results, f.alerts, f.finishes)
	}
}

// TestTenantBackupCancelDropsScratch: the same for a backup's verification.
func TestTenantBackupCancelDropsScratch(t *testing.T) {
	f := &drFake{blockRestore: true}
	env := newDREnv(t, f)
	f.cancel = env.CancelWorkflow
	env.ExecuteWorkflow(TenantBackup, TenantBackupInput{Slug: "acme", BackupID: "b1", TakenAt: drStart})
	if err := env.GetWorkflowError(); !temporal.IsCanceledError(err) {
		t.Fatalf("want cancelled, got %v", err)
	}
	scratch := backup.ScratchSchema("drill", "acme", "vb1")
	calls := f.list()
	if i, j := slices.Index(calls, "RestoreTenant:"+scratch), slices.Index(calls, "DropScratch:"+scratch); i < 0 || j < i {
		t.Fatalf("calls %v", calls)
	}
	if len(f.callsOf("ApplyRetention")) != 0 {
		t.Fatalf("retention after cancel: %v", calls)
	}
}

// TestDRDrillSample: without a tenant list the drill restores a sample
// drawn with the drill ID as seed, so the same drill picks the same tenants.
func TestDRDrillSample(t *testing.T) {
	f := &drFake{tenants: tenantNames(20), settings: dr.Settings{KeepDaily: 7, RPOObjective: 26 * time.Hour, DrillSample: 3}}
	env := newDREnv(t, f)
	env.ExecuteWorkflow(DRDrill, DRDrillInput{DrillID: "weekly-1"})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var rep DrillReport
	_ = env.GetWorkflowResult(&rep)
	if rep.Sample != 3 || rep.Population != 20 || rep.Summary.Tenants != 3 {
		t.Fatalf("report %+v", rep)
	}
	if len(f.lists) != 1 || f.lists[0].Sample != 3 || f.lists[0].Seed != "weekly-1" {
		t.Fatalf("list calls %+v", f.lists)
	}
	var drilled []string
	for _, r := range f.results {
		drilled = append(drilled, r.Slug)
	}
	slices.Sort(drilled)
	// The same seed over the same tenants draws the same sample.
	f2 := &drFake{tenants: tenantNames(20), settings: f.settings}
	env2 := newDREnv(t, f2)
	env2.ExecuteWorkflow(DRDrill, DRDrillInput{DrillID: "weekly-1"})
	var again []string
	for _, r := range f2.results {
		again = append(again, r.Slug)
	}
	slices.Sort(again)
	if len(drilled) != 3 || !slices.Equal(drilled, again) {
		t.Fatalf("samples %v vs %v", drilled, again)
	}
}

// TestTenantRestoreSwapsOnlyAfterVerify: restore → verify → swap; a copy
// that does not verify is dropped and the live schema is never touched.
func TestTenantRestoreSwapsOnlyAfterVerify(t *testing.T) {
	f := &drFake{}
	env := newDREnv(t, f)
	env.ExecuteWorkflow(TenantRestore, TenantRestoreInput{Slug: "acme", BackupID: "20261103-0100"})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	schema := backup.ScratchSchema("restore", "acme", "20261103t020000")
	want := []string{"ListBackups:acme", "RestoreTenant:" + schema, "VerifyRestore:" + schema, "SwapSchema:" + schema}
	if got := f.list(); !slices.Equal(got, want) {
		t.Fatalf("calls:\n got %v\nwant %v", got, want)
	}

	f = &drFake{verifyProblems: map[string][]string{"acme": {"table t1: content checksum differs"}}}
	env = newDREnv(t, f)
	env.ExecuteWorkflow(TenantRestore, TenantRestoreInput{Slug: "acme", BackupID: "20261103-0100"})
	var app *temporal.ApplicationError
	if err := env.GetWorkflowError(); !errors.As(err, &app) || app.Type() != ErrTypeRestoreNotVerified {
		t.Fatalf("want %s, got %v", ErrTypeRestoreNotVerified, err)
	}
	if len(f.callsOf("SwapSchema")) != 0 || len(f.callsOf("DropScratch")) != 1 {
		t.Fatalf("calls %v", f.list())
	}

	f = &drFake{}
	env = newDREnv(t, f)
	env.ExecuteWorkflow(TenantRestore, TenantRestoreInput{Slug: "acme", BackupID: "nope"})
	if err := env.GetWorkflowError(); !errors.As(err, &app) || app.Type() != ErrTypeDRInvalidInput {
		t.Fatalf("unknown backup: %v", err)
	}
}
