package dr

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
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

// AlertTenant is one tenant an alert is about.
type AlertTenant struct {
	Tenant   string   `json:"tenant"`
	BackupID string   `json:"backupId,omitempty"`
	Problems []string `json:"problems"`
}

// AlertInput describes what went wrong. Kind and ID identify the run
// ("dr-drill"/"2026-11-03", "tenant-backups"/"20261103-0200"); together
// they are the delivery ID, the same on every attempt, so a receiver can
// drop duplicates (delivery is at least once).
type AlertInput struct {
	Kind       string
	ID         string
	Status     string // e.g. "failed"
	Summary    string
	WorkflowID string
	Tenants    []AlertTenant
	At         time.Time
}

type AlertResult struct {
	// Sent is true when the receiver acknowledged the alert; false when no
	// webhook is configured (the alert is then only in the worker's log).
	Sent bool
}

// Alert is the JSON body DRAlert posts. Text repeats the essentials as one
// line, which chat webhooks (Slack, Mattermost, Teams connectors) display.
type Alert struct {
	Type       string        `json:"type"` // "rigger.dr.alert"
	Kind       string        `json:"kind"`
	ID         string        `json:"id"`
	Status     string        `json:"status"`
	Summary    string        `json:"summary"`
	WorkflowID string        `json:"workflowId,omitempty"`
	At         time.Time     `json:"at"`
	Tenants    []AlertTenant `json:"tenants"`
	Text       string        `json:"text"`
}

// Delivery headers.
const (
	AlertEventHeader    = "X-Rigger-Event"
	AlertDeliveryHeader = "X-Rigger-Delivery"
)

// maxAlertTenants bounds the body; Summary still counts every tenant.
const maxAlertTenants = 100

var defaultHTTP = &http.Client{
	Timeout: 30 * time.Second,
	// A redirect means a misconfigured URL; report it rather than resend.
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// DRAlert posts the alert to AlertURL. 2xx is success; 408, 429, 5xx and
// network errors are retryable (honouring Retry-After); any other status is
// the non-retryable DRAlertRejected. Without a URL it logs the alert at
// error level and reports Sent false.
func (a *Activities) DRAlert(ctx context.Context, in AlertInput) (AlertResult, error) {
	if in.Kind == "" || in.ID == "" {
		return AlertResult{}, nonRetryable(ErrTypeInvalidInput, errors.New("alert kind and ID are required"))
	}
	body := Alert{Type: "rigger.dr.alert", Kind: in.Kind, ID: in.ID, Status: in.Status, Summary: in.Summary,
		WorkflowID: in.WorkflowID, At: in.At.UTC(), Tenants: in.Tenants}
	if len(body.Tenants) > maxAlertTenants {
		body.Tenants = body.Tenants[:maxAlertTenants]
	}
	if body.Tenants == nil {
		body.Tenants = []AlertTenant{}
	}
	body.Text = alertText(in)
	if a.AlertURL == "" {
		if activity.IsActivity(ctx) {
			activity.GetLogger(ctx).Error("DR alert (no RIGGER_ALERT_WEBHOOK_URL configured)", "kind", in.Kind, "id", in.ID, "summary", in.Summary)
		}
		return AlertResult{}, nil
	}
	if u, err := url.Parse(a.AlertURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return AlertResult{}, nonRetryable(ErrTypeNotConfigured, errors.New("the alert webhook URL is not an http(s) URL"))
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return AlertResult{}, nonRetryable(ErrTypeInvalidInput, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.AlertURL, bytes.NewReader(payload))
	if err != nil {
		return AlertResult{}, nonRetryable(ErrTypeNotConfigured, errors.New("the alert webhook URL is not usable"))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "rigger-dr")
	req.Header.Set(AlertEventHeader, "dr.alert")
	req.Header.Set(AlertDeliveryHeader, in.Kind+"/"+in.ID)
	client := a.HTTP
	if client == nil {
		client = defaultHTTP
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return AlertResult{}, ctx.Err()
		}
		// The URL may carry a token: name the host only.
		return AlertResult{}, temporal.NewApplicationError("alert webhook unreachable: "+redactURLError(err, req.URL), ErrTypeUnavailable)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return AlertResult{Sent: true}, nil
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		msg := fmt.Sprintf("alert webhook answered %d", code)
		if d, ok := retryAfter(resp.Header.Get("Retry-After")); ok {
			return AlertResult{}, temporal.NewApplicationErrorWithOptions(msg, ErrTypeUnavailable, temporal.ApplicationErrorOptions{NextRetryDelay: d})
		}
		return AlertResult{}, temporal.NewApplicationError(msg, ErrTypeUnavailable)
	default:
		return AlertResult{}, nonRetryable(ErrTypeAlertRejected, fmt.Errorf("alert webhook rejected the alert with %d", code))
	}
}

func alertText(in AlertInput) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Rigger %s %s %s: %s", in.Kind, in.ID, in.Status, in.Summary)
	for i, t := range in.Tenants {
		if i == 5 {
			fmt.Fprintf(&b, "; and %d more", len(in.Tenants)-i)
			break
		}
		fmt.Fprintf(&b, "; %s: %s", t.Tenant, strings.Join(t.Problems, ", "))
	}
	return b.String()
}

// retryAfter reads a Retry-After header in seconds, capped at ten minutes.
func retryAfter(v string) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return min(time.Duration(n)*time.Second, 10*time.Minute), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(time.Until(t), 0), 10*time.Minute), true
	}
	return 0, false
}

func redactURLError(err error, u *url.URL) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + " " + u.Scheme + "://" + u.Host + ": " + ue.Err.Error()
	}
	return "request to " + u.Host + " failed"
}
