package argocd

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"
	"github.com/argoproj/argo-cd/v2/pkg/client/clientset/versioned/fake"
	"github.com/argoproj/gitops-engine/pkg/health"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// heartbeats records every RecordHeartbeat call through a worker
// interceptor (the environment's heartbeat listener only sees the throttled
// ones that would reach the server) and lets a test wait for a given one.
type heartbeats struct {
	interceptor.WorkerInterceptorBase
	mu   sync.Mutex
	seen []WaitHealthyResult
	ch   chan struct{}
}

func newHeartbeats() *heartbeats { return &heartbeats{ch: make(chan struct{}, 1)} }

func (h *heartbeats) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &hbInbound{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, h: h}
}

type hbInbound struct {
	interceptor.ActivityInboundInterceptorBase
	h *heartbeats
}

func (i *hbInbound) Init(out interceptor.ActivityOutboundInterceptor) error {
	return i.Next.Init(&hbOutbound{ActivityOutboundInterceptorBase: interceptor.ActivityOutboundInterceptorBase{Next: out}, h: i.h})
}

type hbOutbound struct {
	interceptor.ActivityOutboundInterceptorBase
	h *heartbeats
}

func (o *hbOutbound) RecordHeartbeat(ctx context.Context, details ...any) {
	if st, ok := details[0].(WaitHealthyResult); ok {
		o.h.mu.Lock()
		o.h.seen = append(o.h.seen, st)
		o.h.mu.Unlock()
		select {
		case o.h.ch <- struct{}{}:
		default:
		}
	}
	o.Next.RecordHeartbeat(ctx, details...)
}

// await blocks until a heartbeat satisfying ok was recorded.
func (h *heartbeats) await(t *testing.T, what string, ok func(WaitHealthyResult) bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		h.mu.Lock()
		for _, st := range h.seen {
			if ok(st) {
				h.mu.Unlock()
				return
			}
		}
		h.mu.Unlock()
		select {
		case <-h.ch:
		case <-deadline:
			t.Errorf("no heartbeat showed %s", what)
			return
		}
	}
}

func activityEnv(a *Activities, h *heartbeats, bg context.Context) *testsuite.TestActivityEnvironment {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.SetWorkerOptions(worker.Options{BackgroundActivityContext: bg, Interceptors: []interceptor.WorkerInterceptor{h}})
	// Configured is not an activity; workers register the struct the same way.
	env.RegisterActivityWithOptions(a, activity.RegisterOptions{SkipInvalidStructFunctions: true})
	return env
}

// setStatus plays the ArgoCD controller.
func setStatus(t *testing.T, cs *fake.Clientset, sync v1alpha1.SyncStatusCode, hs health.HealthStatusCode, revision string) {
	app, err := cs.ArgoprojV1alpha1().Applications(DefaultNamespace).Get(ctx, "tenant-acme", metav1.GetOptions{})
	if err != nil {
		t.Error(err)
		return
	}
	app.Status.Sync = v1alpha1.SyncStatus{
		Status:     sync,
		Revision:   "sha-" + revision,
		ComparedTo: v1alpha1.ComparedTo{Source: v1alpha1.ApplicationSource{RepoURL: app.Spec.Source.RepoURL, Path: app.Spec.Source.Path, TargetRevision: revision}},
	}
	app.Status.Health = v1alpha1.HealthStatus{Status: hs}
	if _, err := cs.ArgoprojV1alpha1().Applications(DefaultNamespace).Update(ctx, app, metav1.UpdateOptions{}); err != nil {
		t.Error(err)
	}
}

func TestWaitHealthyFollowsTheRollout(t *testing.T) {
	a, cs := newActivities()
	createApp(t, a, "acme", "v1")
	setStatus(t, cs, v1alpha1.SyncStatusCodeSynced, health.HealthStatusHealthy, "v1")
	createApp(t, a, "acme", "v2") // roll out v2; the status still describes v1
	h := newHeartbeats()
	env := activityEnv(a, h, context.Background())

	go func() {
		h.await(t, "the stale v1 status", func(s WaitHealthyResult) bool { return s.Revision == "sha-v1" && s.Health == "Healthy" })
		setStatus(t, cs, v1alpha1.SyncStatusCodeOutOfSync, health.HealthStatusProgressing, "v2")
		h.await(t, "OutOfSync/Progressing", func(s WaitHealthyResult) bool { return s.Sync == "OutOfSync" && s.Health == "Progressing" })
		setStatus(t, cs, v1alpha1.SyncStatusCodeSynced, health.HealthStatusProgressing, "v2")
		h.await(t, "Synced/Progressing", func(s WaitHealthyResult) bool { return s.Sync == "Synced" && s.Health == "Progressing" })
		setStatus(t, cs, v1alpha1.SyncStatusCodeSynced, health.HealthStatusHealthy, "v2")
	}()

	val, err := env.ExecuteActivity(a.ArgoWaitHealthy, WaitHealthyInput{Slug: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	var res WaitHealthyResult
	if err := val.Get(&res); err != nil {
		t.Fatal(err)
	}
	if res != (WaitHealthyResult{Sync: "Synced", Health: "Healthy", Revision: "sha-v2"}) {
		t.Fatalf("result = %+v", res)
	}
}

func TestWaitHealthyStopsOnCancellation(t *testing.T) {
	a, _ := newActivities()
	createApp(t, a, "acme", "v1") // never becomes healthy
	h := newHeartbeats()
	bg, cancel := context.WithCancel(context.Background())
	env := activityEnv(a, h, bg)
	go func() {
		h.await(t, "a first poll", func(WaitHealthyResult) bool { return true })
		cancel()
	}()
	start := time.Now()
	_, err := env.ExecuteActivity(a.ArgoWaitHealthy, WaitHealthyInput{Slug: "acme"})
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
}

func TestWaitHealthyStopsAtTheDeadline(t *testing.T) {
	a, _ := newActivities()
	createApp(t, a, "acme", "v1")
	// The background context's deadline stands in for start-to-close.
	bg, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	env := activityEnv(a, newHeartbeats(), bg)
	_, err := env.ExecuteActivity(a.ArgoWaitHealthy, WaitHealthyInput{Slug: "acme"})
	var timeout *temporal.TimeoutError
	if !errors.As(err, &timeout) {
		t.Fatalf("want a timeout, got %v", err)
	}
}

func TestWaitHealthyWithoutApplication(t *testing.T) {
	a, _ := newActivities()
	env := activityEnv(a, newHeartbeats(), context.Background())
	_, err := env.ExecuteActivity(a.ArgoWaitHealthy, WaitHealthyInput{Slug: "acme"})
	appError(t, err, ErrTypeAppNotFound, false)
}

func TestWaitHealthyRefusesForeignApplication(t *testing.T) {
	app := foreignApp("acme", map[string]string{"rigger.dev/tenant": "globex"})
	app.Status.Sync.Status = v1alpha1.SyncStatusCodeSynced
	app.Status.Health.Status = health.HealthStatusHealthy
	a, _ := newActivities(app)
	env := activityEnv(a, newHeartbeats(), context.Background())
	_, err := env.ExecuteActivity(a.ArgoWaitHealthy, WaitHealthyInput{Slug: "acme"})
	appError(t, err, ErrTypeForeignApp, false)
}

// Created must mean "this run created it" across attempts, so compensation
// deletes what the run made and never what existed before it.
func TestCreatedSurvivesRetries(t *testing.T) {
	create := func(a *Activities) CreateApplicationResult {
		t.Helper()
		env := activityEnv(a, newHeartbeats(), context.Background()) // one workflow run
		val, err := env.ExecuteActivity(a.ArgoCreateApplication, CreateApplicationInput{Slug: "acme", RepoURL: "https://git.example.com/acme.git"})
		if err != nil {
			t.Fatal(err)
		}
		var res CreateApplicationResult
		if err := val.Get(&res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	a, _ := newActivities()
	if !create(a).Created || !create(a).Created {
		t.Fatal("a retry of the creating run lost Created")
	}
	a, _ = newActivities()
	createApp(t, a, "acme", "main") // before, and outside, the run
	if create(a).Created {
		t.Fatal("a pre-existing application reported as created")
	}
}
