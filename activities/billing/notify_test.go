package billing

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

var secret = []byte("webhook-secret")

// issued writes acme's October invoice and returns its ID.
func issued(t *testing.T, a *Activities) string {
	t.Helper()
	ctx := context.Background()
	addTenant(t, a.Store, "acme", "Acme", span{"team", oct(1, 0), time.Time{}})
	c, err := a.BillingComputeInvoice(ctx, ComputeInvoiceInput{Tenant: "acme", Period: period})
	if err != nil {
		t.Fatal(err)
	}
	w, err := a.BillingWriteInvoice(ctx, WriteInvoiceInput{Invoice: c.Invoice})
	if err != nil {
		t.Fatal(err)
	}
	return w.InvoiceID
}

// receiver answers with the given statuses in turn (the last one repeats)
// and checks every delivery's signature.
func receiver(t *testing.T, statuses ...int) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(calls.Add(1))
		body, _ := io.ReadAll(r.Body)
		if err := VerifySignature(secret, r.Header.Get(SignatureHeader), body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("delivery %d: %v", n, err)
		}
		var ev InvoiceEvent
		if err := json.Unmarshal(body, &ev); err != nil || ev.Type != "invoice.issued" || ev.Tenant != "acme" ||
			ev.InvoiceID != r.Header.Get(DeliveryHeader) || ev.TotalMinor != 49900 || ev.Total != "499.00" {
			t.Errorf("delivery %d: %s %v", n, body, err)
		}
		if s := statuses[min(n, len(statuses))-1]; s != http.StatusOK {
			w.Header().Set("Retry-After", "7")
			http.Error(w, "nope", s)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

// notifyWorkflow runs BillingNotify with a retry policy, as TenantInvoice
// will, so the test sees what Temporal does with each error.
func notifyWorkflow(ctx workflow.Context, in NotifyInput) (NotifyResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Millisecond, BackoffCoefficient: 1, MaximumAttempts: 5},
	})
	var r NotifyResult
	err := workflow.ExecuteActivity(ctx, "BillingNotify", in).Get(ctx, &r)
	return r, err
}

func runNotify(t *testing.T, a *Activities, in NotifyInput) (NotifyResult, error) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterActivity(a)
	env.RegisterWorkflow(notifyWorkflow)
	env.ExecuteWorkflow(notifyWorkflow, in)
	var r NotifyResult
	if err := env.GetWorkflowError(); err != nil {
		return r, err
	}
	return r, env.GetWorkflowResult(&r)
}

func TestNotifyRetriesServerErrorsThenRecordsOnce(t *testing.T) {
	a := newActivities(t)
	id := issued(t, a)
	srv, calls := receiver(t, 500, 503, 200)
	a.WebhookURL, a.WebhookSecret, a.HTTP = srv.URL, secret, srv.Client()

	r, err := runNotify(t, a, NotifyInput{Tenant: "acme", InvoiceID: id})
	if err != nil || !r.Notified || r.AlreadyNotified || calls.Load() != 3 {
		t.Fatalf("result %+v, err %v, %d calls", r, err, calls.Load())
	}
	inv, _ := a.Store.GetInvoice(context.Background(), "acme", id)
	if inv.NotifiedAt == nil {
		t.Fatal("notified_at not set")
	}
	r, err = runNotify(t, a, NotifyInput{Tenant: "acme", InvoiceID: id})
	if err != nil || !r.Notified || !r.AlreadyNotified || calls.Load() != 3 {
		t.Fatalf("repeat: %+v, err %v, %d calls", r, err, calls.Load())
	}
}

func TestNotifyClientErrorIsNotRetried(t *testing.T) {
	a := newActivities(t)
	id := issued(t, a)
	srv, calls := receiver(t, 400)
	a.WebhookURL, a.WebhookSecret, a.HTTP = srv.URL, secret, srv.Client()
	_, err := runNotify(t, a, NotifyInput{Tenant: "acme", InvoiceID: id})
	appErr(t, err, ErrTypeWebhookRejected, true)
	if calls.Load() != 1 {
		t.Fatalf("%d attempts at a 400", calls.Load())
	}
	if inv, _ := a.Store.GetInvoice(context.Background(), "acme", id); inv.NotifiedAt != nil {
		t.Fatal("rejected delivery recorded as notified")
	}
}

func TestNotifyClassification(t *testing.T) {
	ctx := context.Background()
	a := newActivities(t)
	id := issued(t, a)
	in := NotifyInput{Tenant: "acme", InvoiceID: id}

	if r, err := a.BillingNotify(ctx, in); err != nil || r.Notified {
		t.Fatalf("no URL: %+v %v", r, err)
	}
	a.WebhookURL = "http://127.0.0.1:1/hook"
	_, err := a.BillingNotify(ctx, in)
	appErr(t, err, ErrTypeNotConfigured, true) // no secret

	a.WebhookSecret = secret
	_, err = a.BillingNotify(ctx, in) // nothing listens on port 1
	appErr(t, err, ErrTypeWebhookUnavailable, false)

	for status, want := range map[int]struct {
		errType      string
		nonRetryable bool
	}{
		429: {ErrTypeWebhookUnavailable, false},
		408: {ErrTypeWebhookUnavailable, false},
		302: {ErrTypeWebhookRejected, true},
		401: {ErrTypeWebhookRejected, true},
		404: {ErrTypeWebhookRejected, true},
	} {
		srv, _ := receiver(t, status)
		a.WebhookURL, a.HTTP = srv.URL, nil // the default client does not follow redirects
		ae := appErr(t, func() error { _, err := a.BillingNotify(ctx, in); return err }(), want.errType, want.nonRetryable)
		if status == 429 && ae.NextRetryDelay() != 7*time.Second {
			t.Errorf("429 Retry-After: next retry in %v", ae.NextRetryDelay())
		}
	}
}

func TestVerifySignature(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"type":"invoice.issued"}`)
	h := Sign(secret, now, body)
	if err := VerifySignature(secret, h, body, now.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		secret []byte
		header string
		body   []byte
		now    time.Time
	}{
		"other secret": {[]byte("guess"), h, body, now},
		"altered body": {secret, h, []byte(`{"type":"invoice.paid"}`), now},
		"replayed":     {secret, h, body, now.Add(time.Hour)},
		"malformed":    {secret, "v1=00", body, now},
		"empty":        {secret, "", body, now},
	} {
		if err := VerifySignature(c.secret, c.header, c.body, c.now, 5*time.Minute); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
