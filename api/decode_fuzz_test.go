package api

import (
	"bytes"
	"net/http/httptest"
	"testing"
)

// decodeTargets are every JSON body type the API decodes; a new route's
// request type belongs here.
func decodeTargets() map[string]func() any {
	return map[string]func() any{
		"tenant":             func() any { return &TenantRequest{} },
		"api-key":            func() any { return &APIKeyRequest{} },
		"techdocs-build":     func() any { return &TechDocsBuildRequest{} },
		"techdocs-sources":   func() any { return &TechDocsSourcesRequest{} },
		"assistant-task":     func() any { return &AssistantTaskRequest{} },
		"assistant-decision": func() any { return &AssistantDecisionRequest{} },
		"scaffolder-task":    func() any { return &TaskRequest{} },
		"scaffolder-dry-run": func() any { return &DryRunRequest{} },
		"scaffolder-retry":   func() any { return &RetryRequest{} },
		"scaffolder-decide":  func() any { return &ApprovalRequest{} },
		"template-locations": func() any { return &TemplateLocationsRequest{} },
	}
}

// FuzzDecodeJSON feeds arbitrary bodies to the API's decoder for every
// request type: it must never panic, and every rejection must be a 4xx in
// the stable error shape.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"slug":"acme","displayName":"Acme","plan":"team","owner":"alice"}`,
		`{"scopes":["read"],"expiresAt":"2030-01-01T00:00:00Z"}`,
		`{"tenant":"acme","type":"ask","input":{"question":"How do I get a database?"}}`, `{"input":{"workflowId":7}}`, `{"reason":"no"}`,
		`{"templateRef":"template:default/x","values":{"name":"a","n":[1,{"b":null}]},"secrets":{"T":"x"}}`,
		`{"template":{"apiVersion":"scaffolder.backstage.io/v1beta3"},"values":{},"directoryContents":[{"path":"a","base64Content":"eA=="}]}`,
		`{"locations":[{"type":"git","target":"https://github.com/a/b","ref":"main"}]}`, `{"comment":"ok","by":"bob"}`,
		`{"slug":`, `[]`, `null`, `{"a":1}{"b":2}`, "\x00\xff", `{"slug":1e999}`, `{"admins":[[[[[[]]]]]]}`,
		`{"expiresAt":"not a time"}`, `"` + string(bytes.Repeat([]byte("a"), 2000)) + `"`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for name, newTarget := range decodeTargets() {
			r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			if e := decodeJSON(w, r, newTarget()); e != nil {
				if e.Status < 400 || e.Status >= 500 || e.Code == "" || e.Message == "" {
					t.Fatalf("%s: rejection %+v is not a 4xx in the error shape", name, e)
				}
			}
		}
	})
}

func TestOversizeBodyIs413(t *testing.T) {
	body := append([]byte(`{"slug":"`), bytes.Repeat([]byte("a"), MaxBodyBytes+10)...)
	r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
	e := decodeJSON(httptest.NewRecorder(), r, &TenantRequest{})
	if e == nil || e.Status != 413 {
		t.Fatalf("oversize body: %+v", e)
	}
}
