package assistant

import (
	"fmt"
	"strings"
	"time"
)

// RunSummary is what the assistant knows of a workflow run: read from its
// history by an activity, reduced to what explains a failure (no inputs,
// results or payloads, which may hold tenant data or be encrypted).
type RunSummary struct {
	WorkflowID   string    `json:"workflowId"`
	RunID        string    `json:"runId"`
	WorkflowType string    `json:"workflowType"`
	TaskQueue    string    `json:"taskQueue,omitempty"`
	Status       string    `json:"status"` // Running, Completed, Failed, Canceled, Terminated, TimedOut, ...
	StartedAt    time.Time `json:"startedAt"`
	ClosedAt     time.Time `json:"closedAt,omitzero"`
	Stage        string    `json:"stage,omitempty"` // RiggerStage when set
	// Failure is the workflow's own failure (or cancel/terminate reason).
	Failure *Failure `json:"failure,omitempty"`
	// Failures are activity and child-workflow failures, in history order.
	Failures []StepFailure `json:"failures,omitempty"`
	// AfterFailure lists the activities scheduled after the first failure:
	// in Rigger's saga workflows, the compensation (undo) steps.
	AfterFailure []StepOutcome `json:"afterFailure,omitempty"`
	// Pending are activities still retrying (a run that is stuck).
	Pending []StepFailure `json:"pending,omitempty"`
	// Steps counts the activities that completed.
	Completed int `json:"completed"`
	// Truncated is set when the history had more failures than kept.
	Truncated bool `json:"truncated,omitempty"`
}

// Failure is one failure as Temporal records it, outermost first.
type Failure struct {
	Message      string `json:"message"`
	Type         string `json:"type,omitempty"` // application error type, or timeout/canceled/...
	NonRetryable bool   `json:"nonRetryable,omitempty"`
	Cause        string `json:"cause,omitempty"` // the innermost cause's message, when different
}

// StepFailure is an activity (or child workflow) that failed.
type StepFailure struct {
	Activity string  `json:"activity"`
	Attempt  int32   `json:"attempt,omitempty"`
	Failure  Failure `json:"failure"`
}

// StepOutcome is an activity and how it ended.
type StepOutcome struct {
	Activity string `json:"activity"`
	Outcome  string `json:"outcome"` // completed, failed, timed out, canceled, scheduled
	Error    string `json:"error,omitempty"`
}

// Failed reports whether there is anything to explain.
func (r RunSummary) Failed() bool {
	return r.Failure != nil || len(r.Failures) > 0 || len(r.Pending) > 0
}

const explainSystem = `You are a platform engineer on the Rigger developer platform (Temporal workflows provisioning Backstage portals for tenants). A user of the tenant %q asks why one of their workflow runs failed. From the summary of the run's history, explain in plain words: what failed and at which step, the most likely cause (quote the error), what the compensation (undo) steps did and whether anything may be left behind, and concrete next steps to fix it and run again. Do not invent facts that the summary does not support. Be concise.`

// ExplainMessages builds the "explain a run" prompt.
func ExplainMessages(tenant string, s RunSummary) []Message {
	return []Message{
		{Role: "system", Content: fmt.Sprintf(explainSystem, tenant)},
		{Role: "user", Content: "Explain this run and suggest a fix.\n\n" + FormatRunSummary(s)},
	}
}

// FormatRunSummary renders a summary as the text a model (or a person)
// reads.
func FormatRunSummary(s RunSummary) string {
	var b strings.Builder
	b.WriteString(fmt.Sprintf("Workflow %s (type %s, run %s) is %s.\n", s.WorkflowID, s.WorkflowType, s.RunID, s.Status))
	if !s.StartedAt.IsZero() {
		b.WriteString(fmt.Sprintf("Started %s", s.StartedAt.UTC().Format(time.RFC3339)))
		if !s.ClosedAt.IsZero() {
			b.WriteString(fmt.Sprintf(", closed %s (after %s)", s.ClosedAt.UTC().Format(time.RFC3339), s.ClosedAt.Sub(s.StartedAt).Round(time.Second)))
		}
		b.WriteString(".\n")
	}
	if s.Stage != "" {
		b.WriteString(fmt.Sprintf("Last recorded stage: %s.\n", s.Stage))
	}
	b.WriteString(fmt.Sprintf("Activities completed: %d.\n", s.Completed))
	if s.Failure != nil {
		b.WriteString(fmt.Sprintf("Workflow failure: %s\n", formatFailure(*s.Failure)))
	}
	if len(s.Failures) > 0 {
		b.WriteString("Failed steps (in order):\n")
		for _, f := range s.Failures {
			b.WriteString(fmt.Sprintf("- %s", f.Activity))
			if f.Attempt > 1 {
				b.WriteString(fmt.Sprintf(" (after %d attempts)", f.Attempt))
			}
			b.WriteString(fmt.Sprintf(": %s\n", formatFailure(f.Failure)))
		}
	}
	if len(s.Pending) > 0 {
		b.WriteString("Steps still retrying:\n")
		for _, f := range s.Pending {
			b.WriteString(fmt.Sprintf("- %s (attempt %d): %s\n", f.Activity, f.Attempt, formatFailure(f.Failure)))
		}
	}
	if len(s.AfterFailure) > 0 {
		b.WriteString("Steps run after the first failure (compensation):\n")
		for _, o := range s.AfterFailure {
			b.WriteString(fmt.Sprintf("- %s: %s", o.Activity, o.Outcome))
			if o.Error != "" {
				b.WriteString(fmt.Sprintf(" (%s)", o.Error))
			}
			b.WriteString("\n")
		}
	}
	if s.Truncated {
		b.WriteString("(more failures were recorded than shown)\n")
	}
	return b.String()
}

func formatFailure(f Failure) string {
	s := f.Message
	if f.Type != "" {
		s = "[" + f.Type + "] " + s
	}
	if f.NonRetryable {
		s += " (not retryable)"
	}
	if f.Cause != "" && f.Cause != f.Message {
		s += "; cause: " + f.Cause
	}
	return s
}
