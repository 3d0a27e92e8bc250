package scaffolder

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"sort"
	"sync"
	"testing"
	"time"
)

// The rendering benchmark (make bench): files per second for the largest
// skeletons of the corpus, rendered by this engine and, in the same run, by
// nunjucks on Node.js configured as Backstage configures it, with the same
// values. Both sides read every file from disk, check it for binary content
// and render its path and contents, as fetch:template does; Node skips the
// directory walk and glob matching, which the Go side includes.

// benchSkeletons is how many of the largest skeletons (by file count) run.
const benchSkeletons = 5

func largestSkeletonJobs(tb testing.TB) []skeletonJob {
	seen := map[string]bool{}
	var jobs []skeletonJob
	for _, j := range corpusSkeletonJobs(tb) {
		key := j.ct.root + "/" + j.dir
		if seen[key] {
			continue
		}
		seen[key] = true
		jobs = append(jobs, j)
	}
	count := func(j skeletonJob) int {
		plan, _ := planDir(j.ct.fsys, j.dir, j.opts, SkeletonLimits{}.withDefaults())
		n := 0
		for _, p := range plan {
			if !p.dir {
				n++
			}
		}
		return n
	}
	sort.SliceStable(jobs, func(a, b int) bool { return count(jobs[a]) > count(jobs[b]) })
	if len(jobs) > benchSkeletons {
		jobs = jobs[:benchSkeletons]
	}
	return jobs
}

type nodeRate struct {
	Files          int     `json:"files"`
	Seconds        float64 `json:"seconds"`
	FilesPerSecond float64 `json:"filesPerSecond"`
}

var (
	nodeMu      sync.Mutex
	nodeResults = map[string]nodeRate{}
)

// runNodeBench renders jobs with nunjucks for a few seconds, once per set of
// jobs per process (the benchmark function is called several times).
func runNodeBench(tb testing.TB, key string, jobs []skeletonJob) (nodeRate, error) {
	nodeMu.Lock()
	defer nodeMu.Unlock()
	if r, ok := nodeResults[key]; ok {
		return r, nil
	}
	node := nodeAvailable(tb)
	var nj []nodeJob
	for _, j := range jobs {
		nj = append(nj, toNodeJob(tb, j))
	}
	secs := os.Getenv("RIGGER_BENCH_NODE_SECONDS")
	if secs == "" {
		secs = "2"
	}
	out, err := exec.Command(node, "bench/render.js", "bench", writeJobs(tb, nj), secs).Output()
	if err != nil {
		return nodeRate{}, err
	}
	var r nodeRate
	if err := json.Unmarshal(out, &r); err != nil {
		return r, err
	}
	nodeResults[key] = r
	return r, nil
}

func BenchmarkRenderVsNunjucks(b *testing.B) {
	jobs := largestSkeletonJobs(b)
	b.Run("all", func(b *testing.B) { benchJobs(b, "all", jobs) })
	for _, j := range jobs {
		b.Run(j.ct.name+"/"+j.dir, func(b *testing.B) { benchJobs(b, j.id+j.dir, []skeletonJob{j}) })
	}
}

func benchJobs(b *testing.B, key string, jobs []skeletonJob) {
	e := NewEngine(EngineOptions{})
	ctx := context.Background()
	filesPerOp, bytesPerOp := 0, 0
	for _, j := range jobs {
		files, err := e.RenderDir(ctx, j.ct.fsys, j.dir, j.opts)
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range files {
			if !f.Dir {
				filesPerOp++
				bytesPerOp += len(f.Data)
			}
		}
	}
	b.SetBytes(int64(bytesPerOp))
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		for _, j := range jobs {
			if _, err := e.RenderDir(ctx, j.ct.fsys, j.dir, j.opts); err != nil {
				b.Fatal(err)
			}
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	goRate := float64(filesPerOp*b.N) / elapsed.Seconds()
	b.ReportMetric(goRate, "go-files/s")
	b.ReportMetric(float64(filesPerOp), "files/op")
	nr, err := runNodeBench(b, key, jobs)
	if err != nil {
		b.Logf("nunjucks run failed: %v", err)
		return
	}
	b.ReportMetric(nr.FilesPerSecond, "nunjucks-files/s")
	b.ReportMetric(goRate/nr.FilesPerSecond, "go/nunjucks")
}
