package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/rigger-platform/rigger/internal/store"
)

// APIKeyRequest is the body of POST /v1/tenants/{slug}/api-keys.
type APIKeyRequest struct {
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
}

// APIKeyResponse carries the secret key once, at creation or rotation.
type APIKeyResponse struct {
	store.APIKey
	Key string `json:"key,omitempty"`
}

const maxKeyLifetime = 2 * 366 * 24 * time.Hour

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("slug")
	if !s.liveTenant(w, r, slug) {
		return
	}
	var req APIKeyRequest
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	if len(req.Name) > 100 {
		writeError(w, errInvalid("name", "name may have at most 100 characters"))
		return
	}
	if len(req.Scopes) == 0 {
		writeError(w, errInvalid("scopes", "scopes is required: any of read, run, admin"))
		return
	}
	for i, sc := range req.Scopes {
		if !store.ValidScope(sc) {
			writeError(w, errInvalid(fmt.Sprintf("scopes[%d]", i), fmt.Sprintf("unknown scope %q: use read, run or admin", sc)))
			return
		}
	}
	// A tenant key cannot mint a key stronger than itself.
	if p := PrincipalFrom(r.Context()); !p.Admin {
		for _, sc := range req.Scopes {
			if !p.Has(sc) {
				writeError(w, errForbidden(sc))
				return
			}
		}
	}
	now := time.Now()
	if req.ExpiresAt != nil && (!req.ExpiresAt.After(now) || req.ExpiresAt.Sub(now) > maxKeyLifetime) {
		writeError(w, errInvalid("expiresAt", "expiresAt must be in the future and at most two years away"))
		return
	}
	k, token, err := s.Store.CreateAPIKey(r.Context(), slug, req.Name, req.Scopes, req.ExpiresAt)
	if err != nil {
		s.log(r).Error("create api key", "tenant", slug, "error", err)
		writeError(w, errInternal())
		return
	}
	s.log(r).Info("api key created", "tenant", slug, "key_id", k.ID, "scopes", k.Scopes)
	writeJSON(w, http.StatusCreated, APIKeyResponse{APIKey: k, Key: token})
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("slug")
	if !s.liveTenant(w, r, slug) {
		return
	}
	keys, err := s.Store.ListAPIKeys(r.Context(), slug)
	if err != nil {
		s.log(r).Error("list api keys", "tenant", slug, "error", err)
		writeError(w, errInternal())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
}

// rotateAPIKey issues a new key with the old one's name, scopes and
// lifetime, and revokes the old one.
func (s *Server) rotateAPIKey(w http.ResponseWriter, r *http.Request) {
	slug, id := r.PathValue("slug"), r.PathValue("id")
	old, err := s.Store.GetAPIKey(r.Context(), slug, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && old.RevokedAt != nil) {
		writeError(w, errNotFound("no active api key "+id))
		return
	}
	if err != nil {
		writeError(w, errInternal())
		return
	}
	var expires *time.Time
	if old.ExpiresAt != nil {
		e := time.Now().Add(old.ExpiresAt.Sub(old.CreatedAt))
		expires = &e
	}
	k, token, err := s.Store.CreateAPIKey(r.Context(), slug, old.Name, old.Scopes, expires)
	if err == nil {
		err = s.Store.RevokeAPIKey(r.Context(), slug, id)
	}
	if err != nil {
		s.log(r).Error("rotate api key", "tenant", slug, "error", err)
		writeError(w, errInternal())
		return
	}
	writeJSON(w, http.StatusCreated, APIKeyResponse{APIKey: k, Key: token})
}

func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request) {
	slug, id := r.PathValue("slug"), r.PathValue("id")
	err := s.Store.RevokeAPIKey(r.Context(), slug, id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, errNotFound("no api key "+id))
		return
	}
	if err != nil {
		writeError(w, errInternal())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// liveTenant answers 404 unless the tenant exists and is not deleted.
func (s *Server) liveTenant(w http.ResponseWriter, r *http.Request, slug string) bool {
	t, err := s.Store.GetTenant(r.Context(), slug)
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.Status == store.StatusDeleted) {
		writeError(w, errNoTenant(slug))
		return false
	}
	if err != nil {
		writeError(w, errInternal())
		return false
	}
	return true
}
