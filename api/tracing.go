package api

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/rigger-platform/rigger/internal/telemetry"
)

// traced starts a server span per request when tracing is on (s.Tracer
// set), continuing the caller's trace from its W3C traceparent header. The
// request's context carries the span, so the workflow the handler starts
// (through a Temporal client built with workers.DialInstrumented) is its
// child. Off, the handler is returned as is: no middleware, no cost.
// Probes and scrapes are not traced: they would bury the requests.
func (s *Server) traced(h http.Handler) http.Handler {
	if s.Tracer == nil {
		return h
	}
	return otelhttp.NewHandler(h, "rigger-api",
		otelhttp.WithTracerProvider(s.Tracer),
		otelhttp.WithPropagators(telemetry.Propagator),
		otelhttp.WithFilter(func(r *http.Request) bool {
			switch r.URL.Path {
			case "/healthz", "/readyz", "/metrics":
				return false
			}
			return true
		}),
		// Until the route is known (nameSpan), the method alone: a raw
		// path would put tenant slugs and IDs in span names.
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }),
	)
}

// nameSpan names the request's span after its route pattern ("POST
// /v1/tenants/{slug}/backups") once routing has chosen it. The pattern is
// not visible to the middleware, which sees the request before
// withRequestID copies it.
func nameSpan(r *http.Request, pattern string) {
	span := trace.SpanFromContext(r.Context())
	if !span.IsRecording() {
		return
	}
	span.SetName(pattern)
	if _, route, ok := strings.Cut(pattern, " "); ok {
		span.SetAttributes(attribute.String("http.route", route))
	}
}
