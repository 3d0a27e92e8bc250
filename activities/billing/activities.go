// Package billing holds the activities of the billing cycle: list the
// billable tenants of a period, compute a tenant's invoice, write it (once
// per tenant and period), render it into the tenant's storage, and notify a
// webhook. Each is idempotent, so the TenantInvoice workflow can retry any
// step, or be re-run for the same period, without charging twice.
package billing

import (
	"net/http"

	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/internal/store"
)

// Activities are registered on the billing worker. Every exported method is
// an activity.
type Activities struct {
	Store *store.Store
	// Objects is the whole object store; each call confines itself to one
	// tenant's prefix with storage.Scoped.
	Objects storage.Store
	// WebhookURL receives a POST per issued invoice; empty disables
	// notification (BillingNotify reports Notified=false).
	WebhookURL string
	// WebhookSecret is the HMAC-SHA256 key of the signature header. A URL
	// without a secret is a configuration error: unsigned billing events
	// could be forged by anyone who finds the receiver.
	WebhookSecret []byte
	// HTTP sends the webhook; nil uses a client with a 30 s timeout that
	// does not follow redirects.
	HTTP *http.Client
}

// Application error types, for workflows that branch on them. All but
// ErrTypeStoreUnavailable and ErrTypeWebhookUnavailable are non-retryable.
const (
	ErrTypeInvalidSlug        = "InvalidSlug"
	ErrTypeInvalidPeriod      = "BillingInvalidPeriod"
	ErrTypePeriodOpen         = "BillingPeriodOpen"      // the month has not ended yet
	ErrTypeNoSubscription     = "BillingNoSubscription"  // nothing to bill the tenant for
	ErrTypeInvalidPricing     = "BillingInvalidPricing"  // plans or usage cannot be priced
	ErrTypeInvalidInvoice     = "BillingInvalidInvoice"  // the invoice input is inconsistent
	ErrTypeInvoiceNotFound    = "BillingInvoiceNotFound" // no such invoice for this tenant
	ErrTypeNotConfigured      = "BillingNotConfigured"
	ErrTypeStorageRejected    = "BillingStorageRejected" // invalid key or permission denied
	ErrTypeWebhookRejected    = "BillingWebhookRejected" // 3xx/4xx: fix the receiver or the URL
	ErrTypeStoreUnavailable   = "BillingStoreUnavailable"
	ErrTypeStorageUnavailable = "BillingStorageUnavailable"
	ErrTypeWebhookUnavailable = "BillingWebhookUnavailable" // network error, 408, 429, 5xx
)
