package config

import "testing"

// TestTracingRejectsWhatCannotExport: a protocol the Go exporter does
// not speak, or an endpoint without a scheme, fails at start-up, but only
// when Rigger itself exports.
func TestTracingRejectsWhatCannotExport(t *testing.T) {
	t.Setenv("RIGGER_TRACING", "")
	t.Setenv("OTEL_SDK_DISABLED", "")
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")
	if _, err := Load(); err != nil {
		t.Fatalf("tracing off must not judge OTEL_* values: %v", err)
	}
	t.Setenv("RIGGER_TRACING", "true")
	if _, err := Load(); err == nil {
		t.Fatal("http/json and a scheme-less endpoint were accepted")
	}
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
	cfg, err := Load()
	if err != nil || !cfg.Tracing || cfg.OTLPProtocol != "http/protobuf" {
		t.Fatalf("defaults: tracing %v, protocol %q, %v", cfg.Tracing, cfg.OTLPProtocol, err)
	}
}
