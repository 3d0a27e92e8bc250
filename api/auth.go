package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// requireAdmin accepts only the admin key as a bearer token. Keys are
// compared as SHA-256 digests in constant time, so neither the content nor
// the length of the key leaks through timing.
func (s *Server) requireAdmin(next http.HandlerFunc) http.HandlerFunc {
	want := sha256.Sum256([]byte(s.AdminKey))
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearer(r)
		got := sha256.Sum256([]byte(token))
		if !ok || s.AdminKey == "" || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="rigger"`)
			writeError(w, &apiError{Status: http.StatusUnauthorized, Code: "unauthenticated", Message: "missing or invalid API key: send Authorization: Bearer <key>"})
			return
		}
		next(w, r)
	}
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}
