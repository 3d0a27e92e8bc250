package workers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/rigger-platform/rigger/workflows"
)

// lockedBuffer is a log sink shared by the workflow and activity goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// lines returns the JSON log lines whose msg is msg.
func (l *lockedBuffer) lines(t *testing.T, msg string) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(l.b.Bytes()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON log line: %s", sc.Text())
		}
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// TestTenantInJSONLogs: with the worker's TenantLogInterceptor, a JSON log
// line written by an activity carries the run's tenant, from its
// RiggerTenant search attribute, next to the SDK's WorkflowID and RunID; the
// workflow's own lines carry the tenant too. A run without a tenant logs
// without the key.
func TestTenantInJSONLogs(t *testing.T) {
	for _, tc := range []struct{ name, tenant string }{{"tenant run", "acme"}, {"platform run", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			var buf lockedBuffer
			var s testsuite.WorkflowTestSuite
			s.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.NewJSONHandler(&buf, nil))))
			env := s.NewTestWorkflowEnvironment()
			env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{&TenantLogInterceptor{}}})
			if tc.tenant != "" {
				if err := env.SetTypedSearchAttributesOnStart(temporal.NewSearchAttributes(workflows.SearchTenant.ValueSet(tc.tenant))); err != nil {
					t.Fatal(err)
				}
			}
			env.RegisterActivityWithOptions(func(ctx context.Context) error {
				activity.GetLogger(ctx).Info("activity says hello")
				return nil
			}, activity.RegisterOptions{Name: "SayHello"})
			env.RegisterWorkflowWithOptions(func(ctx workflow.Context) error {
				workflow.GetLogger(ctx).Info("workflow says hello")
				ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
				return workflow.ExecuteActivity(ctx, "SayHello").Get(ctx, nil)
			}, workflow.RegisterOptions{Name: "Hello"})
			env.ExecuteWorkflow("Hello")
			if err := env.GetWorkflowError(); err != nil {
				t.Fatal(err)
			}
			for _, msg := range []string{"activity says hello", "workflow says hello"} {
				lines := buf.lines(t, msg)
				if len(lines) == 0 {
					t.Fatalf("no %q log line", msg)
				}
				l := lines[0]
				// The test environment's workflow logger lacks the IDs a
				// real worker's has; its activity logger is the real one.
				if msg == "activity says hello" && (l["WorkflowID"] == nil || l["WorkflowID"] == "" || l["RunID"] == nil || l["RunID"] == "") {
					t.Errorf("%q: no WorkflowID/RunID in %v", msg, l)
				}
				got, has := l["tenant"]
				if tc.tenant == "" && has {
					t.Errorf("%q: tenant %v on a run without one", msg, got)
				}
				if tc.tenant != "" && got != tc.tenant {
					t.Errorf("%q: tenant %v, want %q in %v", msg, got, tc.tenant, l)
				}
			}
		})
	}
}
