package telemetry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/rigger-platform/rigger/internal/config"
)

// TestTracingOffCreatesNoExporter: with RIGGER_TRACING unset, the OTEL_*
// variables another program may have left in the environment create no
// exporter and no provider, and OpenTelemetry's global is left alone.
func TestTracingOffCreatesNoExporter(t *testing.T) {
	t.Setenv("RIGGER_TRACING", "")
	t.Setenv("OTEL_SDK_DISABLED", "")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
	t.Setenv("OTEL_SERVICE_NAME", "someone-else")
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Tracing {
		t.Fatal("tracing is on without RIGGER_TRACING")
	}
	global := otel.GetTracerProvider()
	tr, err := Setup(context.Background(), cfg, "rigger-test")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Provider != nil || tr.exporter != nil || tr.sdk != nil {
		t.Fatalf("tracing off built %+v", tr)
	}
	if otel.GetTracerProvider() != global {
		t.Error("Setup replaced the global tracer provider")
	}
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Error(err)
	}
	// OTEL_SDK_DISABLED wins over RIGGER_TRACING.
	t.Setenv("RIGGER_TRACING", "true")
	t.Setenv("OTEL_SDK_DISABLED", "true")
	if cfg, err := config.Load(); err != nil || cfg.Tracing {
		t.Fatalf("OTEL_SDK_DISABLED=true: tracing %v, %v", cfg.Tracing, err)
	}
}

// TestTracingExportsOverOTLPHTTP: with tracing on, spans reach the
// collector at <OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces as OTLP protobuf,
// named by OTEL_SERVICE_NAME, once Shutdown flushes the batch.
func TestTracingExportsOverOTLPHTTP(t *testing.T) {
	var mu sync.Mutex
	var got []*coltracepb.ExportTraceServiceRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
			t.Errorf("collector got %s %s (%s)", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		}
		body, _ := io.ReadAll(r.Body)
		req := &coltracepb.ExportTraceServiceRequest{}
		if err := proto.Unmarshal(body, req); err != nil {
			t.Errorf("collector: %v", err)
		}
		mu.Lock()
		got = append(got, req)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		b, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		_, _ = w.Write(b)
	}))
	defer srv.Close()

	cfg := config.Config{Tracing: true, OTLPEndpoint: srv.URL + "/", OTLPProtocol: "http/protobuf", ServiceName: "rigger-under-test"}
	tr, err := Setup(context.Background(), cfg, "rigger-default")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Provider == nil || tr.exporter == nil {
		t.Fatal("tracing on built no provider or exporter")
	}
	_, span := tr.Provider.Tracer("test").Start(context.Background(), "unit-of-work")
	span.End()
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	var names []string
	service := ""
	for _, req := range got {
		for _, rs := range req.GetResourceSpans() {
			for _, a := range rs.GetResource().GetAttributes() {
				if a.GetKey() == "service.name" {
					service = a.GetValue().GetStringValue()
				}
			}
			for _, ss := range rs.GetScopeSpans() {
				for _, s := range ss.GetSpans() {
					names = append(names, s.GetName())
				}
			}
		}
	}
	if len(names) != 1 || names[0] != "unit-of-work" || service != "rigger-under-test" {
		t.Fatalf("collector got spans %v from service %q", names, service)
	}
}
