package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/rigger-platform/rigger/api"
	"github.com/rigger-platform/rigger/internal/config"
	"github.com/rigger-platform/rigger/internal/telemetry"
	"github.com/rigger-platform/rigger/workers"
	"github.com/rigger-platform/rigger/workflows"
)

// TestTracingAcrossAPIWorkflowActivity: with tracing on, one onboarding
// requested over HTTP is one trace on the real dev server: the API's server
// span → the client's StartWorkflow span → the worker's RunWorkflow span →
// StartActivity → RunActivity spans, linked through the W3C traceparent in
// Temporal's headers. The same worker exports rigger_runs_total with the
// SDK's labels beside Rigger's.
func TestTracingAcrossAPIWorkflowActivity(t *testing.T) {
	p := newPlatform(t, platformOptions{devDefaults: true, noWorker: true})
	ctx := context.Background()
	spans := tracetest.NewInMemoryExporter()
	tp, err := telemetry.NewProvider(spans, "rigger-e2e", sdktrace.WithSyncer(spans))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	// One traced, metered client for the API and the worker, as `rigger
	// dev` has with RIGGER_TRACING=true.
	reg := prometheus.NewRegistry()
	metrics, closeMetrics, err := workers.SDKMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Config{TemporalAddress: p.temporal.Frontend, TemporalNamespace: "default"}
	tc, err := workers.DialInstrumented(ctx, cfg, slog.New(slog.NewTextHandler(testLogWriter(t), nil)),
		workers.Instruments{Metrics: metrics, Tracer: tp})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	stop, err := workers.Start(tc, p.deps, workers.Options{TaskQueues: []string{workflows.TaskQueueOnboarding}, HeartbeatInterval: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	s := &api.Server{Temporal: tc, Store: p.store, AdminKey: p.adminKey, Logger: slog.New(slog.NewTextHandler(testLogWriter(t), nil)), Tracer: tp}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)

	slug := "trace-" + pgtest4()
	body, _ := json.Marshal(onboardRequest(slug))
	req, _ := http.NewRequest("POST", srv.URL+"/v1/tenants", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+p.adminKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /v1/tenants = %d %s", resp.StatusCode, out)
	}
	// The workflow's own span ends when the workflow function returns.
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := tc.GetWorkflow(wctx, workflows.OnboardWorkflowID(slug), "").Get(wctx, nil); err != nil {
		t.Fatalf("onboarding: %v", err)
	}

	all := spans.GetSpans()
	find := func(pred func(tracetest.SpanStub) bool) []tracetest.SpanStub {
		var out []tracetest.SpanStub
		for _, sp := range all {
			if pred(sp) {
				out = append(out, sp)
			}
		}
		return out
	}
	dump := func() string {
		var names []string
		for _, sp := range all {
			names = append(names, sp.Name+" trace="+sp.SpanContext.TraceID().String()[:8]+" span="+sp.SpanContext.SpanID().String()[:8]+" parent="+sp.Parent.SpanID().String()[:8])
		}
		return strings.Join(names, "\n")
	}
	httpSpans := find(func(sp tracetest.SpanStub) bool {
		return sp.Name == "POST /v1/tenants" && sp.SpanKind == trace.SpanKindServer
	})
	if len(httpSpans) != 1 {
		t.Fatalf("want one server span POST /v1/tenants, got %d in:\n%s", len(httpSpans), dump())
	}
	root := httpSpans[0]
	traceID := root.SpanContext.TraceID()
	inTrace := func(name string, parent trace.SpanID) []tracetest.SpanStub {
		return find(func(sp tracetest.SpanStub) bool {
			return sp.SpanContext.TraceID() == traceID && sp.Name == name && sp.Parent.SpanID() == parent
		})
	}
	start := inTrace("StartWorkflow:"+workflows.TenantOnboardingWorkflow, root.SpanContext.SpanID())
	if len(start) != 1 {
		t.Fatalf("no StartWorkflow span under the HTTP span:\n%s", dump())
	}
	run := inTrace("RunWorkflow:"+workflows.TenantOnboardingWorkflow, start[0].SpanContext.SpanID())
	if len(run) == 0 {
		t.Fatalf("no RunWorkflow span under StartWorkflow:\n%s", dump())
	}
	var activities []string
	for _, sa := range find(func(sp tracetest.SpanStub) bool {
		return sp.SpanContext.TraceID() == traceID && strings.HasPrefix(sp.Name, "StartActivity:") && sp.Parent.SpanID() == run[0].SpanContext.SpanID()
	}) {
		name := strings.TrimPrefix(sa.Name, "StartActivity:")
		if len(inTrace("RunActivity:"+name, sa.SpanContext.SpanID())) > 0 {
			activities = append(activities, name)
		}
	}
	if !slices.Contains(activities, "ControlPlaneRecordTenant") || !slices.Contains(activities, "TenantDBCreate") {
		t.Fatalf("activities traced under the workflow: %v; spans:\n%s", activities, dump())
	}
	t.Logf("one trace: %s → StartWorkflow → RunWorkflow → activities %v", root.Name, activities)
	if root.Resource == nil || !slices.ContainsFunc(root.Resource.Attributes(), func(kv attribute.KeyValue) bool {
		return string(kv.Key) == "service.name" && kv.Value.AsString() == "rigger-e2e"
	}) {
		t.Errorf("the spans do not name the service: %v", root.Resource)
	}

	// The worker's own metrics: the SDK's labels next to Rigger's.
	if err := closeMetrics.Close(); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range families {
		if f.GetName() != workflows.MetricRuns {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels[workflows.LabelKind] == workflows.KindOnboarding && labels[workflows.LabelResult] == workflows.RunCompleted &&
				labels["workflow_type"] == workflows.TenantOnboardingWorkflow && labels["task_queue"] == workflows.TaskQueueOnboarding &&
				labels["namespace"] == "default" && m.GetCounter().GetValue() == 1 {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no rigger_runs_total{kind=onboarding,result=completed,workflow_type,task_queue,namespace} = 1 in %v", families)
	}
}
