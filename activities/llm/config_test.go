package llm

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestConfigFromEnv(t *testing.T) {
	for _, k := range []string{EnvBaseURL, EnvAPIKey, EnvModel, EnvAPIType, EnvAPIVersion, EnvTimeout} {
		t.Setenv(k, "")
	}
	c, err := ConfigFromEnv()
	if err != nil || c.Configured() {
		t.Fatalf("empty env: %+v configured=%v err=%v", c, c.Configured(), err)
	}

	t.Setenv(EnvAPIKey, testKey)
	t.Setenv(EnvModel, "gpt-4o-mini")
	t.Setenv(EnvTimeout, "90s")
	c, err = ConfigFromEnv()
	if err != nil || !c.Configured() || c.timeout() != 90*time.Second {
		t.Fatalf("openai with default base URL: %+v configured=%v err=%v", c, c.Configured(), err)
	}

	t.Setenv(EnvAPIType, "Azure")
	if c, _ = ConfigFromEnv(); c.Configured() {
		t.Error("azure without a base URL counted as configured")
	}
	t.Setenv(EnvAPIType, "compatible")
	t.Setenv(EnvAPIKey, "")
	t.Setenv(EnvBaseURL, "http://ollama:11434/v1")
	if c, err = ConfigFromEnv(); err != nil || !c.Configured() {
		t.Errorf("compatible without key: configured=%v err=%v", c.Configured(), err)
	}

	for k, v := range map[string]string{EnvAPIType: "anthropic", EnvBaseURL: "ftp://x", EnvTimeout: "soon"} {
		t.Run(k, func(t *testing.T) {
			t.Setenv(k, v)
			if _, err := ConfigFromEnv(); err == nil {
				t.Errorf("%s=%q accepted", k, v)
			}
			if _, err := New(Config{APIType: "anthropic"}, nil); err == nil {
				t.Error("New accepted an unknown API type")
			}
		})
	}
}

func TestConfigNeverPrintsKey(t *testing.T) {
	c := Config{BaseURL: "https://user:hunter2@llm.example.com/v1?api-key=" + testKey, APIKey: testKey, Model: "m"}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "llm", c)
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), c.String(), logged.String()} {
		if strings.Contains(s, testKey) || strings.Contains(s, "hunter2") {
			t.Errorf("printed a secret: %s", s)
		}
	}
	if !strings.Contains(c.String(), "key=set") {
		t.Errorf("String %q should say the key is set", c)
	}
}
