// Package secrets derives per-tenant credentials from one master key, so that
// workflow inputs and histories carry only a reference (a name) and every
// retry of an activity arrives at the same password without storing it.
package secrets

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Deriver turns a reference such as "postgres/acme" into a stable secret.
type Deriver struct{ key []byte }

// NewDeriver needs a master key of at least 32 bytes.
func NewDeriver(key []byte) (*Deriver, error) {
	if len(key) < 32 {
		return nil, errors.New("secrets: master key must be at least 32 bytes")
	}
	return &Deriver{key: append([]byte(nil), key...)}, nil
}

// Ref names a tenant's secret for one purpose; it is safe to log and record.
func Ref(purpose, slug string) string { return purpose + "/" + slug }

// Secret returns the secret a reference stands for: 43 URL-safe characters.
func (d *Deriver) Secret(ref string) string {
	m := hmac.New(sha256.New, d.key)
	m.Write([]byte("rigger-secret-v1\x00" + ref))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// LoadOrCreateKey reads a base64 master key from path, creating one with 0600
// permissions when the file does not exist (the development default).
func LoadOrCreateKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return DecodeKey(strings.TrimSpace(string(b)))
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("secrets: read master key: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("secrets: write master key: %w", err)
	}
	return key, nil
}

// DecodeKey parses a base64 master key, as given in RIGGER_SECRET_KEY.
func DecodeKey(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("secrets: master key is not base64: %w", err)
	}
	if len(key) < 32 {
		return nil, errors.New("secrets: master key must decode to at least 32 bytes")
	}
	return key, nil
}
