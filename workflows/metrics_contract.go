package workflows

// Rigger's own Prometheus metrics. Workflows emit them through
// workflow.GetMetricsHandler, so they reach each worker's /metrics the way
// the SDK's metrics do (workers.SDKMetrics: tally with Prometheus naming),
// with the SDK's namespace, task_queue and workflow_type labels added to the
// ones below. The names are the exported Prometheus names, exactly what
// deploy/grafana/rigger-dashboard.json queries; workers/metrics_test.go
// checks the exported series against the dashboard.
const (
	// MetricRuns counts runs that ended, by LabelKind (the run's RiggerKind)
	// and LabelResult (RunCompleted, RunFailed, RunCompensated,
	// RunCancelled), one per workflow execution: a fan-out (a billing
	// cycle, nightly backups, a drill) and each of its children count
	// separately, told apart by workflow_type. A run that continues as new
	// is counted once, when its last run ends; a run that is terminated or
	// times out runs no code and is not counted (temporal_workflow_* has
	// those). ScaffolderSlots, a semaphore rather than a run, is not counted.
	MetricRuns = "rigger_runs_total"
	// MetricBackups counts TenantBackup runs (one tenant's backup) by
	// LabelResult: OutcomeSucceeded (taken and verified), OutcomeSkipped (a
	// final backup with no data left), OutcomeFailed, OutcomeCancelled.
	MetricBackups = "rigger_backups_total"
	// MetricDrills counts DR drills (DRDrill runs, not the per-tenant
	// children) by LabelResult: OutcomeSucceeded (every tenant passed),
	// OutcomeFailed, OutcomeCancelled.
	MetricDrills = "rigger_drills_total"
	// MetricBillingInvoices counts invoices issued: written for the first
	// time for their tenant and period (a re-run finds them and does not
	// count them again).
	MetricBillingInvoices = "rigger_billing_invoices_total"
)

// Label keys of Rigger's metrics.
const (
	LabelKind   = "kind"
	LabelResult = "result"
)

// Results of MetricRuns.
const (
	RunCompleted = "completed"
	RunFailed    = "failed"
	// RunCompensated: the run failed and undid every step it had done (a
	// saga that left nothing behind). A failed run whose undo also failed,
	// or that had nothing to undo, is RunFailed.
	RunCompensated = "compensated"
	RunCancelled   = "cancelled"
)

// Results of MetricBackups and MetricDrills.
const (
	OutcomeSucceeded = "succeeded"
	OutcomeFailed    = "failed"
	OutcomeCancelled = "cancelled"
	OutcomeSkipped   = "skipped"
)
