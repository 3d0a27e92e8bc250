package starter

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rigger-platform/rigger/api"
	"github.com/rigger-platform/rigger/workflows"
)

// Tenant runs `rigger tenant onboard|status|offboard|list`. It returns the
// process exit code: 0 only when the command (and, with --wait, the run)
// succeeded.
func Tenant(ctx context.Context, c *Client, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: rigger tenant onboard|status|offboard|list [flags]")
		return 2
	}
	var err error
	switch args[0] {
	case "onboard":
		err = onboard(ctx, c, args[1:], stdout)
	case "status":
		err = status(ctx, c, args[1:], stdout)
	case "offboard":
		err = offboard(ctx, c, args[1:], stdout)
	case "list":
		err = list(ctx, c, args[1:], stdout)
	default:
		err = usageError(fmt.Sprintf("unknown tenant command %q (want onboard, status, offboard or list)", args[0]))
	}
	return exitCode(err, stderr)
}

type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// parse accepts flags before and after positional arguments
// (`offboard acme --wait` as well as `offboard --wait acme`); the
// positional ones are left in fs.Args().
func parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return usageError(err.Error())
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	return fs.Parse(append([]string{"--"}, positional...))
}

func onboard(ctx context.Context, c *Client, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("onboard", flag.ContinueOnError)
	var req api.TenantRequest
	var admins, plugins listFlag
	fs.StringVar(&req.Slug, "slug", "", "tenant slug (required)")
	fs.StringVar(&req.DisplayName, "name", "", "display name (default: the slug)")
	fs.StringVar(&req.Plan, "plan", "free", "plan: free, team or enterprise")
	fs.StringVar(&req.Owner, "owner", "", "owner user name (required)")
	fs.Var(&admins, "admin", "admin user (repeatable or comma-separated)")
	fs.Var(&plugins, "plugin", "enabled Backstage plugin (repeatable or comma-separated)")
	wait := fs.Bool("wait", false, "follow the run until it ends")
	if err := parse(fs, args); err != nil {
		return err
	}
	if req.Slug == "" && fs.NArg() > 0 {
		req.Slug = fs.Arg(0)
	}
	if req.DisplayName == "" {
		req.DisplayName = req.Slug
	}
	req.Admins, req.Plugins = admins, plugins
	var resp api.TenantResponse
	code, err := c.Do(ctx, "POST", "/v1/tenants", req, &resp)
	if err != nil {
		return err
	}
	if code == 200 {
		fmt.Fprintf(out, "tenant %s already exists (%s)\n", resp.Slug, resp.Status)
	} else {
		fmt.Fprintf(out, "onboarding %s started: workflow %s run %s\n", resp.Slug, resp.WorkflowID, resp.RunID)
	}
	if !*wait {
		return nil
	}
	return follow(ctx, c, req.Slug, out, "active")
}

func offboard(ctx context.Context, c *Client, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("offboard", flag.ContinueOnError)
	wait := fs.Bool("wait", false, "follow the run until it ends")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("usage: rigger tenant offboard <slug> [--wait]")
	}
	slug := fs.Arg(0)
	var resp api.TenantResponse
	if _, err := c.Do(ctx, "DELETE", "/v1/tenants/"+url.PathEscape(slug), nil, &resp); err != nil {
		return err
	}
	fmt.Fprintf(out, "offboarding %s started: workflow %s run %s\n", slug, resp.WorkflowID, resp.RunID)
	if !*wait {
		return nil
	}
	return follow(ctx, c, slug, out, "deleted")
}

func status(ctx context.Context, c *Client, args []string, out io.Writer) error {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		return usageError("usage: rigger tenant status <slug>")
	}
	var t api.TenantResponse
	if _, err := c.Do(ctx, "GET", "/v1/tenants/"+url.PathEscape(args[0]), nil, &t); err != nil {
		return err
	}
	printTenant(out, t)
	return nil
}

func list(ctx context.Context, c *Client, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	st := fs.String("status", "", "only tenants with this status")
	if err := parse(fs, args); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SLUG\tPLAN\tSTATUS\tOWNER\tUPDATED")
	after := ""
	for {
		q := url.Values{"limit": {"500"}}
		if after != "" {
			q.Set("after", after)
		}
		if *st != "" {
			q.Set("status", *st)
		}
		var page struct {
			Tenants []api.TenantResponse `json:"tenants"`
			Next    string               `json:"next"`
		}
		if _, err := c.Do(ctx, "GET", "/v1/tenants?"+q.Encode(), nil, &page); err != nil {
			return err
		}
		for _, t := range page.Tenants {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Slug, t.Plan, t.Status, t.Owner, t.UpdatedAt.Format(time.RFC3339))
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	return tw.Flush()
}

// follow polls the tenant and prints each step as its state changes, until
// the tenant reaches want (success) or a terminal failure.
func follow(ctx context.Context, c *Client, slug string, out io.Writer, want string) error {
	seen := map[string]string{}
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		var t api.TenantResponse
		if _, err := c.Do(ctx, "GET", "/v1/tenants/"+url.PathEscape(slug), nil, &t); err != nil {
			return err
		}
		for _, s := range t.Steps {
			if seen[s.Name] == s.State || (s.State == workflows.StepPending && seen[s.Name] == "") {
				continue
			}
			seen[s.Name] = s.State
			line := fmt.Sprintf("  %-18s %s", s.Name, s.State)
			if s.Detail != "" {
				line += "  " + s.Detail
			}
			if s.Error != "" {
				line += "  error: " + s.Error
			}
			fmt.Fprintln(out, line)
		}
		switch {
		case t.Status == want && terminal(t.Steps):
			fmt.Fprintf(out, "tenant %s is %s\n", slug, t.Status)
			return nil
		case t.Status == "failed":
			return fmt.Errorf("tenant %s failed: %s", slug, t.StatusReason)
		case want == "deleted" && t.Status == "offboarding" && strings.HasPrefix(t.StatusReason, "offboarding failed"):
			return fmt.Errorf("tenant %s: %s", slug, t.StatusReason)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// terminal reports whether no step is still pending or running, so --wait
// prints every final step state before returning.
func terminal(steps []workflows.StepState) bool {
	for _, s := range steps {
		if s.State == workflows.StepPending || s.State == workflows.StepRunning {
			return false
		}
	}
	return true
}

func printTenant(out io.Writer, t api.TenantResponse) {
	fmt.Fprintf(out, "tenant:   %s (%s)\nplan:     %s\nowner:    %s\nstatus:   %s\n", t.Slug, t.DisplayName, t.Plan, t.Owner, t.Status)
	if t.StatusReason != "" {
		fmt.Fprintf(out, "reason:   %s\n", t.StatusReason)
	}
	fmt.Fprintf(out, "workflow: %s\n", t.WorkflowID)
	if t.ProgressError != "" {
		fmt.Fprintf(out, "steps:    %s\n", t.ProgressError)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, s := range t.Steps {
		detail := s.Detail
		if s.Error != "" {
			detail = "error: " + s.Error
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.Name, s.State, detail)
	}
	_ = tw.Flush()
}
