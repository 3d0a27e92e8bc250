package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rigger-platform/rigger/activities/backup"
	"github.com/rigger-platform/rigger/activities/dr"
	"github.com/rigger-platform/rigger/internal/tenant"
)

// Activity handles of the backup and DR family.
var (
	bkActs *backup.Activities
	drActs *dr.Activities
)

// drNonRetryable names the error types no retry can fix. The activities
// already mark them non-retryable; naming them in the policy keeps that true
// if one ever forgets.
var drNonRetryable = []string{
	backup.ErrTypeInvalidSlug, backup.ErrTypeInvalidInput, backup.ErrTypeNotFound, backup.ErrTypeCorrupt,
	backup.ErrTypeUnsupported, backup.ErrTypeSchemaNotFound, backup.ErrTypeTenantNotFound, backup.ErrTypeNotScratch,
	backup.ErrTypeTargetExists, backup.ErrTypeRestoreFailed, backup.ErrTypeForbidden,
	dr.ErrTypeInvalidInput, dr.ErrTypeNotConfigured, dr.ErrTypeAlertRejected, dr.ErrTypeBackupMissing, dr.ErrTypeCopyMismatch,
}

// drHeartbeatTimeout: the backup activities heartbeat every 5 s themselves
// (and the worker's interceptor every 2 s), so a minute without one means
// the worker is gone; the attempt is then retried elsewhere.
const drHeartbeatTimeout = time.Minute

// drOptions gives a DR activity its timeouts and retry policy. Every call
// waits for a cancelled activity to stop (WaitForCancellation): the scratch
// cleanup that follows a cancelled restore must not race the restore still
// loading into the schema it drops.
func drOptions(ctx workflow.Context, startToClose time.Duration, attempts int32) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: startToClose,
		HeartbeatTimeout:    drHeartbeatTimeout,
		WaitForCancellation: true,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        2 * time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        time.Minute,
			MaximumAttempts:        attempts,
			NonRetryableErrorTypes: drNonRetryable,
		},
	})
}

// Budgets. A dump's size is unknown until it is taken, so it gets a fixed,
// generous bound (a dead worker is noticed by the heartbeat within a minute;
// this only bounds one that hangs while heartbeating); restore, verify and
// the retained copy are sized to the backup's data. Each dump attempt starts
// over with a new snapshot, hence few attempts.
const (
	dumpTimeout   = 6 * time.Hour
	dumpAttempts  = 3
	dataAttempts  = 5
	smallTimeout  = time.Minute
	smallAttempts = 10
	// sizedFloor and sizedRate: 15 minutes plus a second per 2 MiB, far
	// below the throughput `make bench` measures, capped at a day.
	sizedFloor = 15 * time.Minute
	sizedRate  = 2 << 20 // bytes per second assumed
	sizedCap   = 24 * time.Hour
)

func sizedTimeout(dataBytes int64) time.Duration {
	return min(sizedFloor+time.Duration(max(dataBytes, 0)/sizedRate)*time.Second, sizedCap)
}

func smallOptions(ctx workflow.Context) workflow.Context {
	return drOptions(ctx, smallTimeout, smallAttempts)
}

// cleanupOptions is for the scratch drop: it retries for longer, because a
// drop that gives up leaves a copy of tenant data behind.
func cleanupOptions(ctx workflow.Context) workflow.Context {
	return drOptions(ctx, 10*time.Minute, 20)
}

// TenantBackup takes one verified backup of a tenant: dump (BackupTenant) →
// restore into a drill_ scratch schema and verify every table's row count
// and checksum against the manifest (the scratch copy is always dropped, on
// a disconnected context, whatever happened) → retention, which only runs
// after this backup verified, so older backups are never pruned in favour of
// one that does not restore. A final backup (offboarding) is copied under
// the retained prefix instead of pruning.
func TenantBackup(ctx workflow.Context, in TenantBackupInput) (TenantBackupResult, error) {
	steps := BackupSteps
	if in.Final {
		steps = FinalBackupSteps
	}
	t := newTracker(in.Slug, KindBackup, steps)
	if err := t.register(ctx); err != nil {
		return TenantBackupResult{}, endBackup(ctx, TenantBackupResult{}, err)
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, SearchTenant.ValueSet(in.Slug), SearchKind.ValueSet(KindBackup)); err != nil {
		workflow.GetLogger(ctx).Warn("upsert search attributes failed", "error", err)
	}
	res, err := tenantBackup(ctx, in, t)
	switch {
	case err == nil:
		t.finish(ctx, "completed", nil)
		return res, endBackup(ctx, res, nil)
	case temporal.IsCanceledError(err) || errors.Is(ctx.Err(), workflow.ErrCanceled):
		t.finish(ctx, "cancelled", err)
		return res, endBackup(ctx, res, temporal.NewCanceledError("backup cancelled"))
	}
	t.finish(ctx, StepFailed, err)
	msg, typ := describeErr(err)
	if typ != ErrTypeBackupNotVerified && typ != ErrTypeDRInvalidInput {
		typ = ErrTypeBackupFailed
	}
	return res, endBackup(ctx, res, temporal.NewNonRetryableApplicationError(msg, typ, err))
}

// endBackup counts a TenantBackup run twice: as a backup (MetricBackups,
// skipped when a final backup found no data) and as a run (MetricRuns).
func endBackup(ctx workflow.Context, res TenantBackupResult, err error) error {
	outcome := outcomeOf(err)
	if err == nil && res.Skipped != "" {
		outcome = OutcomeSkipped
	}
	countOutcome(ctx, MetricBackups, outcome)
	return endRun(ctx, KindBackup, err)
}

func tenantBackup(ctx workflow.Context, in TenantBackupInput, t *tracker) (TenantBackupResult, error) {
	res := TenantBackupResult{Tenant: in.Slug}
	if err := tenant.ValidateSlug(in.Slug); err != nil {
		return res, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeDRInvalidInput, err)
	}
	if in.TakenAt.IsZero() {
		in.TakenAt = workflow.Now(ctx).UTC().Truncate(time.Second)
	}
	if in.BackupID == "" {
		// Unique per run: the run ID is fixed for the run, so replay agrees.
		in.BackupID = BackupStamp(in.TakenAt) + "-" + shortID(workflow.GetInfo(ctx).WorkflowExecution.RunID)
		if in.Final {
			in.BackupID = FinalBackupID(in.BackupID)
		}
	}
	res.BackupID, res.TakenAt = in.BackupID, in.TakenAt

	t.set(ctx, StepBackupDump, StepRunning, "", nil)
	var br backup.BackupResult
	err := workflow.ExecuteActivity(drOptions(ctx, dumpTimeout, dumpAttempts), bkActs.BackupTenant,
		backup.BackupInput{Slug: in.Slug, BackupID: in.BackupID, TakenAt: in.TakenAt}).Get(ctx, &br)
	if err != nil {
		if typ := errType(err); in.Final && (typ == backup.ErrTypeSchemaNotFound || typ == backup.ErrTypeTenantNotFound) {
			// An onboarding that failed early, or an offboarding re-run
			// after the schema was dropped: there is no data to keep.
			res.Skipped = "nothing to back up: " + firstLine(err)
			for _, s := range FinalBackupSteps {
				t.set(ctx, s, StepSkipped, res.Skipped, nil)
			}
			return res, nil
		}
		t.set(ctx, StepBackupDump, StepFailed, "", err)
		return res, fmt.Errorf("dump: %w", err)
	}
	m := br.Manifest
	res.SnapshotAt, res.Tables, res.DataBytes, res.Bytes = m.SnapshotAt, len(m.Tables), m.DataBytes, br.Bytes
	for _, tb := range m.Tables {
		res.Rows += tb.Rows
	}
	t.set(ctx, StepBackupDump, StepDone, fmt.Sprintf("backup %s: %d tables, %d rows, %d bytes stored", in.BackupID, res.Tables, res.Rows, res.Bytes), nil)

	t.set(ctx, StepBackupVerify, StepRunning, "", nil)
	scratch := backup.ScratchSchema("drill", in.Slug, "v"+in.BackupID)
	_, vr, err := restoreInto(ctx, in.Slug, in.BackupID, scratch, m.DataBytes)
	if derr := dropScratch(ctx, scratch); derr != nil {
		res.ScratchLeft = scratch
		workflow.GetLogger(ctx).Error("verification scratch schema left behind", "schema", scratch, "error", derr)
	}
	if err != nil {
		t.set(ctx, StepBackupVerify, StepFailed, "", err)
		return res, fmt.Errorf("verify: %w", err)
	}
	if !vr.OK {
		err := temporal.NewNonRetryableApplicationError(fmt.Sprintf("backup %s does not restore as taken: %s", in.BackupID,
			strings.Join(vr.Problems, "; ")), ErrTypeBackupNotVerified, nil)
		t.set(ctx, StepBackupVerify, StepFailed, "", err)
		return res, err
	}
	res.Verified = true
	t.set(ctx, StepBackupVerify, StepDone, fmt.Sprintf("restored into %s and verified %d tables", scratch, len(vr.Tables)), nil)

	if in.Final {
		t.set(ctx, StepBackupRetain, StepRunning, "", nil)
		var rr dr.RetainResult
		err := workflow.ExecuteActivity(drOptions(ctx, sizedTimeout(res.Bytes), dataAttempts), drActs.DRRetainBackup,
			dr.RetainInput{Slug: in.Slug, BackupID: in.BackupID}).Get(ctx, &rr)
		if err != nil {
			t.set(ctx, StepBackupRetain, StepFailed, "", err)
			return res, fmt.Errorf("retain: %w", err)
		}
		res.RetainedAt = rr.Prefix
		t.set(ctx, StepBackupRetain, StepDone, fmt.Sprintf("kept at %s (%d objects)", rr.Prefix, rr.Objects), nil)
		return res, nil
	}

	t.set(ctx, StepBackupRetention, StepRunning, "", nil)
	var s dr.Settings
	if err := workflow.ExecuteActivity(smallOptions(ctx), drActs.DRSettings, dr.SettingsInput{}).Get(ctx, &s); err != nil {
		t.set(ctx, StepBackupRetention, StepFailed, "", err)
		return res, fmt.Errorf("settings: %w", err)
	}
	var ret backup.RetentionResult
	err = workflow.ExecuteActivity(drOptions(ctx, 30*time.Minute, dataAttempts), bkActs.ApplyRetention, backup.RetentionInput{
		Slug: in.Slug, KeepDaily: s.KeepDaily, KeepWeekly: s.KeepWeekly, Now: workflow.Now(ctx),
	}).Get(ctx, &ret)
	if err != nil {
		t.set(ctx, StepBackupRetention, StepFailed, "", err)
		return res, fmt.Errorf("retention: %w", err)
	}
	res.Pruned, res.Kept = ret.Deleted, ret.Kept
	t.set(ctx, StepBackupRetention, StepDone, fmt.Sprintf("kept %d, deleted %d (daily %d, weekly %d)", len(ret.Kept), len(ret.Deleted), s.KeepDaily, s.KeepWeekly), nil)
	return res, nil
}

// restoreInto restores a backup into a scratch schema and verifies it. The
// caller drops the schema (dropScratch), whatever this returned.
func restoreInto(ctx workflow.Context, slug, backupID, schema string, dataBytes int64) (backup.RestoreResult, backup.VerifyResult, error) {
	var rr backup.RestoreResult
	var vr backup.VerifyResult
	opts := drOptions(ctx, sizedTimeout(dataBytes), dataAttempts)
	err := workflow.ExecuteActivity(opts, bkActs.RestoreTenant, backup.RestoreInput{Slug: slug, BackupID: backupID, TargetSchema: schema}).Get(ctx, &rr)
	if err != nil {
		return rr, vr, fmt.Errorf("restore: %w", err)
	}
	err = workflow.ExecuteActivity(opts, bkActs.VerifyRestore, backup.VerifyInput{Slug: slug, BackupID: backupID, Schema: schema}).Get(ctx, &vr)
	if err != nil {
		return rr, vr, fmt.Errorf("verify: %w", err)
	}
	return rr, vr, nil
}

// dropScratch drops a scratch schema on a disconnected context, so it runs
// after a failure and after the run was cancelled. The restore before it was
// called with WaitForCancellation, so it has stopped writing by now.
func dropScratch(ctx workflow.Context, schema string) error {
	dctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	var r backup.DropScratchResult
	return workflow.ExecuteActivity(cleanupOptions(dctx), bkActs.DropScratch, backup.DropScratchInput{Schema: schema}).Get(dctx, &r)
}

// BackupsProgress answers QueryProgress on a TenantBackups run.
type BackupsProgress struct {
	Stamp    string   `json:"stamp"`
	Status   string   `json:"status"`
	InFlight []string `json:"inFlight"`
	BackedUp int      `json:"backedUp"`
	Failed   int      `json:"failed"`
	Run      int      `json:"run"`
}

// TenantBackups backs up every active tenant (or the listed ones), one
// TenantBackup child each with ID backup/<slug>/<stamp>, at most MaxInFlight
// at a time. A tenant that fails is listed in the result and does not stop
// the others; any failure raises an alert. The run continues as new every
// ContinueEvery tenants so its history stays bounded.
func TenantBackups(ctx workflow.Context, in TenantBackupsInput) (TenantBackupsResult, error) {
	f, err := newBackupFanout(ctx, in)
	if err != nil {
		return TenantBackupsResult{}, endRun(ctx, KindBackup, err)
	}
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (BackupsProgress, error) { return f.progress(), nil }); err != nil {
		return TenantBackupsResult{}, endRun(ctx, KindBackup, err)
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, SearchKind.ValueSet(KindBackup)); err != nil {
		workflow.GetLogger(ctx).Warn("upsert search attributes failed", "error", err)
	}
	res, err := f.run(ctx)
	return res, endRun(ctx, KindBackup, err)
}

type backupFanout struct {
	in       TenantBackupsInput
	list     []string // explicit tenants, sorted and unique
	takenAt  time.Time
	max      int
	every    int
	carry    TenantBackupsCarry
	inFlight []string
	handled  int
	status   string
}

func newBackupFanout(ctx workflow.Context, in TenantBackupsInput) (*backupFanout, error) {
	if in.MaxInFlight < 0 || in.ContinueEvery < 0 {
		return nil, temporal.NewNonRetryableApplicationError("MaxInFlight and ContinueEvery must not be negative", ErrTypeDRInvalidInput, nil)
	}
	list, err := cleanTenants(in.Tenants)
	if err != nil {
		return nil, err
	}
	f := &backupFanout{in: in, list: list, max: in.MaxInFlight, every: in.ContinueEvery, status: "running"}
	if f.max == 0 {
		f.max = DefaultBackupMaxInFlight
	}
	if f.every == 0 {
		f.every = DefaultBackupContinueEvery
	}
	if in.Carry != nil {
		f.carry = *in.Carry
	} else {
		f.carry.Stamp = BackupStamp(workflow.Now(ctx))
	}
	t, err := time.Parse("20060102-1504", f.carry.Stamp)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError("invalid stamp "+f.carry.Stamp, ErrTypeDRInvalidInput, err)
	}
	f.takenAt = t.UTC()
	f.carry.Runs++
	return f, nil
}

func (f *backupFanout) run(ctx workflow.Context) (TenantBackupsResult, error) {
	end, err := fanOutLoop{
		max: f.max, every: f.every, pageSize: drPageSize,
		list:     func(limit int) ([]string, string, error) { return nextTenants(ctx, f.list, f.carry.After, limit) },
		start:    func(sel workflow.Selector, slug string) { f.start(ctx, sel, slug) },
		handled:  func() int { return f.handled },
		inFlight: func() int { return len(f.inFlight) },
	}.run(ctx)
	switch end {
	case fanOutListFailed:
		f.status = StepFailed
		msg, _ := describeErr(err)
		return f.result(), temporal.NewApplicationErrorWithOptions("list tenants: "+msg, ErrTypeDRListFailed,
			temporal.ApplicationErrorOptions{Cause: err, Details: []any{f.result()}})
	case fanOutContinue:
		cont := f.in
		cont.Carry = &f.carry
		return TenantBackupsResult{}, workflow.NewContinueAsNewError(ctx, TenantBackupsWorkflow, cont)
	}
	if ctx.Err() != nil {
		f.status = "cancelled"
		return f.result(), temporal.NewCanceledError("tenant backups cancelled")
	}
	f.status = "completed"
	res := f.result()
	if len(res.Failed) > 0 {
		alert := dr.AlertInput{Kind: "tenant-backups", ID: res.Stamp, Status: StepFailed, At: workflow.Now(ctx),
			WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID,
			Summary:    fmt.Sprintf("%d of %d tenant backups failed", len(res.Failed), len(res.Failed)+len(res.BackedUp))}
		for _, fl := range res.Failed {
			alert.Tenants = append(alert.Tenants, dr.AlertTenant{Tenant: fl.Tenant, BackupID: res.Stamp, Problems: []string{fl.Error}})
		}
		res.Alerted, _ = sendAlert(ctx, alert)
	}
	return res, nil
}

// start starts one tenant's TenantBackup. A completed backup of the tenant
// for this stamp is not taken again (ALLOW_DUPLICATE_FAILED_ONLY: the start
// fails as already started, which counts as backed up); a failed one is.
func (f *backupFanout) start(ctx workflow.Context, sel workflow.Selector, slug string) {
	id := f.carry.Stamp
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            BackupWorkflowID(slug, id),
		TaskQueue:             TaskQueueDR,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
		WaitForCancellation:   true,
		TypedSearchAttributes: temporal.NewSearchAttributes(SearchTenant.ValueSet(slug), SearchKind.ValueSet(KindBackup),
			SearchStage.ValueSet("queued")),
		StaticSummary: fmt.Sprintf("Backup %s of %s", id, slug),
	})
	fut := workflow.ExecuteChildWorkflow(cctx, TenantBackupWorkflow, TenantBackupInput{Slug: slug, Reason: "scheduled", BackupID: id, TakenAt: f.takenAt})
	f.inFlight = append(f.inFlight, slug)
	f.handled++
	f.carry.After = slug
	sel.AddFuture(fut, func(fut workflow.Future) {
		f.inFlight = slices.DeleteFunc(f.inFlight, func(s string) bool { return s == slug })
		var r TenantBackupResult
		err := fut.Get(ctx, &r)
		switch {
		case err == nil, temporal.IsWorkflowExecutionAlreadyStartedError(err):
			f.carry.BackedUp = append(f.carry.BackedUp, slug)
		default:
			msg, typ := describeErr(err)
			f.carry.Failed = append(f.carry.Failed, DRTenantFailure{Tenant: slug, Error: msg, Type: typ})
			workflow.GetLogger(ctx).Warn("tenant backup failed", "tenant", slug, "error", msg)
		}
	})
}

func (f *backupFanout) result() TenantBackupsResult {
	r := TenantBackupsResult{Stamp: f.carry.Stamp, BackedUp: slices.Sorted(slices.Values(f.carry.BackedUp)),
		Failed: slices.Clone(f.carry.Failed), Runs: f.carry.Runs}
	slices.SortFunc(r.Failed, func(a, b DRTenantFailure) int { return strings.Compare(a.Tenant, b.Tenant) })
	if r.BackedUp == nil {
		r.BackedUp = []string{}
	}
	if r.Failed == nil {
		r.Failed = []DRTenantFailure{}
	}
	return r
}

func (f *backupFanout) progress() BackupsProgress {
	return BackupsProgress{Stamp: f.carry.Stamp, Status: f.status, InFlight: slices.Clone(f.inFlight),
		BackedUp: len(f.carry.BackedUp), Failed: len(f.carry.Failed), Run: f.carry.Runs}
}

// cleanTenants validates, sorts and de-duplicates an explicit tenant list.
func cleanTenants(in []string) ([]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := slices.Clone(in)
	for _, s := range out {
		if err := tenant.ValidateSlug(s); err != nil {
			return nil, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeDRInvalidInput, err)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// nextTenants returns up to limit tenants after the cursor, from the
// explicit list or else from the active tenants in the store; next is ""
// after the last page.
func nextTenants(ctx workflow.Context, list []string, after string, limit int) (page []string, next string, err error) {
	limit = max(limit, 1)
	if list != nil {
		i, found := slices.BinarySearch(list, after)
		if found {
			i++
		}
		page = list[i:min(i+limit, len(list))]
		if i+limit < len(list) {
			next = page[len(page)-1]
		}
		return page, next, nil
	}
	var r dr.ListTenantsResult
	err = workflow.ExecuteActivity(smallOptions(ctx), drActs.DRListTenants, dr.ListTenantsInput{After: after, Limit: limit}).Get(ctx, &r)
	return r.Tenants, r.Next, err
}

// sendAlert posts an alert on a disconnected context (a cancelled run still
// reports); a failure to alert is logged and returned, not raised.
func sendAlert(ctx workflow.Context, in dr.AlertInput) (bool, error) {
	actx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	var r dr.AlertResult
	err := workflow.ExecuteActivity(drOptions(actx, smallTimeout, smallAttempts), drActs.DRAlert, in).Get(actx, &r)
	if err != nil {
		workflow.GetLogger(ctx).Error("could not send the DR alert", "kind", in.Kind, "id", in.ID, "error", err)
	}
	return r.Sent, err
}

// TenantRestore step names, in order.
const (
	StepRestoreLoad   = "restore"
	StepRestoreVerify = "verify"
	StepRestoreSwap   = "swap"
)

// RestoreSteps lists the TenantRestore steps in order.
var RestoreSteps = []string{StepRestoreLoad, StepRestoreVerify, StepRestoreSwap}

// TenantRestore puts a backup in place of a tenant's live schema: restore
// into a new restore_ schema, verify it against the manifest, then swap it in
// (SwapSchema: the live schema moves aside as replaced_..., kept for the
// operator). Nothing touches the live schema before the copy verified; if
// anything fails or the run is cancelled before the swap, the restore_
// schema is dropped.
func TenantRestore(ctx workflow.Context, in TenantRestoreInput) (TenantRestoreResult, error) {
	t := newTracker(in.Slug, KindRestore, RestoreSteps)
	if err := t.register(ctx); err != nil {
		return TenantRestoreResult{}, endRun(ctx, KindRestore, err)
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, SearchTenant.ValueSet(in.Slug), SearchKind.ValueSet(KindRestore)); err != nil {
		workflow.GetLogger(ctx).Warn("upsert search attributes failed", "error", err)
	}
	res, err := tenantRestore(ctx, in, t)
	switch {
	case err == nil:
		t.finish(ctx, "restored", nil)
		return res, endRun(ctx, KindRestore, nil)
	case temporal.IsCanceledError(err) || errors.Is(ctx.Err(), workflow.ErrCanceled):
		t.finish(ctx, "cancelled", err)
		return res, endRun(ctx, KindRestore, temporal.NewCanceledError("restore cancelled"))
	}
	t.finish(ctx, StepFailed, err)
	msg, typ := describeErr(err)
	if typ != ErrTypeRestoreNotVerified && typ != ErrTypeDRInvalidInput {
		typ = ErrTypeRestoreFailed
	}
	return res, endRun(ctx, KindRestore, temporal.NewNonRetryableApplicationError(msg, typ, err))
}

func tenantRestore(ctx workflow.Context, in TenantRestoreInput, t *tracker) (TenantRestoreResult, error) {
	res := TenantRestoreResult{Tenant: in.Slug, BackupID: in.BackupID}
	if err := tenant.ValidateSlug(in.Slug); err != nil || in.BackupID == "" {
		return res, temporal.NewNonRetryableApplicationError(fmt.Sprintf("invalid restore input: tenant %q, backup %q", in.Slug, in.BackupID), ErrTypeDRInvalidInput, err)
	}
	// The backup must be complete; its size sizes the timeouts.
	var list backup.ListBackupsResult
	if err := workflow.ExecuteActivity(smallOptions(ctx), bkActs.ListBackups, backup.ListBackupsInput{Slug: in.Slug}).Get(ctx, &list); err != nil {
		return res, fmt.Errorf("list backups: %w", err)
	}
	i := slices.IndexFunc(list.Backups, func(b backup.BackupInfo) bool { return b.ID == in.BackupID })
	if i < 0 || !list.Backups[i].Complete {
		return res, temporal.NewNonRetryableApplicationError(fmt.Sprintf("tenant %s has no complete backup %s", in.Slug, in.BackupID), ErrTypeDRInvalidInput, nil)
	}
	info := list.Backups[i]
	// A new schema per run: "restore_<slug>_<time>" (and its aside name
	// "replaced_<slug>_<time>") never collides with an earlier restore.
	schema := backup.ScratchSchema("restore", in.Slug, workflow.Now(ctx).UTC().Format("20060102t150405"))
	swapped := false
	defer func() {
		if !swapped {
			if err := dropScratch(ctx, schema); err != nil {
				workflow.GetLogger(ctx).Error("restore schema left behind", "schema", schema, "error", err)
			}
		}
	}()

	t.set(ctx, StepRestoreLoad, StepRunning, "", nil)
	start := workflow.Now(ctx)
	var rr backup.RestoreResult
	opts := drOptions(ctx, sizedTimeout(info.DataBytes), dataAttempts)
	if err := workflow.ExecuteActivity(opts, bkActs.RestoreTenant, backup.RestoreInput{Slug: in.Slug, BackupID: in.BackupID, TargetSchema: schema}).Get(ctx, &rr); err != nil {
		t.set(ctx, StepRestoreLoad, StepFailed, "", err)
		return res, fmt.Errorf("restore: %w", err)
	}
	res.Tables, res.Rows = rr.Tables, rr.Rows
	t.set(ctx, StepRestoreLoad, StepDone, fmt.Sprintf("%s: %d tables, %d rows", schema, rr.Tables, rr.Rows), nil)

	t.set(ctx, StepRestoreVerify, StepRunning, "", nil)
	var vr backup.VerifyResult
	if err := workflow.ExecuteActivity(opts, bkActs.VerifyRestore, backup.VerifyInput{Slug: in.Slug, BackupID: in.BackupID, Schema: schema}).Get(ctx, &vr); err != nil {
		t.set(ctx, StepRestoreVerify, StepFailed, "", err)
		return res, fmt.Errorf("verify: %w", err)
	}
	if !vr.OK {
		err := temporal.NewNonRetryableApplicationError("the restored copy does not match the backup: "+strings.Join(vr.Problems, "; "), ErrTypeRestoreNotVerified, nil)
		t.set(ctx, StepRestoreVerify, StepFailed, "", err)
		return res, err
	}
	t.set(ctx, StepRestoreVerify, StepDone, fmt.Sprintf("%d tables verified", len(vr.Tables)), nil)

	if err := ctx.Err(); err != nil {
		return res, err
	}
	t.set(ctx, StepRestoreSwap, StepRunning, "", nil)
	var sr backup.SwapResult
	err := workflow.ExecuteActivity(drOptions(ctx, 15*time.Minute, dataAttempts), bkActs.SwapSchema, backup.SwapInput{Slug: in.Slug, FromSchema: schema}).Get(ctx, &sr)
	if err != nil {
		// A swap that committed has renamed the schema away, so the drop
		// that follows finds nothing; DropScratch never touches live data.
		t.set(ctx, StepRestoreSwap, StepFailed, "", err)
		return res, fmt.Errorf("swap: %w", err)
	}
	swapped = true
	res.Schema, res.AsideSchema, res.Duration = sr.Schema, sr.AsideSchema, workflow.Now(ctx).Sub(start)
	detail := "live schema " + sr.Schema + " replaced"
	if sr.AsideSchema != "" {
		detail += "; the previous data is kept in " + sr.AsideSchema
	}
	t.set(ctx, StepRestoreSwap, StepDone, detail, nil)
	return res, nil
}

// describeErr turns a workflow, child or activity error into the message
// and type of its outermost application error.
func describeErr(err error) (msg, typ string) {
	var app *temporal.ApplicationError
	var timeout *temporal.TimeoutError
	switch {
	case errors.As(err, &app):
		return app.Message(), app.Type()
	case errors.As(err, &timeout):
		return "timed out (" + timeout.TimeoutType().String() + ")", "Timeout"
	case temporal.IsCanceledError(err):
		return "cancelled", "Canceled"
	}
	return err.Error(), ""
}

// errType is the type of the innermost application error in err (activity
// errors arrive wrapped), or "".
func errType(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Type()
	}
	return ""
}

func firstLine(err error) string {
	msg, _ := describeErr(err)
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		return msg[:i]
	}
	return msg
}

func shortID(id string) string {
	id = strings.ReplaceAll(id, "-", "")
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
