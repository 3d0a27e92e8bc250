// Package llm holds the activities that call an OpenAI-compatible
// chat-completions endpoint for the assistant: metered per tenant, bounded
// by the plan's AI token budget, classified for Temporal's retries, and
// heartbeating partial text while a stream comes in.
package llm

import (
	"fmt"
	"time"

	"github.com/rigger-platform/rigger/internal/store"
)

// Activities calls the LLM for one worker. A nil Client (no LLM configured)
// is allowed: every call then fails with AssistantNotConfigured, so a
// worker starts and the rest of the platform works without an LLM.
type Activities struct {
	Client *Client
	Model  string
	// Store records usage events (metric ai_tokens) and, through the
	// default Budget, reads the tenant's plan and usage.
	Store *store.Store
	// Budget overrides PlanBudget{Store}.
	Budget Budget
	// DefaultMaxTokens caps an answer when the input sets no MaxTokens
	// (0: 1024), so a budget is never spent by one runaway reply.
	DefaultMaxTokens int
	// HeartbeatEvery is how often partial text is heartbeated (0: 1s); the
	// SDK batches further, sending at most every 0.8 × HeartbeatTimeout.
	HeartbeatEvery time.Duration
	// StreamIdleTimeout fails a stream that sends nothing for this long
	// (0: 60s), so a hung connection is retried rather than waited out.
	StreamIdleTimeout time.Duration
	// Now is the clock for budget periods (nil: time.Now).
	Now func() time.Time
}

// New wires the activities from configuration. An unconfigured Config
// gives Activities whose calls fail with AssistantNotConfigured; an invalid
// one is an error, so a typo stops the worker instead of the assistant.
func New(cfg Config, st *store.Store) (*Activities, error) {
	a := &Activities{Store: st, Model: cfg.Model}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !cfg.Configured() {
		return a, nil
	}
	c, err := NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("llm: %w", err)
	}
	a.Client = c
	return a, nil
}

// Message is one chat message.
type Message struct {
	Role    string // system | user | assistant
	Content string
}

// Roles accepted in Messages.
const (
	RoleSystem    = "system"
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// CompleteInput asks for one completion on behalf of a tenant's task.
type CompleteInput struct {
	Tenant string
	// TaskID names the task the tokens are billed to (the assistant
	// workflow ID); empty means the calling workflow's ID.
	TaskID string
	// Step names this call within the task ("answer", "draft-2"), making
	// the usage event ID; empty means the workflow run and activity ID,
	// which are the same for every retry of one scheduled call.
	Step      string
	Messages  []Message
	MaxTokens int
	Stream    bool
}

// CompleteResult is the model's answer and what it cost.
type CompleteResult struct {
	Text             string
	PromptTokens     int
	CompletionTokens int
	TotalTokens      int
	// FinishReason is the server's: "stop", "length" (hit MaxTokens or the
	// budget's remainder), "content_filter", ...
	FinishReason string
	Model        string
	// UsageEstimated is true when the server reported no usage (some
	// compatible servers do not, especially when streaming) and the
	// tokens were estimated from the text, about four bytes a token.
	UsageEstimated bool
}

// Progress is the activity's heartbeat: the text so far, and once the model
// has answered, the whole result. A workflow or the API reads it from the
// pending activity to show partial text; a retry reads it to resume.
type Progress struct {
	Text   string
	Result *CompleteResult `json:",omitempty"`
}

func (a *Activities) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}
