package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// TestRequestSpans: with a tracer, each request is a server span named
// after its route pattern (never the raw path with a tenant in it) that
// continues the caller's W3C traceparent; probes and scrapes are not traced.
// Without one the handler has no tracing at all.
func TestRequestSpans(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	s := &Server{AdminKey: "admin-key", Tracer: tp}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()

	const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	req, _ := http.NewRequest("GET", srv.URL+"/v1/tenants/acme", nil)
	req.Header.Set("traceparent", parent)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET without a key = %d", resp.StatusCode)
	}
	if resp, err := http.Get(srv.URL + "/healthz"); err == nil {
		resp.Body.Close()
	}

	got := spans.GetSpans()
	if len(got) != 1 {
		t.Fatalf("want one span, got %d: %v", len(got), got.Snapshots())
	}
	sp := got[0]
	if sp.Name != "GET /v1/tenants/{slug}" || sp.SpanKind != trace.SpanKindServer {
		t.Errorf("span %q kind %v, want the route pattern as a server span", sp.Name, sp.SpanKind)
	}
	if sp.SpanContext.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || sp.Parent.SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("span is not a child of the caller's traceparent: trace %s parent %s", sp.SpanContext.TraceID(), sp.Parent.SpanID())
	}

	// Tracing off: the handler is the untraced one.
	if h := (&Server{}).traced(http.NotFoundHandler()); h == nil {
		t.Fatal("traced returned nil")
	} else if _, ok := h.(http.HandlerFunc); !ok {
		t.Errorf("tracing off wrapped the handler in %T", h)
	}
}
