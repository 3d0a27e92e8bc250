package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rigger-platform/rigger/activities/backup"
	"github.com/rigger-platform/rigger/activities/dr"
	"github.com/rigger-platform/rigger/internal/store"
	"github.com/rigger-platform/rigger/internal/tenant"
)

// DrillIDRE is what a drill ID may look like: one URL path segment, at most
// 100 characters (the API checks requests against it too).
var DrillIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$`)

// DRDrillTenant drills one tenant: take its latest complete backup (or the
// named one), restore it into a drill_ scratch schema, verify every table's
// row count and checksum against the manifest, measure RTO (restore plus
// verify, on the workflow clock) and RPO (drill time minus the backup's
// snapshot time), always drop the scratch copy — on a disconnected context,
// after the restore has stopped, even when the run failed or was cancelled —
// and record the outcome in rigger.drill_results. A restore that does not
// verify, or an RPO over the objective, is a finding (OK false), not an
// error; the run fails only if the outcome cannot be recorded.
func DRDrillTenant(ctx workflow.Context, in DRDrillTenantInput) (DrillTenantResult, error) {
	if err := workflow.UpsertTypedSearchAttributes(ctx, SearchTenant.ValueSet(in.Slug), SearchKind.ValueSet(KindDrill)); err != nil {
		workflow.GetLogger(ctx).Warn("upsert search attributes failed", "error", err)
	}
	if err := tenant.ValidateSlug(in.Slug); err != nil || !DrillIDRE.MatchString(in.DrillID) {
		return DrillTenantResult{}, endRun(ctx, KindDrill, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("invalid drill input: drill %q, tenant %q", in.DrillID, in.Slug), ErrTypeDRInvalidInput, err))
	}
	res, err := drillTenant(ctx, in)
	if err != nil || ctx.Err() != nil {
		return res, endRun(ctx, KindDrill, temporal.NewCanceledError("drill of "+in.Slug+" cancelled"))
	}
	if err := recordDrillResult(ctx, in.DrillID, res); err != nil {
		msg, _ := describeErr(err)
		return res, endRun(ctx, KindDrill, temporal.NewNonRetryableApplicationError("could not record the outcome: "+msg, ErrTypeDrillRecordingFailed, err))
	}
	return res, endRun(ctx, KindDrill, nil)
}

// drillTenant returns an error only when the run was cancelled; everything
// else is a problem in the result.
func drillTenant(ctx workflow.Context, in DRDrillTenantInput) (DrillTenantResult, error) {
	res := DrillTenantResult{Tenant: in.Slug, ScratchDropped: true}
	problem := func(format string, args ...any) { res.Problems = append(res.Problems, fmt.Sprintf(format, args...)) }
	var list backup.ListBackupsResult
	err := workflow.ExecuteActivity(drOptions(ctx, 2*time.Minute, smallAttempts), bkActs.ListBackups, backup.ListBackupsInput{Slug: in.Slug}).Get(ctx, &list)
	if err != nil {
		if ctx.Err() != nil {
			return res, err
		}
		msg, _ := describeErr(err)
		problem("could not list the backups: %s", msg)
		return res, nil
	}
	var chosen *backup.BackupInfo
	for i := range list.Backups { // newest first
		b := &list.Backups[i]
		if in.BackupID != "" {
			if b.ID == in.BackupID {
				chosen = b
				break
			}
			continue
		}
		if b.Complete {
			chosen = b
			break
		}
		if b.Problem != "" {
			// A newer backup whose manifest exists but is unusable: the
			// drill falls back to an older one, and says so loudly.
			problem("backup %s is unusable: %s", b.ID, b.Problem)
		}
	}
	switch {
	case chosen == nil && in.BackupID != "":
		problem("backup %s does not exist", in.BackupID)
		return res, nil
	case chosen == nil:
		problem("no complete backup to restore")
		return res, nil
	case !chosen.Complete:
		problem("backup %s is incomplete: %s", chosen.ID, chosen.Problem)
		return res, nil
	}
	res.BackupID, res.SnapshotAt = chosen.ID, chosen.SnapshotAt
	res.RPO = workflow.Now(ctx).Sub(chosen.SnapshotAt)
	if in.RPOObjective > 0 && res.RPO > in.RPOObjective {
		problem("RPO %s exceeds the objective %s (backup %s, snapshot at %s)", res.RPO.Round(time.Second), in.RPOObjective,
			chosen.ID, chosen.SnapshotAt.UTC().Format(time.RFC3339))
	}

	schema := backup.ScratchSchema("drill", in.Slug, in.DrillID)
	start := workflow.Now(ctx)
	rr, vr, err := restoreInto(ctx, in.Slug, chosen.ID, schema, chosen.DataBytes)
	res.RTO = workflow.Now(ctx).Sub(start)
	res.RestoreTime, res.Tables, res.Rows = rr.Duration, rr.Tables, rr.Rows
	if derr := dropScratch(ctx, schema); derr != nil {
		res.ScratchDropped = false
		msg, _ := describeErr(derr)
		problem("scratch schema %s could not be dropped: %s", schema, msg)
	}
	switch {
	case err != nil && (temporal.IsCanceledError(err) || ctx.Err() != nil):
		return res, err
	case err != nil:
		msg, _ := describeErr(err)
		problem("restore did not complete: %s", msg)
	case !vr.OK:
		res.Problems = append(res.Problems, vr.Problems...)
	}
	res.OK = len(res.Problems) == 0
	return res, nil
}

func recordDrillResult(ctx workflow.Context, drillID string, r DrillTenantResult) error {
	return workflow.ExecuteActivity(smallOptions(ctx), bkActs.RecordDrillResult, backup.RecordDrillResultInput{
		DrillID: drillID, Slug: r.Tenant, BackupID: r.BackupID, OK: r.OK, RTO: r.RTO, RPO: r.RPO, Problems: r.Problems,
	}).Get(ctx, nil)
}

// DrillProgress answers QueryProgress on a DRDrill run.
type DrillProgress struct {
	DrillID  string   `json:"drillId"`
	Status   string   `json:"status"`
	InFlight []string `json:"inFlight"`
	Tenants  int      `json:"tenants"`
	Passed   int      `json:"passed"`
	Failed   int      `json:"failed"`
	Run      int      `json:"run"`
}

// DRDrill drills the listed tenants, or a sample of the active ones (Sample,
// else the configured RIGGER_DR_DRILL_SAMPLE; 0 means all), one
// DRDrillTenant child each, at most MaxInFlight at a time. The sample is
// drawn by DRListTenants with the drill ID as seed: the same drill ID over
// the same tenants always picks the same ones, and the pick is recorded in
// history. The drill is recorded in rigger.drills (running, then passed,
// failed or cancelled with the summary as its report; each tenant's row in
// rigger.drill_results). It fails loudly: when any tenant fails, it posts an
// alert (DRAlert), records the drill failed, and the run itself fails with
// the report as the error's details.
func DRDrill(ctx workflow.Context, in DRDrillInput) (DrillReport, error) {
	d, err := newDrill(ctx, in)
	if err != nil {
		return DrillReport{}, endDrill(ctx, err)
	}
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (DrillProgress, error) { return d.progress(), nil }); err != nil {
		return DrillReport{}, endDrill(ctx, err)
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, SearchKind.ValueSet(KindDrill)); err != nil {
		workflow.GetLogger(ctx).Warn("upsert search attributes failed", "error", err)
	}
	rep, err := d.run(ctx)
	return rep, endDrill(ctx, err)
}

// endDrill counts a DRDrill run as a drill (MetricDrills: a drill with a
// failed tenant fails the run, so the run's error is the drill's outcome)
// and as a run (MetricRuns). A drill that continues as new is counted when
// its last run ends.
func endDrill(ctx workflow.Context, err error) error {
	var cont *workflow.ContinueAsNewError
	if !errors.As(err, &cont) {
		countOutcome(ctx, MetricDrills, outcomeOf(err))
	}
	return endRun(ctx, KindDrill, err)
}

type drill struct {
	in       DRDrillInput
	list     []string // explicit or sampled tenants; nil: every active tenant
	settings dr.Settings
	carry    DRDrillCarry
	max      int
	every    int
	first    bool
	inFlight []string
	handled  int
	status   string
}

func newDrill(ctx workflow.Context, in DRDrillInput) (*drill, error) {
	if in.Sample < 0 || in.MaxInFlight < 0 || in.ContinueEvery < 0 {
		return nil, temporal.NewNonRetryableApplicationError("Sample, MaxInFlight and ContinueEvery must not be negative", ErrTypeDRInvalidInput, nil)
	}
	list, err := cleanTenants(in.Tenants)
	if err != nil {
		return nil, err
	}
	d := &drill{in: in, list: list, max: in.MaxInFlight, every: in.ContinueEvery, status: "running"}
	if d.max == 0 {
		d.max = DefaultDrillMaxInFlight
	}
	if d.every == 0 {
		d.every = DefaultBackupContinueEvery
	}
	if in.Carry != nil {
		d.carry = *in.Carry
	} else {
		d.first = true
		d.carry.DrillID = in.DrillID
		d.carry.StartedAt = workflow.Now(ctx).UTC()
		if d.carry.DrillID == "" {
			d.carry.DrillID = DrillIDForDate(d.carry.StartedAt)
		}
	}
	if !DrillIDRE.MatchString(d.carry.DrillID) {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("drill ID %q is not valid", d.carry.DrillID), ErrTypeDRInvalidInput, nil)
	}
	d.carry.Runs++
	return d, nil
}

func (d *drill) run(ctx workflow.Context) (DrillReport, error) {
	if err := workflow.ExecuteActivity(smallOptions(ctx), drActs.DRSettings, dr.SettingsInput{}).Get(ctx, &d.settings); err != nil {
		return d.fail(ctx, "settings", err)
	}
	d.carry.Summary.RPOObjective = d.settings.RPOObjective
	if d.first {
		err := workflow.ExecuteActivity(smallOptions(ctx), bkActs.RecordDrillStart, backup.RecordDrillStartInput{
			DrillID: d.carry.DrillID, StartedAt: d.carry.StartedAt}).Get(ctx, nil)
		if err != nil {
			return d.fail(ctx, "record the drill", err)
		}
		if d.list == nil {
			d.carry.Sample = d.in.Sample
			if d.carry.Sample == 0 {
				d.carry.Sample = d.settings.DrillSample
			}
			if d.carry.Sample > 0 {
				var r dr.ListTenantsResult
				err := workflow.ExecuteActivity(drOptions(ctx, 5*time.Minute, smallAttempts), drActs.DRListTenants,
					dr.ListTenantsInput{Sample: d.carry.Sample, Seed: d.carry.DrillID}).Get(ctx, &r)
				if err != nil {
					return d.fail(ctx, "sample tenants", err)
				}
				d.list, d.carry.Population = r.Tenants, r.Total
				if d.list == nil {
					d.list = []string{}
				}
			}
		}
	}

	// An empty sample drills nothing.
	if d.list == nil || len(d.list) > 0 {
		end, err := fanOutLoop{
			max: d.max, every: d.every, pageSize: drPageSize,
			list:     func(limit int) ([]string, string, error) { return nextTenants(ctx, d.list, d.carry.After, limit) },
			start:    func(sel workflow.Selector, slug string) { d.start(ctx, sel, slug) },
			handled:  func() int { return d.handled },
			inFlight: func() int { return len(d.inFlight) },
		}.run(ctx)
		switch end {
		case fanOutListFailed:
			return d.fail(ctx, "list tenants", err)
		case fanOutContinue:
			cont := d.in
			cont.Tenants, cont.Carry = d.list, &d.carry
			return DrillReport{}, workflow.NewContinueAsNewError(ctx, DRDrillWorkflow, cont)
		}
	}
	if ctx.Err() != nil {
		return d.finish(ctx, store.DrillCancelled)
	}
	if d.carry.Summary.Failed > 0 {
		return d.finish(ctx, store.DrillFailed)
	}
	return d.finish(ctx, store.DrillPassed)
}

// start starts one tenant's child. The drill ID is part of the child's ID,
// so a drill started again with the same ID drills again (ALLOW_DUPLICATE).
// A cancelled drill cancels its children and waits for them: each drops its
// scratch copy before the drill records itself cancelled.
func (d *drill) start(ctx workflow.Context, sel workflow.Selector, slug string) {
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            DrillTenantWorkflowID(d.carry.DrillID, slug),
		TaskQueue:             TaskQueueDR,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
		WaitForCancellation:   true,
		TypedSearchAttributes: temporal.NewSearchAttributes(SearchTenant.ValueSet(slug), SearchKind.ValueSet(KindDrill),
			SearchStage.ValueSet("queued")),
		StaticSummary: fmt.Sprintf("DR drill %s: %s", d.carry.DrillID, slug),
	})
	fut := workflow.ExecuteChildWorkflow(cctx, DRDrillTenantWorkflow, DRDrillTenantInput{
		DrillID: d.carry.DrillID, Slug: slug, RPOObjective: d.settings.RPOObjective})
	d.inFlight = append(d.inFlight, slug)
	d.handled++
	d.carry.After = slug
	sel.AddFuture(fut, func(fut workflow.Future) {
		d.inFlight = slices.DeleteFunc(d.inFlight, func(s string) bool { return s == slug })
		var r DrillTenantResult
		err := fut.Get(ctx, &r)
		if err != nil {
			if ctx.Err() != nil {
				return // the drill is cancelled: reported as such
			}
			msg, _ := describeErr(err)
			r = DrillTenantResult{Tenant: slug, BackupID: r.BackupID, ScratchDropped: r.ScratchDropped,
				Problems: append(r.Problems, "the tenant's drill run failed: "+msg)}
			if err := recordDrillResult(ctx, d.carry.DrillID, r); err != nil {
				workflow.GetLogger(ctx).Error("could not record a drill result", "tenant", slug, "error", err)
			}
		}
		d.add(r)
	})
}

func (d *drill) add(r DrillTenantResult) {
	s := &d.carry.Summary
	s.Tenants++
	s.MaxRTO, s.MaxRPO = max(s.MaxRTO, r.RTO), max(s.MaxRPO, r.RPO)
	if r.OK {
		s.Passed++
		return
	}
	s.Failed++
	if len(s.FailedTenants) < maxReportFailures {
		s.FailedTenants = append(s.FailedTenants, DrillFailure{Tenant: r.Tenant, BackupID: r.BackupID, Problems: r.Problems})
	}
}

func (d *drill) report(ctx workflow.Context, status string) DrillReport {
	s := d.carry.Summary
	s.FailedTenants = slices.Clone(s.FailedTenants)
	slices.SortFunc(s.FailedTenants, func(a, b DrillFailure) int { return strings.Compare(a.Tenant, b.Tenant) })
	if s.FailedTenants == nil {
		s.FailedTenants = []DrillFailure{}
	}
	return DrillReport{DrillID: d.carry.DrillID, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, Status: status,
		StartedAt: d.carry.StartedAt, FinishedAt: workflow.Now(ctx).UTC(), Sample: d.carry.Sample, Population: d.carry.Population,
		Summary: s, Runs: d.carry.Runs}
}

// finish alerts when the drill failed, records its outcome (on a
// disconnected context, so a cancelled drill is recorded too) and returns.
func (d *drill) finish(ctx workflow.Context, status string) (DrillReport, error) {
	d.status = status
	rep := d.report(ctx, status)
	if status == store.DrillFailed {
		alert := dr.AlertInput{Kind: "dr-drill", ID: rep.DrillID, Status: status, WorkflowID: rep.WorkflowID, At: rep.FinishedAt,
			Summary: fmt.Sprintf("%d of %d tenants failed the drill (RPO objective %s)", rep.Summary.Failed, rep.Summary.Tenants, rep.Summary.RPOObjective)}
		for _, f := range rep.Summary.FailedTenants {
			alert.Tenants = append(alert.Tenants, dr.AlertTenant{Tenant: f.Tenant, BackupID: f.BackupID, Problems: f.Problems})
		}
		sent, err := sendAlert(ctx, alert)
		rep.Alerted = sent
		if err != nil {
			rep.AlertError, _ = describeErr(err)
		}
	}
	dctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	body, err := reportJSON(rep)
	if err == nil {
		err = workflow.ExecuteActivity(smallOptions(dctx), bkActs.RecordDrillFinish, backup.RecordDrillFinishInput{
			DrillID: rep.DrillID, Status: status, FinishedAt: rep.FinishedAt, Report: body}).Get(dctx, nil)
	}
	if err != nil {
		workflow.GetLogger(ctx).Error("could not record the drill's outcome", "drill", rep.DrillID, "error", err)
	}
	switch status {
	case store.DrillCancelled:
		return rep, temporal.NewCanceledError("drill " + rep.DrillID + " cancelled")
	case store.DrillFailed:
		return rep, temporal.NewNonRetryableApplicationError(alertSummary(rep), ErrTypeDrillFailed, nil, rep)
	}
	return rep, nil
}

// fail ends a drill that could not run at all (its settings, its record or
// its tenant list were unavailable): it alerts, records what it can, and
// fails with the cause.
func (d *drill) fail(ctx workflow.Context, what string, cause error) (DrillReport, error) {
	msg, _ := describeErr(cause)
	if ctx.Err() != nil || errors.Is(cause, workflow.ErrCanceled) {
		return d.finish(ctx, store.DrillCancelled)
	}
	d.status = store.DrillFailed
	rep := d.report(ctx, store.DrillFailed)
	sent, aerr := sendAlert(ctx, dr.AlertInput{Kind: "dr-drill", ID: rep.DrillID, Status: store.DrillFailed, WorkflowID: rep.WorkflowID,
		At: rep.FinishedAt, Summary: "the drill could not " + what + ": " + msg})
	rep.Alerted = sent
	if aerr != nil {
		rep.AlertError, _ = describeErr(aerr)
	}
	if d.first && what == "record the drill" {
		return rep, temporal.NewNonRetryableApplicationError("could not "+what+": "+msg, ErrTypeDrillRecordingFailed, cause, rep)
	}
	dctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	if body, err := reportJSON(rep); err == nil {
		_ = workflow.ExecuteActivity(smallOptions(dctx), bkActs.RecordDrillFinish, backup.RecordDrillFinishInput{
			DrillID: rep.DrillID, Status: store.DrillFailed, FinishedAt: rep.FinishedAt, Report: body}).Get(dctx, nil)
	}
	return rep, temporal.NewNonRetryableApplicationError("could not "+what+": "+msg, ErrTypeDrillFailed, cause, rep)
}

func alertSummary(rep DrillReport) string {
	var names []string
	for _, f := range rep.Summary.FailedTenants {
		names = append(names, f.Tenant)
	}
	return fmt.Sprintf("drill %s failed: %d of %d tenants (%s)", rep.DrillID, rep.Summary.Failed, rep.Summary.Tenants, strings.Join(names, ", "))
}

func (d *drill) progress() DrillProgress {
	s := d.carry.Summary
	return DrillProgress{DrillID: d.carry.DrillID, Status: d.status, InFlight: slices.Clone(d.inFlight),
		Tenants: s.Tenants, Passed: s.Passed, Failed: s.Failed, Run: d.carry.Runs}
}

// reportJSON encodes the report for rigger.drills. Marshalling a struct
// (no maps) is deterministic; workflowcheck flags encoding/json only for the
// reflection caches and allocations inside it.
//
//workflowcheck:ignore
func reportJSON(rep DrillReport) (json.RawMessage, error) {
	return json.Marshal(rep)
}
