package llm

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeOpenAI speaks the chat-completions wire format as api.openai.com
// does: JSON bodies with a usage block, SSE streams of
// chat.completion.chunk objects ending in "data: [DONE]", and error bodies
// {"error":{"message","type","param","code"}}. Replies are queued; the last
// one repeats.
type fakeOpenAI struct {
	srv     *httptest.Server
	mu      sync.Mutex
	replies []reply
	reqs    []fakeRequest
}

type fakeRequest struct {
	Method, Path, Query string
	Header              http.Header
	Body                map[string]any
}

type reply struct {
	status  int
	header  map[string]string
	body    string   // JSON reply when events is nil
	events  []string // SSE data payloads, each written and flushed in turn
	noDone  bool     // cut the stream off without "data: [DONE]"
	between time.Duration
}

func newFake(t testing.TB, replies ...reply) *fakeOpenAI {
	f := &fakeOpenAI{replies: replies}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeOpenAI) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	f.mu.Lock()
	f.reqs = append(f.reqs, fakeRequest{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body})
	rep := f.replies[0]
	if len(f.replies) > 1 {
		f.replies = f.replies[1:]
	}
	f.mu.Unlock()
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	if rep.events == nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(cmpInt(rep.status, http.StatusOK))
		io.WriteString(w, rep.body)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(cmpInt(rep.status, http.StatusOK))
	fl := w.(http.Flusher)
	for _, e := range rep.events {
		fmt.Fprintf(w, "data: %s\n\n", e)
		fl.Flush()
		select {
		case <-r.Context().Done(): // the client gave up
			return
		case <-time.After(rep.between):
		}
	}
	if !rep.noDone {
		io.WriteString(w, "data: [DONE]\n\n")
	}
}

func (f *fakeOpenAI) requests() []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeRequest(nil), f.reqs...)
}

func cmpInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

const fakeModel = "gpt-4o-mini-2024-07-18"

// completion is a non-streaming reply.
func completion(text, finish string, prompt, completionTokens int) reply {
	content, _ := json.Marshal(text)
	return reply{body: fmt.Sprintf(`{
  "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
  "object": "chat.completion",
  "created": 1741569952,
  "model": %q,
  "choices": [{"index": 0, "message": {"role": "assistant", "content": %s, "refusal": null, "annotations": []}, "logprobs": null, "finish_reason": %q}],
  "usage": {"prompt_tokens": %d, "completion_tokens": %d, "total_tokens": %d,
    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
  "service_tier": "default",
  "system_fingerprint": "fp_06737a9306"
}`, fakeModel, content, finish, prompt, completionTokens, prompt+completionTokens)}
}

// streamed is an SSE reply: a role chunk, one chunk per piece, a finish
// chunk, and (with include_usage) a usage chunk with no choices.
func streamed(pieces []string, prompt, completionTokens int) reply {
	chunk := func(delta, finish, usage string) string {
		return fmt.Sprintf(`{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1741569952,"model":%q,"service_tier":"default","system_fingerprint":"fp_06737a9306","choices":[{"index":0,"delta":%s,"logprobs":null,"finish_reason":%s}],"usage":%s}`,
			fakeModel, delta, finish, usage)
	}
	events := []string{chunk(`{"role":"assistant","content":"","refusal":null}`, "null", "null")}
	for _, p := range pieces {
		c, _ := json.Marshal(p)
		events = append(events, chunk(`{"content":`+string(c)+`}`, "null", "null"))
	}
	events = append(events, chunk(`{}`, `"stop"`, "null"))
	events = append(events, fmt.Sprintf(`{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1741569952,"model":%q,"service_tier":"default","system_fingerprint":"fp_06737a9306","choices":[],"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}`,
		fakeModel, prompt, completionTokens, prompt+completionTokens))
	return reply{events: events, between: 5 * time.Millisecond}
}

// apiError is an error reply in OpenAI's shape.
func apiError(status int, typ, code, message string, header map[string]string) reply {
	c := "null"
	if code != "" {
		c = `"` + code + `"`
	}
	m, _ := json.Marshal(message)
	return reply{status: status, header: header, body: fmt.Sprintf(`{"error":{"message":%s,"type":%q,"param":null,"code":%s}}`, m, typ, c)}
}

func (r fakeRequest) String() string {
	b, _ := json.Marshal(r.Body)
	return r.Method + " " + r.Path + "?" + r.Query + " " + string(b) + " " + strings.Join(r.Header.Values("Authorization"), ",")
}
