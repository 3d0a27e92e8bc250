package workflows

import (
	"strings"
	"time"

	actassistant "github.com/rigger-platform/rigger/activities/assistant"
	"github.com/rigger-platform/rigger/internal/assistant"
)

// The assistant family: one AssistantTask workflow per task a tenant asks
// of the AI assistant (ask the docs, draft a template, explain a run).

// TaskQueueAssistant serves AssistantTask and its activities (retrieval,
// template validation, history reading and the LLM call).
const TaskQueueAssistant = "assistant"

// AssistantTaskWorkflow is the workflow type name.
const AssistantTaskWorkflow = "AssistantTask"

// KindAssistant is recorded in RiggerKind.
const KindAssistant = "assistant"

// Task types.
const (
	AssistAsk     = "ask"
	AssistDraft   = "draft"
	AssistExplain = "explain"
)

// SignalAssistantDecision carries an AssistantDecision to a draft that
// awaits approval.
const SignalAssistantDecision = "assistant-decision"

// AssistantWorkflowID is "assist/<tenant>/<id>": readable, and bound to the
// tenant, so a task ID of one tenant can never name another's task.
func AssistantWorkflowID(tenant, id string) string { return "assist/" + tenant + "/" + id }

// AssistantTaskID is the API's name for a task, "<tenant>.<id>": one path
// segment (slugs have no dots) from which the tenant is read back.
func AssistantTaskID(tenant, id string) string { return tenant + "." + id }

// ParseAssistantTaskID splits an API task ID into tenant and id; ok is false
// for anything that is not exactly "<tenant>.<id>" with a safe id.
func ParseAssistantTaskID(taskID string) (tenant, id string, ok bool) {
	tenant, id, ok = strings.Cut(taskID, ".")
	if !ok || tenant == "" || len(id) < 4 || len(id) > 64 {
		return "", "", false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return "", "", false
		}
	}
	return tenant, id, true
}

// Assistant error types (application errors of the workflow itself; the
// LLM activity's types, such as AssistantNotConfigured and
// AIBudgetExhausted, pass through unchanged).
const (
	ErrTypeAssistantInvalidInput  = actassistant.ErrTypeInvalidInput
	ErrTypeAssistantNotConfigured = actassistant.ErrTypeNotConfigured // = llm.ErrTypeNotConfigured
	ErrTypeAssistantDraftInvalid  = "AssistantDraftInvalid"
	ErrTypeAssistantRunNotFound   = actassistant.ErrTypeRunNotFound
)

// AssistantInput is what the API validated and hands to the workflow.
type AssistantInput struct {
	Tenant string
	Type   string // ask | draft | explain
	Input  AssistantTaskInput
	// RepairRounds and ApprovalTimeout override the worker's settings
	// (RIGGER_ASSISTANT_REPAIR_ROUNDS, RIGGER_ASSISTANT_APPROVAL_TIMEOUT);
	// zero means the worker's. RepairRounds < 0 means none.
	RepairRounds    int           `json:",omitempty"`
	ApprovalTimeout time.Duration `json:",omitempty"`
	// RequestedBy names who asked (principal ID), for the record.
	RequestedBy string `json:",omitempty"`
}

// AssistantTaskInput holds the one field the type needs.
type AssistantTaskInput struct {
	Question    string `json:"question,omitempty"`
	Description string `json:"description,omitempty"`
	WorkflowID  string `json:"workflowId,omitempty"`
}

// AssistantDecision approves or rejects a draft proposal. ProposalID must
// be that of the proposal awaiting approval (read from the progress query),
// so a decision sent before the proposal existed, or about an earlier one,
// cannot approve something nobody saw.
type AssistantDecision struct {
	ProposalID string `json:"proposalId"`
	Approve    bool   `json:"approve"`
	By         string `json:"by,omitempty"`
	Reason     string `json:"reason,omitempty"`
}

// Assistant task statuses (AssistantProgress.Status).
const (
	AssistStatusRunning  = "running"
	AssistStatusAwaiting = "awaiting-approval"
	AssistStatusDone     = "completed"
	AssistStatusRejected = "rejected"
	AssistStatusExpired  = "expired"
	AssistStatusFailed   = "failed"
	AssistStatusCanceled = "cancelled"
)

// Assistant stages (AssistantProgress.Stage and RiggerStage).
const (
	AssistStageRetrieve = "retrieve"
	AssistStageAnswer   = "answer"
	AssistStageDraft    = "draft"
	AssistStageValidate = "validate"
	AssistStageApproval = "awaiting-approval"
	AssistStageCommit   = "commit"
	AssistStageHistory  = "read-history"
	AssistStageExplain  = "explain"
)

// Decisions recorded in AssistantResult.Decision.
const (
	DecisionApproved = "approved"
	DecisionRejected = "rejected"
	DecisionExpired  = "expired"
)

// Citation is a documentation section an answer used.
type Citation = assistant.Citation

// RunSummary is a run as the explain task read it.
type RunSummary = assistant.RunSummary

// TemplateProposal is a drafted template.
type TemplateProposal struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	YAML string `json:"yaml"`
	// Round is the draft round (1 = first reply) that produced it.
	Round int `json:"round"`
	// Valid is false while (or when) the scaffolder still finds Problems.
	Valid    bool     `json:"valid"`
	Problems []string `json:"problems,omitempty"`
	// Location is where approval commits it, in the tenant's storage.
	Location string `json:"location,omitempty"`
}

// AssistantResult is the workflow's result.
type AssistantResult struct {
	Type string `json:"type"`
	// Answer is the model's answer (ask), or its explanation (explain).
	Answer    string     `json:"answer,omitempty"`
	Citations []Citation `json:"citations,omitempty"`
	// Proposal, Decision and CommittedTo are the draft's.
	Proposal    *TemplateProposal `json:"proposal,omitempty"`
	Decision    string            `json:"decision,omitempty"`
	DecidedBy   string            `json:"decidedBy,omitempty"`
	Reason      string            `json:"reason,omitempty"`
	CommittedTo string            `json:"committedTo,omitempty"`
	// Run is the explained run's summary.
	Run *RunSummary `json:"run,omitempty"`
	// Tokens spent by the task (all LLM calls), as metered.
	Tokens int `json:"tokens"`
}

// AssistantProgress answers QueryProgress on an AssistantTask.
type AssistantProgress struct {
	Tenant string `json:"tenant"`
	Type   string `json:"type"`
	Status string `json:"status"`
	Stage  string `json:"stage"`
	// Round of the draft loop (1-based) and the most it may take.
	Round     int `json:"round,omitempty"`
	MaxRounds int `json:"maxRounds,omitempty"`
	// LLMCalls counts the model calls made so far.
	LLMCalls int    `json:"llmCalls"`
	Tokens   int    `json:"tokens"`
	Error    string `json:"error,omitempty"`
	// ErrorType is the application error type of Error.
	ErrorType string `json:"errorType,omitempty"`
	// Proposal is the current draft (awaiting approval once Valid).
	Proposal *TemplateProposal `json:"proposal,omitempty"`
	// ApprovalDeadline is when an unanswered proposal expires.
	ApprovalDeadline *time.Time       `json:"approvalDeadline,omitempty"`
	Result           *AssistantResult `json:"result,omitempty"`
}
