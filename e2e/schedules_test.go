package e2e

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/rigger-platform/rigger/starter"
	"github.com/rigger-platform/rigger/workers"
	"github.com/rigger-platform/rigger/workflows"
)

// TestSchedulesSync: sync creates the schedules with the configured specs;
// re-sync changes nothing; a changed cron updates the schedule in place;
// trigger starts a run; pause and unpause stick.
func TestSchedulesSync(t *testing.T) {
	srv := startTemporal(t)
	p := &platform{t: t, temporal: srv}
	c := dialTemporal(t, p)
	ctx := context.Background()
	specs := workers.DefaultSchedules("0 0 1 * *", "0 2 * * *", "0 4 * * 0", nil)

	actions := func(res []workers.SyncResult) []string {
		var out []string
		for _, r := range res {
			out = append(out, r.Action)
		}
		return out
	}
	res, err := workers.SyncSchedules(ctx, c, specs)
	if err != nil || !slices.Equal(actions(res), []string{"created", "created", "created"}) {
		t.Fatalf("first sync: %v %v", res, err)
	}
	d, err := c.ScheduleClient().GetHandle(ctx, workflows.ScheduleBillingCycle).Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d.Schedule.Policy.CatchupWindow != 7*24*time.Hour || len(d.Info.NextActionTimes) == 0 || d.Info.NextActionTimes[0].UTC().Day() != 1 {
		t.Fatalf("billing schedule: policy %+v next %v", d.Schedule.Policy, d.Info.NextActionTimes)
	}
	res, err = workers.SyncSchedules(ctx, c, specs)
	if err != nil || !slices.Equal(actions(res), []string{"unchanged", "unchanged", "unchanged"}) {
		t.Fatalf("re-sync: %v %v", res, err)
	}
	changed := workers.DefaultSchedules("0 0 1 * *", "30 3 * * *", "0 4 * * 0", nil)
	res, err = workers.SyncSchedules(ctx, c, changed)
	if err != nil || !slices.Equal(actions(res), []string{"unchanged", "updated", "unchanged"}) {
		t.Fatalf("changed sync: %v %v", res, err)
	}
	d, _ = c.ScheduleClient().GetHandle(ctx, workflows.ScheduleTenantBackups).Describe(ctx)
	if next := d.Info.NextActionTimes[0].UTC(); next.Hour() != 3 || next.Minute() != 30 {
		t.Fatalf("updated backups schedule next run %v", next)
	}
	iter, _ := c.ScheduleClient().List(ctx, client.ScheduleListOptions{})
	n := 0
	for iter.HasNext() {
		if _, err := iter.Next(); err == nil {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("%d schedules exist, want 3 (an update must not create a copy)", n)
	}

	run := func(args ...string) (int, string) {
		var out bytes.Buffer
		code := starter.Schedules(ctx, c, changed, args, &out, &out)
		return code, out.String()
	}
	if code, out := run("trigger", workflows.ScheduleDRDrill); code != 0 {
		t.Fatalf("trigger: %d %s", code, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, _ = c.ScheduleClient().GetHandle(ctx, workflows.ScheduleDRDrill).Describe(ctx)
		if len(d.Info.RecentActions) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("trigger started no run")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code, out := run("pause", workflows.ScheduleBillingCycle, "maintenance"); code != 0 {
		t.Fatalf("pause: %d %s", code, out)
	}
	if code, out := run("list"); code != 0 || !strings.Contains(out, "billing-cycle") || !strings.Contains(out, "yes") {
		t.Fatalf("list: %d %s", code, out)
	}
	// An operator's pause survives a re-sync of unchanged config.
	if _, err := workers.SyncSchedules(ctx, c, changed); err != nil {
		t.Fatal(err)
	}
	d, _ = c.ScheduleClient().GetHandle(ctx, workflows.ScheduleBillingCycle).Describe(ctx)
	if !d.Schedule.State.Paused {
		t.Fatal("re-sync undid an operator's pause")
	}
	if code, _ := run("unpause", workflows.ScheduleBillingCycle); code != 0 {
		t.Fatal("unpause failed")
	}
	if code, _ := run("trigger", "nope"); code != 2 {
		t.Fatal("unknown schedule accepted")
	}
}
