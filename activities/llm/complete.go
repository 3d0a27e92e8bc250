package llm

import (
	"cmp"
	"context"
	"errors"
	"time"

	"github.com/rigger-platform/rigger/internal/store"
)

// Defaults for the zero values of Activities' knobs.
const (
	defaultMaxTokens         = 1024
	defaultHeartbeatEvery    = time.Second
	defaultStreamIdleTimeout = 60 * time.Second
)

// LLMComplete asks the model for one chat completion on behalf of a
// tenant. In order:
//
//  1. fail fast, without any I/O, when no LLM is configured or the input is
//     unusable;
//  2. if a previous attempt already got the answer (see Progress), skip to 5;
//  3. check the tenant's budget: none left is AIBudgetExhausted, and no
//     request is sent; otherwise the answer is capped at what is left;
//  4. call the endpoint (streaming or not) under the call timeout,
//     heartbeating Progress;
//  5. record the tokens as one usage event whose ID is the same for every
//     attempt (see usageEventID), so a retry never bills twice.
func (a *Activities) LLMComplete(ctx context.Context, in CompleteInput) (CompleteResult, error) {
	if a.Client == nil || a.Model == "" {
		return CompleteResult{}, nonRetryable(ErrTypeNotConfigured, notConfiguredMessage)
	}
	if a.Store == nil {
		return CompleteResult{}, nonRetryable(ErrTypeNotConfigured, "assistant not configured: no control-plane store to meter AI tokens in")
	}
	if err := validate(ctx, in); err != nil {
		return CompleteResult{}, err
	}
	usageID := usageEventID(ctx, in)
	if res, ok := resumed(ctx); ok {
		return res, a.record(ctx, in, usageID, res)
	}
	remaining, err := a.remaining(ctx, in.Tenant)
	if err != nil {
		return CompleteResult{}, err
	}
	maxTokens := in.MaxTokens
	if maxTokens == 0 {
		maxTokens = cmp.Or(a.DefaultMaxTokens, defaultMaxTokens)
	}
	maxTokens = int(min(int64(maxTokens), remaining))

	hb := startHeartbeats(ctx, cmp.Or(a.HeartbeatEvery, defaultHeartbeatEvery))
	res, err := a.Client.chat(ctx, chatRequest{
		model: a.Model, messages: in.Messages, maxTokens: maxTokens, stream: in.Stream,
		idle: cmp.Or(a.StreamIdleTimeout, defaultStreamIdleTimeout), progress: hb.set,
	})
	if err != nil {
		hb.finish(nil)
		return CompleteResult{}, err
	}
	fillUsage(in.Messages, &res)
	if res.Model == "" {
		res.Model = a.Model
	}
	hb.finish(&res)
	if err := a.record(ctx, in, usageID, res); err != nil {
		return CompleteResult{}, err
	}
	return res, nil
}

// remaining checks the budget; > 0 when the call may go ahead.
func (a *Activities) remaining(ctx context.Context, tenant string) (int64, error) {
	b := a.Budget
	if b == nil {
		b = PlanBudget{Store: a.Store}
	}
	al, err := b.Allowance(ctx, tenant, a.now())
	if errors.Is(err, store.ErrNotFound) {
		return 0, nonRetryable(ErrTypeTenantNotFound, "tenant %q not found", tenant)
	}
	if err != nil {
		return 0, retryable(ErrTypeMetering, "AI budget check: "+err.Error(), 0)
	}
	if al.Remaining() <= 0 {
		return 0, nonRetryable(ErrTypeBudgetExhausted,
			"AI token budget exhausted: tenant %q has used %d of the %d tokens its %q plan includes for %s; it renews on %s",
			tenant, al.Used, al.Included, al.Plan, al.From.Format("2006-01"), al.To.Format("2006-01-02"))
	}
	return al.Remaining(), nil
}

// record stores the call's tokens once. A failure here is retryable; the
// retry finds the answer in the heartbeat and only records.
func (a *Activities) record(ctx context.Context, in CompleteInput, id string, res CompleteResult) error {
	source := "llm:" + res.Model
	if res.UsageEstimated {
		source += " (estimated)"
	}
	_, err := a.Store.RecordUsage(ctx, store.UsageEvent{
		ID: id, Tenant: in.Tenant, Metric: store.MetricAITokens, Quantity: int64(res.TotalTokens),
		OccurredAt: a.now(), Source: source,
	})
	if err != nil {
		return retryable(ErrTypeMetering, "record AI usage: "+err.Error(), 0)
	}
	return nil
}

// fillUsage completes what the server reported: a total from its parts, or
// an estimate when it reported nothing (some compatible servers never do),
// because an unmetered call would be a free one.
func fillUsage(msgs []Message, res *CompleteResult) {
	if res.PromptTokens > 0 || res.CompletionTokens > 0 || res.TotalTokens > 0 {
		if res.TotalTokens == 0 {
			res.TotalTokens = res.PromptTokens + res.CompletionTokens
		}
		return
	}
	for _, m := range msgs {
		res.PromptTokens += estimateTokens(m.Content) + 4 // role and framing
	}
	res.CompletionTokens = estimateTokens(res.Text)
	res.TotalTokens = res.PromptTokens + res.CompletionTokens
	res.UsageEstimated = true
}

// estimateTokens: about four bytes a token for English with BPE
// tokenisers; rounding up so an estimate never bills zero for some text.
func estimateTokens(s string) int { return (len(s) + 3) / 4 }
