package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/client"

	"github.com/rigger-platform/rigger/activities/billing"
	"github.com/rigger-platform/rigger/api"
	"github.com/rigger-platform/rigger/internal/store"
	"github.com/rigger-platform/rigger/workflows"
)

// billingWebhookSecret signs the billing webhooks of the test platforms.
const billingWebhookSecret = "e2e-billing-secret"

// billedPeriod is a month that is over: its invoices are final.
const billedPeriod = "2026-10"

func octDay(day, hour int) time.Time { return time.Date(2026, 10, day, hour, 0, 0, 0, time.UTC) }

// billingTenant is one tenant of the billing fixtures: a subscription over
// [from, to) (zero to: open) and usage events in October.
type billingTenant struct {
	slug, plan string
	from, to   time.Time
	metric     string
	events     int
	quantity   int64
	// total is the expected invoice total, when easy to state (0: only
	// compared across runs).
	total int64
}

// billingFixture: a whole month on team with overage, a whole month on
// enterprise with overage, and a mid-month start on free (prorated).
var billingFixture = []billingTenant{
	{slug: "bill-acme", plan: "team", from: octDay(1, 0).AddDate(0, -1, 0), metric: store.MetricScaffolderRuns, events: 12, quantity: 100,
		total: 49900 + 200*10}, // 1,200 runs, 1,000 included, 10¢ each beyond
	{slug: "bill-beta", plan: "enterprise", from: octDay(1, 0).AddDate(0, -1, 0), metric: store.MetricTechDocsBuildMinutes, events: 101, quantity: 100,
		total: 299900 + 100*3}, // 10,100 minutes, 10,000 included, 3¢ each beyond
	{slug: "bill-gamma", plan: "team", from: octDay(16, 0), metric: store.MetricAPICalls, events: 30, quantity: 1000},
}

// seedBilling records the tenants (active), their subscriptions in the
// past period and their usage, directly in the store.
func seedBilling(t testing.TB, st *store.Store, tenants []billingTenant) {
	t.Helper()
	ctx := context.Background()
	for _, bt := range tenants {
		if _, _, err := st.ClaimTenant(ctx, store.TenantSpec{Slug: bt.slug, DisplayName: "Tenant " + bt.slug, Plan: bt.plan, Owner: "owner"}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SetTenantStatus(ctx, bt.slug, nil, store.StatusActive, ""); err != nil {
			t.Fatal(err)
		}
		var to *time.Time
		if !bt.to.IsZero() {
			to = &bt.to
		}
		if _, err := st.Pool.Exec(ctx, `INSERT INTO rigger.subscriptions (tenant_slug, plan_id, started_at, ended_at) VALUES ($1, $2, $3, $4)`,
			bt.slug, bt.plan, bt.from, to); err != nil {
			t.Fatal(err)
		}
		for i := range bt.events {
			day := 16 + i%16 // inside every fixture subscription
			e := store.UsageEvent{ID: fmt.Sprintf("%s/%d", bt.slug, i), Tenant: bt.slug, Metric: bt.metric, Quantity: bt.quantity,
				OccurredAt: octDay(day, i%24), Source: "e2e"}
			if _, err := st.RecordUsage(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// expectedTotals prices each tenant directly (the compute activity is a pure
// function of the store) and checks the totals the fixture states.
func expectedTotals(t testing.TB, p *platform, tenants []billingTenant) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, bt := range tenants {
		c, err := p.deps.Billing.BillingComputeInvoice(context.Background(), billing.ComputeInvoiceInput{Tenant: bt.slug, Period: billedPeriod})
		if err != nil {
			t.Fatalf("%s: %v", bt.slug, err)
		}
		if bt.total != 0 && c.Invoice.TotalMinor != bt.total {
			t.Fatalf("%s: priced at %d, the fixture says %d", bt.slug, c.Invoice.TotalMinor, bt.total)
		}
		out[bt.slug] = c.Invoice.TotalMinor
	}
	return out
}

// storedInvoices reads every invoice of the period from the database:
// tenant → total, failing on a second invoice for a tenant.
func storedInvoices(t testing.TB, st *store.Store) (map[string]int64, map[string]string) {
	t.Helper()
	rows, err := st.Pool.Query(context.Background(), `SELECT tenant_slug, id, total_minor FROM rigger.invoices WHERE period = $1`, billedPeriod)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	totals, ids := map[string]int64{}, map[string]string{}
	for rows.Next() {
		var slug, id string
		var total int64
		if err := rows.Scan(&slug, &id, &total); err != nil {
			t.Fatal(err)
		}
		if _, dup := totals[slug]; dup {
			t.Fatalf("%s has two invoices for %s", slug, billedPeriod)
		}
		totals[slug], ids[slug] = total, id
	}
	return totals, ids
}

// webhookReceiver verifies the signature of every delivery and counts them
// per delivery ID (the invoice ID); stall, until closed, holds every
// delivery open.
type webhookReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	received map[string]int
	bad      int
	reached  chan struct{}
	once     sync.Once
	stall    chan struct{}
}

func newWebhookReceiver(t testing.TB, stall bool) *webhookReceiver {
	h := &webhookReceiver{received: map[string]int{}, reached: make(chan struct{}), stall: make(chan struct{})}
	if !stall {
		close(h.stall)
	}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.once.Do(func() { close(h.reached) })
		select {
		case <-h.stall:
		case <-r.Context().Done(): // the worker died holding the request
			return
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if billing.VerifySignature([]byte(billingWebhookSecret), r.Header.Get(billing.SignatureHeader), body, time.Now(), time.Minute) != nil {
			h.bad++
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		h.received[r.Header.Get(billing.DeliveryHeader)]++
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *webhookReceiver) counts() (map[string]int, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return maps.Clone(h.received), h.bad
}

// startCycle asks the API for the period's cycle.
func (p *platform) startCycle(body map[string]any) (int, api.BillingCycleResponse) {
	p.t.Helper()
	var resp api.BillingCycleResponse
	code := p.call("POST", "/v1/billing/cycles", body, &resp)
	return code, resp
}

// waitCycle polls GET /v1/billing/cycles/{period} until its latest run (the
// one just started, or the last of a continue-as-new chain) is done.
func (p *platform) waitCycle(period string, timeout time.Duration) api.BillingCycleResponse {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	var resp api.BillingCycleResponse
	for time.Now().Before(deadline) {
		resp = api.BillingCycleResponse{}
		code := p.call("GET", "/v1/billing/cycles/"+period, nil, &resp)
		if code == 200 && resp.Status != "running" {
			return resp
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.t.Fatalf("billing cycle %s not done within %s; last: %+v", period, timeout, resp)
	return resp
}

// TestBillingExactlyOnce bills three tenants through the API on the dev
// stack, then runs the cycle for the period again in three ways — the same
// request, an explicit re-run, and a cycle under another workflow ID (as the
// schedule would start) — and checks there is still one invoice per tenant
// with the same amount, delivered to the webhook once.
func TestBillingExactlyOnce(t *testing.T) {
	hook := newWebhookReceiver(t, false)
	p := newPlatform(t, platformOptions{devDefaults: true, billingWebhook: hook.URL})
	seedBilling(t, p.store, billingFixture)
	want := expectedTotals(t, p, billingFixture)
	slugs := slices.Sorted(maps.Keys(want))

	code, started := p.startCycle(map[string]any{"period": billedPeriod})
	if code != http.StatusAccepted || started.WorkflowID != "billing/"+billedPeriod || started.RunID == "" {
		t.Fatalf("POST /v1/billing/cycles = %d %+v", code, started)
	}
	done := p.waitCycle(billedPeriod, 2*time.Minute)
	if done.Status != "completed" || done.Result == nil || !slices.Equal(done.Result.Invoiced, slugs) ||
		len(done.Result.Failed) != 0 || len(done.Result.Existing) != 0 {
		t.Fatalf("first cycle: %+v result %+v", done, done.Result)
	}
	totals, ids := storedInvoices(t, p.store)
	if !maps.Equal(totals, want) {
		t.Fatalf("invoiced %v, want %v", totals, want)
	}
	// The first cycle and one tenant's invoice child replay (before the
	// re-runs below start later runs under the same IDs).
	p.assertReplays(started.WorkflowID, "billing_cycle")
	p.assertReplays(workflows.InvoiceWorkflowID(slugs[0], billedPeriod), "billing_invoice")
	// Rendered into each tenant's storage and acknowledged by the webhook.
	for slug, id := range ids {
		for _, ext := range []string{".json", ".html"} {
			if _, err := os.Stat(filepath.Join(p.storeDir, "tenants", slug, "invoices", billedPeriod, id+ext)); err != nil {
				t.Errorf("%s: rendered %s missing: %v", slug, ext, err)
			}
		}
		inv, err := p.store.GetInvoice(context.Background(), slug, id)
		if err != nil || inv.NotifiedAt == nil {
			t.Fatalf("%s: invoice %+v %v", slug, inv, err)
		}
	}

	// The same request again: the same (completed) run, nothing started.
	code, again := p.startCycle(map[string]any{"period": billedPeriod})
	if code != http.StatusOK || again.RunID != started.RunID || again.Status != "completed" {
		t.Fatalf("repeated POST = %d %+v (first run %s)", code, again, started.RunID)
	}
	// Usage that arrives late must not change an issued invoice.
	if _, err := p.store.RecordUsage(context.Background(), store.UsageEvent{ID: "late", Tenant: "bill-acme",
		Metric: store.MetricScaffolderRuns, Quantity: 5000, OccurredAt: octDay(31, 23)}); err != nil {
		t.Fatal(err)
	}
	// An explicit re-run: a new run that finds every invoice done.
	code, rerun := p.startCycle(map[string]any{"period": billedPeriod, "rerun": true})
	if code != http.StatusAccepted || rerun.RunID == started.RunID {
		t.Fatalf("re-run POST = %d %+v", code, rerun)
	}
	done = p.waitCycle(billedPeriod, 2*time.Minute)
	if done.RunID != rerun.RunID || done.Result == nil || !slices.Equal(done.Result.Existing, slugs) || !slices.Equal(done.Result.Invoiced, slugs) {
		t.Fatalf("re-run: %+v result %+v", done, done.Result)
	}
	// A cycle under another ID, as a schedule firing starts one.
	run, err := p.client.ExecuteWorkflow(context.Background(), clientStart("billing-cycle-e2e"), workflows.BillingCycleWorkflow,
		workflows.BillingCycleInput{Period: billedPeriod})
	if err != nil {
		t.Fatal(err)
	}
	var sched workflows.BillingCycleResult
	if err := run.Get(context.Background(), &sched); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sched.Existing, slugs) || len(sched.Failed) != 0 {
		t.Fatalf("scheduled-style cycle: %+v", sched)
	}

	again2, ids2 := storedInvoices(t, p.store)
	if !maps.Equal(again2, want) || !maps.Equal(ids2, ids) {
		t.Fatalf("after re-runs: %v %v, want %v %v", again2, ids2, want, ids)
	}
	received, bad := hook.counts()
	if bad != 0 || len(received) != len(ids) {
		t.Fatalf("webhook: %v (%d bad signatures)", received, bad)
	}
	for slug, id := range ids {
		if received[id] != 1 {
			t.Errorf("%s: %d webhook deliveries", slug, received[id])
		}
	}
	var lines int
	_ = p.store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM rigger.invoice_lines`).Scan(&lines)
	if lines == 0 {
		t.Fatal("no invoice lines")
	}
}

func clientStart(id string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueueBilling}
}

// billingWorkerProcess runs `rigger worker` serving only the billing queue,
// against the platform's database and storage and the given webhook.
func (p *platform) billingWorkerProcess(t *testing.T, webhook string) (*exec.Cmd, string) {
	t.Helper()
	opsAddr := freeAddr(t)
	cmd := exec.Command(riggerBinary(t), "worker")
	cmd.Env = append(os.Environ(),
		"TEMPORAL_ADDRESS="+p.temporal.Frontend,
		"DATABASE_URL="+p.dbURL,
		"RIGGER_DATA_DIR="+t.TempDir(),
		"RIGGER_SECRET_KEY="+base64.StdEncoding.EncodeToString(p.secretKey),
		"RIGGER_STORAGE_DIR="+p.storeDir,
		"RIGGER_TASK_QUEUES="+workflows.TaskQueueBilling,
		"RIGGER_WORKER_ADDR="+opsAddr,
		"RIGGER_KUBECONFIG=",
		"RIGGER_REDIS_URL=",
		"RIGGER_GIT_PROVIDER=",
		"RIGGER_BILLING_WEBHOOK_URL="+webhook,
		"RIGGER_BILLING_WEBHOOK_SECRET="+billingWebhookSecret,
	)
	cmd.Stdout, cmd.Stderr = testLogWriter(t), testLogWriter(t)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd, "http://" + opsAddr
}

// TestBillingCycleSurvivesWorkerKill kills the billing worker (SIGKILL)
// while every tenant's invoice is written and its webhook delivery is held
// open, starts another worker, and checks the cycle completes with one
// invoice per tenant, the amounts a clean run gives, and every invoice
// acknowledged.
func TestBillingCycleSurvivesWorkerKill(t *testing.T) {
	hook := newWebhookReceiver(t, true)
	p := newPlatform(t, platformOptions{devDefaults: true, noWorker: true, billingWebhook: hook.URL})
	seedBilling(t, p.store, billingFixture)
	want := expectedTotals(t, p, billingFixture)
	slugs := slices.Sorted(maps.Keys(want))

	first, ops := p.billingWorkerProcess(t, hook.URL)
	waitReady(t, ops)
	if code, _ := p.startCycle(map[string]any{"period": billedPeriod}); code != http.StatusAccepted {
		t.Fatalf("POST /v1/billing/cycles = %d", code)
	}
	select {
	case <-hook.reached:
	case <-time.After(90 * time.Second):
		t.Fatal("the worker never reached the webhook")
	}
	// Mid-way: the cycle is running, nothing is acknowledged yet.
	var mid api.BillingCycleResponse
	if code := p.call("GET", "/v1/billing/cycles/"+billedPeriod, nil, &mid); code != 200 || mid.Status != "running" ||
		mid.Progress == nil || len(mid.Progress.InFlight) == 0 || mid.Progress.Invoiced != 0 {
		t.Fatalf("mid-way status = %d %+v", code, mid)
	}
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	before, _ := storedInvoices(t, p.store)
	var notified int
	_ = p.store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM rigger.invoices WHERE notified_at IS NOT NULL`).Scan(&notified)
	t.Logf("killed the worker with %d invoices written, %d acknowledged", len(before), notified)
	if notified != 0 {
		t.Fatalf("%d invoices acknowledged before the kill; the receiver was stalled", notified)
	}
	close(hook.stall)

	_, ops = p.billingWorkerProcess(t, hook.URL)
	waitReady(t, ops)
	done := p.waitCycle(billedPeriod, 3*time.Minute)
	if done.Status != "completed" || done.Result == nil || !slices.Equal(done.Result.Invoiced, slugs) || len(done.Result.Failed) != 0 {
		t.Fatalf("after the crash: %+v result %+v", done, done.Result)
	}
	totals, ids := storedInvoices(t, p.store)
	if !maps.Equal(totals, want) {
		t.Fatalf("invoiced %v, want %v", totals, want)
	}
	received, bad := hook.counts()
	if bad != 0 {
		t.Fatalf("%d deliveries with bad signatures", bad)
	}
	for slug, id := range ids {
		inv, err := p.store.GetInvoice(context.Background(), slug, id)
		if err != nil || inv.NotifiedAt == nil || inv.RenderedHTMLKey == "" {
			t.Fatalf("%s: %+v %v", slug, inv, err)
		}
		// At least once, and every repeat carries the same delivery ID.
		if received[id] < 1 {
			t.Errorf("%s: never delivered", slug)
		}
	}
	if len(received) != len(ids) {
		t.Fatalf("deliveries for %d invoices, want %d: %v", len(received), len(ids), received)
	}
	// The children ran once each: the restarted worker resumed them rather
	// than starting new ones.
	for _, slug := range slugs {
		d, err := p.client.DescribeWorkflowExecution(context.Background(), workflows.InvoiceWorkflowID(slug, billedPeriod), "")
		if err != nil {
			t.Fatal(err)
		}
		if s := d.GetWorkflowExecutionInfo().GetStatus().String(); s != "Completed" {
			t.Fatalf("%s: invoice workflow %s", slug, s)
		}
	}
}

// TestBillingAPI: invoices are tenant-scoped (another tenant's invoice is a
// 404 however it is asked for), the usage routes validate precisely in the
// stable error shape, and POST /v1/usage is idempotent by id.
func TestBillingAPI(t *testing.T) {
	p := newPlatform(t, platformOptions{devDefaults: true})
	ctx := context.Background()
	seedBilling(t, p.store, billingFixture[:2])
	seedBilling(t, p.store, []billingTenant{{slug: "bill-gone", plan: "free", from: octDay(1, 0), metric: store.MetricAPICalls}})
	if _, err := p.store.SetTenantStatus(ctx, "bill-gone", nil, store.StatusDeleted, "offboarded"); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, slug := range []string{"bill-acme", "bill-beta"} {
		c, err := p.deps.Billing.BillingComputeInvoice(ctx, billing.ComputeInvoiceInput{Tenant: slug, Period: billedPeriod})
		if err != nil {
			t.Fatal(err)
		}
		w, err := p.deps.Billing.BillingWriteInvoice(ctx, billing.WriteInvoiceInput{Invoice: c.Invoice})
		if err != nil {
			t.Fatal(err)
		}
		ids[slug] = w.InvoiceID
	}
	aRead := p.tenantKey("bill-acme", "read")
	aRun := p.tenantKey("bill-acme", "run")
	bRun := p.tenantKey("bill-beta", "run")

	// Invoices: A sees its own, with lines and the exact decimal total.
	var list struct {
		Invoices []api.InvoiceResponse `json:"invoices"`
	}
	if code := p.callAs(aRead.Key, "GET", "/v1/tenants/bill-acme/invoices", nil, &list); code != 200 || len(list.Invoices) != 1 ||
		list.Invoices[0].ID != ids["bill-acme"] || list.Invoices[0].TotalMinor != 51900 || list.Invoices[0].Total != "519.00" ||
		list.Invoices[0].WorkflowID != "invoice/bill-acme/"+billedPeriod {
		t.Fatalf("list = %d %+v", code, list)
	}
	var inv api.InvoiceResponse
	if code := p.callAs(aRead.Key, "GET", "/v1/tenants/bill-acme/invoices/"+ids["bill-acme"], nil, &inv); code != 200 ||
		inv.Tenant != "bill-acme" || len(inv.Lines) == 0 || inv.Lines[0].Kind != "base" {
		t.Fatalf("get = %d %+v", code, inv)
	}
	// B's invoice: under A's path, under B's path, even for the admin
	// under the wrong tenant — always the same 404.
	for _, c := range []struct{ key, path string }{
		{aRead.Key, "/v1/tenants/bill-acme/invoices/" + ids["bill-beta"]},
		{aRead.Key, "/v1/tenants/bill-beta/invoices/" + ids["bill-beta"]},
		{aRead.Key, "/v1/tenants/bill-beta/invoices"},
		{p.adminKey, "/v1/tenants/bill-acme/invoices/" + ids["bill-beta"]},
		{aRead.Key, "/v1/tenants/bill-acme/invoices/inv_doesnotexist"},
		{aRead.Key, "/v1/tenants/bill-acme/invoices/..%2f..%2fetc"},
	} {
		status, e := rawCall(t, p, "GET", c.path, c.key, "", nil)
		if status != 404 || e.Error.Code != "not_found" {
			t.Fatalf("GET %s = %d %+v, want 404", c.path, status, e)
		}
	}

	// Usage totals over [from, to), dates or RFC 3339.
	var usage api.UsageResponse
	if code := p.callAs(aRead.Key, "GET", "/v1/tenants/bill-acme/usage?from=2026-10-01&to=2026-11-01", nil, &usage); code != 200 ||
		usage.Totals[store.MetricScaffolderRuns] != 1200 || len(usage.Totals) != 1 || !usage.From.Equal(octDay(1, 0)) {
		t.Fatalf("usage = %d %+v", code, usage)
	}
	if code := p.callAs(aRead.Key, "GET", "/v1/tenants/bill-acme/usage?from=2026-10-20T00:00:00Z&to=2026-10-21T00:00:00%2B00:00", nil, &usage); code != 200 ||
		usage.Totals[store.MetricScaffolderRuns] != 100 { // one event a day from the 16th
		t.Fatalf("one-day usage = %d %+v", code, usage)
	}

	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	event := func(id, tenant, metric string, quantity any, at string) string {
		return fmt.Sprintf(`{"id":%q,"tenant":%q,"metric":%q,"quantity":%v,"occurredAt":%q}`, id, tenant, metric, quantity, at)
	}
	good := event("evt-1", "bill-acme", store.MetricAPICalls, 7, "2026-11-03T10:00:00Z")
	cases := []struct {
		name, method, path, key, body string
		status                        int
		code, field                   string
	}{
		{"bad from", "GET", "/v1/tenants/bill-acme/usage?from=yesterday", aRead.Key, "", 400, "invalid_argument", "from"},
		{"bad to", "GET", "/v1/tenants/bill-acme/usage?to=2026-13-01", aRead.Key, "", 400, "invalid_argument", "to"},
		{"reversed", "GET", "/v1/tenants/bill-acme/usage?from=2026-11-01&to=2026-10-01", aRead.Key, "", 400, "invalid_argument", "to"},
		{"empty range", "GET", "/v1/tenants/bill-acme/usage?from=2026-10-01&to=2026-10-01", aRead.Key, "", 400, "invalid_argument", "to"},
		{"too long", "GET", "/v1/tenants/bill-acme/usage?from=2024-01-01&to=2026-01-01", aRead.Key, "", 400, "invalid_argument", "to"},
		{"other tenant's usage", "GET", "/v1/tenants/bill-beta/usage", aRead.Key, "", 404, "not_found", ""},
		{"unknown tenant's usage", "GET", "/v1/tenants/nobody-here/usage", p.adminKey, "", 404, "not_found", ""},
		{"read key posts usage", "POST", "/v1/usage", aRead.Key, good, 403, "permission_denied", ""},
		{"other tenant", "POST", "/v1/usage", aRun.Key, event("evt-1", "bill-beta", "api_calls", 1, "2026-11-03T10:00:00Z"), 404, "not_found", ""},
		{"bad tenant", "POST", "/v1/usage", aRun.Key, event("evt-1", "Bill_Acme", "api_calls", 1, "2026-11-03T10:00:00Z"), 400, "invalid_argument", "tenant"},
		{"unknown tenant", "POST", "/v1/usage", p.adminKey, event("evt-1", "nobody-here", "api_calls", 1, "2026-11-03T10:00:00Z"), 404, "not_found", ""},
		{"deleted tenant", "POST", "/v1/usage", p.adminKey, event("evt-1", "bill-gone", "api_calls", 1, "2026-11-03T10:00:00Z"), 404, "not_found", ""},
		{"missing id", "POST", "/v1/usage", aRun.Key, event("", "bill-acme", "api_calls", 1, "2026-11-03T10:00:00Z"), 400, "invalid_argument", "id"},
		{"bad id", "POST", "/v1/usage", aRun.Key, event("has space", "bill-acme", "api_calls", 1, "2026-11-03T10:00:00Z"), 400, "invalid_argument", "id"},
		{"unknown metric", "POST", "/v1/usage", aRun.Key, event("evt-1", "bill-acme", "cpu_seconds", 1, "2026-11-03T10:00:00Z"), 400, "invalid_argument", "metric"},
		{"derived metric", "POST", "/v1/usage", aRun.Key, event("evt-1", "bill-acme", "tenant_days", 1, "2026-11-03T10:00:00Z"), 400, "invalid_argument", "metric"},
		{"negative quantity", "POST", "/v1/usage", aRun.Key, event("evt-1", "bill-acme", "api_calls", -1, "2026-11-03T10:00:00Z"), 400, "invalid_argument", "quantity"},
		{"fractional quantity", "POST", "/v1/usage", aRun.Key, event("evt-1", "bill-acme", "api_calls", 1.5, "2026-11-03T10:00:00Z"), 400, "invalid_argument", "quantity"},
		{"missing quantity", "POST", "/v1/usage", aRun.Key, `{"id":"evt-1","tenant":"bill-acme","metric":"api_calls","occurredAt":"2026-11-03T10:00:00Z"}`, 400, "invalid_argument", "quantity"},
		{"future", "POST", "/v1/usage", aRun.Key, event("evt-1", "bill-acme", "api_calls", 1, future), 400, "invalid_argument", "occurredAt"},
		{"not a time", "POST", "/v1/usage", aRun.Key, event("evt-1", "bill-acme", "api_calls", 1, "2026-11-03"), 400, "invalid_argument", "occurredAt"},
		{"missing time", "POST", "/v1/usage", aRun.Key, `{"id":"evt-1","tenant":"bill-acme","metric":"api_calls","quantity":1}`, 400, "invalid_argument", "occurredAt"},
		{"unknown field", "POST", "/v1/usage", aRun.Key, `{"id":"evt-1","tenant":"bill-acme","metric":"api_calls","quantity":1,"occurredAt":"2026-11-03T10:00:00Z","unit":"x"}`, 400, "invalid_argument", "unit"},
		{"cycle bad period", "POST", "/v1/billing/cycles", p.adminKey, `{"period":"2026-13"}`, 400, "invalid_argument", "period"},
		{"cycle open period", "POST", "/v1/billing/cycles", p.adminKey, `{"period":"2099-01"}`, 422, "period_open", "period"},
		{"cycle tenant key", "POST", "/v1/billing/cycles", aRun.Key, `{"period":"2026-10"}`, 403, "permission_denied", ""},
		{"cycle not run", "GET", "/v1/billing/cycles/2026-09", p.adminKey, "", 404, "not_found", ""},
		{"cycle bad path", "GET", "/v1/billing/cycles/september", p.adminKey, "", 400, "invalid_argument", "period"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctype := ""
			if tc.body != "" {
				ctype = "application/json"
			}
			status, e := rawCall(t, p, tc.method, tc.path, tc.key, ctype, []byte(tc.body))
			if status != tc.status || e.Error.Code != tc.code || e.Error.Field != tc.field {
				t.Fatalf("got %d %+v, want %d %s field %q", status, e.Error, tc.status, tc.code, tc.field)
			}
		})
	}

	// Idempotent by id: 201, then 200 with recorded=false, counted once.
	post := func(key, body string) (int, api.UsageEventResponse) {
		var r api.UsageEventResponse
		req := map[string]any{}
		if err := json.Unmarshal([]byte(body), &req); err != nil {
			t.Fatal(err)
		}
		code := p.callAs(key, "POST", "/v1/usage", req, &r)
		return code, r
	}
	if code, r := post(aRun.Key, good); code != 201 || !r.Recorded || r.ID != "evt-1" || r.Quantity != 7 {
		t.Fatalf("first POST = %d %+v", code, r)
	}
	if code, r := post(aRun.Key, good); code != 200 || r.Recorded {
		t.Fatalf("re-sent POST = %d %+v", code, r)
	}
	// The same id from another tenant is that tenant's own event.
	if code, r := post(bRun.Key, event("evt-1", "bill-beta", store.MetricAPICalls, 3, "2026-11-03T10:00:00Z")); code != 201 || !r.Recorded {
		t.Fatalf("B's evt-1 = %d %+v", code, r)
	}
	if code := p.callAs(aRead.Key, "GET", "/v1/tenants/bill-acme/usage?from=2026-11-01&to=2026-12-01", nil, &usage); code != 200 ||
		usage.Totals[store.MetricAPICalls] != 7 {
		t.Fatalf("usage after re-send = %d %+v", code, usage)
	}
}

const (
	billingBenchTenants = 1000
	billingBenchEvents  = 100 // per tenant
)

// seedBillingBench loads the benchmark's tenants, subscriptions and usage
// events with COPY, so seeding stays out of the figures.
func seedBillingBench(b *testing.B, st *store.Store) {
	ctx := context.Background()
	plans := []string{"free", "team", "enterprise"}
	metrics := []string{store.MetricSeats, store.MetricScaffolderRuns, store.MetricTechDocsBuildMinutes, store.MetricAITokens, store.MetricAPICalls}
	var tenants, subs, events [][]any
	for i := range billingBenchTenants {
		slug := fmt.Sprintf("bench-bill-%04d", i)
		plan := plans[i%len(plans)]
		tenants = append(tenants, []any{slug, "Tenant " + slug, plan, "owner", store.StatusActive})
		subs = append(subs, []any{slug, plan, octDay(1, 0).AddDate(0, -1, 0)})
		for j := range billingBenchEvents {
			events = append(events, []any{fmt.Sprintf("%s/%d", slug, j), slug, metrics[j%len(metrics)], int64(1 + j%40), octDay(1+j%31, j%24)})
		}
	}
	for _, c := range []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"tenants", []string{"slug", "display_name", "plan_id", "owner", "status"}, tenants},
		{"subscriptions", []string{"tenant_slug", "plan_id", "started_at"}, subs},
		{"usage_events", []string{"id", "tenant_slug", "metric", "quantity", "occurred_at"}, events},
	} {
		if _, err := st.Pool.CopyFrom(ctx, pgx.Identifier{"rigger", c.table}, c.cols, pgx.CopyFromRows(c.rows)); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := st.Pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkBillingCycle1000Tenants runs a whole billing cycle through the
// API on the dev stack — 1,000 tenants with 100 usage events each, one
// TenantInvoice child per tenant (10 in flight, continue-as-new every 500),
// each computing, writing, rendering into local storage and notifying a
// webhook — and then the re-run of the same period, which must find every
// invoice done.
func BenchmarkBillingCycle1000Tenants(b *testing.B) {
	for range b.N {
		hook := newWebhookReceiver(b, false)
		p := newPlatform(b, platformOptions{devDefaults: true, billingWebhook: hook.URL})
		seedBillingBench(b, p.store)

		start := time.Now()
		if code, _ := p.startCycle(map[string]any{"period": billedPeriod}); code != http.StatusAccepted {
			b.Fatalf("POST /v1/billing/cycles = %d", code)
		}
		done := p.waitCycle(billedPeriod, 20*time.Minute)
		wall := time.Since(start)
		if done.Result == nil || len(done.Result.Invoiced) != billingBenchTenants || len(done.Result.Failed) != 0 {
			b.Fatalf("cycle: %+v", done)
		}
		var invoices, notified int
		_ = p.store.Pool.QueryRow(context.Background(), `SELECT count(*), count(notified_at) FROM rigger.invoices`).Scan(&invoices, &notified)
		if invoices != billingBenchTenants || notified != billingBenchTenants {
			b.Fatalf("%d invoices, %d notified", invoices, notified)
		}

		start = time.Now()
		if code, _ := p.startCycle(map[string]any{"period": billedPeriod, "rerun": true}); code != http.StatusAccepted {
			b.Fatalf("re-run POST = %d", code)
		}
		again := p.waitCycle(billedPeriod, 20*time.Minute)
		rerun := time.Since(start)
		if again.Result == nil || len(again.Result.Existing) != billingBenchTenants {
			b.Fatalf("re-run: %+v", again)
		}
		_ = p.store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM rigger.invoices`).Scan(&invoices)
		if invoices != billingBenchTenants {
			b.Fatalf("re-run left %d invoices", invoices)
		}

		perSec := billingBenchTenants / wall.Seconds()
		b.ReportMetric(perSec, "invoices/s")
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(rerun.Seconds(), "rerun-s")
		fmt.Printf("billing cycle via API+Temporal, %d tenants × %d usage events (%d in flight, %d runs): %.1fs wall, %.1f invoices/s; re-run of the period (all %d already invoiced): %.1fs\n",
			billingBenchTenants, billingBenchEvents, workflows.DefaultBillingMaxInFlight, done.Result.Runs, wall.Seconds(), perSec, billingBenchTenants, rerun.Seconds())
	}
}
