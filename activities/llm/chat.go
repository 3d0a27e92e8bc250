package llm

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// chatRequest is what the activity asks of the client, independent of the
// wire details of each API type.
type chatRequest struct {
	model     string
	messages  []Message
	maxTokens int
	stream    bool
	idle      time.Duration // streams only: give up after this long without a chunk
	progress  func(text string)
}

// wire builds the go-openai request. OpenAI proper gets
// max_completion_tokens (max_tokens is deprecated there and refused by
// reasoning models); Azure and compatible servers get max_tokens, the field
// every one of them understands.
func (c *Client) wire(r chatRequest) openai.ChatCompletionRequest {
	req := openai.ChatCompletionRequest{Model: r.model, Messages: make([]openai.ChatCompletionMessage, len(r.messages))}
	for i, m := range r.messages {
		req.Messages[i] = openai.ChatCompletionMessage{Role: m.Role, Content: m.Content}
	}
	if c.apiType == APITypeOpenAI {
		req.MaxCompletionTokens = r.maxTokens
	} else {
		req.MaxTokens = r.maxTokens
	}
	if r.stream {
		req.Stream = true
		// Without this, streams carry no token counts at all.
		req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	}
	return req
}

// chat makes one call. ctx is the activity's; the call runs under a child
// with the call timeout, so that classify can tell our deadline (retry) from
// the activity's own cancellation (stop).
func (c *Client) chat(ctx context.Context, r chatRequest) (CompleteResult, error) {
	call, cancelTimeout := context.WithTimeoutCause(ctx, c.timeout, errCallTimeout)
	defer cancelTimeout()
	call, abandon := context.WithCancelCause(call)
	defer abandon(nil)
	call, slot := withRetryAfterSlot(call)
	var res CompleteResult
	var err error
	if r.stream {
		res, err = c.stream(call, abandon, r)
	} else {
		res, err = c.once(call, r)
	}
	if err != nil {
		return CompleteResult{}, c.classify(ctx, call, err, r.model, slot.get())
	}
	return res, nil
}

func (c *Client) once(ctx context.Context, r chatRequest) (CompleteResult, error) {
	resp, err := c.api.CreateChatCompletion(ctx, c.wire(r))
	if err != nil {
		return CompleteResult{}, err
	}
	if len(resp.Choices) == 0 {
		return CompleteResult{}, errors.New("response has no choices")
	}
	ch := resp.Choices[0]
	return CompleteResult{
		Text: ch.Message.Content, FinishReason: string(ch.FinishReason), Model: resp.Model,
		PromptTokens: resp.Usage.PromptTokens, CompletionTokens: resp.Usage.CompletionTokens, TotalTokens: resp.Usage.TotalTokens,
	}, nil
}

// stream accumulates the first choice's deltas, reporting the text so far
// after each chunk. A stream that ends without a finish reason was cut off
// (proxies close idle connections; servers crash): that is an error to
// retry, not a short answer to deliver.
func (c *Client) stream(ctx context.Context, abandon context.CancelCauseFunc, r chatRequest) (CompleteResult, error) {
	if r.idle <= 0 {
		r.idle = defaultStreamIdleTimeout
	}
	idle := time.AfterFunc(r.idle, func() { abandon(errStreamIdle) })
	defer idle.Stop()
	st, err := c.api.CreateChatCompletionStream(ctx, c.wire(r))
	if err != nil {
		return CompleteResult{}, err
	}
	defer st.Close()
	var res CompleteResult
	var text strings.Builder
	for {
		chunk, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return CompleteResult{}, err
		}
		idle.Reset(r.idle)
		if chunk.Model != "" {
			res.Model = chunk.Model
		}
		if u := chunk.Usage; u != nil {
			res.PromptTokens, res.CompletionTokens, res.TotalTokens = u.PromptTokens, u.CompletionTokens, u.TotalTokens
		}
		for _, ch := range chunk.Choices {
			if ch.Index != 0 {
				continue
			}
			text.WriteString(ch.Delta.Content)
			if ch.FinishReason != "" {
				res.FinishReason = string(ch.FinishReason)
			}
		}
		if r.progress != nil {
			r.progress(text.String())
		}
	}
	if res.FinishReason == "" {
		return CompleteResult{}, errors.New("stream ended before the model finished")
	}
	res.Text = text.String()
	return res, nil
}
