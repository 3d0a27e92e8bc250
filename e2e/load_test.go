package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/rigger-platform/rigger/workflows"
)

// TestLoadNoLostStarts: many concurrent clients onboard many tenants, each
// request sent twice at once; no 5xx, and every accepted tenant has exactly
// one onboarding workflow.
func TestLoadNoLostStarts(t *testing.T) {
	const tenants, clients = 60, 12
	p := newPlatform(t, platformOptions{devDefaults: true})
	jobs := make(chan string)
	var fivexx, accepted atomic.Int64
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for slug := range jobs {
				code := p.call("POST", "/v1/tenants", onboardRequest(slug), nil)
				switch {
				case code >= 500:
					fivexx.Add(1)
				case code == http.StatusAccepted || code == http.StatusOK:
					accepted.Add(1)
				default:
					t.Errorf("POST %s = %d", slug, code)
				}
			}
		}()
	}
	for i := range tenants {
		slug := fmt.Sprintf("load-%03d", i)
		jobs <- slug
		jobs <- slug // the duplicate races the first
	}
	close(jobs)
	wg.Wait()
	if fivexx.Load() != 0 || accepted.Load() != 2*tenants {
		t.Fatalf("5xx=%d accepted=%d of %d", fivexx.Load(), accepted.Load(), 2*tenants)
	}
	for i := range tenants {
		p.waitStatus(fmt.Sprintf("load-%03d", i), "active", 3*time.Minute)
	}
	ctx := context.Background()
	runs := map[string]int{}
	var token []byte
	for {
		resp, err := p.client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("WorkflowType = '%s'", workflows.TenantOnboardingWorkflow), NextPageToken: token, PageSize: 1000,
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range resp.Executions {
			if e.Status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
				runs[e.Execution.WorkflowId]++
			}
		}
		if token = resp.NextPageToken; len(token) == 0 {
			break
		}
	}
	if len(runs) != tenants {
		t.Fatalf("%d tenants have a completed onboarding, want %d", len(runs), tenants)
	}
	for id, n := range runs {
		if n != 1 {
			t.Fatalf("%s ran %d times", id, n)
		}
	}
}

// BenchmarkAPIStartWorkflow measures starting onboarding workflows through
// the API (auth, validation, the control-plane claim, the start) against the
// Temporal client's ExecuteWorkflow alone, on loopback.
func BenchmarkAPIStartWorkflow(b *testing.B) {
	const starts, clients = 400, 16
	p := newPlatform(b, platformOptions{devDefaults: true, noWorker: true})
	measure := func(name string, start func(i int) error) (time.Duration, []time.Duration) {
		lat := make([]time.Duration, starts)
		jobs := make(chan int)
		var wg sync.WaitGroup
		t0 := time.Now()
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range jobs {
					s := time.Now()
					if err := start(i); err != nil {
						b.Errorf("%s %d: %v", name, i, err)
					}
					lat[i] = time.Since(s)
				}
			}()
		}
		for i := range starts {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		wall := time.Since(t0)
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		return wall, lat
	}
	for n := 0; n < b.N; n++ {
		apiWall, apiLat := measure("api", func(i int) error {
			if code := p.call("POST", "/v1/tenants", onboardRequest(fmt.Sprintf("bench-api-%d-%d", n, i)), nil); code != http.StatusAccepted {
				return fmt.Errorf("status %d", code)
			}
			return nil
		})
		directWall, directLat := measure("direct", func(i int) error {
			_, err := p.client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
				ID: fmt.Sprintf("onboard/bench-direct-%d-%d", n, i), TaskQueue: workflows.TaskQueueOnboarding,
			}, workflows.TenantOnboardingWorkflow, workflows.OnboardingInput{Slug: fmt.Sprintf("bench-direct-%d-%d", n, i)})
			return err
		})
		pct := func(l []time.Duration, q float64) time.Duration { return l[int(q*float64(len(l)-1))] }
		b.ReportMetric(starts/apiWall.Seconds(), "api-starts/s")
		b.ReportMetric(starts/directWall.Seconds(), "direct-starts/s")
		fmt.Printf("start workflow, %d starts by %d clients: API %.0f/s p50 %v p99 %v; ExecuteWorkflow directly %.0f/s p50 %v p99 %v; API overhead %.2fx (throughput)\n",
			starts, clients, starts/apiWall.Seconds(), pct(apiLat, .5), pct(apiLat, .99),
			starts/directWall.Seconds(), pct(directLat, .5), pct(directLat, .99), apiWall.Seconds()/directWall.Seconds())
	}
}
