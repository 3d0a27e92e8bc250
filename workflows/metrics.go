package workflows

import (
	"errors"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Counting in workflow code is replay-safe: a metric is not a command, so
// it changes no history, and the SDK's handler drops what a replay emits,
// so a run is counted when it ends, not again when a worker replays it.
// (A workflow task that fails after counting and is retried counts again:
// at least once, like the SDK's own workflow counters.)
//
// The counts are not deferred, on purpose: when the SDK evicts a workflow
// from its cache it unwinds the workflow's goroutine with runtime.Goexit,
// which runs deferred calls, and a deferred count would record every
// evicted run (a worker restart, cache pressure) as completed. Each way out
// of a run's top-level function calls endRun instead.

// endRun counts the end of a run in MetricRuns and returns err unchanged,
// for `return res, endRun(ctx, KindX, err)`.
func endRun(ctx workflow.Context, kind string, err error) error {
	return endSaga(ctx, kind, err, false)
}

// endSaga is endRun for a run that undoes its steps when it fails:
// rolledBack says every undo it ran succeeded, which makes a failure
// RunCompensated.
func endSaga(ctx workflow.Context, kind string, err error, rolledBack bool) error {
	var cont *workflow.ContinueAsNewError
	if errors.As(err, &cont) {
		return err // not an end: the run goes on as a new one
	}
	inc(ctx, MetricRuns, map[string]string{LabelKind: kind, LabelResult: runResultOf(err, rolledBack)})
	return err
}

// runResultOf is the Run* result of a run that ended with err.
func runResultOf(err error, rolledBack bool) string {
	switch {
	case err == nil:
		return RunCompleted
	case temporal.IsCanceledError(err):
		return RunCancelled
	case rolledBack:
		return RunCompensated
	}
	return RunFailed
}

// countOutcome counts one backup or drill (MetricBackups, MetricDrills).
func countOutcome(ctx workflow.Context, metric, outcome string) {
	inc(ctx, metric, map[string]string{LabelResult: outcome})
}

// outcomeOf is the Outcome* of a run that ended with err.
func outcomeOf(err error) string {
	switch {
	case err == nil:
		return OutcomeSucceeded
	case temporal.IsCanceledError(err):
		return OutcomeCancelled
	}
	return OutcomeFailed
}

func inc(ctx workflow.Context, metric string, labels map[string]string) {
	h := workflow.GetMetricsHandler(ctx)
	if len(labels) > 0 {
		h = h.WithTags(labels)
	}
	h.Counter(metric).Inc(1)
}
