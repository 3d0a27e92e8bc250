package storage

import (
	"errors"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateKey(t *testing.T) {
	for _, k := range []string{"a", "a/b/c.html", "..%2f", "a..b", "...", ".hidden/x", "ü/✓", ".rigger-tenant.json", strings.Repeat("k", MaxKeyLen)} {
		if err := ValidateKey(k); err != nil {
			t.Errorf("ValidateKey(%q) = %v", k, err)
		}
	}
	for _, k := range badKeys {
		err := ValidateKey(k)
		if !errors.Is(err, ErrInvalidKey) {
			t.Errorf("ValidateKey(%q) = %v, want ErrInvalidKey", k, err)
		}
	}
	// The reason is part of the message, for whoever reads the failure.
	if err := ValidateKey("../b/x"); err == nil || !strings.Contains(err.Error(), `".." segment`) {
		t.Errorf("message lacks the reason: %v", err)
	}
}

func TestValidatePrefix(t *testing.T) {
	for _, p := range []string{"", "a/", "a/b/", "..%2f/"} {
		if err := ValidatePrefix(p); err != nil {
			t.Errorf("ValidatePrefix(%q) = %v", p, err)
		}
	}
	for _, p := range badPrefixes {
		if err := ValidatePrefix(p); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("ValidatePrefix(%q) = %v, want ErrInvalidKey", p, err)
		}
	}
}

// FuzzValidateKey: an accepted key is already clean and local, so joining it
// under a tenant prefix can never leave that prefix, on any OS path rules.
func FuzzValidateKey(f *testing.F) {
	for _, k := range append(badKeys, "a/b", "..%2f", "a..b/c") {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if ValidateKey(key) != nil {
			return
		}
		if path.Clean(key) != key || !filepath.IsLocal(key) || strings.ContainsAny(key, "\\\x00") {
			t.Fatalf("accepted unclean key %q", key)
		}
		joined := path.Clean("tenants/a/" + key)
		if !strings.HasPrefix(joined, "tenants/a/") {
			t.Fatalf("key %q escapes to %q", key, joined)
		}
	})
}
