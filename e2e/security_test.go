package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rigger-platform/rigger/api"
	"github.com/rigger-platform/rigger/internal/store"
)

// tenantKey creates an API key for slug with scopes, as the admin.
func (p *platform) tenantKey(slug string, scopes ...string) api.APIKeyResponse {
	p.t.Helper()
	var k api.APIKeyResponse
	if code := p.call("POST", "/v1/tenants/"+slug+"/api-keys", map[string]any{"name": "test", "scopes": scopes}, &k); code != http.StatusCreated {
		p.t.Fatalf("create key for %s = %d", slug, code)
	}
	return k
}

func (p *platform) onboardActive(slugs ...string) {
	p.t.Helper()
	for _, s := range slugs {
		if code := p.call("POST", "/v1/tenants", onboardRequest(s), nil); code != http.StatusAccepted {
			p.t.Fatalf("onboard %s = %d", s, code)
		}
	}
	for _, s := range slugs {
		p.waitStatus(s, "active", 90*time.Second)
	}
}

// TestCrossTenantMatrix: for every route, tenant A's credentials (each
// scope) against tenant B's resources get 404 or 403 — never B's data —
// and platform routes refuse tenant keys.
func TestCrossTenantMatrix(t *testing.T) {
	p := newPlatform(t, platformOptions{devDefaults: true})
	p.onboardActive("tenant-a", "tenant-b")
	bKey := p.tenantKey("tenant-b", "read")
	bInvoice, _, err := p.store.CreateInvoice(context.Background(), store.Invoice{Tenant: "tenant-b", Period: "2026-10", Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	bUsage := map[string]any{"id": "evt-1", "tenant": "tenant-b", "metric": "api_calls", "quantity": 1, "occurredAt": "2026-10-05T00:00:00Z"}
	// One of B's assistant tasks (it fails at once: no LLM here; it exists).
	var bTask api.AssistantTaskResponse
	if code := p.call("POST", "/v1/assistant/tasks", map[string]any{"tenant": "tenant-b", "type": "ask", "input": map[string]any{"question": "How?"}}, &bTask); code != 202 {
		t.Fatalf("start B's assistant task = %d", code)
	}
	bAsk := map[string]any{"tenant": "tenant-b", "type": "ask", "input": map[string]any{"question": "What does tenant B document?"}}
	// One of B's scaffolder tasks (a row is enough: scoping comes first).
	bScaffold, err := p.store.CreateTask(context.Background(), store.ScaffolderTask{ID: store.NewTaskID(), Tenant: "tenant-b", TemplateRef: "template:default/x", Spec: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	bRun := "/v2/tasks/" + bScaffold.ID

	routes := []struct {
		method, path string
		body         any
		want         int
	}{
		{"GET", "/v1/tenants/tenant-b", nil, 404},
		{"DELETE", "/v1/tenants/tenant-b", nil, 403},
		{"GET", "/v1/tenants", nil, 403},
		{"POST", "/v1/tenants", onboardRequest("tenant-c"), 403},
		{"POST", "/v1/tenants/tenant-b/api-keys", map[string]any{"scopes": []string{"read"}}, 404},
		{"GET", "/v1/tenants/tenant-b/api-keys", nil, 404},
		{"POST", "/v1/tenants/tenant-b/api-keys/" + bKey.ID + "/rotate", nil, 404},
		{"DELETE", "/v1/tenants/tenant-b/api-keys/" + bKey.ID, nil, 404},
		{"GET", "/v1/tenants/tenant-b/backups", nil, 404},
		{"POST", "/v1/tenants/tenant-b/backups", nil, 404},
		{"POST", "/v1/tenants/tenant-b/restore", map[string]any{"backupId": "20261103-0200"}, 403},
		{"POST", "/v1/dr/drills", map[string]any{"tenants": []string{"tenant-b"}}, 403},
		{"GET", "/v1/dr/drills/2026-11-03", nil, 403},
		{"GET", "/v1/tenants/tenant-b/invoices", nil, 404},
		{"GET", "/v1/tenants/tenant-b/invoices/" + bInvoice.ID, nil, 404},
		{"GET", "/v1/tenants/tenant-b/usage", nil, 404},
		{"POST", "/v1/usage", bUsage, 404},
		{"POST", "/v1/billing/cycles", map[string]any{"period": "2026-10"}, 403},
		{"GET", "/v1/billing/cycles/2026-10", nil, 403},
		{"POST", "/v1/assistant/tasks", bAsk, 404},
		{"GET", "/v1/assistant/tasks/" + bTask.ID, nil, 404},
		{"GET", "/v1/assistant/tasks/" + bTask.ID + "/stream", nil, 404},
		{"POST", "/v1/assistant/tasks/" + bTask.ID + "/approve", nil, 404},
		{"POST", "/v1/assistant/tasks/" + bTask.ID + "/reject", nil, 404},
		{"DELETE", "/v1/assistant/tasks/" + bTask.ID, nil, 404},
		// TechDocs: builds, records, sources, webhook secret and the docs
		// themselves; the webhook itself takes no bearer token (401).
		{"POST", "/v1/techdocs/builds", map[string]any{"tenant": "tenant-b", "entity": "default/component/x",
			"source": map[string]any{"git": "https://github.com/acme/x", "commit": strings.Repeat("a", 40)}}, 404},
		{"GET", "/v1/techdocs/builds/tenant-b/default/component/x", nil, 404},
		{"GET", "/v1/tenants/tenant-b/techdocs/sources", nil, 404},
		{"PUT", "/v1/tenants/tenant-b/techdocs/sources", map[string]any{"sources": []any{}}, 404},
		{"GET", "/v1/tenants/tenant-b/webhook-secret", nil, 404},
		{"GET", "/api/techdocs/static/docs/default/component/x/index.html?tenant=tenant-b", nil, 404},
		{"GET", "/api/techdocs/metadata/techdocs/default/component/x?tenant=tenant-b", nil, 404},
		{"POST", "/v1/webhooks/github/tenant-b", map[string]any{"ref": "refs/heads/main"}, 401},
		{"POST", "/v1/webhooks/gitlab/tenant-b", map[string]any{"ref": "refs/heads/main"}, 401},
		// Scaffolder: B's tasks, B's templates and runs as B.
		{"GET", bRun, nil, 404},
		{"GET", bRun + "/events", nil, 404},
		{"GET", bRun + "/eventstream", nil, 404},
		{"POST", bRun + "/cancel", nil, 404},
		{"POST", bRun + "/retry", map[string]any{}, 404},
		{"POST", "/v1/runs/" + bScaffold.ID + "/approve", nil, 404},
		{"POST", "/v1/runs/" + bScaffold.ID + "/reject", nil, 404},
		{"GET", "/v2/tasks?tenant=tenant-b", nil, 404},
		{"POST", "/v2/tasks?tenant=tenant-b", map[string]any{"templateRef": "template:default/x", "values": map[string]any{}}, 404},
		{"POST", "/v2/dry-run?tenant=tenant-b", map[string]any{"templateRef": "template:default/x", "values": map[string]any{}}, 404},
		{"GET", "/v2/templates/default/template/x/parameter-schema?tenant=tenant-b", nil, 404},
		{"GET", "/v1/tenants/tenant-b/template-locations", nil, 404},
		{"PUT", "/v1/tenants/tenant-b/template-locations", map[string]any{"locations": []any{}}, 403},
	}
	for _, scope := range []string{"read", "run", "admin"} {
		aKey := p.tenantKey("tenant-a", scope)
		for _, r := range routes {
			t.Run(fmt.Sprintf("%s %s %s", scope, r.method, r.path), func(t *testing.T) {
				var body map[string]any
				code := p.callAs(aKey.Key, r.method, r.path, r.body, &body)
				if code != r.want {
					t.Fatalf("= %d %v, want %d", code, body, r.want)
				}
				if strings.Contains(fmt.Sprint(body), "Tenant tenant-b") {
					t.Fatalf("leaked tenant B's data: %v", body)
				}
			})
		}
	}
	// B's key still works: nothing above revoked or rotated it.
	if code := p.callAs(bKey.Key, "GET", "/v1/tenants/tenant-b", nil, nil); code != 200 {
		t.Fatalf("B's own key = %d", code)
	}
	// A missing tenant and another's look the same to A.
	aRead := p.tenantKey("tenant-a", "read")
	var missing, other map[string]any
	p.callAs(aRead.Key, "GET", "/v1/tenants/tenant-zz", nil, &missing)
	p.callAs(aRead.Key, "GET", "/v1/tenants/tenant-b", nil, &other)
	if strings.ReplaceAll(fmt.Sprint(missing), "tenant-zz", "X") != strings.ReplaceAll(fmt.Sprint(other), "tenant-b", "X") {
		t.Fatalf("a missing tenant and another's differ: %v vs %v", missing, other)
	}
}

// TestAPIKeyLifecycle: scopes, expiry, revocation and rotation.
func TestAPIKeyLifecycle(t *testing.T) {
	p := newPlatform(t, platformOptions{devDefaults: true})
	p.onboardActive("keys-co")
	read := p.tenantKey("keys-co", "read")
	if read.Key == "" || !strings.HasPrefix(read.Key, "rgr_") || read.Scopes[0] != "read" {
		t.Fatalf("created key %+v", read)
	}
	if code := p.callAs(read.Key, "GET", "/v1/tenants/keys-co", nil, nil); code != 200 {
		t.Fatalf("read key GET own tenant = %d", code)
	}
	if code := p.callAs(read.Key, "POST", "/v1/tenants/keys-co/api-keys", map[string]any{"scopes": []string{"read"}}, nil); code != 403 {
		t.Fatalf("read key creating keys = %d, want 403", code)
	}
	admin := p.tenantKey("keys-co", "admin")
	var list struct {
		Keys []map[string]any `json:"keys"`
	}
	if code := p.callAs(admin.Key, "GET", "/v1/tenants/keys-co/api-keys", nil, &list); code != 200 || len(list.Keys) != 2 {
		t.Fatalf("list = %d %v", code, list)
	}
	for _, k := range list.Keys {
		if _, leaked := k["key"]; leaked {
			t.Fatal("listing shows a secret key")
		}
	}
	// Rotation: the new key works, the old one no longer does.
	var rotated api.APIKeyResponse
	if code := p.callAs(admin.Key, "POST", "/v1/tenants/keys-co/api-keys/"+read.ID+"/rotate", nil, &rotated); code != 201 {
		t.Fatalf("rotate = %d", code)
	}
	if code := p.callAs(rotated.Key, "GET", "/v1/tenants/keys-co", nil, nil); code != 200 {
		t.Fatalf("rotated key = %d", code)
	}
	if code := p.callAs(read.Key, "GET", "/v1/tenants/keys-co", nil, nil); code != 401 {
		t.Fatalf("old key after rotation = %d, want 401", code)
	}
	// Revocation.
	if code := p.callAs(admin.Key, "DELETE", "/v1/tenants/keys-co/api-keys/"+rotated.ID, nil, nil); code != 204 {
		t.Fatalf("revoke = %d", code)
	}
	if code := p.callAs(rotated.Key, "GET", "/v1/tenants/keys-co", nil, nil); code != 401 {
		t.Fatalf("revoked key = %d, want 401", code)
	}
	// Expiry (moved into the past in the database rather than waited for).
	if _, err := p.store.Pool.Exec(context.Background(), `UPDATE rigger.api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, admin.ID); err != nil {
		t.Fatal(err)
	}
	if code := p.callAs(admin.Key, "GET", "/v1/tenants/keys-co", nil, nil); code != 401 {
		t.Fatalf("expired key = %d, want 401", code)
	}
	// A tampered secret with a real key ID is refused.
	if code := p.callAs(admin.Key[:len(admin.Key)-2]+"xx", "GET", "/v1/tenants/keys-co", nil, nil); code != 401 {
		t.Fatalf("tampered key = %d", code)
	}
}

func TestRateLimitPerTenant(t *testing.T) {
	p := newPlatform(t, platformOptions{devDefaults: true, rateLimit: 1, rateBurst: 3})
	p.onboardActive("rate-a", "rate-b")
	a := p.tenantKey("rate-a", "read")
	b := p.tenantKey("rate-b", "read")
	limited := false
	for i := 0; i < 6; i++ {
		req, _ := http.NewRequest("GET", p.api.URL+"/v1/tenants/rate-a", nil)
		req.Header.Set("Authorization", "Bearer "+a.Key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 429 {
			if resp.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
			limited = true
			break
		}
	}
	if !limited {
		t.Fatal("tenant A was never rate limited")
	}
	// B has its own bucket.
	if code := p.callAs(b.Key, "GET", "/v1/tenants/rate-b", nil, nil); code != 200 {
		t.Fatalf("tenant B limited by A's traffic: %d", code)
	}
}

func TestIdempotencyKey(t *testing.T) {
	p := newPlatform(t, platformOptions{devDefaults: true})
	post := func(key string, body string) (int, string, http.Header) {
		req, _ := http.NewRequest("POST", p.api.URL+"/v1/tenants", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+p.adminKey)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var sb strings.Builder
		_, _ = fmt.Fprint(&sb, readAll(resp))
		return resp.StatusCode, sb.String(), resp.Header
	}
	body := `{"slug":"idem-co","displayName":"I","plan":"free","owner":"o"}`
	c1, b1, _ := post("k-1", body)
	c2, b2, h2 := post("k-1", body)
	if c1 != 202 || c2 != 202 || b1 != b2 || h2.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %d replayed=%q\n%s\n%s", c1, c2, h2.Get("Idempotent-Replayed"), b1, b2)
	}
	if c, b, _ := post("k-1", `{"slug":"idem-other","displayName":"I","plan":"free","owner":"o"}`); c != 422 || !strings.Contains(b, "idempotency_mismatch") {
		t.Fatalf("mismatch: %d %s", c, b)
	}
	// A request that failed validation is stored too: the same key gives the
	// same answer.
	if c, _, _ := post("k-2", `{"slug":"x"}`); c != 400 {
		t.Fatalf("invalid = %d", c)
	}
	if c, _, h := post("k-2", `{"slug":"x"}`); c != 400 || h.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("invalid replay = %d", c)
	}
}

// TestAPICallsMetered: a tenant's API calls become api_calls usage events,
// once per flush; the admin's are not billed.
func TestAPICallsMetered(t *testing.T) {
	p := newPlatform(t, platformOptions{devDefaults: true})
	p.onboardActive("meter-co")
	k := p.tenantKey("meter-co", "read")
	for range 7 {
		if code := p.callAs(k.Key, "GET", "/v1/tenants/meter-co", nil, nil); code != 200 {
			t.Fatalf("GET = %d", code)
		}
	}
	ctx := context.Background()
	if err := p.server.FlushMetering(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.server.FlushMetering(ctx); err != nil { // nothing new: records nothing
		t.Fatal(err)
	}
	totals, err := p.store.UsageTotals(ctx, "meter-co", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil || totals["api_calls"] != 7 {
		t.Fatalf("api_calls = %v (%v), want 7", totals, err)
	}
}
