// Package workflows holds Rigger's deterministic workflow code, one file per
// family, and the contracts (task queues, IDs, query names, search attribute
// keys, inputs and results) that the API, the starter and the workers share.
package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
)

// Task queues, one per domain so each scales and fails alone.
const (
	TaskQueueOnboarding = "onboarding"
)

// Workflow type names, fixed so that renaming a Go function cannot strand
// running workflows.
const (
	TenantOnboardingWorkflow  = "TenantOnboarding"
	TenantOffboardingWorkflow = "TenantOffboarding"
)

// Kinds, as recorded in the RiggerKind search attribute.
const (
	KindOnboarding  = "onboarding"
	KindOffboarding = "offboarding"
)

// QueryProgress returns a Progress value.
const QueryProgress = "progress"

// Search attributes, registered by the dev server and by `rigger setup` on a
// real cluster.
var (
	SearchTenant = temporal.NewSearchAttributeKeyKeyword("RiggerTenant")
	SearchKind   = temporal.NewSearchAttributeKeyKeyword("RiggerKind")
	SearchStage  = temporal.NewSearchAttributeKeyKeyword("RiggerStage")
)

// SearchAttributeNames lists every Rigger search attribute (all Keyword).
var SearchAttributeNames = []string{"RiggerTenant", "RiggerKind", "RiggerStage"}

// OnboardWorkflowID is readable and deterministic so a repeated request is
// de-duplicated by Temporal and an operator can type it in the Web UI.
func OnboardWorkflowID(slug string) string { return "onboard/" + slug }

// OffboardWorkflowID is the offboarding counterpart.
func OffboardWorkflowID(slug string) string { return "offboard/" + slug }

// OnboardingInput is what the API validated and hands to the workflow. It
// holds no secrets: credentials are derived inside activities from refs.
type OnboardingInput struct {
	Slug        string
	DisplayName string
	Plan        string
	Owner       string
	Admins      []string
	Plugins     []string
}

// OffboardingInput names the tenant to remove.
type OffboardingInput struct {
	Slug   string
	Reason string
}

// Step states.
const (
	StepPending            = "pending"
	StepRunning            = "running"
	StepDone               = "done"
	StepFailed             = "failed"
	StepSkipped            = "skipped"
	StepCompensating       = "compensating"
	StepCompensated        = "compensated"
	StepCompensationFailed = "compensation-failed"
)

// StepState is one step of a tenant workflow as operators see it.
type StepState struct {
	Name      string     `json:"name"`
	State     string     `json:"state"`
	Detail    string     `json:"detail,omitempty"`
	Error     string     `json:"error,omitempty"`
	StartedAt *time.Time `json:"startedAt,omitempty"`
	EndedAt   *time.Time `json:"endedAt,omitempty"`
}

// Progress is the answer to QueryProgress and the workflows' result.
type Progress struct {
	Tenant string      `json:"tenant"`
	Kind   string      `json:"kind"`
	Status string      `json:"status"` // running, active, failed, cancelled, deleted
	Stage  string      `json:"stage"`
	Error  string      `json:"error,omitempty"`
	Steps  []StepState `json:"steps"`
}

// Onboarding step names, in order.
const (
	StepRecord     = "record"
	StepDatabase   = "database"
	StepCache      = "cache"
	StepStorage    = "storage"
	StepGit        = "git"
	StepKubernetes = "kubernetes"
	StepArgoCD     = "argocd"
	StepBilling    = "billing"
	StepActivate   = "activate"
)

// Offboarding step names, in order.
const (
	StepMarkOffboarding = "mark-offboarding"
	StepFinalBackup     = "final-backup"
	StepMarkDeleted     = "mark-deleted"
)
