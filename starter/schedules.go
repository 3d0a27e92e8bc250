package starter

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/rigger-platform/rigger/workers"
)

// Schedules runs `rigger schedules list|sync|trigger|pause|unpause`. It is
// an operator command: it talks to Temporal directly, not to the API.
func Schedules(ctx context.Context, c client.Client, specs []workers.ScheduleSpec, args []string, out, errOut io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(errOut, "usage: rigger schedules list|sync|trigger ID|pause ID [note]|unpause ID")
		return 2
	}
	known := map[string]bool{}
	for _, s := range specs {
		known[s.ID] = true
	}
	needID := func() (string, bool) {
		if len(args) < 2 || !known[args[1]] {
			fmt.Fprintf(errOut, "rigger: schedules %s needs a schedule ID: one of %s\n", args[0], ids(specs))
			return "", false
		}
		return args[1], true
	}
	var err error
	switch args[0] {
	case "sync":
		var res []workers.SyncResult
		res, err = workers.SyncSchedules(ctx, c, specs)
		for _, r := range res {
			fmt.Fprintf(out, "%-16s %s\n", r.ID, r.Action)
		}
	case "list":
		err = listSchedules(ctx, c, specs, out)
	case "trigger":
		id, ok := needID()
		if !ok {
			return 2
		}
		err = c.ScheduleClient().GetHandle(ctx, id).Trigger(ctx, client.ScheduleTriggerOptions{})
		if err == nil {
			fmt.Fprintf(out, "triggered %s\n", id)
		}
	case "pause", "unpause":
		id, ok := needID()
		if !ok {
			return 2
		}
		note := "by rigger schedules " + args[0]
		if len(args) > 2 {
			note = strings.Join(args[2:], " ")
		}
		h := c.ScheduleClient().GetHandle(ctx, id)
		if args[0] == "pause" {
			err = h.Pause(ctx, client.SchedulePauseOptions{Note: note})
		} else {
			err = h.Unpause(ctx, client.ScheduleUnpauseOptions{Note: note})
		}
		if err == nil {
			fmt.Fprintf(out, "%sd %s\n", args[0], id)
		}
	default:
		fmt.Fprintf(errOut, "rigger: unknown schedules command %q\n", args[0])
		return 2
	}
	if err != nil {
		fmt.Fprintln(errOut, "rigger:", err)
		return 1
	}
	return 0
}

func ids(specs []workers.ScheduleSpec) string {
	var out []string
	for _, s := range specs {
		out = append(out, s.ID)
	}
	return strings.Join(out, ", ")
}

func listSchedules(ctx context.Context, c client.Client, specs []workers.ScheduleSpec, out io.Writer) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCRON (UTC)\tPAUSED\tNEXT RUN\tRECENT RUNS")
	for _, s := range specs {
		d, err := c.ScheduleClient().GetHandle(ctx, s.ID).Describe(ctx)
		if err != nil {
			fmt.Fprintf(tw, "%s\t%s\t-\tnot created (run: rigger schedules sync)\t-\n", s.ID, s.Cron)
			continue
		}
		next := "-"
		if len(d.Info.NextActionTimes) > 0 {
			next = d.Info.NextActionTimes[0].UTC().Format(time.RFC3339)
		}
		paused := "no"
		if d.Schedule.State != nil && d.Schedule.State.Paused {
			paused = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", s.ID, s.Cron, paused, next, len(d.Info.RecentActions))
	}
	return tw.Flush()
}
