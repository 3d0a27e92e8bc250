package workers

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/rigger-platform/rigger/activities/backup"
	billingacts "github.com/rigger-platform/rigger/activities/billing"
	"github.com/rigger-platform/rigger/activities/dr"
	"github.com/rigger-platform/rigger/internal/billing"
	"github.com/rigger-platform/rigger/workflows"
)

// Activity handles for mocking: nil receivers whose method values name the
// activities, as in the workflows package.
var (
	billActs *billingacts.Activities
	bkActs   *backup.Activities
	drActs   *dr.Activities
)

// TestRiggerMetricsMatchDashboard runs real workflows in the SDK's test
// environment with the workers' real metrics handler (SDKMetrics: tally →
// Prometheus), gathers the registry, and checks that every Rigger series
// deploy/grafana/rigger-dashboard.json queries is exported under that name,
// with the labels it groups and filters by, and that every label value it
// filters on is one the workflows emit (workflows/metrics_contract.go).
func TestRiggerMetricsMatchDashboard(t *testing.T) {
	reg := prometheus.NewRegistry()
	handler, closer, err := SDKMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	var suite testsuite.WorkflowTestSuite
	suite.SetMetricsHandler(handler)
	start := time.Date(2026, 11, 2, 3, 0, 0, 0, time.UTC)

	// An invoice issued: a billing run completed, an invoice counted.
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	workflows.RegisterBilling(env)
	env.RegisterActivityWithOptions(&billingacts.Activities{}, activity.RegisterOptions{SkipInvalidStructFunctions: true})
	env.OnActivity(billActs.BillingComputeInvoice, mock.Anything, mock.Anything).Return(
		billingacts.ComputeInvoiceResult{Invoice: billing.Invoice{Tenant: "acme", Period: "2026-10", Currency: "EUR"}}, nil)
	env.OnActivity(billActs.BillingWriteInvoice, mock.Anything, mock.Anything).Return(billingacts.WriteInvoiceResult{InvoiceID: "inv-1", Created: true}, nil)
	env.OnActivity(billActs.BillingRenderInvoice, mock.Anything, mock.Anything).Return(billingacts.RenderInvoiceResult{}, nil)
	env.OnActivity(billActs.BillingNotify, mock.Anything, mock.Anything).Return(billingacts.NotifyResult{}, nil)
	env.ExecuteWorkflow(workflows.TenantInvoiceWorkflow, workflows.TenantInvoiceInput{Tenant: "acme", Period: "2026-10"})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("TenantInvoice: %v", err)
	}

	// A backup that fails: a failed backup, a failed backup run.
	env = suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	workflows.RegisterDR(env)
	env.RegisterActivityWithOptions(&backup.Activities{}, activity.RegisterOptions{SkipInvalidStructFunctions: true})
	env.RegisterActivityWithOptions(&dr.Activities{}, activity.RegisterOptions{SkipInvalidStructFunctions: true})
	env.OnActivity(bkActs.BackupTenant, mock.Anything, mock.Anything).Return(backup.BackupResult{},
		temporal.NewNonRetryableApplicationError("corrupt", backup.ErrTypeCorrupt, nil))
	env.ExecuteWorkflow(workflows.TenantBackupWorkflow, workflows.TenantBackupInput{Slug: "acme"})
	if env.GetWorkflowError() == nil {
		t.Fatal("TenantBackup succeeded; the test wants it failed")
	}

	// A drill of no tenants: a drill that passed.
	env = suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	workflows.RegisterDR(env)
	env.RegisterActivityWithOptions(&backup.Activities{}, activity.RegisterOptions{SkipInvalidStructFunctions: true})
	env.RegisterActivityWithOptions(&dr.Activities{}, activity.RegisterOptions{SkipInvalidStructFunctions: true})
	env.OnActivity(drActs.DRSettings, mock.Anything, mock.Anything).Return(dr.Settings{KeepDaily: 7, KeepWeekly: 4, RPOObjective: time.Hour}, nil)
	env.OnActivity(bkActs.RecordDrillStart, mock.Anything, mock.Anything).Return(backup.RecordDrillStartResult{}, nil)
	env.OnActivity(drActs.DRListTenants, mock.Anything, mock.Anything).Return(dr.ListTenantsResult{}, nil)
	env.OnActivity(bkActs.RecordDrillFinish, mock.Anything, mock.Anything).Return(backup.RecordDrillFinishResult{}, nil)
	env.ExecuteWorkflow(workflows.DRDrillWorkflow, workflows.DRDrillInput{DrillID: "drill-1"})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("DRDrill: %v", err)
	}

	// Closing the root scope reports what it cached to the registry.
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	// exported: metric → label name → values seen; totals: metric → sum.
	// (The test environment adds none of the SDK's namespace, task_queue
	// and workflow_type labels; a worker does: e2e TestTracingAcrossAPIWorkflowActivity)
	exported := map[string]map[string][]string{}
	totals := map[string]float64{}
	for _, f := range families {
		if !strings.HasPrefix(f.GetName(), "rigger_") {
			continue
		}
		labels := map[string][]string{}
		for _, m := range f.GetMetric() {
			totals[f.GetName()] += m.GetCounter().GetValue()
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = append(labels[l.GetName()], l.GetValue())
			}
		}
		exported[f.GetName()] = labels
	}

	// What this test ran must show as such.
	for metric, want := range map[string]map[string]string{
		workflows.MetricRuns:    {workflows.LabelKind: workflows.KindBilling, workflows.LabelResult: workflows.RunCompleted},
		workflows.MetricBackups: {workflows.LabelResult: workflows.OutcomeFailed},
		workflows.MetricDrills:  {workflows.LabelResult: workflows.OutcomeSucceeded},
	} {
		for k, v := range want {
			if !slices.Contains(exported[metric][k], v) {
				t.Errorf("%s: no series with %s=%q; exported %v", metric, k, v, exported)
			}
		}
	}
	want := map[string]float64{workflows.MetricRuns: 3, workflows.MetricBillingInvoices: 1, workflows.MetricBackups: 1, workflows.MetricDrills: 1}
	for metric, n := range want {
		if totals[metric] != n {
			t.Errorf("%s counted %v, want %v", metric, totals[metric], n)
		}
	}
	if !slices.Contains(exported[workflows.MetricRuns][workflows.LabelKind], workflows.KindBackup) ||
		!slices.Contains(exported[workflows.MetricRuns][workflows.LabelResult], workflows.RunFailed) ||
		!slices.Contains(exported[workflows.MetricRuns][workflows.LabelKind], workflows.KindDrill) {
		t.Errorf("%s: the backup and drill runs are missing: %v", workflows.MetricRuns, exported[workflows.MetricRuns])
	}

	// The label values each metric can carry, from the contract.
	runResults := []string{workflows.RunCompleted, workflows.RunFailed, workflows.RunCompensated, workflows.RunCancelled}
	outcomes := []string{workflows.OutcomeSucceeded, workflows.OutcomeFailed, workflows.OutcomeCancelled, workflows.OutcomeSkipped}
	kinds := []string{workflows.KindOnboarding, workflows.KindOffboarding, workflows.KindScaffolder, workflows.KindTechDocs,
		workflows.KindAssistant, workflows.KindBilling, workflows.KindBackup, workflows.KindRestore, workflows.KindDrill}
	values := map[string]map[string][]string{
		workflows.MetricRuns:    {workflows.LabelKind: kinds, workflows.LabelResult: runResults},
		workflows.MetricBackups: {workflows.LabelResult: outcomes},
		workflows.MetricDrills:  {workflows.LabelResult: outcomes},
	}

	queried := 0
	for _, expr := range dashboardExprs(t) {
		for _, use := range riggerMetricUses(expr) {
			if strings.HasPrefix(use.metric, "rigger_api_") {
				continue // api/server.go's, checked by deploy's tests
			}
			queried++
			labels, ok := exported[use.metric]
			if !ok {
				t.Errorf("the dashboard queries %s, which no workflow exports (exported: %v)", use.metric, keys(exported))
				continue
			}
			for _, l := range use.groupBy {
				if _, ok := labels[l]; !ok {
					t.Errorf("%s: the dashboard groups by %q, not a label of the exported series %v", use.metric, l, keys(labels))
				}
			}
			for l, vs := range use.matchers {
				if _, ok := labels[l]; !ok {
					t.Errorf("%s: the dashboard filters on %q, not a label of the exported series %v", use.metric, l, keys(labels))
				}
				for _, v := range vs {
					if allowed := values[use.metric][l]; !slices.Contains(allowed, v) {
						t.Errorf("%s: the dashboard filters on %s=%q, which the workflows never emit (they emit %v)", use.metric, l, v, allowed)
					}
				}
			}
		}
	}
	if queried < 8 {
		t.Errorf("found only %d uses of Rigger's workflow metrics in the dashboard: has its format changed?", queried)
	}
}

// dashboardExprs returns every PromQL expression of the Grafana dashboard.
func dashboardExprs(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "deploy", "grafana", "rigger-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && k == "expr" {
					out = append(out, s)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	return out
}

// metricUse is one metric in one expression: the values its equality and
// regexp matchers accept (the dashboard's regexps are plain alternations,
// `a|b`) and the labels of the aggregation around it.
type metricUse struct {
	metric   string
	matchers map[string][]string
	groupBy  []string
}

var (
	metricRE  = regexp.MustCompile(`\b(rigger_[a-z_]+)(\{([^}]*)\})?`)
	matcherRE = regexp.MustCompile(`([a-zA-Z_]+)\s*(=~|=)\s*"([^"]*)"`)
	byRE      = regexp.MustCompile(`\bby\s*\(([^)]*)\)`)
)

// riggerMetricUses finds the rigger_* metrics of a PromQL expression. The
// dashboard's expressions aggregate one metric at a time, so every `by (...)`
// of an expression applies to the metrics in it.
func riggerMetricUses(expr string) []metricUse {
	var groupBy []string
	for _, m := range byRE.FindAllStringSubmatch(expr, -1) {
		for _, l := range strings.Split(m[1], ",") {
			if l = strings.TrimSpace(l); l != "" && l != "le" {
				groupBy = append(groupBy, l)
			}
		}
	}
	var out []metricUse
	for _, m := range metricRE.FindAllStringSubmatch(expr, -1) {
		u := metricUse{metric: m[1], matchers: map[string][]string{}, groupBy: groupBy}
		for _, mm := range matcherRE.FindAllStringSubmatch(m[3], -1) {
			if mm[2] == "=~" {
				u.matchers[mm[1]] = strings.Split(mm[3], "|")
			} else {
				u.matchers[mm[1]] = []string{mm[3]}
			}
		}
		out = append(out, u)
	}
	return out
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
