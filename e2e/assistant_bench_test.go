package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	actassistant "github.com/rigger-platform/rigger/activities/assistant"
	"github.com/rigger-platform/rigger/activities/llm"
	"github.com/rigger-platform/rigger/internal/assistant"
	"github.com/rigger-platform/rigger/workflows"
)

const assistantBenchTasks = 30

// BenchmarkAssistantTaskOverhead measures what running an "ask" as a
// durable workflow costs on top of the work itself, against a zero-latency
// model server: the same retrieval and streamed LLM call made directly
// (no Temporal) give the work's time; the task through the API (start,
// settings, retrieve, LLM activity with metering, result) gives the
// total; the difference is the workflow overhead per task. It also runs
// the tasks concurrently for throughput.
func BenchmarkAssistantTaskOverhead(b *testing.B) {
	corpus := assistantCorpus(b)
	model := newFakeLLM(b)
	p := newPlatform(b, platformOptions{devDefaults: true, noWorker: true})
	p.configureAssistant(model.srv.URL)
	p.startWorker()
	p.activeTenant("bench-docs", "enterprise")
	key := p.tenantKey("bench-docs", "run").Key
	publishDocs(b, p.deps.Storage.Store, "bench-docs", "mkdocs", filepath.Join(corpus, "mkdocs"))
	ctx := context.Background()
	question := "How do I deploy my project documentation to GitHub Pages?"
	answer := "Run mkdocs gh-deploy [1]."
	model.push() // zero latency: the default reply, three chunks, no pauses

	wait := func(wid string) {
		var res workflows.AssistantResult
		if err := p.client.GetWorkflow(ctx, wid, "").Get(ctx, &res); err != nil || res.Answer == "" {
			b.Fatalf("task %s: %v %+v", wid, err, res)
		}
	}
	ask := func() string {
		t := p.startTask(key, map[string]any{"tenant": "bench-docs", "type": "ask", "input": map[string]any{"question": question}})
		return t.WorkflowID
	}
	// Warm up: the retrieval cache, the worker's sticky cache, connections.
	wait(ask())

	for i := 0; i < b.N; i++ {
		// Direct: retrieve + build the prompt + streamed, metered LLM call.
		direct := make([]time.Duration, assistantBenchTasks)
		for j := range direct {
			start := time.Now()
			docs, err := p.deps.Assistant.AssistantRetrieve(ctx, actassistant.RetrieveInput{Tenant: "bench-docs", Question: question, K: 5})
			if err != nil {
				b.Fatal(err)
			}
			msgs := assistant.AskMessages("bench-docs", question, docs.Sections)
			in := llm.CompleteInput{Tenant: "bench-docs", TaskID: "bench/direct", Step: fmt.Sprintf("%d-%d", i, j), Stream: true, MaxTokens: 1024}
			for _, m := range msgs {
				in.Messages = append(in.Messages, llm.Message{Role: m.Role, Content: m.Content})
			}
			res, err := p.deps.LLM.LLMComplete(ctx, in)
			if err != nil || res.Text == "" {
				b.Fatal(res, err)
			}
			_ = assistant.Citations(answer, docs.Sections)
			direct[j] = time.Since(start)
		}
		// Sequential tasks through the API and Temporal.
		seq := make([]time.Duration, assistantBenchTasks)
		post := make([]time.Duration, assistantBenchTasks)
		for j := range seq {
			start := time.Now()
			wid := ask()
			post[j] = time.Since(start)
			wait(wid)
			seq[j] = time.Since(start)
		}
		// Concurrent tasks: throughput.
		start := time.Now()
		var wg sync.WaitGroup
		for range assistantBenchTasks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				wait(ask())
			}()
		}
		wg.Wait()
		concurrent := time.Since(start)

		d50, s50, s95 := pct(direct, 50), pct(seq, 50), pct(seq, 95)
		b.ReportMetric(float64(d50.Microseconds())/1000, "direct-p50-ms")
		b.ReportMetric(float64(s50.Microseconds())/1000, "task-p50-ms")
		b.ReportMetric(float64(s95.Microseconds())/1000, "task-p95-ms")
		b.ReportMetric(float64((s50-d50).Microseconds())/1000, "overhead-p50-ms")
		b.ReportMetric(float64(pct(post, 50).Microseconds())/1000, "api-start-p50-ms")
		b.ReportMetric(float64(assistantBenchTasks)/concurrent.Seconds(), "concurrent-tasks/s")
		b.Logf("%d ask tasks on a zero-latency model: direct p50 %v, as a workflow p50 %v p95 %v (overhead p50 %v, of which the API's POST %v); %d concurrent in %v",
			assistantBenchTasks, d50, s50, s95, s50-d50, pct(post, 50), assistantBenchTasks, concurrent)
	}
}

func pct(ds []time.Duration, p int) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, len(s)*p/100)]
}
