package api

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// fakeIssuer is an OIDC provider: discovery document and JWKS over HTTP,
// tokens signed with its RSA key.
type fakeIssuer struct {
	srv *httptest.Server
	key *rsa.PrivateKey
	kid string
}

func newFakeIssuer(t *testing.T) *fakeIssuer {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeIssuer{key: key, kid: "k1"}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": f.srv.URL, "jwks_uri": f.srv.URL + "/keys", "authorization_endpoint": f.srv.URL + "/auth",
			"token_endpoint": f.srv.URL + "/token", "id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &f.key.PublicKey, KeyID: f.kid, Algorithm: "RS256", Use: "sig"}}})
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIssuer) token(t *testing.T, key *rsa.PrivateKey, claims map[string]any) string {
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", f.kid))
	if err != nil {
		t.Fatal(err)
	}
	std := jwt.Claims{Issuer: f.srv.URL, Audience: jwt.Audience{"rigger"}, Subject: "user-1",
		Expiry: jwt.NewNumericDate(time.Now().Add(time.Hour)), IssuedAt: jwt.NewNumericDate(time.Now())}
	raw, err := jwt.Signed(sig).Claims(std).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestOIDCVerifier(t *testing.T) {
	f := newFakeIssuer(t)
	ctx := context.Background()
	v, err := NewOIDCVerifier(ctx, OIDCConfig{Issuer: f.srv.URL, Audience: "rigger"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Verify(ctx, f.token(t, f.key, map[string]any{"rigger_tenant": "acme", "rigger_roles": []string{"read", "run", "bogus"}}))
	if err != nil || p.Admin || p.Tenant != "acme" || !p.Has("run") || p.Has("admin") {
		t.Fatalf("tenant token: %+v %v", p, err)
	}
	if e := p.CanAccess("other", "read"); e == nil || e.Status != 404 {
		t.Fatalf("cross-tenant access: %v", e)
	}
	p, err = v.Verify(ctx, f.token(t, f.key, map[string]any{"rigger_roles": "platform-admin"}))
	if err != nil || !p.Admin {
		t.Fatalf("admin token: %+v %v", p, err)
	}
	if _, err := v.Verify(ctx, f.token(t, f.key, map[string]any{"rigger_roles": []string{"read"}})); err == nil {
		t.Fatal("token without a tenant accepted")
	}
	forged, _ := rsa.GenerateKey(rand.Reader, 2048)
	if _, err := v.Verify(ctx, f.token(t, forged, map[string]any{"rigger_tenant": "acme"})); err == nil {
		t.Fatal("token signed by another key accepted")
	}
	other, err := NewOIDCVerifier(ctx, OIDCConfig{Issuer: f.srv.URL, Audience: "someone-else"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Verify(ctx, f.token(t, f.key, map[string]any{"rigger_tenant": "acme"})); err == nil {
		t.Fatal("token for another audience accepted")
	}
}
