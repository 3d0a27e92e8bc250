// Package workers wires Rigger's processes: it builds clients from config,
// registers workflows and activities per task queue, and runs until told to
// stop.
package workers

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"

	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"

	"github.com/rigger-platform/rigger/internal/config"
)

// ClientOptions builds the Temporal client options from config in one place,
// for the API, the workers and the starter alike.
func ClientOptions(cfg config.Config, logger *slog.Logger) (client.Options, error) {
	opts := client.Options{
		HostPort:  cfg.TemporalAddress,
		Namespace: cfg.TemporalNamespace,
		Logger:    sdklog.NewStructuredLogger(logger),
	}
	if opts.HostPort == "" {
		opts.HostPort = "127.0.0.1:7233"
	}
	if cfg.TemporalTLS || cfg.TemporalTLSCert != "" || cfg.TemporalTLSCA != "" || cfg.TemporalAPIKey != "" {
		tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cfg.TemporalTLSServer}
		if cfg.TemporalTLSCert != "" {
			cert, err := tls.LoadX509KeyPair(cfg.TemporalTLSCert, cfg.TemporalTLSKey)
			if err != nil {
				return opts, fmt.Errorf("temporal TLS client certificate: %w", err)
			}
			tc.Certificates = []tls.Certificate{cert}
		}
		if cfg.TemporalTLSCA != "" {
			pem, err := os.ReadFile(cfg.TemporalTLSCA)
			if err != nil {
				return opts, fmt.Errorf("temporal TLS CA: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return opts, fmt.Errorf("temporal TLS CA %s: no certificates found", cfg.TemporalTLSCA)
			}
			tc.RootCAs = pool
		}
		opts.ConnectionOptions.TLS = tc
	}
	if cfg.TemporalAPIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(cfg.TemporalAPIKey)
	}
	if cfg.CodecKeys != "" {
		codec, err := ParseCodecKeys(cfg.CodecKeys)
		if err != nil {
			return opts, err
		}
		opts.DataConverter = converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), codec)
	}
	return opts, nil
}

// Dial connects to Temporal and checks the namespace answers.
func Dial(ctx context.Context, cfg config.Config, logger *slog.Logger) (client.Client, error) {
	return DialWithMetrics(ctx, cfg, logger, nil)
}

// DialWithMetrics is Dial with the SDK's metrics sent to metrics.
func DialWithMetrics(ctx context.Context, cfg config.Config, logger *slog.Logger, metrics client.MetricsHandler) (client.Client, error) {
	return DialInstrumented(ctx, cfg, logger, Instruments{Metrics: metrics})
}

// Instruments are what a client reports through; a nil field is left out.
type Instruments struct {
	// Metrics receives the SDK's metrics (see SDKMetrics).
	Metrics client.MetricsHandler
	// Tracer, when set, traces the client's calls and the workflows and
	// activities of workers built from the client (see TracingInterceptor).
	// Nil when tracing is off: then there is no interceptor at all.
	Tracer trace.TracerProvider
}

// DialInstrumented is Dial with the SDK's metrics and traces.
func DialInstrumented(ctx context.Context, cfg config.Config, logger *slog.Logger, in Instruments) (client.Client, error) {
	opts, err := ClientOptions(cfg, logger)
	if err != nil {
		return nil, err
	}
	if in.Metrics != nil {
		opts.MetricsHandler = in.Metrics
	}
	if in.Tracer != nil {
		ti, err := TracingInterceptor(in.Tracer)
		if err != nil {
			return nil, fmt.Errorf("tracing interceptor: %w", err)
		}
		opts.Interceptors = append(opts.Interceptors, ti)
	}
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s: %w", opts.HostPort, err)
	}
	return c, nil
}
