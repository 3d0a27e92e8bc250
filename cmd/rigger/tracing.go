package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/rigger-platform/rigger/internal/config"
	"github.com/rigger-platform/rigger/internal/telemetry"
)

// startTracing sets up the process's tracing: nothing unless
// RIGGER_TRACING=true (then an OTLP exporter). service names the process
// when OTEL_SERVICE_NAME does not. Defer stop first, so it runs last: it
// flushes the spans the workers and the API ended while they drained.
func startTracing(ctx context.Context, cfg config.Config, logger *slog.Logger, service string) (tr *telemetry.Tracing, stop func(), err error) {
	tr, err = telemetry.Setup(ctx, cfg, service)
	if err != nil {
		return nil, nil, err
	}
	if tr.Provider != nil {
		endpoint := "the exporter's default (localhost)"
		if cfg.OTLPEndpoint != "" {
			endpoint = redactURL(cfg.OTLPEndpoint)
		}
		logger.Info("tracing on", "protocol", cfg.OTLPProtocol, "endpoint", endpoint)
	}
	return tr, func() {
		// A fresh context: the process's own is already cancelled.
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tr.Shutdown(sctx); err != nil {
			logger.Warn("tracing: spans not exported at shutdown", "error", err)
		}
	}, nil
}
