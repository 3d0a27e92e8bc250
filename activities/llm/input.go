package llm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"go.temporal.io/sdk/activity"

	"github.com/rigger-platform/rigger/internal/tenant"
)

// maxPromptBytes bounds the messages of one call. Far above any model's
// context window, it only stops a runaway prompt builder from shipping
// megabytes through the history and to the endpoint.
const maxPromptBytes = 1 << 20

func validate(ctx context.Context, in CompleteInput) error {
	if err := tenant.ValidateSlug(in.Tenant); err != nil {
		return nonRetryable(ErrTypeInvalidInput, "tenant: %v", err)
	}
	if len(in.Messages) == 0 {
		return nonRetryable(ErrTypeInvalidInput, "no messages")
	}
	size := 0
	for i, m := range in.Messages {
		switch m.Role {
		case RoleSystem, RoleUser, RoleAssistant:
		default:
			return nonRetryable(ErrTypeInvalidInput, "message %d: role %q is not system, user or assistant", i, m.Role)
		}
		size += len(m.Content)
	}
	if size > maxPromptBytes {
		return nonRetryable(ErrTypeInvalidInput, "messages total %d bytes, more than %d", size, maxPromptBytes)
	}
	if in.MaxTokens < 0 {
		return nonRetryable(ErrTypeInvalidInput, "negative MaxTokens %d", in.MaxTokens)
	}
	if !activity.IsActivity(ctx) && (in.TaskID == "" || in.Step == "") {
		return nonRetryable(ErrTypeInvalidInput, "outside a workflow, TaskID and Step must name the call for metering")
	}
	return nil
}

// usageEventID names the call's usage event. It must be the same for every
// attempt of one call and different for different calls:
//
//   - TaskID (default: workflow ID) scopes it to the task;
//   - Step (default: run ID + activity ID) picks the call within it. The
//     server keeps the activity ID across retries of one scheduled
//     activity, and the run ID tells apart runs that reuse the workflow ID
//     (continue-as-new, reset), whose activity IDs start over.
//
// The attempt number is deliberately not in it. A retry that follows a
// failure to record finds the first attempt's answer in its heartbeat and
// records that (nothing is called twice). A retry after a lost completion
// (worker crash after recording) does call again, and that second call is
// not billed: the tenant pays for one answer per step, and the platform
// absorbs its own crashes.
func usageEventID(ctx context.Context, in CompleteInput) string {
	task, step := in.TaskID, in.Step
	if activity.IsActivity(ctx) {
		info := activity.GetInfo(ctx)
		if task == "" {
			task = info.WorkflowExecution.ID
		}
		if step == "" {
			step = info.WorkflowExecution.RunID + "/" + info.ActivityID
		}
	}
	id := "ai/" + task + "/" + step
	if len(id) > 200 { // the column's limit; hashing keeps it unique
		sum := sha256.Sum256([]byte(id))
		id = "ai/sha256/" + hex.EncodeToString(sum[:])
	}
	return id
}
