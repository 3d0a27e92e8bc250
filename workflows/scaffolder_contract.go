package workflows

import (
	"time"

	"github.com/rigger-platform/rigger/activities/scaffold"
)

// The scaffolder family: ScaffolderRun runs one Backstage software template
// (a "task" in Backstage's API); ScaffolderSlots is each tenant's semaphore
// that lets at most N runs of the tenant execute at once.

const TaskQueueScaffolder = "scaffolder"

const (
	ScaffolderRunWorkflow   = "ScaffolderRun"
	ScaffolderSlotsWorkflow = "ScaffolderSlots"
	KindScaffolder          = "scaffolder"
)

// ScaffoldWorkflowID is scaffold/<tenant>/<task>.
func ScaffoldWorkflowID(tenant, task string) string { return "scaffold/" + tenant + "/" + task }

// ScaffoldSlotsWorkflowID is the tenant's semaphore.
func ScaffoldSlotsWorkflowID(tenant string) string { return "scaffold-slots/" + tenant }

// Queries, updates and signals of the scaffolder family.
const (
	// QueryScaffoldEvents takes the last event ID seen (0 for all) and
	// returns []TaskEvent after it. QueryProgress returns ScaffoldProgress.
	QueryScaffoldEvents = "events"
	// UpdateApproval takes an ApprovalDecision and returns ApprovalResult;
	// it is rejected when no approval step is waiting.
	UpdateApproval = "approval"
	// QuerySlots returns SlotsState.
	QuerySlots = "slots"

	SignalSlotAcquire = "slot-acquire" // SlotRequest, to ScaffolderSlots
	SignalSlotRelease = "slot-release" // SlotRequest, to ScaffolderSlots
	SignalSlotGranted = "slot-granted" // to the run
	SignalSlotPing    = "slot-ping"    // to the run: fails when it is gone
)

// ScaffoldInput starts a run. The API resolved the template (Source is
// pinned: a git location at the commit of submission time).
type ScaffoldInput struct {
	Tenant       string          `json:"tenant"`
	TaskID       string          `json:"taskId"`
	TemplateRef  string          `json:"templateRef"`
	Source       scaffold.Source `json:"source"`
	TemplatePath string          `json:"templatePath"`
	Values       map[string]any  `json:"values"`
	// Secrets are the task's secrets (Backstage's; e.g. USER_OAUTH_TOKEN).
	// They are encrypted in histories when a payload codec is configured,
	// never logged, and never returned by the API.
	Secrets map[string]string `json:"secrets,omitempty"`
	User    string            `json:"user,omitempty"`
	DryRun  bool              `json:"dryRun,omitempty"`
	// EventBase numbers this run's events after a retried task's earlier
	// ones.
	EventBase int `json:"eventBase,omitempty"`
}

// Task and step statuses, as Backstage's task API names them, plus
// "undone" for a step whose effects a failed run reversed.
const (
	TaskOpen       = "open"
	TaskProcessing = "processing"
	TaskCompleted  = "completed"
	TaskFailed     = "failed"
	TaskCancelled  = "cancelled"
	TaskSkipped    = "skipped"
	TaskUndone     = "undone"
)

// TaskEvent is one event of a run, in Backstage's SerializedTaskEvent shape.
// Type is log, completion, cancelled or recovered.
type TaskEvent struct {
	ID        int            `json:"id"`
	TaskID    string         `json:"taskId"`
	Type      string         `json:"type"`
	Body      map[string]any `json:"body"`
	CreatedAt time.Time      `json:"createdAt"`
}

// ScaffoldStep is one step as the progress query shows it.
type ScaffoldStep struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Action    string     `json:"action"`
	Status    string     `json:"status"`
	StartedAt *time.Time `json:"startedAt,omitempty"`
	EndedAt   *time.Time `json:"endedAt,omitempty"`
	Error     string     `json:"error,omitempty"`
	Logs      []string   `json:"logs,omitempty"`
}

// PendingApproval is an approval step waiting for a decision.
type PendingApproval struct {
	StepID   string    `json:"stepId"`
	Message  string    `json:"message,omitempty"`
	Deadline time.Time `json:"deadline"`
}

// ScaffoldProgress answers QueryProgress and is the run's result.
type ScaffoldProgress struct {
	TaskID   string           `json:"taskId"`
	Tenant   string           `json:"tenant"`
	Status   string           `json:"status"`
	Stage    string           `json:"stage"`
	Steps    []ScaffoldStep   `json:"steps"`
	Output   map[string]any   `json:"output,omitempty"`
	Error    string           `json:"error,omitempty"`
	Approval *PendingApproval `json:"approval,omitempty"`
	// LastEventAt is when the run last reported anything (Backstage's
	// lastHeartbeatAt).
	LastEventAt time.Time `json:"lastEventAt"`
	Events      int       `json:"events"`
	// DryRun is a dry run's result.
	DryRun *scaffold.DryRunResult `json:"dryRun,omitempty"`
}

// ApprovalDecision approves or rejects the waiting approval step.
type ApprovalDecision struct {
	Approve bool   `json:"approve"`
	By      string `json:"by,omitempty"`
	Comment string `json:"comment,omitempty"`
}

// ApprovalResult says which step the decision applied to.
type ApprovalResult struct {
	StepID   string `json:"stepId"`
	Decision string `json:"decision"` // approved or rejected
}

// SlotRequest asks the tenant's semaphore for (or gives back) a slot.
type SlotRequest struct {
	WorkflowID string `json:"workflowId"`
	Limit      int    `json:"limit"`
}

// SlotsState is the semaphore's state (and its continue-as-new input).
type SlotsState struct {
	Tenant  string   `json:"tenant"`
	Limit   int      `json:"limit"`
	Holders []string `json:"holders"`
	Queue   []string `json:"queue"`
}

// Position is a run's place in the queue (1 = next), 0 when it holds a
// slot or is not waiting.
func (s SlotsState) Position(workflowID string) int {
	for i, q := range s.Queue {
		if q == workflowID {
			return i + 1
		}
	}
	return 0
}
