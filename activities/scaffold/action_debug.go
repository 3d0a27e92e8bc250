package scaffold

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

func debugLog() *Action {
	return &Action{
		ID:          "debug:log",
		Description: "Writes a message into the log, optionally with the workspace's file names or contents.",
		Input: obj(nil, map[string]any{
			"message":       str("Message to log"),
			"listWorkspace": map[string]any{"title": "List the workspace: true or 'with-filenames' for names, 'with-contents' for contents too", "type": []any{"boolean", "string"}},
			"extra":         map[string]any{"title": "Extra data to log"},
		}),
		Output: obj(nil, map[string]any{}),
		Run: func(ctx context.Context, a *Activities, x *Exec) error {
			if m := x.Str("message"); m != "" {
				x.Logf("%s", m)
			}
			if extra, ok := x.Input["extra"]; ok {
				b, _ := json.Marshal(extra)
				x.Logf("%s", b)
			}
			mode := x.Input["listWorkspace"]
			if mode == true || mode == "with-filenames" || mode == "with-contents" {
				files, _ := x.WS.Files("")
				var b strings.Builder
				b.WriteString("Workspace:")
				for _, f := range files {
					b.WriteString("\n - " + f.Path)
					if mode == "with-contents" {
						b.WriteString(":\n" + string(f.Data))
					}
				}
				x.Logf("%s", b.String())
			}
			return nil
		},
	}
}

// maxWait is Backstage's cap for debug:wait.
const maxWait = 10 * time.Minute

func waitDuration(input map[string]any) (time.Duration, error) {
	var d time.Duration
	for key, unit := range map[string]time.Duration{"minutes": time.Minute, "seconds": time.Second, "milliseconds": time.Millisecond} {
		if v, ok := input[key].(float64); ok {
			d += time.Duration(v * float64(unit))
		}
	}
	if d > maxWait {
		return 0, invalidf("waiting %s is longer than the maximum of %s", d, maxWait)
	}
	return d, nil
}

func debugWait() *Action {
	return &Action{
		ID:          "debug:wait",
		Description: "Waits the given time (at most 10 minutes), heartbeating; cancelling the run interrupts it.",
		Input: obj(nil, map[string]any{
			"minutes":      num("Minutes"),
			"seconds":      num("Seconds"),
			"milliseconds": num("Milliseconds"),
		}),
		Output: obj(nil, map[string]any{}),
		Run: func(ctx context.Context, a *Activities, x *Exec) error {
			d, err := waitDuration(x.Input)
			if err != nil {
				return err
			}
			if x.DryRun {
				x.Logf("Dry run: not waiting %s", d)
				return nil
			}
			t := time.NewTimer(d)
			defer t.Stop()
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-tick.C:
					heartbeat(ctx, "waiting")
				case <-t.C:
					x.Logf("Waited %s", d)
					return nil
				}
			}
		},
	}
}

// riggerApproval is performed by the workflow: it waits for an approve or
// reject decision (POST /v1/runs/{id}/approve|reject) until the deadline.
func riggerApproval() *Action {
	return &Action{
		ID:          "rigger:approval",
		Description: "Waits for a person to approve or reject the run (POST /v1/runs/{id}/approve or /reject), failing the run when rejected or when the timeout passes. Rigger's own action.",
		Input: obj(nil, map[string]any{
			"message":   str("What the approver is asked"),
			"approvers": strList("Who may decide (informational)"),
			"timeout":   str("How long to wait, e.g. 24h (default 72h)"),
		}),
		Output: obj(nil, map[string]any{
			"approved": boolean("Always true when the step completes"),
			"by":       str("Who approved"),
			"comment":  str("The approver's comment"),
		}),
		Workflow: true,
		Run: func(ctx context.Context, a *Activities, x *Exec) error {
			return fmt.Errorf("rigger:approval runs in the workflow, not as an activity")
		},
		DryRun: func(x *Exec) {
			x.Output = map[string]any{"approved": true, "by": "dry-run", "comment": ""}
			x.Logf("Dry run: approval assumed")
		},
	}
}
