package workflows

import (
	"time"
)

// The backup and disaster-recovery family, on TaskQueueDR: TenantBackup (one
// verified backup of one tenant), TenantBackups (the scheduled fan-out),
// DRDrill with one DRDrillTenant child per tenant, and TenantRestore (the
// admin restore). The scheduled workflow types and inputs live in
// schedule_contract.go with the other scheduled families.

// Workflow types of the family besides the scheduled ones.
const (
	TenantBackupWorkflow  = "TenantBackup"
	DRDrillTenantWorkflow = "DRDrillTenant"
	TenantRestoreWorkflow = "TenantRestore"
)

// KindRestore is the RiggerKind of TenantRestore runs.
const KindRestore = "restore"

// BackupStamp is the minute a backup stands for, as it appears in backup
// IDs and workflow IDs: "20261103-0200".
func BackupStamp(t time.Time) string { return t.UTC().Format("20060102-1504") }

// FinalBackupID is the ID of the backup offboarding takes.
func FinalBackupID(stamp string) string { return "final-" + stamp }

// BackupWorkflowID is "backup/<slug>/<backup ID>": one run per tenant and
// minute (the scheduled fan-out and a request in the same minute are the
// same backup).
func BackupWorkflowID(slug, backupID string) string { return "backup/" + slug + "/" + backupID }

// BackupsWorkflowID is the ID of a fan-out started outside the schedule.
func BackupsWorkflowID(stamp string) string { return "backups/" + stamp }

// DrillIDForDate is the drill ID of the scheduled drill of a day; the API
// gives the drills it starts DrillIDForRequest. Drill IDs never contain a
// slash, so they are one URL path segment.
func DrillIDForDate(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// DrillIDForRequest names a drill requested at t
// ("2026-11-03T101500.123Z").
func DrillIDForRequest(t time.Time) string { return t.UTC().Format("2006-01-02T150405.000Z") }

// DrillWorkflowID is "drill/<drill ID>".
func DrillWorkflowID(drillID string) string { return "drill/" + drillID }

// DrillTenantWorkflowID is the per-tenant child: "drill/<drill ID>/<slug>".
func DrillTenantWorkflowID(drillID, slug string) string { return "drill/" + drillID + "/" + slug }

// RestoreWorkflowID is "restore/<slug>": one restore of a tenant at a time.
func RestoreWorkflowID(slug string) string { return "restore/" + slug }

// Defaults of the fan-outs. Each TenantBackup holds up to three database
// connections while it dumps (see backup.Activities.Parallel), and each
// drill child as many while it restores.
const (
	DefaultBackupMaxInFlight   = 4
	DefaultDrillMaxInFlight    = 4
	DefaultBackupContinueEvery = 200
	// drPageSize is how many tenants one DRListTenants call returns.
	drPageSize = 100
)

// TenantBackup step names, in order.
const (
	StepBackupDump      = "dump"
	StepBackupVerify    = "verify"
	StepBackupRetention = "retention"
	StepBackupRetain    = "retain"
)

// BackupSteps and FinalBackupSteps list the TenantBackup steps: a final
// backup (offboarding) is kept under the retained prefix instead of pruning.
var (
	BackupSteps      = []string{StepBackupDump, StepBackupVerify, StepBackupRetention}
	FinalBackupSteps = []string{StepBackupDump, StepBackupVerify, StepBackupRetain}
)

// Error types of the family's own failures.
const (
	ErrTypeDRInvalidInput       = "DRInvalidInput"
	ErrTypeBackupNotVerified    = "BackupNotVerified"
	ErrTypeBackupFailed         = "TenantBackupFailed"
	ErrTypeDrillFailed          = "DRDrillFailed"
	ErrTypeRestoreNotVerified   = "RestoreNotVerified"
	ErrTypeRestoreFailed        = "TenantRestoreFailed"
	ErrTypeDRListFailed         = "DRListFailed"
	ErrTypeDrillRecordingFailed = "DRDrillRecordingFailed"
)

// TenantBackupInput names the tenant. BackupID and TakenAt are chosen by the
// starter so that its workflow ID and the backup agree; empty, they derive
// from the run's start (workflow time) and run ID.
type TenantBackupInput struct {
	Slug     string
	Reason   string    // "scheduled", "api", "offboarding", ...
	BackupID string    `json:",omitempty"`
	TakenAt  time.Time `json:",omitempty"`
	// Final is offboarding's backup: verified like any other, then copied
	// under the retained prefix (it must outlive the tenant's prefix), and
	// no retention runs. A tenant without a schema has nothing to back up:
	// the result says Skipped instead of failing the offboarding forever.
	Final bool `json:",omitempty"`
}

// TenantBackupResult describes the verified backup.
type TenantBackupResult struct {
	Tenant     string    `json:"tenant"`
	BackupID   string    `json:"backupId"`
	TakenAt    time.Time `json:"takenAt"`
	SnapshotAt time.Time `json:"snapshotAt"`
	Tables     int       `json:"tables"`
	Rows       int64     `json:"rows"`
	DataBytes  int64     `json:"dataBytes"`
	Bytes      int64     `json:"bytes"`
	Verified   bool      `json:"verified"`
	// Pruned and Kept are retention's outcome (backup IDs).
	Pruned []string `json:"pruned,omitempty"`
	Kept   []string `json:"kept,omitempty"`
	// RetainedAt is where a final backup was kept (unscoped storage key
	// prefix).
	RetainedAt string `json:"retainedAt,omitempty"`
	// Skipped explains why nothing was backed up (final backups only).
	Skipped string `json:"skipped,omitempty"`
	// ScratchLeft names a verification schema that could not be dropped.
	ScratchLeft string `json:"scratchLeft,omitempty"`
}

// DRTenantFailure is one tenant a fan-out could not back up.
type DRTenantFailure struct {
	Tenant string `json:"tenant"`
	Error  string `json:"error"`
	Type   string `json:"type,omitempty"`
}

// TenantBackupsCarry is what a TenantBackups run hands to its continuation.
type TenantBackupsCarry struct {
	Stamp    string
	After    string
	BackedUp []string
	Failed   []DRTenantFailure
	Runs     int
}

// TenantBackupsResult lists, in slug order, every tenant backed up and
// every one that failed. A failed tenant does not stop the others; the run
// alerts (DRAlert) when any failed.
type TenantBackupsResult struct {
	Stamp    string            `json:"stamp"`
	BackedUp []string          `json:"backedUp"`
	Failed   []DRTenantFailure `json:"failed"`
	Runs     int               `json:"runs"`
	Alerted  bool              `json:"alerted"`
}

// DRDrillTenantInput is one tenant of a drill. BackupID empty means the
// tenant's latest complete backup.
type DRDrillTenantInput struct {
	DrillID      string
	Slug         string
	BackupID     string `json:",omitempty"`
	RPOObjective time.Duration
}

// DrillTenantResult is one tenant's outcome, as recorded in
// rigger.drill_results.
type DrillTenantResult struct {
	Tenant     string    `json:"tenant"`
	BackupID   string    `json:"backupId,omitempty"`
	OK         bool      `json:"ok"`
	SnapshotAt time.Time `json:"snapshotAt,omitempty"`
	// RTO is restore plus verify time (workflow clock, so retries and
	// queueing count); RestoreTime the restore activity's own time.
	RTO         time.Duration `json:"rto"`
	RestoreTime time.Duration `json:"restoreTime"`
	// RPO is the backup's age at the drill: drill time − snapshot time.
	RPO      time.Duration `json:"rpo"`
	Tables   int           `json:"tables"`
	Rows     int64         `json:"rows"`
	Problems []string      `json:"problems,omitempty"`
	// ScratchDropped is false only when the scratch copy could not be
	// dropped (named in Problems).
	ScratchDropped bool `json:"scratchDropped"`
}

// DRDrillCarry is what a DRDrill run hands to its continuation.
type DRDrillCarry struct {
	DrillID    string
	StartedAt  time.Time
	After      string
	Summary    DrillSummary
	Sample     int
	Population int
	Runs       int
}

// DrillSummary aggregates a drill's tenants; it is the report stored with
// the drill (per-tenant rows are in rigger.drill_results).
type DrillSummary struct {
	Tenants int `json:"tenants"`
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	// FailedTenants lists the first failures (up to maxReportFailures).
	FailedTenants []DrillFailure `json:"failedTenants"`
	MaxRTO        time.Duration  `json:"maxRtoNs"`
	MaxRPO        time.Duration  `json:"maxRpoNs"`
	RPOObjective  time.Duration  `json:"rpoObjectiveNs"`
}

// DrillFailure is one failed tenant in a drill's report.
type DrillFailure struct {
	Tenant   string   `json:"tenant"`
	BackupID string   `json:"backupId,omitempty"`
	Problems []string `json:"problems"`
}

// DrillReport is the drill's result and the report stored with it.
type DrillReport struct {
	DrillID    string       `json:"drillId"`
	WorkflowID string       `json:"workflowId"`
	Status     string       `json:"status"` // store.DrillPassed, DrillFailed, DrillCancelled
	StartedAt  time.Time    `json:"startedAt"`
	FinishedAt time.Time    `json:"finishedAt"`
	Sample     int          `json:"sample,omitempty"`
	Population int          `json:"population,omitempty"` // active tenants a sample was drawn from
	Summary    DrillSummary `json:"summary"`
	Alerted    bool         `json:"alerted"`
	AlertError string       `json:"alertError,omitempty"`
	Runs       int          `json:"runs"`
}

// maxReportFailures bounds the failures a report (and alert) names.
const maxReportFailures = 100

// TenantRestoreInput names the backup to put in place of the tenant's live
// schema.
type TenantRestoreInput struct {
	Slug     string
	BackupID string
	Reason   string `json:",omitempty"`
}

// TenantRestoreResult says where the data went.
type TenantRestoreResult struct {
	Tenant   string `json:"tenant"`
	BackupID string `json:"backupId"`
	Schema   string `json:"schema"`
	// AsideSchema holds the live data the restore replaced, for an operator
	// to inspect and drop.
	AsideSchema string        `json:"asideSchema,omitempty"`
	Tables      int           `json:"tables"`
	Rows        int64         `json:"rows"`
	Duration    time.Duration `json:"duration"`
}
