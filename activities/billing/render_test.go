package billing

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rigger-platform/rigger/activities/storage"
)

func TestRenderInvoice(t *testing.T) {
	ctx := context.Background()
	a := newActivities(t)
	addTenant(t, a.Store, "acme", `<script>alert("x")</script> & Co`, span{"team", oct(1, 0), time.Time{}})
	addUsage(t, a.Store, "acme", "scaffolder_runs", 10, 120, 1, 31)
	c, err := a.BillingComputeInvoice(ctx, ComputeInvoiceInput{Tenant: "acme", Period: period})
	if err != nil {
		t.Fatal(err)
	}
	w, err := a.BillingWriteInvoice(ctx, WriteInvoiceInput{Invoice: c.Invoice})
	if err != nil {
		t.Fatal(err)
	}
	r, err := a.BillingRenderInvoice(ctx, RenderInvoiceInput{Tenant: "acme", InvoiceID: w.InvoiceID})
	if err != nil {
		t.Fatal(err)
	}
	if r.JSONKey != "invoices/2026-10/"+w.InvoiceID+".json" || r.HTMLKey != "invoices/2026-10/"+w.InvoiceID+".html" {
		t.Fatalf("keys %+v", r)
	}
	// The objects live under the tenant's prefix of the whole store.
	raw := snapshot(t, a.Objects)
	doc := raw["tenants/acme/"+r.JSONKey]
	html := raw["tenants/acme/"+r.HTMLKey]
	if doc == "" || html == "" {
		t.Fatalf("objects %v", raw)
	}
	var d Document
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		t.Fatal(err)
	}
	if d.ID != w.InvoiceID || d.TotalMinor != 51900 || d.Total != "519.00" || d.CurrencyExponent != 2 ||
		len(d.Lines) != len(c.Invoice.Lines) || d.Lines[0].Amount != "499.00" || !d.PeriodEnd.Equal(oct(31, 0).AddDate(0, 0, 1)) {
		t.Fatalf("document %+v", d)
	}
	for _, want := range []string{"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co", "519.00", "1 October 2026 – 31 October 2026",
		"Scaffolder runs: 1,200 used, 1,000 included"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q:\n%s", want, html)
		}
	}
	if strings.Contains(html, "<script>") {
		t.Fatal("tenant name rendered unescaped")
	}
	// Rendering again writes the same bytes.
	if _, err := a.BillingRenderInvoice(ctx, RenderInvoiceInput{Tenant: "acme", InvoiceID: w.InvoiceID}); err != nil {
		t.Fatal(err)
	}
	if again := snapshot(t, a.Objects); again["tenants/acme/"+r.JSONKey] != doc || again["tenants/acme/"+r.HTMLKey] != html {
		t.Fatal("re-render changed the documents")
	}
}

func TestRenderIsTenantScoped(t *testing.T) {
	ctx := context.Background()
	a := newActivities(t)
	addTenant(t, a.Store, "acme", "Acme", span{"team", oct(1, 0), time.Time{}})
	addTenant(t, a.Store, "beta", "Beta", span{"team", oct(1, 0), time.Time{}})
	c, _ := a.BillingComputeInvoice(ctx, ComputeInvoiceInput{Tenant: "acme", Period: period})
	w, err := a.BillingWriteInvoice(ctx, WriteInvoiceInput{Invoice: c.Invoice})
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.BillingRenderInvoice(ctx, RenderInvoiceInput{Tenant: "beta", InvoiceID: w.InvoiceID})
	appErr(t, err, ErrTypeInvoiceNotFound, true)
	_, err = a.BillingNotify(ctx, NotifyInput{Tenant: "beta", InvoiceID: w.InvoiceID})
	if err != nil { // no webhook configured: nothing to look up
		t.Fatal(err)
	}
	if objs, _ := storage.Scoped(a.Objects, "beta").List(ctx, ""); len(objs) != 0 {
		t.Fatalf("beta's storage got %v", objs)
	}
}
