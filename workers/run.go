package workers

import (
	"context"
	"fmt"
	"go.temporal.io/sdk/activity"
	"slices"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"

	billingacts "github.com/rigger-platform/rigger/activities/billing"
	techdocsacts "github.com/rigger-platform/rigger/activities/techdocs"
	"github.com/rigger-platform/rigger/workflows"
)

// AllTaskQueues lists the queues a worker serves when none are chosen.
var AllTaskQueues = []string{workflows.TaskQueueOnboarding, workflows.TaskQueueBilling, workflows.TaskQueueDR, workflows.TaskQueueAssistant, workflows.TaskQueueTechDocs, workflows.TaskQueueScaffolder}

// Options tune the workers of one process.
type Options struct {
	// TaskQueues to serve; empty means AllTaskQueues.
	TaskQueues []string
	// HeartbeatInterval of the automatic activity heartbeat (default 2s).
	HeartbeatInterval time.Duration
	// Identity shown in the Web UI (default: the SDK's host@pid).
	Identity string
}

// Start registers and starts one worker per task queue. Stop them with the
// returned function, which waits for in-flight activities to finish.
func Start(c client.Client, deps Dependencies, opts Options) (stop func(), err error) {
	queues := opts.TaskQueues
	if len(queues) == 0 {
		queues = AllTaskQueues
	}
	var started []worker.Worker
	stop = func() {
		for _, w := range started {
			w.Stop()
		}
	}
	for _, q := range queues {
		if !slices.Contains(AllTaskQueues, q) {
			stop()
			return nil, fmt.Errorf("unknown task queue %q (known: %v)", q, AllTaskQueues)
		}
		w := worker.New(c, q, queueOptions(q, worker.Options{
			Identity:                           opts.Identity,
			Interceptors:                       []interceptor.WorkerInterceptor{&HeartbeatInterceptor{Interval: opts.HeartbeatInterval}, &TenantLogInterceptor{}},
			WorkerStopTimeout:                  30 * time.Second,
			EnableSessionWorker:                false,
			MaxConcurrentActivityExecutionSize: 64,
		}))
		register(w, q, deps)
		if err := w.Start(); err != nil {
			stop()
			return nil, fmt.Errorf("start worker for %s: %w", q, err)
		}
		started = append(started, w)
	}
	return stop, nil
}

func register(w worker.Worker, queue string, d Dependencies) {
	switch queue {
	case workflows.TaskQueueOnboarding:
		workflows.RegisterTenant(w)
		for _, a := range []any{d.ControlPlane, d.TenantDB, d.Cache, d.Storage, d.Git, d.Kube, d.Argo} {
			w.RegisterActivityWithOptions(a, activity.RegisterOptions{SkipInvalidStructFunctions: true})
		}
	case workflows.TaskQueueTechDocs:
		workflows.RegisterTechDocs(w)
		acts := d.TechDocs
		if acts == nil { // unconfigured: every build fails as TechDocsNotConfigured
			acts = &techdocsacts.Activities{}
		}
		w.RegisterActivityWithOptions(acts, activity.RegisterOptions{SkipInvalidStructFunctions: true})
	case workflows.TaskQueueBilling:
		workflows.RegisterBilling(w)
		acts := d.Billing
		if acts == nil { // unconfigured: every call fails as BillingNotConfigured
			acts = &billingacts.Activities{}
		}
		w.RegisterActivityWithOptions(acts, activity.RegisterOptions{SkipInvalidStructFunctions: true})
	case workflows.TaskQueueAssistant:
		registerAssistant(w, d)
	case workflows.TaskQueueScaffolder:
		registerScaffolder(w, d)
	case workflows.TaskQueueDR:
		// Offboarding's final backup runs here too, as a TenantBackup
		// child, so the onboarding queue needs no backup activities.
		workflows.RegisterDR(w)
		for _, a := range []any{d.Backup, d.DR} {
			w.RegisterActivityWithOptions(a, activity.RegisterOptions{SkipInvalidStructFunctions: true})
		}
	}
}

// Run starts the workers and blocks until ctx is done, then drains them.
func Run(ctx context.Context, c client.Client, deps Dependencies, opts Options) error {
	stop, err := Start(c, deps, opts)
	if err != nil {
		return err
	}
	<-ctx.Done()
	stop()
	return nil
}
