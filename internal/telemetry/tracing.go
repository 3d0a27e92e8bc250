// Package telemetry sets up OpenTelemetry tracing from config: a tracer
// provider exporting over OTLP when RIGGER_TRACING is on, and nothing at all
// when it is off. It has no Temporal in it; workers.DialInstrumented puts the
// provider into the Temporal client and api.Server into its HTTP handler.
package telemetry

import (
	"context"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/rigger-platform/rigger/internal/config"
)

// Propagator is how a trace crosses process boundaries everywhere in
// Rigger: W3C traceparent/tracestate (and baggage) in HTTP headers and in
// Temporal's workflow and activity headers. It is passed explicitly rather
// than read from OpenTelemetry's global, which is a no-op until set.
var Propagator propagation.TextMapPropagator = propagation.NewCompositeTextMapPropagator(
	propagation.TraceContext{}, propagation.Baggage{})

// Tracing is a process's tracing. Provider is nil when tracing is off:
// callers then add no interceptor and no middleware, so a disabled tracing
// costs nothing at all (not even no-op spans).
type Tracing struct {
	Provider trace.TracerProvider

	exporter sdktrace.SpanExporter
	sdk      *sdktrace.TracerProvider
}

// Setup builds the process's tracing from cfg. service names the process
// when OTEL_SERVICE_NAME does not (rigger-api, rigger-worker, rigger-dev).
// Nothing is installed as OpenTelemetry's global provider: every use gets
// the provider explicitly, so tests and processes never share one by
// accident.
func Setup(ctx context.Context, cfg config.Config, service string) (*Tracing, error) {
	if !cfg.Tracing {
		return &Tracing{}, nil
	}
	exp, err := newExporter(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	if cfg.ServiceName != "" {
		service = cfg.ServiceName
	}
	sdk, err := NewProvider(exp, service, sdktrace.WithBatcher(exp))
	if err != nil {
		_ = exp.Shutdown(ctx)
		return nil, err
	}
	return &Tracing{Provider: sdk, exporter: exp, sdk: sdk}, nil
}

// NewProvider is a tracer provider for service with the SDK's defaults
// (parent-based sampling, OTEL_TRACES_SAMPLER honoured) and the resource
// from the environment (OTEL_RESOURCE_ATTRIBUTES). Tests pass an in-memory
// exporter with sdktrace.WithSyncer.
func NewProvider(exp sdktrace.SpanExporter, service string, opts ...sdktrace.TracerProviderOption) (*sdktrace.TracerProvider, error) {
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(attribute.String("service.name", service)))
	if err != nil {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	return sdktrace.NewTracerProvider(append([]sdktrace.TracerProviderOption{sdktrace.WithResource(res)}, opts...)...), nil
}

// Shutdown exports the spans still batched and stops the exporter. It does
// nothing when tracing is off.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil || t.sdk == nil {
		return nil
	}
	return t.sdk.Shutdown(ctx)
}

// newExporter is the OTLP span exporter of cfg. The endpoint is given
// explicitly when configured; the exporter reads the rest of the
// OTEL_EXPORTER_OTLP_* variables itself (headers, timeout, certificates,
// compression), so credentials for the collector never pass through
// Rigger's config.
func newExporter(ctx context.Context, cfg config.Config) (sdktrace.SpanExporter, error) {
	if cfg.OTLPProtocol == "grpc" {
		var opts []otlptracegrpc.Option
		if cfg.OTLPEndpoint != "" {
			// http:// means plaintext, as the specification says.
			opts = append(opts, otlptracegrpc.WithEndpointURL(cfg.OTLPEndpoint))
		}
		return otlptracegrpc.New(ctx, opts...)
	}
	var opts []otlptracehttp.Option
	if cfg.OTLPEndpoint != "" {
		// OTEL_EXPORTER_OTLP_ENDPOINT is a base URL: the signal's path is
		// appended to it (the _TRACES_ variant would be used as is).
		opts = append(opts, otlptracehttp.WithEndpointURL(strings.TrimSuffix(cfg.OTLPEndpoint, "/")+"/v1/traces"))
	}
	return otlptracehttp.New(ctx, opts...)
}
