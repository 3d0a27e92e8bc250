package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/rigger-platform/rigger/api"
	"github.com/rigger-platform/rigger/internal/config"
	"github.com/rigger-platform/rigger/internal/ops"
	"github.com/rigger-platform/rigger/internal/store"
	"github.com/rigger-platform/rigger/workers"
	"github.com/rigger-platform/rigger/workflows"
)

func openStore(ctx context.Context, cfg config.Config) (*store.Store, error) {
	if cfg.DatabaseURL == "" {
		return nil, errors.New("DATABASE_URL is not set")
	}
	return store.Open(ctx, cfg.DatabaseURL)
}

func runMigrate(ctx context.Context, cfg config.Config) error {
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	return st.Migrate(ctx)
}

// runWorker is the production worker: it serves the configured task queues
// and /healthz, /readyz, /metrics on RIGGER_WORKER_ADDR.
func runWorker(ctx context.Context, cfg config.Config, logger *slog.Logger) error {
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	tracing, stopTracing, err := startTracing(ctx, cfg, logger, "rigger-worker")
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
	deps, cleanup, err := workers.BuildDependencies(ctx, cfg, st, logger)
	if err != nil {
		return err
	}
	defer cleanup()
	mux := http.NewServeMux()
	ops.Mount(mux, reg, ops.Check{Name: "database", Fn: func(ctx context.Context) error { return st.Pool.Ping(ctx) }},
		temporalCheck(tc))
	srv, err := serve(cfg.WorkerAddr, mux, logger)
	if err != nil {
		return err
	}
	defer shutdown(srv)
	logger.Info("worker running", "temporal", cfg.TemporalAddress, "queues", cfg.TaskQueues, "ops", cfg.WorkerAddr)
	if servesScheduled(cfg.TaskQueues) {
		if err := syncSchedules(ctx, cfg, tc, logger); err != nil {
			return err
		}
	}
	return workers.Run(ctx, tc, deps, workers.Options{TaskQueues: cfg.TaskQueues})
}

// runAPI is the production API process.
func runAPI(ctx context.Context, cfg config.Config, logger *slog.Logger) error {
	if cfg.AdminKey == "" {
		return errors.New("RIGGER_ADMIN_KEY is not set: the API refuses to run without authentication")
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	tracing, stopTracing, err := startTracing(ctx, cfg, logger, "rigger-api")
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
	s, err := newAPIServer(ctx, cfg, tc, st, cfg.AdminKey, logger)
	if err != nil {
		return err
	}
	s.Registry, s.Tracer = reg, tracing.Provider
	srv, err := serve(cfg.APIAddr, s.Handler(), logger)
	if err == nil {
		go s.RunMetering(ctx, time.Minute)
	}
	if err != nil {
		return err
	}
	logger.Info("api listening", "addr", cfg.APIAddr)
	<-ctx.Done()
	shutdown(srv)
	return nil
}

// runSetup registers Rigger's search attributes on a Temporal cluster; the
// dev server registers them itself.
func runSetup(ctx context.Context, cfg config.Config, logger *slog.Logger) error {
	tc, err := workers.Dial(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer tc.Close()
	return registerSearchAttributes(ctx, tc, cfg.TemporalNamespace)
}

func registerSearchAttributes(ctx context.Context, tc client.Client, namespace string) error {
	attrs := map[string]enumspb.IndexedValueType{}
	for _, name := range workflows.SearchAttributeNames {
		attrs[name] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
	}
	existing, err := tc.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes: %w", err)
	}
	for name := range existing.GetCustomAttributes() {
		delete(attrs, name)
	}
	if len(attrs) == 0 {
		return nil
	}
	_, err = tc.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: attrs})
	if err != nil {
		return fmt.Errorf("add search attributes: %w", err)
	}
	return nil
}

func temporalCheck(tc client.Client) ops.Check {
	return ops.Check{Name: "temporal", Fn: func(ctx context.Context) error {
		_, err := tc.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	}}
}

func serve(addr string, h http.Handler, logger *slog.Logger) (*http.Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("http server", "addr", addr, "error", err)
		}
	}()
	return srv, nil
}

func shutdown(srv *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}

// dialMetered connects to Temporal with the SDK's metrics on reg and, when
// tracing is on (tp not nil), the tracing interceptor.
func dialMetered(ctx context.Context, cfg config.Config, logger *slog.Logger, reg *prometheus.Registry, tp trace.TracerProvider) (client.Client, func(), error) {
	mh, closer, err := workers.SDKMetrics(reg)
	if err != nil {
		return nil, nil, err
	}
	tc, err := workers.DialInstrumented(ctx, cfg, logger, workers.Instruments{Metrics: mh, Tracer: tp})
	if err != nil {
		_ = closer.Close()
		return nil, nil, err
	}
	return tc, func() { _ = closer.Close() }, nil
}

// newAPIServer builds the API from config, the same for `api` and `dev`.
func newAPIServer(ctx context.Context, cfg config.Config, tc client.Client, st *store.Store, adminKey string, logger *slog.Logger) (*api.Server, error) {
	s := &api.Server{Temporal: tc, Store: st, AdminKey: adminKey, Logger: logger, RateLimit: cfg.RateLimit, RateBurst: cfg.RateBurst}
	if err := configureScaffolderAPI(cfg, &s.Scaffolder); err != nil {
		return nil, err
	}
	if cfg.CodecKeys != "" {
		codec, err := workers.ParseCodecKeys(cfg.CodecKeys)
		if err != nil {
			return nil, err
		}
		s.Codec, s.CodecOrigins = codec, cfg.CodecOrigins
	}
	if cfg.OIDCIssuer != "" {
		v, err := api.NewOIDCVerifier(ctx, api.OIDCConfig{Issuer: cfg.OIDCIssuer, Audience: cfg.OIDCAudience,
			TenantClaim: cfg.OIDCTenantClaim, RolesClaim: cfg.OIDCRolesClaim, AdminRole: cfg.OIDCAdminRole})
		if err != nil {
			return nil, err
		}
		s.OIDC = v
	}
	td, err := techdocsAPIOptions(cfg)
	if err != nil {
		return nil, err
	}
	s.TechDocs = td
	return s, nil
}

// syncSchedules creates or updates Rigger's schedules from config. It runs
// at start-up of `dev` and of workers serving the scheduled queues, and by
// `rigger schedules sync`; several processes doing it at once is safe.
func syncSchedules(ctx context.Context, cfg config.Config, tc client.Client, logger *slog.Logger) error {
	res, err := workers.SyncSchedules(ctx, tc, scheduleSpecs(cfg))
	if err != nil {
		return fmt.Errorf("schedules: %w", err)
	}
	for _, r := range res {
		logger.Info("schedule", "id", r.ID, "sync", r.Action)
	}
	return nil
}

func servesScheduled(queues []string) bool {
	if len(queues) == 0 {
		return true
	}
	for _, q := range queues {
		if q == workflows.TaskQueueBilling || q == workflows.TaskQueueDR {
			return true
		}
	}
	return false
}
