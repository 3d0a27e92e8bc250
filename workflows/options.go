package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Every activity call states its timeouts and retry policy here rather than
// relying on server defaults (unlimited retries would hide a broken step
// forever instead of compensating).
//
// HeartbeatTimeout is short because the worker heartbeats every running
// activity (see workers.HeartbeatInterceptor): a worker that dies is noticed
// within seconds and the activity is retried elsewhere.
const heartbeatTimeout = 10 * time.Second

func stepOptions(ctx workflow.Context, startToClose time.Duration) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: startToClose,
		HeartbeatTimeout:    heartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    30 * time.Second,
			MaximumAttempts:    5,
		},
	})
}

// undoOptions retries longer: an undo that gives up leaves a resource behind.
func undoOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		HeartbeatTimeout:    heartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
			MaximumAttempts:    10,
		},
	})
}

// Step durations. Git pushes and namespace creation talk to remote systems
// and get more time than local database work.
const (
	shortStep  = 30 * time.Second
	remoteStep = 2 * time.Minute
)
