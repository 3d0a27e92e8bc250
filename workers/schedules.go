package workers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/workflows"
)

// ScheduleSpec is one Rigger schedule as configured.
type ScheduleSpec struct {
	ID        string
	Kind      string // RiggerKind of the runs it starts
	Cron      string
	Workflow  string
	TaskQueue string
	Input     any
	// Overlap and CatchupWindow are chosen per schedule, on purpose:
	// see DefaultSchedules.
	Overlap       enumspb.ScheduleOverlapPolicy
	CatchupWindow time.Duration
	Paused        bool
	Note          string
}

// DefaultSchedules are Rigger's schedules with the given cron expressions
// (UTC).
//
//   - billing-cycle buffers one overlapping run: a cycle still running when
//     the next month starts must not cause that month to be skipped. Its
//     catch-up window is a week, so a cluster that was down on the 1st still
//     bills when it comes back; billing is idempotent per tenant and period.
//   - tenant-backups skips overlaps (a backup still running makes the next one
//     redundant) and catches up within 6 hours only: a stale missed backup
//     is replaced by the next day's.
//   - dr-drill skips overlaps and catches up within a day.
func DefaultSchedules(billingCron, backupCron, drillCron string, paused map[string]bool) []ScheduleSpec {
	return []ScheduleSpec{
		{ID: workflows.ScheduleBillingCycle, Kind: workflows.KindBilling, Cron: billingCron, Workflow: workflows.BillingCycleWorkflow, TaskQueue: workflows.TaskQueueBilling,
			Input: workflows.BillingCycleInput{}, Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE, CatchupWindow: 7 * 24 * time.Hour,
			Paused: paused[workflows.ScheduleBillingCycle], Note: "Bills every tenant for the previous month."},
		{ID: workflows.ScheduleTenantBackups, Kind: workflows.KindBackup, Cron: backupCron, Workflow: workflows.TenantBackupsWorkflow, TaskQueue: workflows.TaskQueueDR,
			Input: workflows.TenantBackupsInput{}, Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, CatchupWindow: 6 * time.Hour,
			Paused: paused[workflows.ScheduleTenantBackups], Note: "Backs up every active tenant."},
		{ID: workflows.ScheduleDRDrill, Kind: workflows.KindDrill, Cron: drillCron, Workflow: workflows.DRDrillWorkflow, TaskQueue: workflows.TaskQueueDR,
			Input: workflows.DRDrillInput{}, Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, CatchupWindow: 24 * time.Hour,
			Paused: paused[workflows.ScheduleDRDrill], Note: "Restores the latest backups into scratch schemas and verifies them."},
	}
}

// fingerprint identifies a spec's configuration. The server normalises
// cron strings into calendars, so comparing what Describe returns with the
// config is fragile; the fingerprint travels in the action's memo instead.
func (s ScheduleSpec) fingerprint() string {
	b, _ := json.Marshal([]any{s.Cron, s.Workflow, s.TaskQueue, s.Input, s.Overlap, s.CatchupWindow, s.Paused})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

const fingerprintMemo = "riggerScheduleConfig"

func (s ScheduleSpec) action() *client.ScheduleWorkflowAction {
	return &client.ScheduleWorkflowAction{
		ID:                    s.ID,
		Workflow:              s.Workflow,
		Args:                  []any{s.Input},
		TaskQueue:             s.TaskQueue,
		Memo:                  map[string]any{fingerprintMemo: s.fingerprint()},
		TypedSearchAttributes: temporal.NewSearchAttributes(workflows.SearchKind.ValueSet(s.Kind)),
		StaticSummary:         s.Note,
	}
}

// SyncResult says what sync did with one schedule.
type SyncResult struct {
	ID     string
	Action string // created, updated, unchanged
}

// SyncSchedules creates missing schedules and updates changed ones in
// place; an unchanged schedule is left alone, including any pause an
// operator set in the Web UI since.
func SyncSchedules(ctx context.Context, c client.Client, specs []ScheduleSpec) ([]SyncResult, error) {
	var out []SyncResult
	for _, s := range specs {
		if s.Cron == "" {
			return out, fmt.Errorf("schedule %s: empty cron expression", s.ID)
		}
		h := c.ScheduleClient().GetHandle(ctx, s.ID)
		desc, err := h.Describe(ctx)
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
				ID:            s.ID,
				Spec:          client.ScheduleSpec{CronExpressions: []string{s.Cron}},
				Action:        s.action(),
				Overlap:       s.Overlap,
				CatchupWindow: s.CatchupWindow,
				Paused:        s.Paused,
				Note:          s.Note,
			})
			if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
				// Another process synced it a moment ago.
				out = append(out, SyncResult{ID: s.ID, Action: "unchanged"})
				continue
			}
			if err != nil {
				return out, fmt.Errorf("create schedule %s: %w", s.ID, err)
			}
			out = append(out, SyncResult{ID: s.ID, Action: "created"})
			continue
		}
		if err != nil {
			return out, fmt.Errorf("describe schedule %s: %w", s.ID, err)
		}
		if currentFingerprint(desc) == s.fingerprint() {
			out = append(out, SyncResult{ID: s.ID, Action: "unchanged"})
			continue
		}
		err = h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			sched := in.Description.Schedule
			sched.Spec = &client.ScheduleSpec{CronExpressions: []string{s.Cron}}
			sched.Action = s.action()
			sched.Policy = &client.SchedulePolicies{Overlap: s.Overlap, CatchupWindow: s.CatchupWindow}
			sched.State = &client.ScheduleState{Paused: s.Paused, Note: s.Note}
			return &client.ScheduleUpdate{Schedule: &sched}, nil
		}})
		if err != nil {
			return out, fmt.Errorf("update schedule %s: %w", s.ID, err)
		}
		out = append(out, SyncResult{ID: s.ID, Action: "updated"})
	}
	return out, nil
}

func currentFingerprint(d *client.ScheduleDescription) string {
	a, ok := d.Schedule.Action.(*client.ScheduleWorkflowAction)
	if !ok {
		return ""
	}
	p, ok := a.Memo[fingerprintMemo].(*commonpb.Payload)
	if !ok {
		return ""
	}
	var v string
	if err := converter.GetDefaultDataConverter().FromPayload(p, &v); err != nil {
		return ""
	}
	return v
}
