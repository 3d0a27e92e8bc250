package workflows

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	actassistant "github.com/rigger-platform/rigger/activities/assistant"
	"github.com/rigger-platform/rigger/activities/llm"
	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/internal/assistant"
)

// assistEnv is the SDK's test environment with AssistantTask, the LLM
// activity mocked by a scripted model, and the real assistant activities
// over a local object store (so validation and commit are the real ones);
// retrieval and run summaries are mocked per test where needed.
type assistEnv struct {
	*testsuite.TestWorkflowEnvironment
	t       *testing.T
	objects storage.Store
	acts    *actassistant.Activities

	mu      sync.Mutex
	replies []string // the model's replies, in order; the last repeats
	prompts [][]llm.Message
}

func newAssistEnv(t *testing.T, settings actassistant.SettingsResult) *assistEnv {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	objects, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := &assistEnv{TestWorkflowEnvironment: env, t: t, objects: objects,
		acts: &actassistant.Activities{Objects: objects, LLMConfigured: true}}
	RegisterAssistant(env)
	env.RegisterActivityWithOptions(&llm.Activities{}, activity.RegisterOptions{SkipInvalidStructFunctions: true})
	env.RegisterActivityWithOptions(e.acts, activity.RegisterOptions{SkipInvalidStructFunctions: true})
	if settings.Actions == nil {
		settings.Actions = []string{"fetch:template", "publish:github", "catalog:register", "debug:log"}
	}
	env.OnActivity(asActs.AssistantSettings, mock.Anything, mock.Anything).Return(settings, nil)
	env.OnActivity(llmActs.LLMComplete, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in llm.CompleteInput) (llm.CompleteResult, error) {
			e.mu.Lock()
			defer e.mu.Unlock()
			if in.Tenant == "" || !in.Stream {
				t.Errorf("LLM input %+v: want the tenant and streaming", in)
			}
			e.prompts = append(e.prompts, in.Messages)
			if len(e.replies) == 0 {
				return llm.CompleteResult{}, errors.New("the test scripted no reply")
			}
			text := e.replies[0]
			if len(e.replies) > 1 {
				e.replies = e.replies[1:]
			}
			return llm.CompleteResult{Text: text, TotalTokens: 100, FinishReason: "stop"}, nil
		}).Maybe()
	return e
}

func (e *assistEnv) script(replies ...string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.replies = replies
}

func (e *assistEnv) calls() [][]llm.Message {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([][]llm.Message(nil), e.prompts...)
}

func (e *assistEnv) progress() AssistantProgress {
	e.t.Helper()
	v, err := e.QueryWorkflow(QueryProgress)
	if err != nil {
		e.t.Fatal(err)
	}
	var p AssistantProgress
	if err := v.Get(&p); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *assistEnv) result() (AssistantResult, error) {
	e.t.Helper()
	if !e.IsWorkflowCompleted() {
		e.t.Fatal("workflow did not complete")
	}
	var r AssistantResult
	err := e.GetWorkflowError()
	if err == nil {
		err = e.GetWorkflowResult(&r)
	}
	return r, err
}

var defaultSettings = actassistant.SettingsResult{LLMConfigured: true, RepairRounds: 3, ApprovalTimeout: time.Hour, TopK: 5}

var docs = []assistant.Section{
	{Title: "Creating a database", PageTitle: "Databases", Location: "default/component/platform/databases/#creating", Text: "Run the postgres template from the portal."},
	{Title: "Backups", PageTitle: "Databases", Location: "default/component/platform/databases/#backups", Text: "Backups run nightly."},
	{Title: "Quotas", PageTitle: "Limits", Location: "default/component/platform/limits/#quotas", Text: "Each tenant gets ten databases."},
}

func appErrType(t *testing.T, err error, want string) *temporal.ApplicationError {
	t.Helper()
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || ae.Type() != want {
		t.Fatalf("want application error %s, got %v", want, err)
	}
	return ae
}

func TestAssistantAskAnswersWithCitations(t *testing.T) {
	e := newAssistEnv(t, defaultSettings)
	e.OnActivity(asActs.AssistantRetrieve, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in actassistant.RetrieveInput) (actassistant.RetrieveResult, error) {
			if in.Tenant != "acme" || in.K != 5 {
				t.Errorf("retrieve input %+v", in)
			}
			return actassistant.RetrieveResult{Sections: docs, IndexSize: 42}, nil
		}).Once()
	e.script("Use the postgres template [1]; you may have ten of them [3].")
	e.ExecuteWorkflow(AssistantTask, AssistantInput{Tenant: "acme", Type: AssistAsk, Input: AssistantTaskInput{Question: "How do I get a database?"}})
	res, err := e.result()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Answer, "postgres template") || res.Tokens != 100 {
		t.Errorf("result %+v", res)
	}
	if len(res.Citations) != 2 || res.Citations[0].URL != "/docs/default/component/platform/databases/#creating" ||
		res.Citations[1].Title != "Limits › Quotas" {
		t.Errorf("citations %+v", res.Citations)
	}
	prompts := e.calls()
	if len(prompts) != 1 {
		t.Fatalf("%d LLM calls", len(prompts))
	}
	user := prompts[0][1].Content
	for _, want := range []string{"[1] Databases › Creating a database", "Run the postgres template", "[3] Limits › Quotas", "Question: How do I get a database?"} {
		if !strings.Contains(user, want) {
			t.Errorf("prompt lacks %q:\n%s", want, user)
		}
	}
	if p := e.progress(); p.Status != AssistStatusDone || p.Stage != AssistStatusDone || p.LLMCalls != 1 || p.Result == nil {
		t.Errorf("progress %+v", p)
	}
}

func TestAssistantAskWithoutDocsSpendsNothing(t *testing.T) {
	e := newAssistEnv(t, defaultSettings)
	e.OnActivity(asActs.AssistantRetrieve, mock.Anything, mock.Anything).Return(actassistant.RetrieveResult{}, nil)
	e.ExecuteWorkflow(AssistantTask, AssistantInput{Tenant: "acme", Type: AssistAsk, Input: AssistantTaskInput{Question: "What is the meaning of life?"}})
	res, err := e.result()
	if err != nil {
		t.Fatal(err)
	}
	if len(e.calls()) != 0 || !strings.Contains(res.Answer, "nothing to answer it from") {
		t.Errorf("calls %d, result %+v", len(e.calls()), res)
	}
}

func TestAssistantNotConfiguredFailsFast(t *testing.T) {
	e := newAssistEnv(t, actassistant.SettingsResult{})
	e.ExecuteWorkflow(AssistantTask, AssistantInput{Tenant: "acme", Type: AssistAsk, Input: AssistantTaskInput{Question: "hi?"}})
	_, err := e.result()
	ae := appErrType(t, err, ErrTypeAssistantNotConfigured)
	if !strings.Contains(ae.Error(), "assistant not configured") {
		t.Errorf("message %q", ae.Error())
	}
	if p := e.progress(); p.Status != AssistStatusFailed || p.ErrorType != ErrTypeAssistantNotConfigured {
		t.Errorf("progress %+v", p)
	}
}

func TestAssistantRejectsBadInput(t *testing.T) {
	e := newAssistEnv(t, defaultSettings)
	e.ExecuteWorkflow(AssistantTask, AssistantInput{Tenant: "acme", Type: AssistDraft, Input: AssistantTaskInput{Question: "not a description"}})
	_, err := e.result()
	appErrType(t, err, ErrTypeAssistantInvalidInput)
}

// The LLM activity's non-retryable errors (budget, configuration) end the
// task with their type and message, after one call.
func TestAssistantBudgetExhausted(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	RegisterAssistant(env)
	env.RegisterActivityWithOptions(&llm.Activities{}, activity.RegisterOptions{SkipInvalidStructFunctions: true})
	env.RegisterActivityWithOptions(&actassistant.Activities{}, activity.RegisterOptions{SkipInvalidStructFunctions: true})
	env.OnActivity(asActs.AssistantSettings, mock.Anything, mock.Anything).Return(defaultSettings, nil)
	env.OnActivity(asActs.AssistantRetrieve, mock.Anything, mock.Anything).Return(actassistant.RetrieveResult{Sections: docs}, nil)
	env.OnActivity(llmActs.LLMComplete, mock.Anything, mock.Anything).Return(llm.CompleteResult{},
		temporal.NewNonRetryableApplicationError("AI token budget exhausted: tenant \"acme\" has used 50000 of the 50000 tokens", llm.ErrTypeBudgetExhausted, nil)).Once()
	env.ExecuteWorkflow(AssistantTask, AssistantInput{Tenant: "acme", Type: AssistAsk, Input: AssistantTaskInput{Question: "How do I get a database?"}})
	err := env.GetWorkflowError()
	ae := appErrType(t, err, llm.ErrTypeBudgetExhausted)
	if !strings.HasPrefix(ae.Error(), "AI token budget exhausted") {
		t.Errorf("message %q", ae.Error())
	}
	env.AssertExpectations(t)
}

const invalidTemplate = "Here you go:\n```yaml\napiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: node-service\nspec:\n  owner: team-a\n  type: service\n  steps:\n    - id: fetch\n      name: Fetch\n      action: fetch:cookiecutter\n      input:\n        url: ./skeleton\n```\n"

const validTemplate = "```yaml\napiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: node-service\n  title: Node.js service\nspec:\n  owner: team-a\n  type: service\n  parameters:\n    - title: Service\n      required: [name]\n      properties:\n        name:\n          type: string\n          title: Name\n  steps:\n    - id: fetch\n      name: Fetch skeleton\n      action: fetch:template\n      input:\n        url: https://github.com/example/skeletons/tree/main/node\n        values:\n          name: ${{ parameters.name }}\n    - id: log\n      name: Log\n      action: debug:log\n      input:\n        message: Created ${{ parameters.name | upper }}\n```"

// The first reply uses an unknown action and a missing skeleton; the
// problems go back to the model, whose second reply validates; a decision
// about another proposal is ignored; the approval commits the template.
func TestAssistantDraftRepairedThenApproved(t *testing.T) {
	e := newAssistEnv(t, defaultSettings)
	e.script(invalidTemplate, validTemplate)
	var awaiting AssistantProgress
	e.RegisterDelayedCallback(func() {
		awaiting = e.progress()
		e.SignalWorkflow(SignalAssistantDecision, AssistantDecision{ProposalID: "1-stale", Approve: true, By: "mallory"})
	}, time.Minute)
	e.RegisterDelayedCallback(func() {
		if p := e.progress(); p.Status != AssistStatusAwaiting {
			t.Errorf("a decision about another proposal changed the status: %+v", p)
		}
		e.SignalWorkflow(SignalAssistantDecision, AssistantDecision{ProposalID: awaiting.Proposal.ID, Approve: true, By: "alice"})
	}, 2*time.Minute)
	e.ExecuteWorkflow(AssistantTask, AssistantInput{Tenant: "acme", Type: AssistDraft, Input: AssistantTaskInput{Description: "A Node.js service"}})
	res, err := e.result()
	if err != nil {
		t.Fatal(err)
	}
	if awaiting.Status != AssistStatusAwaiting || awaiting.Stage != AssistStageApproval || awaiting.Round != 2 || awaiting.MaxRounds != 4 ||
		awaiting.Proposal == nil || !awaiting.Proposal.Valid || awaiting.ApprovalDeadline == nil {
		t.Fatalf("progress while awaiting approval: %+v", awaiting)
	}
	prompts := e.calls()
	if len(prompts) != 2 {
		t.Fatalf("%d LLM calls, want 2", len(prompts))
	}
	repair := prompts[1][len(prompts[1])-1].Content
	if !strings.Contains(repair, `action "fetch:cookiecutter" is not a built-in or registered action`) || prompts[1][len(prompts[1])-2].Role != "assistant" {
		t.Errorf("the repair round did not feed the problems back:\n%s", repair)
	}
	if res.Decision != DecisionApproved || res.DecidedBy != "alice" || res.CommittedTo != "templates/node-service/template.yaml" || res.Proposal.Round != 2 {
		t.Fatalf("result %+v", res)
	}
	r, err := storage.Scoped(e.objects, "acme").Get(context.Background(), res.CommittedTo)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	data, _ := io.ReadAll(r)
	if string(data) != res.Proposal.YAML || !strings.Contains(string(data), "name: node-service") {
		t.Errorf("committed %q", data)
	}
}

func TestAssistantDraftRejected(t *testing.T) {
	e := newAssistEnv(t, defaultSettings)
	e.script(validTemplate)
	e.RegisterDelayedCallback(func() {
		p := e.progress()
		e.SignalWorkflow(SignalAssistantDecision, AssistantDecision{ProposalID: p.Proposal.ID, Approve: false, By: "alice", Reason: "not now"})
	}, time.Minute)
	e.ExecuteWorkflow(AssistantTask, AssistantInput{Tenant: "acme", Type: AssistDraft, Input: AssistantTaskInput{Description: "A Node.js service"}})
	res, err := e.result()
	if err != nil {
		t.Fatal(err)
	}
	if res.Decision != DecisionRejected || res.Reason != "not now" || res.CommittedTo != "" {
		t.Fatalf("result %+v", res)
	}
	if p := e.progress(); p.Status != AssistStatusRejected {
		t.Errorf("progress %+v", p)
	}
	if objs, _ := e.objects.List(context.Background(), ""); len(objs) != 0 {
		t.Errorf("a rejected draft wrote %v", objs)
	}
}

func TestAssistantDraftApprovalExpires(t *testing.T) {
	e := newAssistEnv(t, defaultSettings)
	e.script(validTemplate)
	start := e.Now()
	e.ExecuteWorkflow(AssistantTask, AssistantInput{Tenant: "acme", Type: AssistDraft, Input: AssistantTaskInput{Description: "A Node.js service"},
		ApprovalTimeout: 6 * time.Hour})
	res, err := e.result()
	if err != nil {
		t.Fatal(err)
	}
	if res.Decision != DecisionExpired || res.CommittedTo != "" {
		t.Fatalf("result %+v", res)
	}
	if took := e.Now().Sub(start); took < 6*time.Hour || took > 7*time.Hour {
		t.Errorf("expired after %v, want the 6h deadline", took)
	}
	if p := e.progress(); p.Status != AssistStatusExpired {
		t.Errorf("progress %+v", p)
	}
}

func TestAssistantDraftGivesUpAfterRepairRounds(t *testing.T) {
	e := newAssistEnv(t, defaultSettings)
	e.script(invalidTemplate)
	e.ExecuteWorkflow(AssistantTask, AssistantInput{Tenant: "acme", Type: AssistDraft, Input: AssistantTaskInput{Description: "x"}, RepairRounds: 1})
	_, err := e.result()
	ae := appErrType(t, err, ErrTypeAssistantDraftInvalid)
	if !strings.Contains(ae.Error(), "after 2 round(s)") || len(e.calls()) != 2 {
		t.Errorf("%v after %d calls", ae, len(e.calls()))
	}
	if p := e.progress(); p.Status != AssistStatusFailed || p.Proposal == nil || p.Proposal.Valid || len(p.Proposal.Problems) == 0 {
		t.Errorf("progress %+v", p)
	}
}

func TestAssistantCancelDuringModelCall(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	RegisterAssistant(env)
	env.RegisterActivityWithOptions(&llm.Activities{}, activity.RegisterOptions{SkipInvalidStructFunctions: true})
	env.RegisterActivityWithOptions(&actassistant.Activities{}, activity.RegisterOptions{SkipInvalidStructFunctions: true})
	env.OnActivity(asActs.AssistantSettings, mock.Anything, mock.Anything).Return(defaultSettings, nil)
	env.OnActivity(asActs.AssistantRetrieve, mock.Anything, mock.Anything).Return(actassistant.RetrieveResult{Sections: docs}, nil)
	env.OnActivity(llmActs.LLMComplete, mock.Anything, mock.Anything).After(time.Hour).Return(llm.CompleteResult{Text: "too late"}, nil)
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Minute)
	env.ExecuteWorkflow(AssistantTask, AssistantInput{Tenant: "acme", Type: AssistAsk, Input: AssistantTaskInput{Question: "How do I get a database?"}})
	if !env.IsWorkflowCompleted() {
		t.Fatal("not completed")
	}
	err := env.GetWorkflowError()
	var ce *temporal.CanceledError
	if !errors.As(err, &ce) {
		t.Fatalf("want cancelled, got %v", err)
	}
	v, qerr := env.QueryWorkflow(QueryProgress)
	if qerr != nil {
		t.Fatal(qerr)
	}
	var p AssistantProgress
	_ = v.Get(&p)
	if p.Status != AssistStatusCanceled || p.Stage != AssistStatusCanceled {
		t.Errorf("progress %+v", p)
	}
}

func TestAssistantCancelWhileAwaitingApproval(t *testing.T) {
	e := newAssistEnv(t, defaultSettings)
	e.script(validTemplate)
	e.RegisterDelayedCallback(e.CancelWorkflow, time.Minute)
	e.ExecuteWorkflow(AssistantTask, AssistantInput{Tenant: "acme", Type: AssistDraft, Input: AssistantTaskInput{Description: "A Node.js service"}})
	_, err := e.result()
	var ce *temporal.CanceledError
	if !errors.As(err, &ce) {
		t.Fatalf("want cancelled, got %v", err)
	}
	if objs, _ := e.objects.List(context.Background(), ""); len(objs) != 0 {
		t.Errorf("a cancelled draft wrote %v", objs)
	}
}

// fakeHistory is the part of the Temporal client AssistantRunSummary uses:
// one run, described and with a history.
type fakeHistory struct {
	client.Client
	tenantSA string
	events   []*historypb.HistoryEvent
	reads    int
}

func (f *fakeHistory) DescribeWorkflowExecution(_ context.Context, wid, _ string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	info := &workflowpb.WorkflowExecutionInfo{
		Execution: &commonpb.WorkflowExecution{WorkflowId: wid, RunId: "run-1"},
		Type:      &commonpb.WorkflowType{Name: "TenantOnboarding"},
		Status:    enumspb.WORKFLOW_EXECUTION_STATUS_FAILED,
	}
	if f.tenantSA != "" {
		p, _ := converter.GetDefaultDataConverter().ToPayload(f.tenantSA)
		info.SearchAttributes = &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{"RiggerTenant": p}}
	}
	return &workflowservice.DescribeWorkflowExecutionResponse{WorkflowExecutionInfo: info}, nil
}

func (f *fakeHistory) GetWorkflowHistory(context.Context, string, string, bool, enumspb.HistoryEventFilterType) client.HistoryEventIterator {
	f.reads++
	return &eventIter{events: f.events}
}

type eventIter struct{ events []*historypb.HistoryEvent }

func (it *eventIter) HasNext() bool { return len(it.events) > 0 }
func (it *eventIter) Next() (*historypb.HistoryEvent, error) {
	e := it.events[0]
	it.events = it.events[1:]
	return e, nil
}

func failedOnboardingHistory() []*historypb.HistoryEvent {
	appFailure := &failurepb.Failure{Message: "permission denied to create role \"tenant_acme\"", FailureInfo: &failurepb.Failure_ApplicationFailureInfo{
		ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{Type: "TenantDBPermission", NonRetryable: true}}}
	return []*historypb.HistoryEvent{
		{EventId: 5, EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, Attributes: &historypb.HistoryEvent_ActivityTaskScheduledEventAttributes{
			ActivityTaskScheduledEventAttributes: &historypb.ActivityTaskScheduledEventAttributes{ActivityType: &commonpb.ActivityType{Name: "ControlPlaneRecordTenant"}}}},
		{EventId: 7, EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, Attributes: &historypb.HistoryEvent_ActivityTaskCompletedEventAttributes{
			ActivityTaskCompletedEventAttributes: &historypb.ActivityTaskCompletedEventAttributes{ScheduledEventId: 5}}},
		{EventId: 8, EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, Attributes: &historypb.HistoryEvent_ActivityTaskScheduledEventAttributes{
			ActivityTaskScheduledEventAttributes: &historypb.ActivityTaskScheduledEventAttributes{ActivityType: &commonpb.ActivityType{Name: "TenantDBCreate"}}}},
		{EventId: 9, EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED, Attributes: &historypb.HistoryEvent_ActivityTaskStartedEventAttributes{
			ActivityTaskStartedEventAttributes: &historypb.ActivityTaskStartedEventAttributes{ScheduledEventId: 8, Attempt: 1}}},
		{EventId: 10, EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED, Attributes: &historypb.HistoryEvent_ActivityTaskFailedEventAttributes{
			ActivityTaskFailedEventAttributes: &historypb.ActivityTaskFailedEventAttributes{ScheduledEventId: 8, Failure: appFailure}}},
		{EventId: 12, EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, Attributes: &historypb.HistoryEvent_ActivityTaskScheduledEventAttributes{
			ActivityTaskScheduledEventAttributes: &historypb.ActivityTaskScheduledEventAttributes{ActivityType: &commonpb.ActivityType{Name: "ControlPlaneSetStatus"}}}},
		{EventId: 14, EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, Attributes: &historypb.HistoryEvent_ActivityTaskCompletedEventAttributes{
			ActivityTaskCompletedEventAttributes: &historypb.ActivityTaskCompletedEventAttributes{ScheduledEventId: 12}}},
		{EventId: 16, EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, Attributes: &historypb.HistoryEvent_WorkflowExecutionFailedEventAttributes{
			WorkflowExecutionFailedEventAttributes: &historypb.WorkflowExecutionFailedEventAttributes{Failure: &failurepb.Failure{
				Message: "activity error", Cause: appFailure, FailureInfo: &failurepb.Failure_ActivityFailureInfo{ActivityFailureInfo: &failurepb.ActivityFailureInfo{
					ActivityType: &commonpb.ActivityType{Name: "TenantDBCreate"}}}}}}},
	}
}

func TestAssistantExplainsOwnRun(t *testing.T) {
	e := newAssistEnv(t, defaultSettings)
	hist := &fakeHistory{tenantSA: "acme", events: failedOnboardingHistory()}
	e.acts.Temporal = hist
	e.script("The database step failed: the role could not be created.")
	e.ExecuteWorkflow(AssistantTask, AssistantInput{Tenant: "acme", Type: AssistExplain, Input: AssistantTaskInput{WorkflowID: "onboard/acme"}})
	res, err := e.result()
	if err != nil {
		t.Fatal(err)
	}
	if res.Run == nil || len(res.Run.Failures) != 1 || res.Run.Failures[0].Activity != "TenantDBCreate" ||
		len(res.Run.AfterFailure) != 1 || res.Run.AfterFailure[0].Outcome != "completed" || res.Run.Failure == nil ||
		res.Run.Failure.Message != `in activity TenantDBCreate: permission denied to create role "tenant_acme"` {
		t.Fatalf("summary %+v", res.Run)
	}
	prompt := e.calls()[0][1].Content
	for _, want := range []string{"TenantDBCreate: [TenantDBPermission] permission denied", "ControlPlaneSetStatus: completed", "is Failed"} {
		if !strings.Contains(prompt, want) {
			t.Errorf("prompt lacks %q:\n%s", want, prompt)
		}
	}
}

// Another tenant's run is "not found", read no further, and no model call
// is made — whether the run says so by its RiggerTenant attribute or (with
// none) by its ID.
func TestAssistantExplainRefusesAnotherTenantsRun(t *testing.T) {
	for _, c := range []struct{ name, sa, wid string }{
		{"search attribute", "tenant-b", "onboard/tenant-b"},
		{"search attribute beats the ID", "tenant-b", "onboard/acme"},
		{"ID without attribute", "", "scaffold/tenant-b/run-1"},
		{"unrecognised ID", "", "some-workflow"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newAssistEnv(t, defaultSettings)
			hist := &fakeHistory{tenantSA: c.sa, events: failedOnboardingHistory()}
			e.acts.Temporal = hist
			e.script("should not be asked")
			e.ExecuteWorkflow(AssistantTask, AssistantInput{Tenant: "acme", Type: AssistExplain, Input: AssistantTaskInput{WorkflowID: c.wid}})
			_, err := e.result()
			ae := appErrType(t, err, ErrTypeAssistantRunNotFound)
			if !strings.Contains(ae.Error(), `no workflow "`+c.wid+`" of tenant "acme"`) {
				t.Errorf("message %q", ae.Error())
			}
			if hist.reads != 0 || len(e.calls()) != 0 {
				t.Errorf("read the history %d times, asked the model %d times", hist.reads, len(e.calls()))
			}
		})
	}
}
