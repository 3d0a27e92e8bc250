package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/rigger-platform/rigger/internal/config"
	"github.com/rigger-platform/rigger/internal/devpg"
	"github.com/rigger-platform/rigger/internal/devtemporal"
	"github.com/rigger-platform/rigger/internal/ops"
	"github.com/rigger-platform/rigger/internal/store"
	"github.com/rigger-platform/rigger/workers"
)

// runDev starts the whole platform in one process tree: PostgreSQL (found or
// started), the Temporal dev server with its Web UI (unless TEMPORAL_ADDRESS
// points elsewhere), the control-plane migrations, a worker for every task
// queue and the API. Ctrl-C stops it all, workers drained first.
func runDev(ctx context.Context, cfg config.Config, logger *slog.Logger, out io.Writer) error {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory %s: %w", cfg.DataDir, err)
	}
	dbURL, pg, err := devpg.Ensure(ctx, cfg.DatabaseURL, cfg.DataDir, "rigger")
	if err != nil {
		return err
	}
	defer pg.Stop()
	cfg.DatabaseURL = dbURL

	uiURL := "(external Temporal: use its own Web UI)"
	if cfg.TemporalAddress == "" {
		logFile, err := os.OpenFile(filepath.Join(cfg.DataDir, "temporal.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		defer logFile.Close()
		opts := devtemporal.Options{
			Binary: cfg.DevServerBinary, Port: cfg.DevServerPort, UIPort: cfg.DevServerUIPort,
			DBFile: filepath.Join(cfg.DataDir, "temporal.db"), Namespace: cfg.TemporalNamespace, Stderr: logFile,
		}
		if cfg.CodecKeys != "" {
			// Encrypted payloads become readable in the bundled Web UI.
			opts.UICodecEndpoint = "http://" + cfg.APIAddr + "/codec"
			cfg.CodecOrigins = append(cfg.CodecOrigins, fmt.Sprintf("http://127.0.0.1:%d", cfg.DevServerUIPort))
		}
		srv, err := devtemporal.Start(ctx, opts, 2*time.Minute)
		if err != nil {
			return err
		}
		defer srv.Stop()
		cfg.TemporalAddress = srv.Frontend
		if srv.UI != "" {
			uiURL = srv.UI
		}
	}

	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	tracing, stopTracing, err := startTracing(ctx, cfg, logger, "rigger-dev")
	if err != nil {
		return err
	}
	defer stopTracing()
	reg := ops.NewRegistry()
	tc, closeMetrics, err := dialMetered(ctx, cfg, logger, reg, tracing.Provider)
	if err != nil {
		return err
	}
	defer closeMetrics()
	defer tc.Close()
	if err := registerSearchAttributes(ctx, tc, cfg.TemporalNamespace); err != nil {
		return err
	}
	deps, cleanup, err := workers.BuildDependencies(ctx, cfg, st, logger)
	if err != nil {
		return err
	}
	defer cleanup()
	stopWorkers, err := workers.Start(tc, deps, workers.Options{TaskQueues: cfg.TaskQueues})
	if err != nil {
		return err
	}
	defer stopWorkers()
	if err := syncSchedules(ctx, cfg, tc, logger); err != nil {
		return err
	}

	adminKey, generated := cfg.AdminKey, false
	if adminKey == "" {
		adminKey, generated = newKey(), true
	}
	s, err := newAPIServer(ctx, cfg, tc, st, adminKey, logger)
	if err != nil {
		return err
	}
	s.Registry, s.Tracer = reg, tracing.Provider
	srv, err := serve(cfg.APIAddr, s.Handler(), logger)
	if err != nil {
		return err
	}
	defer shutdown(srv)
	go s.RunMetering(ctx, time.Minute)

	fmt.Fprintf(out, "\nRigger is running.\n")
	fmt.Fprintf(out, "  API:               http://%s   (health: /healthz, metrics: /metrics)\n", cfg.APIAddr)
	fmt.Fprintf(out, "  Temporal frontend: %s   namespace %s\n", cfg.TemporalAddress, cfg.TemporalNamespace)
	fmt.Fprintf(out, "  Temporal Web UI:   %s\n", uiURL)
	fmt.Fprintf(out, "  Database:          %s\n", redactURL(cfg.DatabaseURL))
	fmt.Fprintf(out, "  Data directory:    %s\n", cfg.DataDir)
	if generated {
		fmt.Fprintf(out, "  Admin key:         %s   (generated; set RIGGER_ADMIN_KEY to choose one)\n", adminKey)
	} else {
		fmt.Fprintf(out, "  Admin key:         from RIGGER_ADMIN_KEY\n")
	}
	fmt.Fprintf(out, "\nTry:  RIGGER_API_KEY=%s bin/rigger tenant onboard --slug acme --owner alice --plan team --wait\nStop: Ctrl-C\n\n", adminKeyHint(adminKey, generated))
	<-ctx.Done()
	fmt.Fprintln(out, "stopping: draining workers, then Temporal and PostgreSQL")
	return nil
}

func newKey() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return "rgr_" + hex.EncodeToString(b)
}

func adminKeyHint(key string, generated bool) string {
	if generated {
		return key
	}
	return "$RIGGER_ADMIN_KEY"
}
