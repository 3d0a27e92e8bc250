package starter

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// The CLI continues a trace its environment names (TRACEPARENT, as a CI
// job that traces its steps sets it), on JSON calls and event streams, and
// sends nothing for a value that is not a W3C traceparent.
func TestForwardsTraceContextFromEnvironment(t *testing.T) {
	var mu sync.Mutex
	var got []http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Clone())
		mu.Unlock()
		if r.URL.Path == "/v2/tasks/t1/eventstream" {
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = w.Write([]byte("event: completion\ndata: {\"status\":\"completed\"}\n\n"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("{}"))
	}))
	defer srv.Close()
	c := &Client{BaseURL: srv.URL, APIKey: "k"}
	ctx := context.Background()
	const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

	t.Setenv("TRACEPARENT", parent)
	t.Setenv("TRACESTATE", "vendor=value")
	if _, err := c.Do(ctx, "GET", "/v1/tenants", nil, nil); err != nil {
		t.Fatal(err)
	}
	after := 0
	if _, _, err := streamTaskOnce(ctx, c, "t1", &after, io.Discard); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TRACEPARENT", "not-a-traceparent")
	if _, err := c.Do(ctx, "GET", "/v1/tenants", nil, nil); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d requests, want 3", len(got))
	}
	for i, h := range got[:2] {
		if h.Get("traceparent") != parent || h.Get("tracestate") != "vendor=value" || h.Get("Authorization") != "Bearer k" {
			t.Fatalf("request %d: traceparent %q tracestate %q authorization %q", i, h.Get("traceparent"), h.Get("tracestate"), h.Get("Authorization"))
		}
	}
	if v := got[2].Get("traceparent"); v != "" {
		t.Fatalf("malformed TRACEPARENT forwarded as %q", v)
	}
}
