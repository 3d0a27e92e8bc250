package billing

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"html/template"
	"time"

	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/internal/billing"
	"github.com/rigger-platform/rigger/internal/store"
)

type RenderInvoiceInput struct {
	Tenant    string
	InvoiceID string
}

type RenderInvoiceResult struct {
	// Keys relative to the tenant's storage prefix:
	// invoices/<period>/<id>.json and .html.
	JSONKey string
	HTMLKey string
}

//go:embed invoice.html.tmpl
var invoiceHTML string

// html/template escapes every field for its context, so a tenant display
// name or a plan name cannot inject markup into the invoice.
var invoiceTemplate = template.Must(template.New("invoice").Funcs(template.FuncMap{
	"date":    func(t time.Time) string { return t.UTC().Format("2 January 2006") },
	"lastDay": func(end time.Time) time.Time { return end.AddDate(0, 0, -1) },
	// Replaced per invoice with the formatter of its currency.
	"money": func(int64) string { panic("billing: money formatter not set") },
}).Parse(invoiceHTML))

// BillingRenderInvoice writes the invoice as JSON and as HTML into the
// tenant's storage and records the keys. Both are derived from the stored
// invoice alone, so a retry rewrites identical objects.
func (a *Activities) BillingRenderInvoice(ctx context.Context, in RenderInvoiceInput) (RenderInvoiceResult, error) {
	if err := checkSlug(in.Tenant); err != nil {
		return RenderInvoiceResult{}, err
	}
	if a.Store == nil || a.Objects == nil {
		return RenderInvoiceResult{}, notConfigured("store or object storage")
	}
	inv, err := a.Store.GetInvoice(ctx, in.Tenant, in.InvoiceID)
	if err != nil {
		return RenderInvoiceResult{}, storeError(err)
	}
	name := inv.Tenant
	if t, err := a.Store.GetTenant(ctx, inv.Tenant); err == nil {
		name = t.DisplayName
	} else if !errors.Is(err, store.ErrNotFound) {
		return RenderInvoiceResult{}, storeError(err)
	}
	doc, err := newDocument(inv, name)
	if err != nil {
		return RenderInvoiceResult{}, nonRetryable(ErrTypeInvalidInvoice, err)
	}
	jsonBody, htmlBody, err := renderDocument(doc)
	if err != nil {
		return RenderInvoiceResult{}, nonRetryable(ErrTypeInvalidInvoice, err)
	}
	out := RenderInvoiceResult{
		JSONKey: "invoices/" + inv.Period + "/" + inv.ID + ".json",
		HTMLKey: "invoices/" + inv.Period + "/" + inv.ID + ".html",
	}
	objects := storage.Scoped(a.Objects, inv.Tenant)
	for _, o := range []struct {
		key, contentType string
		body             []byte
	}{{out.JSONKey, "application/json", jsonBody}, {out.HTMLKey, "text/html; charset=utf-8", htmlBody}} {
		if err := objects.Put(ctx, o.key, bytes.NewReader(o.body), int64(len(o.body)), o.contentType); err != nil {
			return RenderInvoiceResult{}, storageError(err)
		}
	}
	if err := a.Store.SetInvoiceRendered(ctx, inv.Tenant, inv.ID, out.JSONKey, out.HTMLKey); err != nil {
		return RenderInvoiceResult{}, storeError(err)
	}
	return out, nil
}

func renderDocument(doc Document) (jsonBody, htmlBody []byte, err error) {
	jsonBody, err = json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, nil, err
	}
	jsonBody = append(jsonBody, '\n')
	cur, err := billing.LookupCurrency(doc.Currency)
	if err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	t := template.Must(invoiceTemplate.Clone()).Funcs(template.FuncMap{"money": cur.FormatNumber})
	if err := t.Execute(&buf, doc); err != nil {
		return nil, nil, err
	}
	return jsonBody, buf.Bytes(), nil
}
