package starter

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/rigger-platform/rigger/api"
	"github.com/rigger-platform/rigger/workflows"
)

const assistantUsage = `usage:
  rigger assistant ask     [--tenant T] [--detach] <question...>
  rigger assistant draft   [--tenant T] [--detach] <description...>
  rigger assistant explain [--tenant T] [--detach] <workflow-id>
  rigger assistant watch|status|cancel <task-id>
  rigger assistant approve|reject <task-id> [--reason R]
The tenant defaults to RIGGER_TENANT.`

// Assistant runs `rigger assistant ...`: it starts a task and streams the
// model's answer as it is written, then prints the result (citations, the
// drafted template and how to approve it). It returns the exit code: 0 when
// the task completed (or awaits approval), 1 when it failed or was
// cancelled, 2 for usage errors.
func Assistant(ctx context.Context, c *Client, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, assistantUsage)
		return 2
	}
	var err error
	switch args[0] {
	case workflows.AssistAsk, workflows.AssistDraft, workflows.AssistExplain:
		err = startAssistant(ctx, c, args[0], args[1:], stdout, stderr)
	case "watch":
		err = withTaskID(args[1:], "watch", func(id string) error { return watchAssistant(ctx, c, id, stdout, stderr) })
	case "status":
		err = withTaskID(args[1:], "status", func(id string) error {
			var t api.AssistantTaskResponse
			if _, err := c.Do(ctx, "GET", "/v1/assistant/tasks/"+url.PathEscape(id), nil, &t); err != nil {
				return err
			}
			return printTask(stdout, t, "")
		})
	case "cancel":
		err = withTaskID(args[1:], "cancel", func(id string) error {
			if _, err := c.Do(ctx, "DELETE", "/v1/assistant/tasks/"+url.PathEscape(id), nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "cancellation of %s requested\n", id)
			return nil
		})
	case "approve", "reject":
		err = decide(ctx, c, args[0], args[1:], stdout)
	default:
		err = usageError(fmt.Sprintf("unknown assistant command %q\n%s", args[0], assistantUsage))
	}
	return exitCode(err, stderr)
}

func withTaskID(args []string, cmd string, fn func(id string) error) error {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		return usageError("usage: rigger assistant " + cmd + " <task-id>")
	}
	return fn(args[0])
}

func startAssistant(ctx context.Context, c *Client, typ string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(typ, flag.ContinueOnError)
	tenantSlug := fs.String("tenant", os.Getenv("RIGGER_TENANT"), "tenant (default $RIGGER_TENANT)")
	detach := fs.Bool("detach", false, "print the task ID and return without waiting")
	if err := parse(fs, args); err != nil {
		return err
	}
	text := strings.TrimSpace(strings.Join(fs.Args(), " "))
	if *tenantSlug == "" || text == "" {
		return usageError(assistantUsage)
	}
	req := api.AssistantTaskRequest{Tenant: *tenantSlug, Type: typ}
	switch typ {
	case workflows.AssistAsk:
		req.Input.Question = text
	case workflows.AssistDraft:
		req.Input.Description = text
	default:
		req.Input.WorkflowID = text
	}
	var t api.AssistantTaskResponse
	if _, err := c.Do(ctx, "POST", "/v1/assistant/tasks", req, &t); err != nil {
		return err
	}
	if *detach {
		fmt.Fprintln(stdout, t.ID)
		return nil
	}
	fmt.Fprintf(stderr, "task %s\n", t.ID)
	return watchAssistant(ctx, c, t.ID, stdout, stderr)
}

// watchAssistant follows the task's event stream, printing text as it
// arrives (to stdout) and stages (to stderr), reconnecting if the stream
// drops before the task is done.
func watchAssistant(ctx context.Context, c *Client, id string, stdout, stderr io.Writer) error {
	printed := ""
	for attempt := 0; ; attempt++ {
		done, err := streamOnce(ctx, c, id, &printed, stdout, stderr)
		if err != nil {
			var ae *APIError
			if errors.As(err, &ae) || attempt >= 5 {
				return err
			}
		}
		if done != nil {
			return printTask(stdout, *done, printed)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// streamOnce reads the stream until its done event (returned) or its end.
func streamOnce(ctx context.Context, c *Client, id string, printed *string, stdout, stderr io.Writer) (*api.AssistantTaskResponse, error) {
	req, err := c.newRequest(ctx, "GET", "/v1/assistant/tasks/"+url.PathEscape(id)+"/stream", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.streamClient().Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the Rigger API at %s: %w", c.BaseURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		var env struct {
			Error *APIError `json:"error"`
		}
		if json.Unmarshal(data, &env) == nil && env.Error != nil {
			env.Error.Status = resp.StatusCode
			return nil, env.Error
		}
		return nil, &APIError{Status: resp.StatusCode, Code: http.StatusText(resp.StatusCode), Message: strings.TrimSpace(string(data))}
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	event, data := "", ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event:"):
			event = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			data += strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " ")
		case line == "":
			if done := handleEvent(event, data, printed, stdout, stderr); done != nil {
				return done, nil
			}
			event, data = "", ""
		}
	}
	return nil, sc.Err()
}

func handleEvent(event, data string, printed *string, stdout, stderr io.Writer) *api.AssistantTaskResponse {
	switch event {
	case "status":
		var st struct {
			Status, Stage string
			Round         int
		}
		if json.Unmarshal([]byte(data), &st) == nil && st.Stage != "" {
			line := "· " + st.Stage
			if st.Round > 0 {
				line += fmt.Sprintf(" (round %d)", st.Round)
			}
			fmt.Fprintln(stderr, line)
		}
	case "reset":
		if *printed != "" {
			fmt.Fprintln(stdout)
			fmt.Fprintln(stderr, "· the model started over")
		}
		*printed = ""
	case "delta":
		var d struct{ Text string }
		if json.Unmarshal([]byte(data), &d) == nil {
			fmt.Fprint(stdout, d.Text)
			*printed += d.Text
		}
	case "done":
		var t api.AssistantTaskResponse
		if json.Unmarshal([]byte(data), &t) == nil {
			return &t
		}
	}
	return nil
}

// printTask prints the outcome; printed is the answer text already shown
// by the stream, so only the rest is printed.
func printTask(out io.Writer, t api.AssistantTaskResponse, printed string) error {
	res := t.Result
	if res != nil && res.Answer != "" {
		rest := res.Answer
		if printed != "" && strings.HasPrefix(res.Answer, printed) {
			rest = res.Answer[len(printed):]
		} else if printed != "" {
			fmt.Fprintln(out)
		}
		fmt.Fprintln(out, rest)
		if len(res.Citations) > 0 {
			fmt.Fprintln(out, "\nSources:")
			for i, c := range res.Citations {
				fmt.Fprintf(out, "  [%d] %s  %s\n", i+1, c.Title, c.URL)
			}
		}
	} else if printed != "" {
		fmt.Fprintln(out)
	}
	if p := t.Proposal; p != nil && (t.Status == workflows.AssistStatusAwaiting || res != nil && res.Decision != "") {
		fmt.Fprintf(out, "\nDrafted template %q (round %d):\n%s", p.Name, p.Round, p.YAML)
	}
	fmt.Fprintf(out, "task %s: %s", t.ID, t.Status)
	if t.Tokens > 0 {
		fmt.Fprintf(out, " (%d tokens)", t.Tokens)
	}
	fmt.Fprintln(out)
	switch {
	case t.Status == workflows.AssistStatusAwaiting:
		deadline := ""
		if t.ApprovalDeadline != nil {
			deadline = " before " + t.ApprovalDeadline.Format(time.RFC3339)
		}
		fmt.Fprintf(out, "approve with `rigger assistant approve %s` (or reject)%s\n", t.ID, deadline)
	case res != nil && res.CommittedTo != "":
		fmt.Fprintf(out, "committed to %s\n", res.CommittedTo)
	case t.Status == workflows.AssistStatusFailed:
		msg := t.Error
		if t.ErrorType != "" {
			msg += " (" + t.ErrorType + ")"
		}
		if t.Proposal != nil && len(t.Proposal.Problems) > 0 {
			msg += "\nlast problems:\n  " + strings.Join(t.Proposal.Problems, "\n  ")
		}
		return errors.New(msg)
	case t.Status == workflows.AssistStatusCanceled:
		return errors.New("the task was cancelled")
	}
	return nil
}

func decide(ctx context.Context, c *Client, cmd string, args []string, out io.Writer) error {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	reason := fs.String("reason", "", "why (recorded with the decision)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("usage: rigger assistant " + cmd + " <task-id> [--reason R]")
	}
	var body any
	if *reason != "" {
		body = api.AssistantDecisionRequest{Reason: *reason}
	}
	var d api.AssistantDecisionResponse
	if _, err := c.Do(ctx, "POST", "/v1/assistant/tasks/"+url.PathEscape(fs.Arg(0))+"/"+cmd, body, &d); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s sent for proposal %s of task %s\n", d.Decision, d.ProposalID, d.ID)
	return nil
}
