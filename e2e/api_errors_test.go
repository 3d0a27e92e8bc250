package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

func rawCall(t *testing.T, p *platform, method, path, key, contentType string, body []byte) (int, errorBody) {
	t.Helper()
	req, _ := http.NewRequest(method, p.api.URL+path, bytes.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var e errorBody
	if resp.StatusCode >= 400 {
		if err := json.Unmarshal(data, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
			t.Fatalf("%s %s: %d with a body not in the error shape: %s", method, path, resp.StatusCode, data)
		}
	}
	return resp.StatusCode, e
}

// TestAPIRejectsBadInputPrecisely checks every 4xx the tenant routes give:
// the stable error shape, the right code and the offending field.
func TestAPIRejectsBadInputPrecisely(t *testing.T) {
	p := newPlatform(t, platformOptions{})
	good := `{"slug":"valid-one","displayName":"V","plan":"free","owner":"alice"}`
	cases := []struct {
		name, method, path, key, ctype, body string
		status                               int
		code, field                          string
	}{
		{"no key", "POST", "/v1/tenants", "", "application/json", good, 401, "unauthenticated", ""},
		{"wrong key", "GET", "/v1/tenants", "nope", "", "", 401, "unauthenticated", ""},
		{"invalid slug", "POST", "/v1/tenants", p.adminKey, "application/json", `{"slug":"Bad_Slug","displayName":"x","plan":"free","owner":"a"}`, 400, "invalid_argument", "slug"},
		{"short slug", "POST", "/v1/tenants", p.adminKey, "application/json", `{"slug":"ab","displayName":"x","plan":"free","owner":"a"}`, 400, "invalid_argument", "slug"},
		{"unknown plan", "POST", "/v1/tenants", p.adminKey, "application/json", `{"slug":"okay-slug","displayName":"x","plan":"platinum","owner":"a"}`, 422, "unknown_plan", "plan"},
		{"missing owner", "POST", "/v1/tenants", p.adminKey, "application/json", `{"slug":"okay-slug","displayName":"x","plan":"free"}`, 400, "invalid_argument", "owner"},
		{"bad admin", "POST", "/v1/tenants", p.adminKey, "application/json", `{"slug":"okay-slug","displayName":"x","plan":"free","owner":"a","admins":["ok","bad user"]}`, 400, "invalid_argument", "admins[1]"},
		{"unknown field", "POST", "/v1/tenants", p.adminKey, "application/json", `{"slug":"okay-slug","displayName":"x","plan":"free","owner":"a","colour":"red"}`, 400, "invalid_argument", "colour"},
		{"wrong type", "POST", "/v1/tenants", p.adminKey, "application/json", `{"slug":42}`, 400, "invalid_argument", "slug"},
		{"malformed", "POST", "/v1/tenants", p.adminKey, "application/json", `{"slug":`, 400, "invalid_argument", ""},
		{"empty", "POST", "/v1/tenants", p.adminKey, "application/json", ``, 400, "invalid_argument", ""},
		{"two objects", "POST", "/v1/tenants", p.adminKey, "application/json", good + good, 400, "invalid_argument", ""},
		{"not json", "POST", "/v1/tenants", p.adminKey, "text/plain", good, 415, "unsupported_media_type", ""},
		{"oversize", "POST", "/v1/tenants", p.adminKey, "application/json", `{"slug":"` + strings.Repeat("a", 2<<20) + `"}`, 413, "body_too_large", ""},
		{"unknown tenant", "GET", "/v1/tenants/nobody-here", p.adminKey, "", "", 404, "not_found", ""},
		{"invalid slug path", "GET", "/v1/tenants/..%2f..%2fetc", p.adminKey, "", "", 404, "not_found", ""},
		{"delete unknown", "DELETE", "/v1/tenants/nobody-here", p.adminKey, "", "", 404, "not_found", ""},
		{"bad limit", "GET", "/v1/tenants?limit=0", p.adminKey, "", "", 400, "invalid_argument", "limit"},
		{"bad status", "GET", "/v1/tenants?status=weird", p.adminKey, "", "", 400, "invalid_argument", "status"},
		{"no route", "GET", "/v1/nothing", p.adminKey, "", "", 404, "not_found", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, e := rawCall(t, p, tc.method, tc.path, tc.key, tc.ctype, []byte(tc.body))
			if status != tc.status || e.Error.Code != tc.code || e.Error.Field != tc.field {
				t.Fatalf("got %d %+v, want %d %s field %q", status, e.Error, tc.status, tc.code, tc.field)
			}
		})
	}
}

// TestAPIConflictOnTakenSlug: a second request for a slug with a different
// owner is a conflict, and loses nothing of the first.
func TestAPIConflictOnTakenSlug(t *testing.T) {
	p := newPlatform(t, platformOptions{})
	first := `{"slug":"taken-slug","displayName":"T","plan":"free","owner":"alice"}`
	if status, _ := rawCall(t, p, "POST", "/v1/tenants", p.adminKey, "application/json", []byte(first)); status != 202 {
		t.Fatalf("first = %d", status)
	}
	other := `{"slug":"taken-slug","displayName":"T","plan":"free","owner":"mallory"}`
	status, e := rawCall(t, p, "POST", "/v1/tenants", p.adminKey, "application/json", []byte(other))
	if status != 409 || e.Error.Code != "conflict" {
		t.Fatalf("conflict = %d %+v", status, e)
	}
	got := p.waitStatus("taken-slug", "active", 60e9)
	if got.Owner != "alice" {
		t.Fatalf("owner = %s", got.Owner)
	}
}

func TestRequestIDEchoed(t *testing.T) {
	p := newPlatform(t, platformOptions{devDefaults: true})
	req, _ := http.NewRequest("GET", p.api.URL+"/v1/tenants", nil)
	req.Header.Set("Authorization", "Bearer "+p.adminKey)
	req.Header.Set("X-Request-ID", "client-chosen-id-123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Request-ID"); got != "client-chosen-id-123" {
		t.Fatalf("X-Request-ID = %q", got)
	}
	req.Header.Set("X-Request-ID", "bad id")
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	if got := resp.Header.Get("X-Request-ID"); len(got) != 24 {
		t.Fatalf("generated X-Request-ID = %q", got)
	}
}
