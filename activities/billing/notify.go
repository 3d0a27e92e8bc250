package billing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/internal/billing"
)

type NotifyInput struct {
	Tenant    string
	InvoiceID string
}

type NotifyResult struct {
	// Notified is true once the receiver has acknowledged the invoice,
	// by this call or an earlier one; false when no webhook is configured.
	Notified bool
	// AlreadyNotified is true when an earlier call had done it.
	AlreadyNotified bool
}

// InvoiceEvent is the JSON body of the webhook.
type InvoiceEvent struct {
	Type          string    `json:"type"` // "invoice.issued"
	InvoiceID     string    `json:"invoiceId"`
	Tenant        string    `json:"tenant"`
	Period        string    `json:"period"`
	Currency      string    `json:"currency"`
	SubtotalMinor int64     `json:"subtotalMinor"`
	TotalMinor    int64     `json:"totalMinor"`
	Total         string    `json:"total"` // exact decimal, e.g. "1234.56"
	IssuedAt      time.Time `json:"issuedAt"`
	JSONKey       string    `json:"jsonKey,omitempty"` // in the tenant's storage
	HTMLKey       string    `json:"htmlKey,omitempty"`
}

// Delivery headers besides SignatureHeader. The delivery ID is the invoice
// ID, the same on every attempt, so a receiver can drop duplicates: delivery
// is at-least-once, because a worker can die after the receiver answered and
// before notified_at is recorded.
const (
	EventHeader    = "X-Rigger-Event"
	DeliveryHeader = "X-Rigger-Delivery"
)

var defaultHTTP = &http.Client{
	Timeout: 30 * time.Second,
	// A redirect is a misconfigured URL, and following it would resend a
	// signed body somewhere else; report it instead.
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// BillingNotify POSTs the signed InvoiceEvent to WebhookURL once: an
// invoice whose notified_at is set is not sent again. 2xx records
// notified_at; 408, 429 and 5xx (and network errors) are retryable, honouring
// Retry-After; any other status is non-retryable.
func (a *Activities) BillingNotify(ctx context.Context, in NotifyInput) (NotifyResult, error) {
	if err := checkSlug(in.Tenant); err != nil {
		return NotifyResult{}, err
	}
	if a.WebhookURL == "" {
		return NotifyResult{}, nil
	}
	if u, err := url.Parse(a.WebhookURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return NotifyResult{}, notConfigured("a valid webhook URL")
	}
	if len(a.WebhookSecret) == 0 {
		return NotifyResult{}, notConfigured("webhook secret")
	}
	if a.Store == nil {
		return NotifyResult{}, notConfigured("store")
	}
	inv, err := a.Store.GetInvoice(ctx, in.Tenant, in.InvoiceID)
	if err != nil {
		return NotifyResult{}, storeError(err)
	}
	if inv.NotifiedAt != nil {
		return NotifyResult{Notified: true, AlreadyNotified: true}, nil
	}
	cur, err := billing.LookupCurrency(inv.Currency)
	if err != nil {
		return NotifyResult{}, nonRetryable(ErrTypeInvalidInvoice, err)
	}
	body, err := json.Marshal(InvoiceEvent{Type: "invoice.issued", InvoiceID: inv.ID, Tenant: inv.Tenant, Period: inv.Period,
		Currency: inv.Currency, SubtotalMinor: inv.SubtotalMinor, TotalMinor: inv.TotalMinor, Total: cur.Decimal(inv.TotalMinor),
		IssuedAt: inv.CreatedAt.UTC(), JSONKey: inv.RenderedJSONKey, HTMLKey: inv.RenderedHTMLKey})
	if err != nil {
		return NotifyResult{}, nonRetryable(ErrTypeInvalidInvoice, err)
	}
	if err := a.post(ctx, inv.ID, body); err != nil {
		return NotifyResult{}, err
	}
	if _, err := a.Store.MarkInvoiceNotified(ctx, inv.Tenant, inv.ID); err != nil {
		return NotifyResult{}, storeError(err)
	}
	return NotifyResult{Notified: true}, nil
}

func (a *Activities) post(ctx context.Context, deliveryID string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return notConfigured("a valid webhook URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "rigger-billing/1")
	req.Header.Set(EventHeader, "invoice.issued")
	req.Header.Set(DeliveryHeader, deliveryID)
	req.Header.Set(SignatureHeader, Sign(a.WebhookSecret, time.Now(), body))
	client := a.HTTP
	if client == nil {
		client = defaultHTTP
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// The URL may carry a token, and *url.Error prints it: say less.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return temporal.NewApplicationError("billing: webhook: "+err.Error(), ErrTypeWebhookUnavailable)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	return webhookStatus(resp, snippet)
}

// webhookStatus classifies the receiver's answer.
func webhookStatus(resp *http.Response, snippet []byte) error {
	code := resp.StatusCode
	msg := fmt.Sprintf("billing: webhook answered %d: %q", code, snippet)
	switch {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return temporal.NewApplicationErrorWithOptions(msg, ErrTypeWebhookUnavailable,
			temporal.ApplicationErrorOptions{NextRetryDelay: retryAfter(resp.Header.Get("Retry-After"))})
	default:
		return temporal.NewNonRetryableApplicationError(msg, ErrTypeWebhookRejected, nil)
	}
}

// retryAfter reads a Retry-After in seconds (the HTTP-date form is rare
// for webhooks and is ignored), capped so a receiver cannot park the
// activity for days; 0 leaves the workflow's retry policy in charge.
func retryAfter(v string) time.Duration {
	s, err := strconv.Atoi(v)
	if err != nil || s <= 0 {
		return 0
	}
	return min(time.Duration(s)*time.Second, time.Hour)
}
