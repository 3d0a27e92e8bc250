package llm

import (
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"
)

// API types: how to authenticate and where the model goes.
const (
	// APITypeOpenAI is api.openai.com (the default base URL) or a proxy of
	// it: bearer key, model in the body, max_completion_tokens.
	APITypeOpenAI = "openai"
	// APITypeAzure is Azure OpenAI: "api-key" header, the model is the
	// deployment name in the path, and an api-version query parameter.
	APITypeAzure = "azure"
	// APITypeCompatible is any server speaking the chat-completions API
	// (vLLM, Ollama, llama.cpp's server, LiteLLM): base URL required, key
	// optional, and the older max_tokens field that all of them accept.
	APITypeCompatible = "compatible"
)

// Environment variables read by ConfigFromEnv.
const (
	EnvBaseURL    = "RIGGER_LLM_BASE_URL"
	EnvAPIKey     = "RIGGER_LLM_API_KEY"
	EnvModel      = "RIGGER_LLM_MODEL"
	EnvAPIType    = "RIGGER_LLM_API_TYPE"    // openai (default) | azure | compatible
	EnvAPIVersion = "RIGGER_LLM_API_VERSION" // Azure only
	EnvTimeout    = "RIGGER_LLM_TIMEOUT"     // Go duration, whole call
)

// DefaultTimeout bounds one call, streaming included: long answers at a few
// tens of tokens a second take minutes.
const DefaultTimeout = 5 * time.Minute

// Config says which LLM endpoint to use. It lives in the worker only: the
// key never travels in workflow inputs, and String and LogValue redact it.
type Config struct {
	BaseURL    string
	APIKey     string
	Model      string
	APIType    string
	APIVersion string
	Timeout    time.Duration
}

// ConfigFromEnv reads the RIGGER_LLM_* variables. A Config with nothing set
// is valid and not Configured: the assistant then fails fast.
func ConfigFromEnv() (Config, error) {
	c := Config{
		BaseURL:    strings.TrimSpace(os.Getenv(EnvBaseURL)),
		APIKey:     strings.TrimSpace(os.Getenv(EnvAPIKey)),
		Model:      strings.TrimSpace(os.Getenv(EnvModel)),
		APIType:    strings.ToLower(strings.TrimSpace(os.Getenv(EnvAPIType))),
		APIVersion: strings.TrimSpace(os.Getenv(EnvAPIVersion)),
	}
	if v := os.Getenv(EnvTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("llm: %s=%q is not a positive duration", EnvTimeout, v)
		}
		c.Timeout = d
	}
	return c, c.Validate()
}

// Configured reports whether an endpoint is set at all. The OpenAI type
// has a default base URL (which needs a key); Azure needs both; other
// servers need a base URL and may not use keys.
func (c Config) Configured() bool {
	if c.Model == "" {
		return false
	}
	switch c.apiType() {
	case APITypeOpenAI:
		return c.APIKey != "" || c.BaseURL != ""
	case APITypeAzure:
		return c.APIKey != "" && c.BaseURL != ""
	default:
		return c.BaseURL != ""
	}
}

// Validate rejects settings that are set but wrong; an unset Config is
// valid (and not Configured).
func (c Config) Validate() error {
	switch c.apiType() {
	case APITypeOpenAI, APITypeAzure, APITypeCompatible:
	default:
		return fmt.Errorf("llm: %s=%q: use %s, %s or %s", EnvAPIType, c.APIType, APITypeOpenAI, APITypeAzure, APITypeCompatible)
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("llm: %s must be an http(s) URL, got %q", EnvBaseURL, redactURL(c.BaseURL))
		}
	}
	if c.Timeout < 0 {
		return fmt.Errorf("llm: negative timeout %v", c.Timeout)
	}
	return nil
}

func (c Config) apiType() string {
	if c.APIType == "" {
		return APITypeOpenAI
	}
	return c.APIType
}

func (c Config) timeout() time.Duration {
	if c.Timeout == 0 {
		return DefaultTimeout
	}
	return c.Timeout
}

// String never shows the key, so a Config printed by mistake leaks nothing.
func (c Config) String() string {
	return fmt.Sprintf("llm.Config{type=%s base=%s model=%s key=%s}", c.apiType(), redactURL(c.BaseURL), c.Model, keyState(c.APIKey))
}

// GoString covers %#v, which would otherwise print every field.
func (c Config) GoString() string { return c.String() }

// LogValue makes slog print the redacted form.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("type", c.apiType()), slog.String("base_url", redactURL(c.BaseURL)),
		slog.String("model", c.Model), slog.String("api_key", keyState(c.APIKey)))
}

func keyState(k string) string {
	if k == "" {
		return "unset"
	}
	return "set"
}

// redactURL drops the password and the query from a URL: keys sometimes
// ride in either.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<invalid URL>"
	}
	if u.RawQuery != "" {
		u.RawQuery = "redacted"
	}
	return u.Redacted()
}
