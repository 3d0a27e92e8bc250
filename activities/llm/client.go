package llm

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Client is a configured chat-completions client. It keeps the key only to
// scrub it from any error text that might echo it back.
type Client struct {
	api     *openai.Client
	apiType string
	timeout time.Duration
	secret  string
}

// NewClient builds the client for cfg, which must be Configured.
func NewClient(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var oc openai.ClientConfig
	switch cfg.apiType() {
	case APITypeAzure:
		oc = openai.DefaultAzureConfig(cfg.APIKey, strings.TrimRight(cfg.BaseURL, "/"))
		if cfg.APIVersion != "" {
			oc.APIVersion = cfg.APIVersion
		}
	default:
		oc = openai.DefaultConfig(cfg.APIKey)
		if cfg.BaseURL != "" {
			oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
		}
	}
	// No http.Client timeout: it would cut long streams. Each call has a
	// context deadline instead (Config.Timeout).
	oc.HTTPClient = retryAfterDoer{&http.Client{}}
	return &Client{api: openai.NewClientWithConfig(oc), apiType: cfg.apiType(), timeout: cfg.timeout(), secret: cfg.APIKey}, nil
}

// retryAfterDoer remembers the server's Retry-After on throttling and
// server errors. go-openai turns error responses into errors without their
// headers, so the header is captured here, into a slot the caller put in
// the request context.
type retryAfterDoer struct{ c *http.Client }

type retryAfterKey struct{}

// retryAfterSlot receives the delay the server asked for, if any.
type retryAfterSlot struct {
	mu    sync.Mutex
	delay time.Duration
}

func (s *retryAfterSlot) get() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delay
}

func withRetryAfterSlot(ctx context.Context) (context.Context, *retryAfterSlot) {
	s := &retryAfterSlot{}
	return context.WithValue(ctx, retryAfterKey{}, s), s
}

func (d retryAfterDoer) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.c.Do(req)
	if err != nil || (resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode < 500) {
		return resp, err
	}
	if slot, ok := req.Context().Value(retryAfterKey{}).(*retryAfterSlot); ok {
		if delay, ok := parseRetryAfter(resp.Header, time.Now()); ok {
			slot.mu.Lock()
			slot.delay = delay
			slot.mu.Unlock()
		}
	}
	return resp, nil
}

// parseRetryAfter reads "retry-after-ms" (OpenAI, Azure) or "Retry-After" in
// seconds or as an HTTP date (RFC 9110 §10.2.3).
func parseRetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
			return time.Duration(ms * float64(time.Millisecond)), true
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
		return time.Duration(secs * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}
