package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	actassistant "github.com/rigger-platform/rigger/activities/assistant"
	"github.com/rigger-platform/rigger/activities/llm"
	"github.com/rigger-platform/rigger/internal/assistant"
	"github.com/rigger-platform/rigger/internal/tenant"
)

var (
	asActs  *actassistant.Activities
	llmActs *llm.Activities
)

// Answer sizes (tokens). A drafted template is a few hundred lines of YAML
// at most; answers and explanations are a few paragraphs.
const (
	assistAnswerTokens = 1024
	assistDraftTokens  = 3000
)

// AssistantTask runs one assistant task for a tenant:
//
//   - ask: retrieve the best sections of the tenant's own TechDocs, ask the
//     model to answer from them, return the answer with citations;
//   - draft: ask the model for a v1beta3 template, validate it with the
//     scaffolder, feed the problems back for up to RepairRounds more
//     rounds, then wait (until the approval deadline) for a human decision;
//     an approved proposal is committed to the tenant's template location;
//   - explain: summarise a run of the same tenant from its history and ask
//     the model what failed and how to fix it.
//
// Every model call is the LLM activity, which checks the tenant's AI token
// budget first and meters what it spent. Progress (status, stage, draft
// round, proposal, result) answers QueryProgress; the text streaming in is
// the LLM activity's heartbeat, read from the pending activity. Cancelling
// the workflow cancels the call in flight.
func AssistantTask(ctx workflow.Context, in AssistantInput) (AssistantResult, error) {
	r := &assistantRun{in: in, p: AssistantProgress{Tenant: in.Tenant, Type: in.Type, Status: AssistStatusRunning}}
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (AssistantProgress, error) { return r.snapshot(), nil }); err != nil {
		return AssistantResult{}, endRun(ctx, KindAssistant, err)
	}
	res, err := r.run(ctx)
	res, err = r.finish(ctx, res, err)
	return res, endRun(ctx, KindAssistant, err)
}

type assistantRun struct {
	in       AssistantInput
	p        AssistantProgress
	settings actassistant.SettingsResult
}

func (r *assistantRun) snapshot() AssistantProgress {
	p := r.p
	if p.Proposal != nil {
		cp := *p.Proposal
		p.Proposal = &cp
	}
	return p
}

func (r *assistantRun) stage(ctx workflow.Context, s string) {
	r.p.Stage = s
	if err := workflow.UpsertTypedSearchAttributes(ctx, SearchStage.ValueSet(s)); err != nil {
		workflow.GetLogger(ctx).Warn("upsert RiggerStage failed", "stage", s, "error", err)
	}
}

func assistantError(typ, format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), typ, nil)
}

func validateAssistantInput(in AssistantInput) error {
	if err := tenant.ValidateSlug(in.Tenant); err != nil {
		return assistantError(ErrTypeAssistantInvalidInput, "tenant: %v", err)
	}
	var field, value string
	switch in.Type {
	case AssistAsk:
		field, value = "question", in.Input.Question
	case AssistDraft:
		field, value = "description", in.Input.Description
	case AssistExplain:
		field, value = "workflowId", in.Input.WorkflowID
	default:
		return assistantError(ErrTypeAssistantInvalidInput, "type %q: want %s, %s or %s", in.Type, AssistAsk, AssistDraft, AssistExplain)
	}
	if strings.TrimSpace(value) == "" {
		return assistantError(ErrTypeAssistantInvalidInput, "a %s task needs input.%s", in.Type, field)
	}
	return nil
}

func (r *assistantRun) run(ctx workflow.Context) (AssistantResult, error) {
	if err := validateAssistantInput(r.in); err != nil {
		return AssistantResult{}, err
	}
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
	})
	if err := workflow.ExecuteLocalActivity(lctx, asActs.AssistantSettings, actassistant.SettingsInput{}).Get(ctx, &r.settings); err != nil {
		return AssistantResult{}, err
	}
	if !r.settings.LLMConfigured {
		return AssistantResult{}, assistantError(ErrTypeAssistantNotConfigured,
			"assistant not configured: the worker has no LLM endpoint (set %s, %s and %s)", llm.EnvBaseURL, llm.EnvAPIKey, llm.EnvModel)
	}
	switch r.in.Type {
	case AssistAsk:
		return r.ask(ctx)
	case AssistDraft:
		return r.draft(ctx)
	default:
		return r.explain(ctx)
	}
}

// llmOptions give a model call the endpoint's own timeout plus a margin;
// retries follow the activity's classification (429 and 5xx retry,
// honouring Retry-After; budget, configuration and 4xx errors do not).
func (r *assistantRun) llmOptions(ctx workflow.Context) workflow.Context {
	timeout := r.settings.LLMTimeout
	if timeout <= 0 {
		timeout = llm.DefaultTimeout
	}
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: timeout + time.Minute,
		HeartbeatTimeout:    heartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    2 * time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
			MaximumAttempts:    6,
		},
	})
}

// complete makes one streamed model call on behalf of the tenant. The usage
// event is named by the run and activity IDs (the LLM activity's default),
// the same for every retry of this call.
func (r *assistantRun) complete(ctx workflow.Context, msgs []assistant.Message, maxTokens int) (llm.CompleteResult, error) {
	in := llm.CompleteInput{Tenant: r.in.Tenant, MaxTokens: maxTokens, Stream: true, Messages: make([]llm.Message, len(msgs))}
	for i, m := range msgs {
		in.Messages[i] = llm.Message{Role: m.Role, Content: m.Content}
	}
	var res llm.CompleteResult
	r.p.LLMCalls++
	err := workflow.ExecuteActivity(r.llmOptions(ctx), llmActs.LLMComplete, in).Get(ctx, &res)
	r.p.Tokens += res.TotalTokens
	return res, err
}

func (r *assistantRun) ask(ctx workflow.Context) (AssistantResult, error) {
	r.stage(ctx, AssistStageRetrieve)
	var docs actassistant.RetrieveResult
	err := workflow.ExecuteActivity(stepOptions(ctx, time.Minute), asActs.AssistantRetrieve, actassistant.RetrieveInput{
		Tenant: r.in.Tenant, Question: r.in.Input.Question, K: r.settings.TopK,
	}).Get(ctx, &docs)
	if err != nil {
		return AssistantResult{}, err
	}
	if len(docs.Sections) == 0 {
		// Nothing to answer from: say so without spending tokens.
		return AssistantResult{Type: AssistAsk, Answer: fmt.Sprintf(
			"None of the documentation tenant %s has published matches this question, so there is nothing to answer it from. Publish TechDocs that cover it, or rephrase the question.", r.in.Tenant)}, nil
	}
	r.stage(ctx, AssistStageAnswer)
	res, err := r.complete(ctx, assistant.AskMessages(r.in.Tenant, r.in.Input.Question, docs.Sections), assistAnswerTokens)
	if err != nil {
		return AssistantResult{}, err
	}
	return AssistantResult{Type: AssistAsk, Answer: res.Text, Citations: assistant.Citations(res.Text, docs.Sections), Tokens: r.p.Tokens}, nil
}

func (r *assistantRun) draft(ctx workflow.Context) (AssistantResult, error) {
	repairs := r.settings.RepairRounds
	if r.in.RepairRounds != 0 {
		repairs = max(r.in.RepairRounds, 0)
	}
	r.p.MaxRounds = 1 + repairs
	msgs := assistant.DraftMessages(r.in.Tenant, r.in.Input.Description, r.settings.Actions)
	var v actassistant.ValidateResult
	for round := 1; ; round++ {
		r.p.Round = round
		r.stage(ctx, AssistStageDraft)
		reply, err := r.complete(ctx, msgs, assistDraftTokens)
		if err != nil {
			return AssistantResult{}, err
		}
		r.stage(ctx, AssistStageValidate)
		err = workflow.ExecuteActivity(stepOptions(ctx, shortStep), asActs.AssistantValidateTemplate, actassistant.ValidateInput{
			Tenant: r.in.Tenant, Reply: reply.Text, Round: round,
		}).Get(ctx, &v)
		if err != nil {
			return AssistantResult{}, err
		}
		r.p.Proposal = &TemplateProposal{ID: v.ProposalID, Name: v.Name, YAML: v.YAML, Round: round, Valid: v.Valid, Problems: v.Problems, Location: v.Location}
		if v.Valid {
			break
		}
		if round >= r.p.MaxRounds {
			return AssistantResult{Type: AssistDraft, Proposal: r.p.Proposal, Tokens: r.p.Tokens}, assistantError(ErrTypeAssistantDraftInvalid,
				"the drafted template still does not validate after %d round(s): %s", round, assistant.Clip(strings.Join(v.Problems, "; "), 1500))
		}
		msgs = assistant.RepairMessages(msgs, reply.Text, v.Problems)
	}
	res := AssistantResult{Type: AssistDraft, Proposal: r.p.Proposal}
	d, err := r.awaitDecision(ctx, r.p.Proposal.ID)
	if err != nil {
		return AssistantResult{}, err
	}
	res.Tokens = r.p.Tokens
	if d == nil {
		res.Decision = DecisionExpired
		return res, nil
	}
	res.DecidedBy, res.Reason = d.By, d.Reason
	if !d.Approve {
		res.Decision = DecisionRejected
		return res, nil
	}
	r.p.Status = AssistStatusRunning
	r.stage(ctx, AssistStageCommit)
	var c actassistant.CommitResult
	err = workflow.ExecuteActivity(stepOptions(ctx, shortStep), asActs.AssistantCommitTemplate, actassistant.CommitInput{
		Tenant: r.in.Tenant, Name: r.p.Proposal.Name, YAML: r.p.Proposal.YAML, TaskID: workflow.GetInfo(ctx).WorkflowExecution.ID,
	}).Get(ctx, &c)
	if err != nil {
		return AssistantResult{}, err
	}
	res.Decision, res.CommittedTo = DecisionApproved, c.Location
	return res, nil
}

// awaitDecision waits for a decision on proposal id until the approval
// deadline; nil means it expired. Decisions about another proposal (sent
// early, or about an earlier round) are ignored.
func (r *assistantRun) awaitDecision(ctx workflow.Context, id string) (*AssistantDecision, error) {
	timeout := r.in.ApprovalTimeout
	if timeout <= 0 {
		timeout = r.settings.ApprovalTimeout
	}
	if timeout <= 0 {
		timeout = actassistant.DefaultApprovalTimeout
	}
	deadline := workflow.Now(ctx).Add(timeout)
	r.p.ApprovalDeadline = &deadline
	r.p.Status = AssistStatusAwaiting
	r.stage(ctx, AssistStageApproval)
	defer func() { r.p.ApprovalDeadline = nil }()

	tctx, cancelTimer := workflow.WithCancel(ctx)
	defer cancelTimer()
	timer := workflow.NewTimer(tctx, timeout)
	ch := workflow.GetSignalChannel(ctx, SignalAssistantDecision)
	var decision *AssistantDecision
	var timerErr error
	expired := false
	for decision == nil && !expired {
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(ch, func(c workflow.ReceiveChannel, _ bool) {
			var d AssistantDecision
			c.Receive(ctx, &d)
			if d.ProposalID != id {
				workflow.GetLogger(ctx).Warn("ignoring a decision about another proposal", "proposal", d.ProposalID, "awaiting", id)
				return
			}
			decision = &d
		})
		sel.AddFuture(timer, func(f workflow.Future) {
			expired = true
			timerErr = f.Get(ctx, nil)
		})
		sel.Select(ctx)
	}
	if ctx.Err() != nil {
		return nil, temporal.NewCanceledError()
	}
	if timerErr != nil && decision == nil {
		return nil, timerErr
	}
	return decision, nil
}

func (r *assistantRun) explain(ctx workflow.Context) (AssistantResult, error) {
	r.stage(ctx, AssistStageHistory)
	var sum RunSummary
	err := workflow.ExecuteActivity(stepOptions(ctx, time.Minute), asActs.AssistantRunSummary, actassistant.RunSummaryInput{
		Tenant: r.in.Tenant, WorkflowID: r.in.Input.WorkflowID,
	}).Get(ctx, &sum)
	if err != nil {
		return AssistantResult{}, err
	}
	if !sum.Failed() {
		return AssistantResult{Type: AssistExplain, Run: &sum, Answer: fmt.Sprintf(
			"Workflow %s is %s and its history records no failure, so there is nothing to explain.", sum.WorkflowID, strings.ToLower(sum.Status))}, nil
	}
	r.stage(ctx, AssistStageExplain)
	res, err := r.complete(ctx, assistant.ExplainMessages(r.in.Tenant, sum), assistAnswerTokens)
	if err != nil {
		return AssistantResult{}, err
	}
	return AssistantResult{Type: AssistExplain, Answer: res.Text, Run: &sum, Tokens: r.p.Tokens}, nil
}

// finish records the outcome for the progress query and RiggerStage, and
// turns a failure into one application error whose message says what went
// wrong (the activity's message, not "activity error"), keeping its type.
func (r *assistantRun) finish(ctx workflow.Context, res AssistantResult, err error) (AssistantResult, error) {
	// A cancelled context cannot upsert; the closing stage is recorded on
	// a disconnected one.
	dctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	if err == nil {
		switch res.Decision {
		case DecisionRejected:
			r.p.Status = AssistStatusRejected
		case DecisionExpired:
			r.p.Status = AssistStatusExpired
		default:
			r.p.Status = AssistStatusDone
		}
		res.Tokens = r.p.Tokens
		r.p.Result = &res
		r.stage(dctx, r.p.Status)
		return res, nil
	}
	if temporal.IsCanceledError(err) || errors.Is(ctx.Err(), workflow.ErrCanceled) {
		r.p.Status, r.p.Error = AssistStatusCanceled, "cancelled"
		r.stage(dctx, r.p.Status)
		return AssistantResult{}, temporal.NewCanceledError()
	}
	typ, msg := "", err.Error()
	var ae *temporal.ApplicationError
	var te *temporal.TimeoutError
	switch {
	case errors.As(err, &ae):
		typ, msg = ae.Type(), ae.Message()
	case errors.As(err, &te):
		typ, msg = "Timeout", "timed out: "+te.Error()
	}
	r.p.Status, r.p.Error, r.p.ErrorType = AssistStatusFailed, msg, typ
	r.stage(dctx, r.p.Status)
	if res.Proposal != nil {
		r.p.Proposal = res.Proposal
	}
	return AssistantResult{}, temporal.NewNonRetryableApplicationError(msg, typ, err)
}
