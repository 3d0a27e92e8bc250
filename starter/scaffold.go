package starter

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rigger-platform/rigger/api"
	"github.com/rigger-platform/rigger/workflows"
)

// Scaffold runs `rigger scaffold run|dry-run|approve|reject|cancel`. It
// returns the process exit code: with --wait, 0 only when the run
// completed.
func Scaffold(ctx context.Context, c *Client, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: rigger scaffold run|dry-run|approve|reject|cancel [flags]")
		return 2
	}
	var err error
	switch args[0] {
	case "run":
		err = scaffoldRun(ctx, c, args[1:], stdout)
	case "dry-run":
		err = scaffoldDryRun(ctx, c, args[1:], stdout)
	case "approve", "reject":
		err = scaffoldDecide(ctx, c, args[0] == "approve", args[1:], stdout)
	case "cancel":
		err = scaffoldCancel(ctx, c, args[1:], stdout)
	default:
		err = usageError(fmt.Sprintf("unknown scaffold command %q (want run, dry-run, approve, reject or cancel)", args[0]))
	}
	return exitCode(err, stderr)
}

// templateRef accepts "name", "namespace/name" or a full template ref.
func templateRef(s string) string {
	if strings.Contains(s, ":") {
		return s
	}
	if strings.Contains(s, "/") {
		return "template:" + s
	}
	return "template:default/" + s
}

// readValues reads the values file (YAML or JSON); "" is no values.
func readValues(path string) (map[string]any, error) {
	values := map[string]any{}
	if path == "" {
		return values, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(data, &values); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return values, nil
}

type scaffoldFlags struct {
	tenant, values string
	secrets        listFlag
}

func (f *scaffoldFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.tenant, "tenant", "", "tenant slug (needed with the platform admin key)")
	fs.StringVar(&f.values, "values", "", "YAML or JSON file of template values")
	fs.Var(&f.secrets, "secret", "task secret NAME=VALUE (repeatable)")
}

func (f *scaffoldFlags) query() string {
	if f.tenant == "" {
		return ""
	}
	return "?tenant=" + url.QueryEscape(f.tenant)
}

func (f *scaffoldFlags) secretMap() (map[string]string, error) {
	out := map[string]string{}
	for _, s := range f.secrets {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return nil, usageError("--secret wants NAME=VALUE")
		}
		out[k] = v
	}
	return out, nil
}

func scaffoldRun(ctx context.Context, c *Client, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("scaffold run", flag.ContinueOnError)
	var f scaffoldFlags
	f.register(fs)
	wait := fs.Bool("wait", false, "follow the run's log until it ends")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("usage: rigger scaffold run <template> [--tenant T] [--values file.yaml] [--secret K=V] [--wait]")
	}
	values, err := readValues(f.values)
	if err != nil {
		return err
	}
	secrets, err := f.secretMap()
	if err != nil {
		return err
	}
	var created struct {
		ID string `json:"id"`
	}
	if _, err := c.Do(ctx, "POST", "/v2/tasks"+f.query(), api.TaskRequest{TemplateRef: templateRef(fs.Arg(0)), Values: values, Secrets: secrets}, &created); err != nil {
		return err
	}
	fmt.Fprintf(out, "task %s started (workflow %s)\n", created.ID, workflows.ScaffoldWorkflowID(orTenant(f.tenant), created.ID))
	if !*wait {
		return nil
	}
	return followTask(ctx, c, created.ID, out)
}

func orTenant(t string) string {
	if t == "" {
		return "<your tenant>"
	}
	return t
}

// followTask prints the task's events as they come (server-sent events,
// resuming after the last event seen if the connection drops) and returns
// an error unless the run completed.
func followTask(ctx context.Context, c *Client, id string, out io.Writer) error {
	after := 0
	for attempt := 0; ; attempt++ {
		done, status, err := streamTaskOnce(ctx, c, id, &after, out)
		if done {
			if status != workflows.TaskCompleted {
				return fmt.Errorf("task %s %s", id, status)
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if attempt >= 20 {
			return fmt.Errorf("lost the event stream of task %s: %v", id, err)
		}
		time.Sleep(time.Second)
	}
}

func streamTaskOnce(ctx context.Context, c *Client, id string, after *int, out io.Writer) (done bool, status string, err error) {
	req, err := c.newRequest(ctx, "GET", fmt.Sprintf("/v2/tasks/%s/eventstream?after=%d", url.PathEscape(id), *after), nil)
	if err != nil {
		return false, "", err
	}
	resp, err := c.streamClient().Do(req)
	if err != nil {
		return false, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return true, "unreadable", fmt.Errorf("event stream: HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 4<<20)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var ev workflows.TaskEvent
		if json.Unmarshal([]byte(data), &ev) != nil {
			continue
		}
		*after = ev.ID
		printEvent(out, ev)
		if ev.Type == "completion" {
			status, _ := ev.Body["status"].(string)
			return true, status, nil
		}
	}
	return false, "", sc.Err()
}

func printEvent(out io.Writer, ev workflows.TaskEvent) {
	msg, _ := ev.Body["message"].(string)
	step, _ := ev.Body["stepId"].(string)
	ts := ev.CreatedAt.Local().Format("15:04:05")
	switch {
	case ev.Type == "completion":
		fmt.Fprintf(out, "%s %s\n", ts, msg)
		if e, ok := ev.Body["error"].(map[string]any); ok {
			fmt.Fprintf(out, "         error: %v\n", e["message"])
		}
		if o, ok := ev.Body["output"].(map[string]any); ok {
			links, _ := o["links"].([]any)
			for _, l := range links {
				if m, ok := l.(map[string]any); ok {
					fmt.Fprintf(out, "         %v: %v%v\n", m["title"], orEmptyStr(m["url"]), orEmptyStr(m["entityRef"]))
				}
			}
		}
	case step != "":
		fmt.Fprintf(out, "%s [%s] %s\n", ts, step, msg)
	default:
		fmt.Fprintf(out, "%s %s\n", ts, msg)
	}
}

func orEmptyStr(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// scaffoldDryRun renders the template without side effects and writes the
// files under --out (default: only list them).
func scaffoldDryRun(ctx context.Context, c *Client, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("scaffold dry-run", flag.ContinueOnError)
	var f scaffoldFlags
	f.register(fs)
	dir := fs.String("out", "", "write the files into this directory")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("usage: rigger scaffold dry-run <template> [--tenant T] [--values file.yaml] [--out dir]")
	}
	values, err := readValues(f.values)
	if err != nil {
		return err
	}
	secrets, err := f.secretMap()
	if err != nil {
		return err
	}
	var res api.DryRunResponse
	if _, err := c.Do(ctx, "POST", "/v2/dry-run"+f.query(), api.DryRunRequest{TemplateRef: templateRef(fs.Arg(0)), Values: values, Secrets: secrets}, &res); err != nil {
		return err
	}
	for _, l := range res.Log {
		if l.Body.StepID != "" {
			fmt.Fprintf(out, "[%s] %s\n", l.Body.StepID, l.Body.Message)
		} else {
			fmt.Fprintln(out, l.Body.Message)
		}
	}
	for _, file := range res.DirectoryContents {
		data, err := base64.StdEncoding.DecodeString(file.Base64Content)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "  %s (%d bytes)\n", file.Path, len(data))
		if *dir == "" {
			continue
		}
		p := filepath.Join(*dir, filepath.FromSlash(file.Path))
		if rel, err := filepath.Rel(*dir, p); err != nil || strings.HasPrefix(rel, "..") {
			return fmt.Errorf("refusing to write %s outside %s", file.Path, *dir)
		}
		mode := os.FileMode(0o644)
		if file.Executable {
			mode = 0o755
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, mode); err != nil {
			return err
		}
	}
	return nil
}

func scaffoldDecide(ctx context.Context, c *Client, approve bool, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("scaffold approve", flag.ContinueOnError)
	comment := fs.String("comment", "", "comment recorded with the decision")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("usage: rigger scaffold approve|reject <task> [--comment text]")
	}
	verb := "reject"
	if approve {
		verb = "approve"
	}
	var res map[string]string
	if _, err := c.Do(ctx, "POST", "/v1/runs/"+url.PathEscape(fs.Arg(0))+"/"+verb, api.ApprovalRequest{Comment: *comment}, &res); err != nil {
		return err
	}
	fmt.Fprintf(out, "task %s step %s %s\n", fs.Arg(0), res["stepId"], res["decision"])
	return nil
}

func scaffoldCancel(ctx context.Context, c *Client, args []string, out io.Writer) error {
	if len(args) != 1 {
		return usageError("usage: rigger scaffold cancel <task>")
	}
	var res map[string]string
	if _, err := c.Do(ctx, "POST", "/v2/tasks/"+url.PathEscape(args[0])+"/cancel", nil, &res); err != nil {
		return err
	}
	fmt.Fprintf(out, "task %s: %s\n", args[0], res["status"])
	return nil
}
