package llm

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestErrorClassification(t *testing.T) {
	st := newStore(t)
	addTenant(t, st, "acme", "team")
	for _, c := range []struct {
		name      string
		reply     reply
		typ       string
		retryable bool
		delay     time.Duration
		inMessage string
	}{
		{"400", apiError(400, "invalid_request_error", "context_length_exceeded", "This model's maximum context length is 128000 tokens.", nil),
			ErrTypeBadRequest, false, 0, "maximum context length"},
		{"401", apiError(401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided: sk-test-***rT.", nil),
			ErrTypeUnauthorized, false, 0, "RIGGER_LLM_API_KEY"},
		{"403", apiError(403, "invalid_request_error", "unsupported_country_region_territory", "Country, region, or territory not supported", nil),
			ErrTypeUnauthorized, false, 0, "HTTP 403"},
		{"404", apiError(404, "invalid_request_error", "model_not_found", "The model `gpt-9` does not exist or you do not have access to it.", nil),
			ErrTypeModelNotFound, false, 0, `"gpt-4o-mini" not found`},
		{"429 quota", apiError(429, "insufficient_quota", "insufficient_quota", "You exceeded your current quota.", nil),
			ErrTypeQuotaExceeded, false, 0, "quota"},
		{"429 Retry-After seconds", apiError(429, "requests", "rate_limit_exceeded", "Rate limit reached for gpt-4o-mini.", map[string]string{"Retry-After": "7"}),
			ErrTypeRateLimited, true, 7 * time.Second, "Rate limit reached"},
		{"429 retry-after-ms", apiError(429, "tokens", "rate_limit_exceeded", "Rate limit reached.", map[string]string{"retry-after-ms": "1500", "Retry-After": "2"}),
			ErrTypeRateLimited, true, 1500 * time.Millisecond, "HTTP 429"},
		{"429 absurd Retry-After is capped", apiError(429, "requests", "rate_limit_exceeded", "slow down", map[string]string{"Retry-After": "86400"}),
			ErrTypeRateLimited, true, maxRetryAfter, "slow down"},
		{"500", apiError(500, "server_error", "", "The server had an error while processing your request.", nil),
			ErrTypeUnavailable, true, 0, "HTTP 500"},
		{"503 HTML from a proxy", reply{status: 503, header: map[string]string{"Retry-After": "3"}, body: "<html><body>upstream unavailable</body></html>"},
			ErrTypeUnavailable, true, 3 * time.Second, "upstream unavailable"},
		{"422 from a compatible server", reply{status: 422, body: `{"detail":"messages: field required"}`},
			ErrTypeBadRequest, false, 0, "field required"},
		{"broken JSON", reply{body: `{"id":`}, ErrTypeUnavailable, true, 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t, c.reply)
			a := newActivities(t, f, st)
			_, err := run(t, a, ask("acme", "hi"), nil)
			ae := appErr(t, err, c.typ, c.retryable)
			if ae.NextRetryDelay() != c.delay {
				t.Errorf("NextRetryDelay %v, want %v", ae.NextRetryDelay(), c.delay)
			}
			if !strings.Contains(ae.Error(), c.inMessage) {
				t.Errorf("message %q lacks %q", ae.Error(), c.inMessage)
			}
			if strings.Contains(ae.Error(), testKey) {
				t.Errorf("message leaks the key: %q", ae.Error())
			}
		})
	}
	if n := usageEvents(t, st, "acme"); n != 0 {
		t.Errorf("failed calls recorded %d usage events", n)
	}
}

// Servers and proxies sometimes echo the credentials they rejected; the
// key must still not reach the error, which is stored in the history.
func TestKeyNeverInErrors(t *testing.T) {
	st := newStore(t)
	addTenant(t, st, "acme", "team")
	echo := apiError(401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided: "+testKey, nil)
	raw := reply{status: 502, body: "bad gateway for Authorization: Bearer " + testKey}
	for _, r := range []reply{echo, raw} {
		f := newFake(t, r)
		_, err := run(t, newActivities(t, f, st), ask("acme", "hi"), nil)
		if err == nil || strings.Contains(err.Error(), testKey) || !strings.Contains(err.Error(), "[redacted]") {
			t.Errorf("error %v", err)
		}
		if got := f.requests()[0].Header.Get("Authorization"); got != "Bearer "+testKey {
			t.Errorf("the key was not sent: %q", got)
		}
	}
	// Unreachable endpoint: the transport's error names the URL, not the key.
	a := newActivitiesCfg(t, Config{BaseURL: "http://127.0.0.1:1/v1", APIKey: testKey, Model: "m"}, st)
	_, err := run(t, a, ask("acme", "hi"), nil)
	appErr(t, err, ErrTypeUnavailable, true)
	if strings.Contains(err.Error(), testKey) {
		t.Errorf("error %v", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		h    map[string]string
		want time.Duration
		ok   bool
	}{
		{map[string]string{"Retry-After": "7"}, 7 * time.Second, true},
		{map[string]string{"Retry-After": "0.5"}, 500 * time.Millisecond, true},
		{map[string]string{"Retry-After": now.Add(90 * time.Second).Format(http.TimeFormat)}, 90 * time.Second, true},
		{map[string]string{"Retry-After": now.Add(-time.Minute).Format(http.TimeFormat)}, 0, true},
		{map[string]string{"retry-after-ms": "250"}, 250 * time.Millisecond, true},
		{map[string]string{"Retry-After": "soon"}, 0, false},
		{map[string]string{"Retry-After": "-3"}, 0, false},
		{nil, 0, false},
	} {
		h := http.Header{}
		for k, v := range c.h {
			h.Set(k, v)
		}
		if got, ok := parseRetryAfter(h, now); got != c.want || ok != c.ok {
			t.Errorf("%v: got %v,%v want %v,%v", c.h, got, ok, c.want, c.ok)
		}
	}
}
