// Package controlplane holds the activities that read and write Rigger's own
// control-plane store: tenant records, subscriptions, and which integrations
// this worker has configured.
package controlplane

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/internal/store"
	"github.com/rigger-platform/rigger/internal/tenant"
)

// Capabilities says which optional integrations this worker has configured.
// The onboarding workflow reads them once, through an activity, so that the
// choice of steps is recorded in history and replays identically.
type Capabilities struct {
	Redis       bool
	Git         bool
	GitProvider string
	Kube        bool
	Argo        bool
	// ArgoSyncTimeout bounds the wait for the tenant's Application to
	// become Synced and Healthy.
	ArgoSyncTimeout time.Duration
	// BackstageImage is the image the tenant's config repo deploys.
	BackstageImage string
}

// Activities works on the control-plane store.
type Activities struct {
	Store        *store.Store
	Capabilities Capabilities
}

type CapabilitiesInput struct{}

// ControlPlaneCapabilities reports the worker's configured integrations.
func (a *Activities) ControlPlaneCapabilities(_ context.Context, _ CapabilitiesInput) (Capabilities, error) {
	return a.Capabilities, nil
}

type RecordTenantInput struct {
	Slug        string
	DisplayName string
	Plan        string
	Owner       string
	Admins      []string
	Plugins     []string
}

type RecordTenantResult struct {
	Created bool
	Status  string
}

// ControlPlaneRecordTenant claims the slug for this onboarding.
func (a *Activities) ControlPlaneRecordTenant(ctx context.Context, in RecordTenantInput) (RecordTenantResult, error) {
	if err := tenant.ValidateSlug(in.Slug); err != nil {
		return RecordTenantResult{}, temporal.NewNonRetryableApplicationError(err.Error(), "InvalidSlug", err)
	}
	ok, err := a.Store.PlanExists(ctx, in.Plan)
	if err != nil {
		return RecordTenantResult{}, err
	}
	if !ok {
		return RecordTenantResult{}, temporal.NewNonRetryableApplicationError("unknown plan "+in.Plan, "UnknownPlan", nil)
	}
	t, created, err := a.Store.ClaimTenant(ctx, store.TenantSpec{
		Slug: in.Slug, DisplayName: in.DisplayName, Plan: in.Plan, Owner: in.Owner, Admins: in.Admins, Plugins: in.Plugins,
	})
	if errors.Is(err, store.ErrConflict) {
		return RecordTenantResult{}, temporal.NewNonRetryableApplicationError(err.Error(), "TenantConflict", err)
	}
	if err != nil {
		return RecordTenantResult{}, err
	}
	return RecordTenantResult{Created: created, Status: t.Status}, nil
}

type SetStatusInput struct {
	Slug   string
	From   []string
	To     string
	Reason string
}

type SetStatusResult struct{ Changed bool }

// ControlPlaneSetStatus moves the tenant between statuses (guarded by From).
func (a *Activities) ControlPlaneSetStatus(ctx context.Context, in SetStatusInput) (SetStatusResult, error) {
	changed, err := a.Store.SetTenantStatus(ctx, in.Slug, in.From, in.To, in.Reason)
	if errors.Is(err, store.ErrNotFound) {
		// Nothing to mark: the record step never ran or was undone.
		return SetStatusResult{}, nil
	}
	return SetStatusResult{Changed: changed}, err
}

type SubscribeInput struct {
	Slug string
	Plan string
}

type SubscribeResult struct {
	SubscriptionID int64
	Created        bool
}

// BillingSubscribe opens the tenant's subscription to its plan.
func (a *Activities) BillingSubscribe(ctx context.Context, in SubscribeInput) (SubscribeResult, error) {
	sub, created, err := a.Store.Subscribe(ctx, in.Slug, in.Plan)
	if err != nil {
		return SubscribeResult{}, err
	}
	return SubscribeResult{SubscriptionID: sub.ID, Created: created}, nil
}

type UnsubscribeInput struct{ Slug string }

type UnsubscribeResult struct{ Ended bool }

// BillingUnsubscribe ends the tenant's open subscription, if any.
func (a *Activities) BillingUnsubscribe(ctx context.Context, in UnsubscribeInput) (UnsubscribeResult, error) {
	ended, err := a.Store.EndSubscription(ctx, in.Slug)
	return UnsubscribeResult{Ended: ended}, err
}
