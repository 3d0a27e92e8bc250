package llm

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
)

// zeroLatency answers every request at once with the same completion, so a
// benchmark measures only Rigger's side of a call.
func zeroLatency(b *testing.B) *httptest.Server {
	body := []byte(completion("Use the postgres template.", "stop", 42, 7).body)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkClientCall: the HTTP client alone (request building, JSON both
// ways, classification path), no Temporal, no database.
func BenchmarkClientCall(b *testing.B) {
	srv := zeroLatency(b)
	c, err := NewClient(Config{BaseURL: srv.URL + "/v1", APIKey: testKey, Model: "m"})
	if err != nil {
		b.Fatal(err)
	}
	r := chatRequest{model: "m", messages: ask("acme", "How do I get a database?").Messages, maxTokens: 256, idle: time.Minute}
	ctx := context.Background()
	for b.Loop() {
		if _, err := c.chat(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLLMComplete: the whole activity per call — budget query, HTTP
// call, usage insert on real PostgreSQL — run by the SDK's activity test
// environment. Each call is a new step, so each inserts a usage event.
func BenchmarkLLMComplete(b *testing.B) {
	srv := zeroLatency(b)
	st := newStore(b)
	addTenant(b, st, "acme", "enterprise")
	a := newActivitiesCfg(b, Config{BaseURL: srv.URL + "/v1", APIKey: testKey, Model: "m"}, st)
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	in := ask("acme", "How do I get a database?")
	start, n := time.Now(), 0
	for b.Loop() {
		in.Step = fmt.Sprint("bench-", n)
		if _, err := env.ExecuteActivity(a.LLMComplete, in); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if n >= 100 {
		fmt.Printf("llm activity per-call overhead (zero-latency server, PostgreSQL metering): %v over %d calls\n",
			(time.Since(start) / time.Duration(n)).Round(time.Microsecond), n)
	}
}
