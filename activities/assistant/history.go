package assistant

import (
	"context"
	"errors"
	"fmt"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/internal/assistant"
	"github.com/rigger-platform/rigger/internal/tenant"
)

// Search attribute names the tenant check reads (the workflows package
// defines them; repeated here because activities do not import workflows).
const (
	saTenant = "RiggerTenant"
	saStage  = "RiggerStage"
)

// Bounds on what a summary keeps.
const (
	maxSummaryFailures = 20
	maxSummaryAfter    = 30
	maxMessageBytes    = 600
	maxHistoryEvents   = 20000
)

// RunSummaryInput names the run to explain and the tenant asking.
type RunSummaryInput struct {
	Tenant     string
	WorkflowID string
	RunID      string // empty: the latest run
}

// AssistantRunSummary reads a run's history and reduces it to its
// failures. It first checks that the run belongs to the tenant — its
// RiggerTenant search attribute, or for runs without one the tenant segment
// of its ID ("onboard/<tenant>", "scaffold/<tenant>/...") — and answers
// another tenant's run exactly like a missing one, before reading anything
// of it.
func (a *Activities) AssistantRunSummary(ctx context.Context, in RunSummaryInput) (assistant.RunSummary, error) {
	if err := tenant.ValidateSlug(in.Tenant); err != nil {
		return assistant.RunSummary{}, invalid("tenant: %v", err)
	}
	if in.WorkflowID == "" || len(in.WorkflowID) > 1000 {
		return assistant.RunSummary{}, invalid("workflow ID must have 1 to 1000 characters")
	}
	c := a.temporalClient(ctx)
	notFound := temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("no workflow %q of tenant %q", in.WorkflowID, in.Tenant), ErrTypeRunNotFound, nil)
	desc, err := c.DescribeWorkflowExecution(ctx, in.WorkflowID, in.RunID)
	var nf *serviceerror.NotFound
	var ia *serviceerror.InvalidArgument
	switch {
	case errors.As(err, &nf), errors.As(err, &ia):
		return assistant.RunSummary{}, notFound
	case err != nil:
		return assistant.RunSummary{}, err
	}
	info := desc.GetWorkflowExecutionInfo()
	if !OwnedBy(info, in.WorkflowID, in.Tenant) {
		activity.GetLogger(ctx).Warn("explain refused: run of another tenant", "tenant", in.Tenant, "workflow_id", in.WorkflowID)
		return assistant.RunSummary{}, notFound
	}
	s := assistant.RunSummary{
		WorkflowID: in.WorkflowID, RunID: info.GetExecution().GetRunId(), WorkflowType: info.GetType().GetName(),
		TaskQueue: info.GetTaskQueue(), Status: statusName(info.GetStatus()), Stage: keyword(info.GetSearchAttributes(), saStage),
	}
	if t := info.GetStartTime(); t != nil {
		s.StartedAt = t.AsTime()
	}
	if t := info.GetCloseTime(); t != nil {
		s.ClosedAt = t.AsTime()
	}
	for _, p := range desc.GetPendingActivities() {
		if p.GetLastFailure() == nil {
			continue
		}
		s.Pending = append(s.Pending, assistant.StepFailure{Activity: p.GetActivityType().GetName(), Attempt: p.GetAttempt(), Failure: failureOf(p.GetLastFailure())})
	}
	if err := summarise(ctx, a, &s); err != nil {
		return assistant.RunSummary{}, err
	}
	return s, nil
}

// OwnedBy decides whether a run belongs to the tenant: by its RiggerTenant
// search attribute when it has one, else by the tenant segment of its
// workflow ID. Anything else (no attribute, an ID of another shape) is
// refused.
func OwnedBy(info *workflowpb.WorkflowExecutionInfo, workflowID, slug string) bool {
	if t := keyword(info.GetSearchAttributes(), saTenant); t != "" {
		return t == slug
	}
	parts := strings.Split(workflowID, "/")
	return len(parts) >= 2 && parts[1] == slug
}

func keyword(sa *commonpb.SearchAttributes, name string) string {
	p, ok := sa.GetIndexedFields()[name]
	if !ok {
		return ""
	}
	var s string
	if err := converter.GetDefaultDataConverter().FromPayload(p, &s); err != nil {
		var l []string // a Keyword list
		if converter.GetDefaultDataConverter().FromPayload(p, &l) == nil && len(l) == 1 {
			return l[0]
		}
		return ""
	}
	return s
}

func statusName(st enumspb.WorkflowExecutionStatus) string {
	name := strings.TrimPrefix(st.String(), "WorkflowExecutionStatus")
	name = strings.TrimPrefix(name, "WORKFLOW_EXECUTION_STATUS_")
	if name == "" {
		return "Unknown"
	}
	return name
}

// summarise walks the history: activity failures, timeouts and the steps
// scheduled after the first failure (compensation), child failures, and the
// workflow's own end.
func summarise(ctx context.Context, a *Activities, s *assistant.RunSummary) error {
	it := a.temporalClient(ctx).GetWorkflowHistory(ctx, s.WorkflowID, s.RunID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	scheduled := map[int64]string{} // scheduled event ID → activity type
	attempts := map[int64]int32{}   // scheduled event ID → attempt of the last start
	after := map[int64]int{}        // scheduled event ID → index in s.AfterFailure
	failedYet := false
	outcome := func(sched int64, what, msg string) {
		if i, ok := after[sched]; ok {
			s.AfterFailure[i].Outcome, s.AfterFailure[i].Error = what, clip(msg)
		}
	}
	addFailure := func(f assistant.StepFailure) {
		failedYet = true
		if len(s.Failures) >= maxSummaryFailures {
			s.Truncated = true
			return
		}
		s.Failures = append(s.Failures, f)
	}
	for n := 0; it.HasNext(); n++ {
		if n >= maxHistoryEvents {
			s.Truncated = true
			break
		}
		ev, err := it.Next()
		if err != nil {
			return err
		}
		id := ev.GetEventId()
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			name := ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()
			scheduled[id] = name
			if failedYet {
				if len(s.AfterFailure) < maxSummaryAfter {
					after[id] = len(s.AfterFailure)
					s.AfterFailure = append(s.AfterFailure, assistant.StepOutcome{Activity: name, Outcome: "scheduled"})
				} else {
					s.Truncated = true
				}
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			at := ev.GetActivityTaskStartedEventAttributes()
			attempts[at.GetScheduledEventId()] = at.GetAttempt()
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			s.Completed++
			outcome(ev.GetActivityTaskCompletedEventAttributes().GetScheduledEventId(), "completed", "")
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED:
			at := ev.GetActivityTaskFailedEventAttributes()
			f := failureOf(at.GetFailure())
			if _, ok := after[at.GetScheduledEventId()]; ok {
				outcome(at.GetScheduledEventId(), "failed", f.Message)
				continue
			}
			addFailure(assistant.StepFailure{Activity: scheduled[at.GetScheduledEventId()], Attempt: attempts[at.GetScheduledEventId()], Failure: f})
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
			at := ev.GetActivityTaskTimedOutEventAttributes()
			f := failureOf(at.GetFailure())
			if _, ok := after[at.GetScheduledEventId()]; ok {
				outcome(at.GetScheduledEventId(), "timed out", f.Message)
				continue
			}
			addFailure(assistant.StepFailure{Activity: scheduled[at.GetScheduledEventId()], Attempt: attempts[at.GetScheduledEventId()], Failure: f})
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
			outcome(ev.GetActivityTaskCanceledEventAttributes().GetScheduledEventId(), "canceled", "")
		case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
			at := ev.GetChildWorkflowExecutionFailedEventAttributes()
			addFailure(assistant.StepFailure{Activity: "child workflow " + at.GetWorkflowType().GetName() + " " + at.GetWorkflowExecution().GetWorkflowId(), Failure: failureOf(at.GetFailure())})
		case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
			at := ev.GetChildWorkflowExecutionTimedOutEventAttributes()
			addFailure(assistant.StepFailure{Activity: "child workflow " + at.GetWorkflowType().GetName() + " " + at.GetWorkflowExecution().GetWorkflowId(), Failure: assistant.Failure{Message: "timed out", Type: "timeout"}})
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
			f := failureOf(ev.GetWorkflowExecutionFailedEventAttributes().GetFailure())
			s.Failure = &f
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
			s.Failure = &assistant.Failure{Message: "the workflow run timed out", Type: "timeout"}
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
			s.Failure = &assistant.Failure{Message: "terminated by an operator: " + clip(ev.GetWorkflowExecutionTerminatedEventAttributes().GetReason()), Type: "terminated"}
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
			failedYet = true // what runs next is the cancellation's cleanup
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
			s.Failure = &assistant.Failure{Message: "the run was cancelled", Type: "canceled"}
		}
	}
	return nil
}

// failureOf keeps a failure's message and application error type, looking
// through the wrappers Temporal adds (an activity or child workflow failure
// whose cause is the real error); stack traces and details payloads are
// dropped.
func failureOf(f *failurepb.Failure) assistant.Failure {
	if f == nil {
		return assistant.Failure{}
	}
	prefix := ""
unwrap:
	for depth := 0; depth < 16 && f.GetCause() != nil; depth++ {
		switch {
		case f.GetActivityFailureInfo() != nil:
			prefix += "in activity " + f.GetActivityFailureInfo().GetActivityType().GetName() + ": "
		case f.GetChildWorkflowExecutionFailureInfo() != nil:
			prefix += "in child workflow " + f.GetChildWorkflowExecutionFailureInfo().GetWorkflowType().GetName() + ": "
		default:
			break unwrap
		}
		f = f.GetCause()
	}
	out := assistant.Failure{Message: clip(prefix + f.GetMessage())}
	switch {
	case f.GetApplicationFailureInfo() != nil:
		out.Type, out.NonRetryable = f.GetApplicationFailureInfo().GetType(), f.GetApplicationFailureInfo().GetNonRetryable()
	case f.GetTimeoutFailureInfo() != nil:
		out.Type = "timeout:" + strings.TrimPrefix(f.GetTimeoutFailureInfo().GetTimeoutType().String(), "TIMEOUT_TYPE_")
	case f.GetCanceledFailureInfo() != nil:
		out.Type = "canceled"
	}
	inner := f
	for depth := 0; inner.GetCause() != nil && depth < 16; depth++ {
		inner = inner.GetCause()
	}
	if inner != f {
		out.Cause = clip(inner.GetMessage())
	}
	return out
}

func clip(s string) string { return assistant.Clip(s, maxMessageBytes) }
