package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// API key scopes.
const (
	ScopeRead  = "read"
	ScopeRun   = "run"
	ScopeAdmin = "admin"
)

// ValidScope reports whether s is a known scope.
func ValidScope(s string) bool { return s == ScopeRead || s == ScopeRun || s == ScopeAdmin }

// APIKey is a tenant key's metadata; the secret is never stored.
type APIKey struct {
	ID         string     `json:"id"`
	Tenant     string     `json:"tenant"`
	Name       string     `json:"name"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  *time.Time `json:"expiresAt"`
	RevokedAt  *time.Time `json:"revokedAt,omitempty"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
}

// ErrInvalidKey covers unknown, wrong, expired and revoked keys alike, so
// a caller learns nothing about which.
var ErrInvalidKey = errors.New("invalid API key")

const keyPrefix = "rgr_"

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func hashSecret(salt []byte, secret string) []byte {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(secret))
	return h.Sum(nil)
}

// CreateAPIKey stores a new key and returns it with its full token, which
// is shown once.
func (s *Store) CreateAPIKey(ctx context.Context, tenant, name string, scopes []string, expiresAt *time.Time) (APIKey, string, error) {
	id := "k" + randomHex(8)
	secretBytes := make([]byte, 32)
	if _, err := rand.Read(secretBytes); err != nil {
		return APIKey{}, "", err
	}
	secret := base64.RawURLEncoding.EncodeToString(secretBytes)
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	var k APIKey
	err := s.Pool.QueryRow(ctx, `INSERT INTO rigger.api_keys (id, tenant_slug, name, scopes, salt, hash, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, tenant_slug, name, scopes, created_at, expires_at, revoked_at, last_used_at`,
		id, tenant, name, scopes, salt, hashSecret(salt, secret), expiresAt).
		Scan(&k.ID, &k.Tenant, &k.Name, &k.Scopes, &k.CreatedAt, &k.ExpiresAt, &k.RevokedAt, &k.LastUsedAt)
	if err != nil {
		return APIKey{}, "", err
	}
	return k, keyPrefix + id + "_" + secret, nil
}

// IsAPIKeyToken reports whether a bearer token has the tenant key format.
func IsAPIKeyToken(token string) bool { return strings.HasPrefix(token, keyPrefix+"k") }

// VerifyAPIKey checks a token and returns its key if valid now.
func (s *Store) VerifyAPIKey(ctx context.Context, token string, now time.Time) (APIKey, error) {
	rest, ok := strings.CutPrefix(token, keyPrefix)
	if !ok {
		return APIKey{}, ErrInvalidKey
	}
	id, secret, ok := strings.Cut(rest, "_")
	if !ok || len(id) != 17 || secret == "" {
		return APIKey{}, ErrInvalidKey
	}
	var k APIKey
	var salt, hash []byte
	err := s.Pool.QueryRow(ctx, `SELECT id, tenant_slug, name, scopes, created_at, expires_at, revoked_at, last_used_at, salt, hash
		FROM rigger.api_keys WHERE id = $1`, id).
		Scan(&k.ID, &k.Tenant, &k.Name, &k.Scopes, &k.CreatedAt, &k.ExpiresAt, &k.RevokedAt, &k.LastUsedAt, &salt, &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		// Spend the same hashing work as a found key.
		_ = subtle.ConstantTimeCompare(hashSecret(make([]byte, 16), secret), make([]byte, 32))
		return APIKey{}, ErrInvalidKey
	}
	if err != nil {
		return APIKey{}, err
	}
	if subtle.ConstantTimeCompare(hashSecret(salt, secret), hash) != 1 {
		return APIKey{}, ErrInvalidKey
	}
	if k.RevokedAt != nil || (k.ExpiresAt != nil && !now.Before(*k.ExpiresAt)) {
		return APIKey{}, ErrInvalidKey
	}
	// Last use is informational; losing an update under load is fine.
	_, _ = s.Pool.Exec(ctx, `UPDATE rigger.api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2 - interval '1 minute')`, id, now)
	return k, nil
}

// ListAPIKeys lists a tenant's keys, newest first.
func (s *Store) ListAPIKeys(ctx context.Context, tenant string) ([]APIKey, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, tenant_slug, name, scopes, created_at, expires_at, revoked_at, last_used_at
		FROM rigger.api_keys WHERE tenant_slug = $1 ORDER BY created_at DESC, id`, tenant)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []APIKey{}
	for rows.Next() {
		var k APIKey
		if err := rows.Scan(&k.ID, &k.Tenant, &k.Name, &k.Scopes, &k.CreatedAt, &k.ExpiresAt, &k.RevokedAt, &k.LastUsedAt); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// GetAPIKey returns one of the tenant's keys; another tenant's is ErrNotFound.
func (s *Store) GetAPIKey(ctx context.Context, tenant, id string) (APIKey, error) {
	var k APIKey
	err := s.Pool.QueryRow(ctx, `SELECT id, tenant_slug, name, scopes, created_at, expires_at, revoked_at, last_used_at
		FROM rigger.api_keys WHERE tenant_slug = $1 AND id = $2`, tenant, id).
		Scan(&k.ID, &k.Tenant, &k.Name, &k.Scopes, &k.CreatedAt, &k.ExpiresAt, &k.RevokedAt, &k.LastUsedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return k, ErrNotFound
	}
	return k, err
}

// RevokeAPIKey revokes a tenant's key; revoking twice is fine.
func (s *Store) RevokeAPIKey(ctx context.Context, tenant, id string) error {
	tag, err := s.Pool.Exec(ctx, `UPDATE rigger.api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE tenant_slug = $1 AND id = $2`, tenant, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("api key %s: %w", id, ErrNotFound)
	}
	return nil
}
