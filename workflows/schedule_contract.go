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
}

// TenantBackupsInput is empty for the scheduled run: every active tenant.
type TenantBackupsInput struct {
	Tenants []string
}

// DRDrillInput chooses the tenants to drill; empty means a configured sample.
type DRDrillInput struct {
	Tenants []string
	Sample  int
}
