package workflows

import (
	"go.temporal.io/sdk/workflow"
)

func workflowOptions(name string) workflow.RegisterOptions {
	return workflow.RegisterOptions{Name: name}
}

// Registrar is the part of worker.Worker (and of the test environment) that
// registers workflows.
type Registrar interface {
	RegisterWorkflowWithOptions(w interface{}, options workflow.RegisterOptions)
}

// RegisterTenant registers the onboarding family under its fixed names.
func RegisterTenant(r Registrar) {
	r.RegisterWorkflowWithOptions(TenantOnboarding, workflowOptions(TenantOnboardingWorkflow))
	r.RegisterWorkflowWithOptions(TenantOffboarding, workflowOptions(TenantOffboardingWorkflow))
}

// RegisterBilling registers the billing family under its fixed names.
func RegisterBilling(r Registrar) {
	r.RegisterWorkflowWithOptions(BillingCycle, workflowOptions(BillingCycleWorkflow))
	r.RegisterWorkflowWithOptions(TenantInvoice, workflowOptions(TenantInvoiceWorkflow))
}

// RegisterDR registers the backup and disaster-recovery family under its
// fixed names.
func RegisterDR(r Registrar) {
	r.RegisterWorkflowWithOptions(TenantBackup, workflowOptions(TenantBackupWorkflow))
	r.RegisterWorkflowWithOptions(TenantBackups, workflowOptions(TenantBackupsWorkflow))
	r.RegisterWorkflowWithOptions(DRDrill, workflowOptions(DRDrillWorkflow))
	r.RegisterWorkflowWithOptions(DRDrillTenant, workflowOptions(DRDrillTenantWorkflow))
	r.RegisterWorkflowWithOptions(TenantRestore, workflowOptions(TenantRestoreWorkflow))
}

// RegisterAssistant registers the assistant family under its fixed names.
func RegisterAssistant(r Registrar) {
	r.RegisterWorkflowWithOptions(AssistantTask, workflowOptions(AssistantTaskWorkflow))
}

// RegisterScaffolder registers the scaffolder family under its fixed names.
func RegisterScaffolder(r Registrar) {
	r.RegisterWorkflowWithOptions(ScaffolderRun, workflowOptions(ScaffolderRunWorkflow))
	r.RegisterWorkflowWithOptions(ScaffolderSlots, workflowOptions(ScaffolderSlotsWorkflow))
}

// RegisterAll registers every family, as a replayer of recorded histories
// needs (a worker registers only the families of the queues it serves).
func RegisterAll(r Registrar) {
	RegisterTenant(r)
	RegisterBilling(r)
	RegisterDR(r)
	RegisterAssistant(r)
	RegisterScaffolder(r)
	RegisterTechDocs(r)
}
