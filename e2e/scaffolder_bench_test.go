package e2e

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/rigger-platform/rigger/activities/scaffold"
	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/internal/scaffolder"
	"github.com/rigger-platform/rigger/internal/store"
)

const (
	benchDryRuns  = 100
	benchRealRuns = 20
	benchTemplate = "go-backend-template"
)

// BenchmarkScaffolderRuns runs 100 concurrent dry runs and 20 concurrent
// real runs (publish:github + catalog:register against the local fake
// GitHub with real git) of a corpus template through the API on the dev
// stack, and the same steps executed directly in this process without
// Temporal or HTTP (the activities' own functions, with the same snapshots
// in object storage): runs/second and p50/p95 latency of both, and the
// ratio, which is the orchestration overhead.
func BenchmarkScaffolderRuns(b *testing.B) {
	for i := 0; i < b.N; i++ {
		f := newForges(b)
		// The tenant limit is raised to the number of concurrent real runs,
		// so the measurement is orchestration, not queueing.
		p := newPlatform(b, platformOptions{scaffold: scaffoldOptions{integrations: f.integrations(), concurrency: benchRealRuns}})
		p.scaffoldTenant("acme", corpusLocations(b)...)
		base := corpusValues(b)[benchTemplate]
		values := func(prefix string, n int) map[string]any {
			v := map[string]any{}
			for k, x := range base {
				v[k] = x
			}
			v["repoName"] = fmt.Sprintf("%s-%d", prefix, n)
			return v
		}

		apiDry := measure(benchDryRuns, func(n int) error {
			var res map[string]any
			if code := p.call("POST", "/v2/dry-run?tenant=acme", map[string]any{"templateRef": "template:default/" + benchTemplate, "values": values("dry", n)}, &res); code != 200 {
				return fmt.Errorf("dry run = %d %v", code, res)
			}
			return nil
		})
		apiReal := measure(benchRealRuns, func(n int) error {
			id := p.startScaffold("acme", "template:default/"+benchTemplate, values("api", n))
			for {
				t := p.getScaffold(id)
				if t.Status == store.TaskCompleted {
					return nil
				}
				if store.TaskTerminal(t.Status) {
					return fmt.Errorf("task %s %s", id, t.Status)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})

		// The same steps in this process: prepare, then each step's activity
		// function in order (dry: the dry-run function), no Temporal, no HTTP.
		direct := p.deps.Scaffolder
		locs, _ := p.store.TemplateLocations(context.Background(), "acme")
		tmpl, src, _, err := direct.Templates.Find(context.Background(), "acme", locs, "default", benchTemplate)
		if err != nil {
			b.Fatal(err)
		}
		directDry := measure(benchDryRuns, func(n int) error {
			return directDryRun(direct, src, tmpl.Path, fmt.Sprintf("direct-dry-%d", n), values("ddry", n))
		})
		directReal := measure(benchRealRuns, func(n int) error {
			return directRealRun(direct, src, tmpl.Path, fmt.Sprintf("direct-real-%d", n), values("direct", n))
		})
		if len(f.gh.Repos()) != 2*benchRealRuns {
			b.Fatalf("%d repositories, want %d", len(f.gh.Repos()), 2*benchRealRuns)
		}
		report(b, "dry", benchDryRuns, apiDry, directDry)
		report(b, "real", benchRealRuns, apiReal, directReal)
	}
}

type timing struct {
	wall      time.Duration
	latencies []time.Duration
}

func (t timing) pct(p float64) time.Duration {
	s := slices.Clone(t.latencies)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// measure runs fn n times concurrently and times each and all.
func measure(n int, fn func(int) error) timing {
	var wg sync.WaitGroup
	lat := make([]time.Duration, n)
	errs := make([]error, n)
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			errs[i] = fn(i)
			lat[i] = time.Since(t0)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			panic(err)
		}
	}
	return timing{wall: time.Since(start), latencies: lat}
}

func report(b *testing.B, kind string, n int, viaAPI, direct timing) {
	rate := func(t timing) float64 { return float64(n) / t.wall.Seconds() }
	b.ReportMetric(rate(viaAPI), kind+"-runs/s")
	b.ReportMetric(float64(viaAPI.pct(0.5).Milliseconds()), kind+"-p50-ms")
	b.ReportMetric(float64(viaAPI.pct(0.95).Milliseconds()), kind+"-p95-ms")
	b.ReportMetric(rate(direct), kind+"-direct-runs/s")
	fmt.Printf("scaffolder %d concurrent %s runs of %s: via API+Temporal %.1f runs/s, p50 %s, p95 %s; same steps directly in-process %.1f runs/s, p50 %s, p95 %s; overhead ratio (p50) %.1fx, (throughput) %.1fx\n",
		n, kind, benchTemplate, rate(viaAPI), viaAPI.pct(0.5).Round(time.Millisecond), viaAPI.pct(0.95).Round(time.Millisecond),
		rate(direct), direct.pct(0.5).Round(time.Millisecond), direct.pct(0.95).Round(time.Millisecond),
		float64(viaAPI.pct(0.5))/float64(direct.pct(0.5)), rate(direct)/rate(viaAPI))
}

// directDryRun is what a dry run does, minus Temporal and HTTP: validate
// and run every step in memory (one activity function), store the
// workspace, read it back.
func directDryRun(a *scaffold.Activities, src scaffold.Source, path, task string, values map[string]any) error {
	ctx := context.Background()
	res, err := a.ScaffolderDryRun(ctx, scaffold.DryRunInput{Tenant: "acme", TaskID: task, Values: values, SaveAs: scaffold.SnapshotKey(task, "r", 0, 0),
		Prepare: scaffold.PrepareInput{Tenant: "acme", TaskID: task, Source: src, TemplatePath: path, Values: values}})
	if err != nil {
		return err
	}
	objects := storage.Scoped(a.Objects, "acme")
	rc, err := objects.Get(ctx, res.Workspace)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, rc)
	rc.Close()
	_, _ = objects.DeletePrefix(ctx, "scaffolder/"+task+"/")
	return err
}

// directRealRun is what ScaffolderRun does, minus Temporal: prepare, render
// each step and call its activity function in order, then meter and clean
// up.
func directRealRun(a *scaffold.Activities, src scaffold.Source, path, task string, values map[string]any) error {
	ctx := context.Background()
	plan, err := a.ScaffolderPrepare(ctx, scaffold.PrepareInput{Tenant: "acme", TaskID: task, Source: src, TemplatePath: path, Values: values})
	if err != nil {
		return err
	}
	eng := scaffolder.NewEngine(scaffolder.EngineOptions{Integrations: func(h string) string { return plan.Integrations[h] }})
	st := scaffold.NewRunState(task, values, nil, "user:default/jdoe")
	ws := ""
	for i, s := range plan.Steps {
		run, err := eng.ShouldRun(ctx, s.If, st.Context(nil, false))
		if err != nil || !run {
			continue
		}
		input, err := eng.RenderInput(ctx, s.Input, st.Context(nil, true))
		if err != nil {
			return err
		}
		res, err := a.RunStep(ctx, scaffold.StepInput{Tenant: "acme", TaskID: task, StepID: s.ID, Action: s.Action, Input: input,
			Workspace: ws, SaveAs: scaffold.SnapshotKey(task, "r", i, 0), Source: plan.Source, TemplatePath: plan.Path})
		if err != nil {
			return fmt.Errorf("step %s: %w", s.ID, err)
		}
		ws = res.Workspace
		st.Steps[s.ID] = res.Output
	}
	if _, err := eng.RenderOutput(ctx, plan.Output, st.Context(nil, false)); err != nil {
		return err
	}
	if err := a.ScaffolderRecordUsage(ctx, scaffold.UsageInput{Tenant: "acme", TaskID: task}); err != nil {
		return err
	}
	return a.ScaffolderCleanup(ctx, scaffold.CleanupInput{Tenant: "acme", TaskID: task, RunID: "r"})
}
