package workers

import (
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	actassistant "github.com/rigger-platform/rigger/activities/assistant"
	"github.com/rigger-platform/rigger/activities/llm"
	"github.com/rigger-platform/rigger/activities/scaffold"
	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/internal/store"
	"github.com/rigger-platform/rigger/workflows"
)

// assistantHeartbeatThrottle is how often the SDK may send an assistant
// activity's heartbeat to the server. The LLM activity heartbeats the text
// streamed so far; the API reads it from the pending activity, so this is
// the latency of partial text as users see it. (The SDK's default is 0.8 ×
// HeartbeatTimeout, 8 s here.)
const assistantHeartbeatThrottle = time.Second

// queueOptions adjusts one task queue's worker options.
func queueOptions(queue string, o worker.Options) worker.Options {
	if queue == workflows.TaskQueueAssistant {
		o.MaxHeartbeatThrottleInterval = assistantHeartbeatThrottle
		o.DefaultHeartbeatThrottleInterval = assistantHeartbeatThrottle
	}
	return o
}

// buildAssistant wires the assistant activities from RIGGER_LLM_* and
// RIGGER_ASSISTANT_*. No LLM configured is not an error: the worker starts
// and assistant tasks fail at once with "assistant not configured". A
// malformed setting is an error, so a typo stops the worker.
func buildAssistant(st *store.Store, objects storage.Store, logger *slog.Logger) (*llm.Activities, *actassistant.Activities, error) {
	cfg, err := llm.ConfigFromEnv()
	if err != nil {
		return nil, nil, err
	}
	la, err := llm.New(cfg, st)
	if err != nil {
		return nil, nil, err
	}
	settings, err := actassistant.SettingsFromEnv()
	if err != nil {
		return nil, nil, fmt.Errorf("assistant: %w", err)
	}
	aa := &actassistant.Activities{Objects: objects, Settings: settings, LLMConfigured: la.Client != nil, LLMTimeout: cfg.Timeout}
	withScaffolderActions(aa)
	logger.Info("assistant", "llm", cfg, "configured", aa.LLMConfigured, "repair_rounds", settings.RepairRounds,
		"approval_timeout", settings.ApprovalTimeout, "top_k", settings.TopK)
	return la, aa, nil
}

// registerAssistant registers AssistantTask and its activities. Missing
// dependencies (tests, processes without an LLM) register unconfigured
// activities: calls fail with AssistantNotConfigured instead of the worker
// failing to find the activity.
func registerAssistant(w worker.Worker, d Dependencies) {
	workflows.RegisterAssistant(w)
	la := d.LLM
	if la == nil {
		la = &llm.Activities{}
	}
	aa := d.Assistant
	if aa == nil {
		aa = &actassistant.Activities{}
		if d.Storage != nil {
			aa.Objects = d.Storage.Store
		}
	}
	if aa.KnownActions == nil && aa.DryRunner == nil {
		cp := *aa
		withScaffolderActions(&cp)
		aa = &cp
	}
	for _, a := range []any{la, aa} {
		w.RegisterActivityWithOptions(a, activity.RegisterOptions{SkipInvalidStructFunctions: true})
	}
}

// withScaffolderActions validates drafted templates against the
// scaffolder's action registry: the actions it runs, and their input and
// output schemas for the dry run.
func withScaffolderActions(a *actassistant.Activities) {
	a.KnownActions = scaffold.ActionIDs()
	schemas := map[string]actassistant.ActionSchema{}
	for _, info := range scaffold.ListActions() {
		schemas[info.ID] = actassistant.ActionSchema{Input: info.Schema.Input, Output: info.Schema.Output}
	}
	a.DryRunner = actassistant.NewDryRunner(schemas)
}
