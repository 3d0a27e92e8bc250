package api

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/rigger-platform/rigger/internal/store"
)

// OIDCConfig says which identity provider to trust and where in its tokens
// the tenant and roles are.
type OIDCConfig struct {
	Issuer      string
	Audience    string
	TenantClaim string // default "rigger_tenant"
	RolesClaim  string // default "rigger_roles"
	// AdminRole in RolesClaim makes the caller a platform admin.
	AdminRole string // default "platform-admin"
}

// OIDCVerifier checks ID/access tokens (JWTs) against the issuer's JWKS,
// which go-oidc caches and refreshes when it meets an unknown key ID.
type OIDCVerifier struct {
	cfg      OIDCConfig
	verifier *oidc.IDTokenVerifier
}

// NewOIDCVerifier discovers the issuer's configuration.
func NewOIDCVerifier(ctx context.Context, cfg OIDCConfig) (*OIDCVerifier, error) {
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("oidc: issuer and audience are required")
	}
	if cfg.TenantClaim == "" {
		cfg.TenantClaim = "rigger_tenant"
	}
	if cfg.RolesClaim == "" {
		cfg.RolesClaim = "rigger_roles"
	}
	if cfg.AdminRole == "" {
		cfg.AdminRole = "platform-admin"
	}
	provider, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc: discover %s: %w", cfg.Issuer, err)
	}
	return &OIDCVerifier{cfg: cfg, verifier: provider.Verifier(&oidc.Config{ClientID: cfg.Audience})}, nil
}

// Verify maps a valid token to a principal. Roles are Rigger scopes (read,
// run, admin) for the tenant in TenantClaim, or AdminRole for the platform.
func (v *OIDCVerifier) Verify(ctx context.Context, raw string) (*Principal, error) {
	tok, err := v.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return nil, err
	}
	roles := stringList(claims[v.cfg.RolesClaim])
	if slices.Contains(roles, v.cfg.AdminRole) {
		return &Principal{Admin: true, KeyID: "oidc:" + tok.Subject}, nil
	}
	tenant, _ := claims[v.cfg.TenantClaim].(string)
	if tenant == "" {
		return nil, errors.New("oidc: token names no tenant")
	}
	var scopes []string
	for _, r := range roles {
		if store.ValidScope(r) {
			scopes = append(scopes, r)
		}
	}
	return &Principal{Tenant: tenant, Scopes: scopes, KeyID: "oidc:" + tok.Subject}, nil
}

func stringList(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
