package workflows

// Task queues of the scheduled families.
const (
	TaskQueueBilling = "billing"
	TaskQueueDR      = "dr"
)

// Kinds of the scheduled families, as recorded in RiggerKind.
const (
	KindBilling = "billing"
	KindBackup  = "backup"
	KindDrill   = "drill"
)

// Scheduled workflow types, started by Temporal Schedules.
const (
	BillingCycleWorkflow  = "BillingCycle"
	TenantBackupsWorkflow = "TenantBackups"
	DRDrillWorkflow       = "DRDrill"
)

// Schedule IDs, as operators see them in the Web UI's Schedules page.
const (
	ScheduleBillingCycle  = "billing-cycle"
	ScheduleTenantBackups = "tenant-backups"
	ScheduleDRDrill       = "dr-drill"
)

// BillingCycleInput names the period to bill ("2026-10"); empty means the
// month before the run's start time, which is what the monthly schedule wants.
type BillingCycleInput struct {
	Period string
	// MaxInFlight bounds the TenantInvoice children running at once (0:
	// DefaultBillingMaxInFlight); ContinueEvery is how many tenants a run
	// handles before it continues as new (0: DefaultBillingContinueEvery).
	MaxInFlight   int `json:",omitempty"`
	ContinueEvery int `json:",omitempty"`
	// Carry is set by the workflow itself when it continues as new.
	Carry *BillingCycleCarry `json:",omitempty"`
}

// TenantBackupsInput is empty for the scheduled run: every active tenant.
type TenantBackupsInput struct {
	Tenants []string
	// MaxInFlight bounds the TenantBackup children at once (0:
	// DefaultBackupMaxInFlight); ContinueEvery is how many tenants a run
	// handles before it continues as new (0: DefaultBackupContinueEvery).
	MaxInFlight   int `json:",omitempty"`
	ContinueEvery int `json:",omitempty"`
	// Carry is set by the workflow itself when it continues as new.
	Carry *TenantBackupsCarry `json:",omitempty"`
}

// DRDrillInput chooses the tenants to drill; empty means a configured sample.
type DRDrillInput struct {
	Tenants []string
	Sample  int
	// DrillID names the drill (the API sets DrillIDForRequest); empty means
	// DrillIDForDate of the run's start, which is what the schedule wants.
	DrillID string `json:",omitempty"`
	// MaxInFlight bounds the DRDrillTenant children at once (0:
	// DefaultDrillMaxInFlight); ContinueEvery as in TenantBackupsInput.
	MaxInFlight   int `json:",omitempty"`
	ContinueEvery int `json:",omitempty"`
	// Carry is set by the workflow itself when it continues as new.
	Carry *DRDrillCarry `json:",omitempty"`
}
