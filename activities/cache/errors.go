package cache

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
	"go.temporal.io/sdk/temporal"
)

// Application error types, for workflows that branch on them.
const (
	ErrTypeInvalidSlug      = "InvalidSlug"
	ErrTypeNotConfigured    = "CacheNotConfigured"
	ErrTypePermissionDenied = "RedisPermissionDenied"
	ErrTypeUnavailable      = "RedisUnavailable"
	ErrTypeCommandFailed    = "RedisCommandFailed"
)

func invalidSlug(err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidSlug, err)
}

func notConfigured(what string) error {
	msg := "cache: " + what + " is not configured"
	return temporal.NewNonRetryableApplicationError(msg, ErrTypeNotConfigured, nil)
}

// classify turns a Redis failure into an application error that says
// whether a retry can help. Error texts come from the server or the network,
// never from our arguments, so they carry no password.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	msg := fmt.Sprintf("cache: %s: %v", op, err)
	var rerr redis.Error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		// Cancellation and the activity's own timeout must reach the SDK as such.
		return err
	case !errors.As(err, &rerr):
		// Dial failures, timeouts, closed connections, pool exhaustion:
		// the server may be back on the next attempt.
		return temporal.NewApplicationErrorWithCause(msg, ErrTypeUnavailable, err)
	case redis.IsPermissionError(err), redis.IsAuthError(err):
		// The admin credentials lack a right; only an operator can fix that.
		return temporal.NewNonRetryableApplicationError(msg, ErrTypePermissionDenied, err)
	case transient(err):
		return temporal.NewApplicationErrorWithCause(msg, ErrTypeUnavailable, err)
	default:
		// The server rejected the command itself (for instance an ACL rule an
		// older server does not know): repeating it gives the same answer.
		return temporal.NewNonRetryableApplicationError(msg, ErrTypeCommandFailed, err)
	}
}

// transient server replies mean "not now" rather than "never".
func transient(err error) bool {
	return redis.IsLoadingError(err) || redis.IsReadOnlyError(err) ||
		redis.IsTryAgainError(err) || redis.IsClusterDownError(err) ||
		redis.IsMasterDownError(err) || redis.IsMaxClientsError(err) ||
		redis.IsOOMError(err) || strings.HasPrefix(err.Error(), "BUSY")
}
