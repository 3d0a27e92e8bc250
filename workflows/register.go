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
