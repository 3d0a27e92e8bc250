package workflows

import (
	"strings"

	techdocsacts "github.com/rigger-platform/rigger/activities/techdocs"
)

// The TechDocs family: TechDocsBuild fetches, builds, publishes and records
// one entity's site at one commit. It is started by POST /v1/techdocs/builds
// and by the GitHub and GitLab push webhooks.

// TaskQueueTechDocs serves TechDocs builds.
const TaskQueueTechDocs = "techdocs"

// TechDocsBuildWorkflow is the workflow type name.
const TechDocsBuildWorkflow = "TechDocsBuild"

// KindTechDocs is the RiggerKind of TechDocs builds.
const KindTechDocs = "techdocs"

// TechDocsWorkflowID is techdocs/<tenant>/<namespace>/<kind>/<name>/<commit>,
// lower-cased. One commit of one entity is one workflow ID, so a second
// request (a duplicate push, a webhook redelivery, a repeated API call) is
// refused by Temporal once the first run completed, or joins it while it
// runs.
func TechDocsWorkflowID(tenant, namespace, kind, name, commit string) string {
	return strings.ToLower("techdocs/" + tenant + "/" + namespace + "/" + kind + "/" + name + "/" + commit)
}

// TechDocs step names, in order.
const (
	StepTechDocsBuild   = "build"
	StepTechDocsPublish = "publish"
	StepTechDocsMeter   = "meter"
	StepTechDocsFinish  = "finish"
)

// TechDocsSteps lists the TechDocsBuild steps in order (StepRecord first).
var TechDocsSteps = []string{StepRecord, StepTechDocsBuild, StepTechDocsPublish, StepTechDocsMeter, StepTechDocsFinish}

// Trigger names, as recorded with each build.
const (
	TriggerAPI    = "api"
	TriggerGitHub = "github"
	TriggerGitLab = "gitlab"
)

// TechDocsBuildInput is what the API validated. The source holds no
// credentials (URLs with user info are refused); the worker has its own.
type TechDocsBuildInput struct {
	Tenant    string
	Namespace string
	Kind      string
	Name      string
	// Commit is the full commit SHA to build (git sources), or a label
	// (path sources). It is part of the workflow ID.
	Commit  string
	Source  techdocsacts.Source
	Strict  bool
	Trigger string
}

// Entity is "namespace/kind/name", lower-cased.
func (in TechDocsBuildInput) Entity() string {
	return strings.ToLower(in.Namespace + "/" + in.Kind + "/" + in.Name)
}

// TechDocsBuildResult is the workflow's result.
type TechDocsBuildResult struct {
	Tenant   string `json:"tenant"`
	Entity   string `json:"entity"`
	Commit   string `json:"commit"`
	Status   string `json:"status"` // published or superseded
	SiteName string `json:"siteName"`
	Pages    int    `json:"pages"`
	Files    int    `json:"files"`
	Deleted  int    `json:"deleted"`
	Warnings int    `json:"warnings"`
	// FirstWarnings are the first few warnings; the build record has all.
	FirstWarnings []string `json:"firstWarnings,omitempty"`
	Minutes       int64    `json:"minutes"`
}

// Error types of the workflow's own failure.
const (
	ErrTypeTechDocsBuildFailed = "TechDocsBuildFailed"
)
