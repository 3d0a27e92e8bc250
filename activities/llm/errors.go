package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
	"go.temporal.io/sdk/temporal"
)

// Application error types, for workflows that branch on them.
const (
	ErrTypeNotConfigured   = "AssistantNotConfigured" // no LLM set up; non-retryable
	ErrTypeBudgetExhausted = "AIBudgetExhausted"      // plan's tokens used up; non-retryable
	ErrTypeInvalidInput    = "LLMInvalidInput"        // bad CompleteInput; non-retryable
	ErrTypeTenantNotFound  = "TenantNotFound"         // non-retryable
	ErrTypeBadRequest      = "LLMBadRequest"          // 400 and other 4xx; non-retryable
	ErrTypeUnauthorized    = "LLMUnauthorized"        // 401, 403; non-retryable
	ErrTypeModelNotFound   = "LLMModelNotFound"       // 404; non-retryable
	ErrTypeQuotaExceeded   = "LLMQuotaExceeded"       // 429 insufficient_quota: the account, not the rate; non-retryable
	ErrTypeRateLimited     = "LLMRateLimited"         // 429; retryable, honouring Retry-After
	ErrTypeUnavailable     = "LLMUnavailable"         // 5xx, network, timeouts, broken streams; retryable
	ErrTypeMetering        = "AIMeteringUnavailable"  // budget or usage store failed; retryable
)

// notConfiguredMessage names exactly what to set.
const notConfiguredMessage = "assistant not configured: set " + EnvBaseURL + ", " + EnvAPIKey + ", " + EnvModel

// Causes of abandoning a call from our side; both are worth a retry.
var (
	errCallTimeout = errors.New("no complete answer within the call timeout")
	errStreamIdle  = errors.New("the stream sent nothing for too long")
)

// maxRetryAfter caps a server's Retry-After, so a buggy or hostile value
// cannot park a task for days; the retry policy's own backoff still applies
// after it.
const maxRetryAfter = 10 * time.Minute

func nonRetryable(errType, format string, args ...any) error {
	return temporal.NewApplicationErrorWithOptions(fmt.Sprintf(format, args...), errType, temporal.ApplicationErrorOptions{NonRetryable: true})
}

// classify turns a go-openai error into an application error. Messages are
// built from the parsed fields and scrubbed of the key; the raw error is
// not attached as a cause, because its text (a response body, a URL)
// would be stored in the workflow history.
// activity is the activity's context, call the one the request ran under.
func (c *Client) classify(activity, call context.Context, err error, model string, retryAfter time.Duration) error {
	if err == nil {
		return nil
	}
	if ctxErr := activity.Err(); ctxErr != nil {
		return ctxErr // the activity was cancelled or timed out: let the SDK see it as such
	}
	if cause := context.Cause(call); errors.Is(cause, errCallTimeout) || errors.Is(cause, errStreamIdle) {
		return retryable(ErrTypeUnavailable, "LLM call abandoned: "+cause.Error(), 0)
	}
	status, code, msg := 0, "", err.Error()
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case errors.As(err, &apiErr):
		status, msg = apiErr.HTTPStatusCode, apiErr.Message
		if s, ok := apiErr.Code.(string); ok {
			code = s
		}
		if apiErr.Type != "" {
			msg = apiErr.Type + ": " + msg
		}
	case errors.As(err, &reqErr):
		status, msg = reqErr.HTTPStatusCode, strings.TrimSpace(string(reqErr.Body))
		if len(msg) > 300 {
			msg = msg[:300] + "…"
		}
	case errors.Is(err, openai.ErrChatCompletionInvalidModel), errors.Is(err, openai.ErrReasoningModelMaxTokensDeprecated):
		return nonRetryable(ErrTypeBadRequest, "LLM request rejected before sending: %s", c.scrub(msg))
	}
	msg = c.scrub(msg)
	switch {
	case code == "model_not_found" || code == "DeploymentNotFound" || status == http.StatusNotFound:
		return nonRetryable(ErrTypeModelNotFound, "LLM model %q not found at the endpoint (HTTP %d; check %s): %s", model, status, EnvModel, msg)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return nonRetryable(ErrTypeUnauthorized, "LLM endpoint refused the credentials (HTTP %d; check %s): %s", status, EnvAPIKey, msg)
	case status == http.StatusTooManyRequests && code == "insufficient_quota":
		return nonRetryable(ErrTypeQuotaExceeded, "LLM account quota exhausted (HTTP 429): %s", msg)
	case status == http.StatusTooManyRequests:
		return retryable(ErrTypeRateLimited, fmt.Sprintf("LLM rate limited (HTTP 429): %s", msg), retryAfter)
	case status == http.StatusRequestTimeout || status >= 500:
		return retryable(ErrTypeUnavailable, fmt.Sprintf("LLM server error (HTTP %d): %s", status, msg), retryAfter)
	case status >= 400:
		return nonRetryable(ErrTypeBadRequest, "LLM rejected the request (HTTP %d): %s", status, msg)
	default: // no HTTP status: connection refused, reset, timeout, broken stream
		return retryable(ErrTypeUnavailable, "LLM call failed: "+msg, 0)
	}
}

func retryable(errType, msg string, retryAfter time.Duration) error {
	opts := temporal.ApplicationErrorOptions{}
	if retryAfter > 0 {
		opts.NextRetryDelay = min(retryAfter, maxRetryAfter)
	}
	return temporal.NewApplicationErrorWithOptions(msg, errType, opts)
}

// scrub removes the API key from text that came from the server or the
// transport, in case either echoes it.
func (c *Client) scrub(s string) string {
	if c.secret == "" {
		return s
	}
	return strings.ReplaceAll(s, c.secret, "[redacted]")
}
