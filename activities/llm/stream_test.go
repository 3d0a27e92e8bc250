package llm

import (
	"strings"
	"sync"
	"testing"
	"time"
)

func TestStreaming(t *testing.T) {
	st := newStore(t)
	addTenant(t, st, "acme", "team")
	pieces := []string{"Use ", "the ", "`postgres` ", "template ", "in ", "the ", "portal."}
	rep := streamed(pieces, 30, 9)
	// 1.35s in all: the SDK sends a heartbeat at most every 0.8s (0.8 ×
	// HeartbeatTimeout), and partial text must get through.
	rep.between = 150 * time.Millisecond
	f := newFake(t, rep)
	a := newActivities(t, f, st)
	in := ask("acme", "How do I get a database?")
	in.Stream = true

	var mu sync.Mutex
	var beats []Progress
	res, _, err := runWorkflow(t, a, in, func(p Progress) {
		mu.Lock()
		beats = append(beats, p)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	want := CompleteResult{Text: strings.Join(pieces, ""), PromptTokens: 30, CompletionTokens: 9, TotalTokens: 39, FinishReason: "stop", Model: fakeModel}
	if res != want {
		t.Errorf("result %+v, want %+v", res, want)
	}
	body := f.requests()[0].Body
	if opts, _ := body["stream_options"].(map[string]any); body["stream"] != true || opts["include_usage"] != true {
		t.Errorf("request %v", body)
	}
	mu.Lock()
	defer mu.Unlock()
	partial := 0
	for _, b := range beats {
		if !strings.HasPrefix(want.Text, b.Text) {
			t.Errorf("heartbeat text %q is not a prefix of the answer", b.Text)
		}
		if b.Result == nil && b.Text != "" && b.Text != want.Text {
			partial++
		}
	}
	if partial == 0 {
		t.Errorf("no partial text heartbeated: %+v", beats)
	}
	if got := aiUsage(t, st, "acme"); got != 39 {
		t.Errorf("recorded %d tokens", got)
	}
}

func TestStreamFailures(t *testing.T) {
	st := newStore(t)
	addTenant(t, st, "acme", "team")
	full := streamed([]string{"partial ", "answer"}, 5, 2)

	cut := full
	cut.events = full.events[:2] // connection closed mid-answer, no finish, no [DONE]
	cut.noDone = true

	midError := full
	midError.events = append(full.events[:2:2], `{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}`)
	midError.noDone = true

	stall := full
	stall.between = 200 * time.Millisecond

	for _, c := range []struct {
		name  string
		reply reply
		idle  time.Duration
	}{
		{"cut off", cut, 0},
		{"error event", midError, 0},
		{"idle", stall, 50 * time.Millisecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t, c.reply)
			a := newActivities(t, f, st)
			a.StreamIdleTimeout = c.idle
			in := ask("acme", "hi")
			in.Stream = true
			_, err := run(t, a, in, nil)
			appErr(t, err, ErrTypeUnavailable, true)
		})
	}
	if n := usageEvents(t, st, "acme"); n != 0 {
		t.Errorf("failed streams recorded %d usage events", n)
	}
}
