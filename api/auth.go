package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/rigger-platform/rigger/internal/store"
)

// Principal is who is calling: the platform admin, or a tenant key with
// scopes.
type Principal struct {
	Admin  bool
	Tenant string
	Scopes []string
	KeyID  string
}

// ID names the principal for rate limits, idempotency keys and logs.
func (p *Principal) ID() string {
	if p.Admin {
		return "admin"
	}
	return "tenant:" + p.Tenant + ":" + p.KeyID
}

// Has reports whether the principal holds scope; admin scope implies the
// others.
func (p *Principal) Has(scope string) bool {
	return p.Admin || slices.Contains(p.Scopes, scope) || slices.Contains(p.Scopes, store.ScopeAdmin)
}

// access is what a route demands.
type access int

const (
	// platformAdmin routes act on the platform: only the admin key.
	platformAdmin access = iota
	// tenantRead, tenantRun and tenantAdmin routes act on the tenant named
	// by the {slug} path value and need that scope of that tenant.
	tenantRead
	tenantRun
	tenantAdmin
	// authenticated routes check the tenant themselves (it comes from the
	// body or the resource), through Principal.CanAccess.
	authenticated
)

func (a access) scope() string {
	switch a {
	case tenantRun:
		return store.ScopeRun
	case tenantAdmin:
		return store.ScopeAdmin
	default:
		return store.ScopeRead
	}
}

type principalKey struct{}

// PrincipalFrom returns the authenticated caller of a request.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// CanAccess is the tenant check for routes whose tenant is not in the path.
// Another tenant's resource must look exactly like a missing one (404): the
// API is no oracle for what other tenants have.
func (p *Principal) CanAccess(tenant, scope string) *apiError {
	if p.Admin {
		return nil
	}
	if p.Tenant != tenant {
		return errNotFound("not found")
	}
	if !p.Has(scope) {
		return errForbidden(scope)
	}
	return nil
}

func errForbidden(scope string) *apiError {
	return &apiError{Status: http.StatusForbidden, Code: "permission_denied", Message: "this key lacks the " + scope + " scope"}
}

func errUnauthenticated() *apiError {
	return &apiError{Status: http.StatusUnauthorized, Code: "unauthenticated", Message: "missing, invalid, expired or revoked API key: send Authorization: Bearer <key>"}
}

// authenticate resolves the bearer token. The admin key is compared as a
// SHA-256 digest in constant time, so neither its content nor its length
// leaks through timing; tenant keys are verified against their salted hash.
func (s *Server) authenticate(r *http.Request) (*Principal, *apiError) {
	token, ok := bearer(r)
	if !ok {
		return nil, errUnauthenticated()
	}
	if s.AdminKey != "" {
		want := sha256.Sum256([]byte(s.AdminKey))
		got := sha256.Sum256([]byte(token))
		if subtle.ConstantTimeCompare(got[:], want[:]) == 1 {
			return &Principal{Admin: true}, nil
		}
	}
	if store.IsAPIKeyToken(token) {
		k, err := s.Store.VerifyAPIKey(r.Context(), token, time.Now())
		if errors.Is(err, store.ErrInvalidKey) {
			return nil, errUnauthenticated()
		}
		if err != nil {
			s.log(r).Error("verify api key", "error", err)
			return nil, errInternal()
		}
		return &Principal{Tenant: k.Tenant, Scopes: k.Scopes, KeyID: k.ID}, nil
	}
	if s.OIDC != nil {
		p, err := s.OIDC.Verify(r.Context(), token)
		if err != nil {
			return nil, errUnauthenticated()
		}
		return p, nil
	}
	return nil, errUnauthenticated()
}

// authorize checks the principal against what the route demands.
func (s *Server) authorize(p *Principal, need access, r *http.Request) *apiError {
	switch need {
	case authenticated:
		return nil
	case platformAdmin:
		if !p.Admin {
			return &apiError{Status: http.StatusForbidden, Code: "permission_denied", Message: "this route needs the platform admin key"}
		}
		return nil
	default:
		slug := r.PathValue("slug")
		if e := p.CanAccess(slug, need.scope()); e != nil {
			if e.Status == http.StatusNotFound {
				return errNoTenant(slug)
			}
			return e
		}
		return nil
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
