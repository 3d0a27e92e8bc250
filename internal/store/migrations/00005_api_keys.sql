-- +goose Up
-- Tenant API keys. Only a salted SHA-256 of the secret part is kept: the
-- secret is 32 random bytes, so a slow KDF would add nothing but latency.
CREATE TABLE rigger.api_keys (
    id           text PRIMARY KEY,
    tenant_slug  text NOT NULL REFERENCES rigger.tenants (slug),
    name         text NOT NULL DEFAULT '',
    scopes       text[] NOT NULL,
    salt         bytea NOT NULL,
    hash         bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz
);
CREATE INDEX api_keys_tenant ON rigger.api_keys (tenant_slug);

-- Idempotency keys for POSTs that start work: the first response is kept and
-- replayed for a repeat of the same request.
CREATE TABLE rigger.idempotency_keys (
    principal    text NOT NULL,
    key          text NOT NULL,
    request_hash bytea NOT NULL,
    status       int,
    body         bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, key)
);

-- +goose Down
DROP TABLE rigger.idempotency_keys;
DROP TABLE rigger.api_keys;
