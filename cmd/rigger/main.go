// Command rigger is Rigger's one binary: `dev` runs the whole platform on a
// laptop, `worker` and `api` are the production processes, and the starter
// commands (`tenant ...`) drive the API from a terminal.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/rigger-platform/rigger/internal/config"
	"github.com/rigger-platform/rigger/starter"
	"github.com/rigger-platform/rigger/workers"
)

const usage = `usage: rigger <command> [args]

platform:
  dev        run everything: Temporal dev server + Web UI, worker, API
  worker     run workers (RIGGER_TASK_QUEUES selects queues)
  api        run the HTTP API
  migrate    apply control-plane database migrations
  setup      register Rigger's search attributes on a Temporal cluster

starter (talks to the API at RIGGER_API_URL with RIGGER_API_KEY):
  tenant onboard --slug S --owner U [--plan P] [--name N] [--admin U] [--plugin P] [--wait]
  tenant status S | tenant offboard S [--wait] | tenant list [--status S]
  scaffold run <template> [--tenant T] [--values file.yaml] [--secret K=V] [--wait]
  scaffold dry-run <template> [--tenant T] [--values file.yaml] [--out dir]
  scaffold approve|reject <task> [--comment C] | scaffold cancel <task>
  assistant ask|draft|explain [--tenant T] <question | description | workflow-id>
  assistant watch|status|cancel|approve|reject <task-id>

docs:
  techdocs build <dir|git-url> --entity ns/kind/name [--out dir] [--strict] [--ref R] [--commit SHA]
             (no server needed: clones a git URL, builds locally)
  techdocs publish <git-url|path> --tenant T --entity ns/kind/name [--ref R] [--wait]
             (through the API: the workers build and publish for the tenant)

operators (talk to Temporal at TEMPORAL_ADDRESS):
  schedules list | sync | trigger ID | pause ID [note] | unpause ID
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintln(stderr, "rigger:", err)
		return 2
	}
	logger := newLogger(cfg, stderr)
	slog.SetDefault(logger)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch args[0] {
	case "dev":
		err = runDev(ctx, cfg, logger, stdout)
	case "worker":
		err = runWorker(ctx, cfg, logger)
	case "api":
		err = runAPI(ctx, cfg, logger)
	case "migrate":
		err = runMigrate(ctx, cfg)
	case "setup":
		err = runSetup(ctx, cfg, logger)
	case "scaffold":
		return starter.Scaffold(ctx, apiClient(cfg), args[1:], stdout, stderr)
	case "tenant":
		return starter.Tenant(ctx, apiClient(cfg), args[1:], stdout, stderr)
	case "assistant":
		return starter.Assistant(ctx, apiClient(cfg), args[1:], stdout, stderr)
	case "techdocs":
		return starter.TechDocs(ctx, apiClient(cfg), args[1:], stdout, stderr)
	case "schedules":
		tc, err := workers.Dial(ctx, cfg, logger)
		if err != nil {
			fmt.Fprintln(stderr, "rigger:", err)
			return 1
		}
		defer tc.Close()
		return starter.Schedules(ctx, tc, scheduleSpecs(cfg), args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "rigger: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "rigger:", err)
		return 1
	}
	return 0
}

func scheduleSpecs(cfg config.Config) []workers.ScheduleSpec {
	return workers.DefaultSchedules(cfg.BillingCron, cfg.BackupCron, cfg.DrillCron, cfg.PausedSchedules)
}

func apiClient(cfg config.Config) *starter.Client {
	base := os.Getenv("RIGGER_API_URL")
	if base == "" {
		base = "http://" + cfg.APIAddr
	}
	key := os.Getenv("RIGGER_API_KEY")
	if key == "" {
		key = cfg.AdminKey
	}
	return &starter.Client{BaseURL: base, APIKey: key}
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(strings.ToUpper(cfg.LogLevel)))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
