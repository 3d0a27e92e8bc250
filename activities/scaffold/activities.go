package scaffold

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/activities/argocd"
	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/internal/scaffolder"
	"github.com/rigger-platform/rigger/internal/store"
)

// Activities runs scaffolder steps. A zero value is valid and fails every
// step that needs something missing with a non-retryable error naming it.
type Activities struct {
	// Store holds tasks, Rigger's catalog and usage events.
	Store *store.Store
	// Objects keeps workspace snapshots in each tenant's prefix.
	Objects storage.Store
	// Argo serves argocd:create-resources; nil or unconfigured fails it.
	Argo *argocd.Activities
	// Integrations are the git hosts publish and fetch actions may use.
	Integrations []Integration
	// Templates reads template locations and talks to the integrations;
	// built from Integrations and Objects when nil.
	Templates *Templates
	// Concurrency is how many runs of one tenant execute at once (default
	// 10); more wait in the tenant's queue.
	Concurrency int
	// AuthorName and AuthorEmail sign commits when the template does not.
	AuthorName, AuthorEmail string

	once    sync.Once
	cache   *snapshotCache
	tplOnce sync.Once
	engOnce sync.Once
	eng     *scaffolder.Engine
}

// DefaultConcurrency is the per-tenant limit when none is configured.
const DefaultConcurrency = 10

// Error types of the application errors the activities return.
const (
	// ErrTypeValidation: the template cannot run (unknown action, missing
	// fetch path, bad rigger settings); found before any side effect.
	ErrTypeValidation = "ScaffoldValidation"
	// ErrTypeInvalidInput: a step's rendered input is wrong for its action.
	ErrTypeInvalidInput = "ScaffoldInvalidInput"
	// ErrTypeNotConfigured: an integration the step needs is missing.
	ErrTypeNotConfigured = "ScaffoldNotConfigured"
	// ErrTypeRejected: an approval step was rejected or timed out.
	ErrTypeRejected = "ScaffoldRejected"
)

// Engine is the template engine the activities render with, configured with
// the integrations' host types.
func (a *Activities) Engine() *scaffolder.Engine {
	a.engOnce.Do(func() {
		types := IntegrationTypes(a.Integrations)
		a.eng = scaffolder.NewEngine(scaffolder.EngineOptions{Integrations: func(h string) string { return types[h] }})
	})
	return a.eng
}

func (a *Activities) templates() *Templates {
	a.tplOnce.Do(func() {
		if a.Templates == nil {
			a.Templates = &Templates{Integrations: a.Integrations, Objects: a.Objects}
		}
	})
	return a.Templates
}

func (a *Activities) concurrency() int {
	if a.Concurrency > 0 {
		return a.Concurrency
	}
	return DefaultConcurrency
}

func invalidf(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return temporal.NewNonRetryableApplicationError(msg, ErrTypeInvalidInput, errors.New(msg))
}

func errNotConfigured(what string) error {
	return temporal.NewNonRetryableApplicationError(what+" is not configured for the scaffolder", ErrTypeNotConfigured, nil)
}

// retryable keeps application errors as they are (they know whether they
// retry) and lets everything else retry.
func retryable(err error) error {
	var app *temporal.ApplicationError
	if err == nil || errors.As(err, &app) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return temporal.NewApplicationErrorWithCause(err.Error(), "ScaffoldTransient", err)
}

func heartbeat(ctx context.Context, details ...any) {
	if activity.IsActivity(ctx) {
		activity.RecordHeartbeat(ctx, details...)
	}
}

func attempt(ctx context.Context) int32 {
	if activity.IsActivity(ctx) {
		return activity.GetInfo(ctx).Attempt
	}
	return 1
}
