package storage

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrInvalidKey is returned (wrapped, with the reason) for a key or prefix
// that could name something outside the store or a tenant's prefix.
var ErrInvalidKey = errors.New("storage: invalid key")

// MaxKeyLen is S3's limit, applied everywhere so that a key accepted by the
// local backend also works on S3.
const MaxKeyLen = 1024

// tempPrefix marks Local's in-flight writes; keys may not use it, so a
// half-written file is never mistaken for an object.
const tempPrefix = ".rigger-tmp-"

// ValidateKey accepts slash-separated relative paths whose segments are
// non-empty and not "." or "..". It rejects absolute paths, backslashes
// (a separator on Windows and in some S3 gateways), control characters
// including NUL, and invalid UTF-8. Nothing is decoded: "..%2f" is a literal
// segment name, not a way up.
func ValidateKey(key string) error {
	if reason := keyProblem(key); reason != "" {
		return fmt.Errorf("%w %q: %s", ErrInvalidKey, key, reason)
	}
	return nil
}

// ValidatePrefix accepts "" (everything) or a valid key followed by "/".
// Requiring the trailing slash gives prefixes the same meaning on a
// filesystem and on S3: a directory, never a partial name.
func ValidatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	dir, ok := strings.CutSuffix(prefix, "/")
	if !ok {
		return fmt.Errorf("%w: prefix %q must be empty or end with \"/\"", ErrInvalidKey, prefix)
	}
	if reason := keyProblem(dir); reason != "" {
		return fmt.Errorf("%w: prefix %q: %s", ErrInvalidKey, prefix, reason)
	}
	return nil
}

func keyProblem(key string) string {
	switch {
	case key == "":
		return "empty"
	case len(key) > MaxKeyLen:
		return fmt.Sprintf("longer than %d bytes", MaxKeyLen)
	case !utf8.ValidString(key):
		return "not valid UTF-8"
	case strings.HasPrefix(key, "/"):
		return "absolute"
	case strings.Contains(key, `\`):
		return "contains a backslash"
	case strings.ContainsFunc(key, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "contains a control character"
	}
	for _, seg := range strings.Split(key, "/") {
		switch {
		case seg == "":
			return "has an empty segment"
		case seg == "." || seg == "..":
			return fmt.Sprintf("has a %q segment", seg)
		case strings.HasPrefix(seg, tempPrefix):
			return "uses the reserved name prefix " + tempPrefix
		}
	}
	return ""
}
