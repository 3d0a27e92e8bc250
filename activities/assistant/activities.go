// Package assistant holds the AI-assistant activities other than the LLM
// call itself (activities/llm): retrieving a tenant's documentation
// sections, validating and committing drafted templates, and summarising a
// workflow run's history. Every method reads or writes only the calling
// tenant's data: storage through storage.Scoped, Temporal histories only
// after checking that the run belongs to the tenant.
package assistant

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/internal/scaffolder"
)

// Environment variables read by SettingsFromEnv.
const (
	EnvRepairRounds    = "RIGGER_ASSISTANT_REPAIR_ROUNDS"    // draft repair rounds after the first reply (default 3)
	EnvApprovalTimeout = "RIGGER_ASSISTANT_APPROVAL_TIMEOUT" // how long a draft awaits approval (default 72h)
	EnvTopK            = "RIGGER_ASSISTANT_TOP_K"            // sections retrieved per question (default 5)
)

// Error types of these activities, for workflows that branch on them.
const (
	ErrTypeInvalidInput   = "AssistantInvalidInput"
	ErrTypeRunNotFound    = "AssistantRunNotFound"   // no such run of this tenant (another tenant's looks the same)
	ErrTypeNotConfigured  = "AssistantNotConfigured" // the same type the LLM activity uses
	ErrTypeTemplateExists = "AssistantTemplateExists"
)

// Defaults of Settings.
const (
	DefaultRepairRounds    = 3
	DefaultApprovalTimeout = 72 * time.Hour
	DefaultTopK            = 5
)

// Settings tune the assistant tasks of a worker.
type Settings struct {
	RepairRounds    int
	ApprovalTimeout time.Duration
	TopK            int
}

// SettingsFromEnv reads the RIGGER_ASSISTANT_* variables, with defaults.
func SettingsFromEnv() (Settings, error) {
	s := Settings{RepairRounds: DefaultRepairRounds, ApprovalTimeout: DefaultApprovalTimeout, TopK: DefaultTopK}
	if v := os.Getenv(EnvRepairRounds); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 10 {
			return s, fmt.Errorf("%s=%q: want a number of rounds from 0 to 10", EnvRepairRounds, v)
		}
		s.RepairRounds = n
	}
	if v := os.Getenv(EnvApprovalTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return s, fmt.Errorf("%s=%q is not a positive duration", EnvApprovalTimeout, v)
		}
		s.ApprovalTimeout = d
	}
	if v := os.Getenv(EnvTopK); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 20 {
			return s, fmt.Errorf("%s=%q: want 1 to 20", EnvTopK, v)
		}
		s.TopK = n
	}
	return s, nil
}

// Activities serve the assistant task queue next to llm.Activities.
type Activities struct {
	// Objects is the platform's object store; every access goes through
	// storage.Scoped(Objects, tenant).
	Objects storage.Store
	// Temporal reads run histories for "explain"; nil means the worker's
	// own client (activity.GetClient).
	Temporal client.Client
	// Engine validates drafted templates; nil means a default engine.
	Engine *scaffolder.Engine
	// KnownActions are the actions a drafted template may use; nil means
	// scaffolder.RiggerActions.
	KnownActions []string
	// DryRunner checks drafted templates' rendered step inputs against the
	// action registry's schemas; nil renders them without schema checks.
	DryRunner *DryRunner
	Settings  Settings
	// LLMConfigured says whether the worker has an LLM endpoint, so a task
	// fails at once, before retrieving anything, when it has none.
	LLMConfigured bool
	// LLMTimeout is the LLM client's call timeout (0: llm.DefaultTimeout);
	// the workflow gives the call this long plus a margin.
	LLMTimeout time.Duration
}

func (a *Activities) engine() *scaffolder.Engine {
	if a.Engine != nil {
		return a.Engine
	}
	return defaultEngine
}

var defaultEngine = scaffolder.NewEngine(scaffolder.EngineOptions{})

func (a *Activities) actions() []string {
	if a.KnownActions != nil {
		return a.KnownActions
	}
	return scaffolder.RiggerActions
}

func (a *Activities) temporalClient(ctx context.Context) client.Client {
	if a.Temporal != nil {
		return a.Temporal
	}
	return activity.GetClient(ctx)
}

// SettingsInput is empty; the settings are the worker's.
type SettingsInput struct{}

// SettingsResult is what the workflow needs to know of the worker's
// configuration. It runs as a local activity, so it costs no round trip.
type SettingsResult struct {
	LLMConfigured   bool
	RepairRounds    int
	ApprovalTimeout time.Duration
	TopK            int
	Actions         []string
	LLMTimeout      time.Duration
}

// AssistantSettings reports the worker's assistant settings.
func (a *Activities) AssistantSettings(ctx context.Context, _ SettingsInput) (SettingsResult, error) {
	s := a.Settings
	if s.RepairRounds == 0 && s.ApprovalTimeout == 0 && s.TopK == 0 {
		s = Settings{RepairRounds: DefaultRepairRounds, ApprovalTimeout: DefaultApprovalTimeout, TopK: DefaultTopK}
	}
	if s.ApprovalTimeout <= 0 {
		s.ApprovalTimeout = DefaultApprovalTimeout
	}
	if s.TopK <= 0 {
		s.TopK = DefaultTopK
	}
	return SettingsResult{LLMConfigured: a.LLMConfigured, RepairRounds: s.RepairRounds, ApprovalTimeout: s.ApprovalTimeout,
		TopK: s.TopK, Actions: append([]string(nil), a.actions()...), LLMTimeout: a.LLMTimeout}, nil
}

func invalid(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), ErrTypeInvalidInput, nil)
}

func notConfigured(what string) error {
	return temporal.NewNonRetryableApplicationError("assistant not configured: "+what, ErrTypeNotConfigured, nil)
}
