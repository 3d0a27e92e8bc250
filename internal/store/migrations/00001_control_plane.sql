-- +goose Up
CREATE TABLE rigger.plans (
    id               text PRIMARY KEY,
    display_name     text   NOT NULL,
    currency         text   NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    base_price_minor bigint NOT NULL CHECK (base_price_minor >= 0),
    -- metric name -> included quantity / per-unit overage in minor units
    included         jsonb  NOT NULL DEFAULT '{}',
    overage_minor    jsonb  NOT NULL DEFAULT '{}',
    created_at       timestamptz NOT NULL DEFAULT now()
);

INSERT INTO rigger.plans (id, display_name, currency, base_price_minor, included, overage_minor) VALUES
  ('free', 'Free', 'USD', 0,
   '{"seats": 5, "scaffolder_runs": 50, "techdocs_build_minutes": 60, "ai_tokens": 50000, "api_calls": 10000}',
   '{"seats": 0, "scaffolder_runs": 0, "techdocs_build_minutes": 0, "ai_tokens": 0, "api_calls": 0}'),
  ('team', 'Team', 'USD', 49900,
   '{"seats": 50, "scaffolder_runs": 1000, "techdocs_build_minutes": 600, "ai_tokens": 2000000, "api_calls": 500000}',
   '{"seats": 900, "scaffolder_runs": 10, "techdocs_build_minutes": 5, "ai_tokens": 0, "api_calls": 0}'),
  ('enterprise', 'Enterprise', 'USD', 299900,
   '{"seats": 500, "scaffolder_runs": 20000, "techdocs_build_minutes": 10000, "ai_tokens": 20000000, "api_calls": 10000000}',
   '{"seats": 700, "scaffolder_runs": 5, "techdocs_build_minutes": 3, "ai_tokens": 0, "api_calls": 0}');

CREATE TABLE rigger.tenants (
    slug          text PRIMARY KEY,
    display_name  text NOT NULL,
    plan_id       text NOT NULL REFERENCES rigger.plans (id),
    owner         text NOT NULL,
    admins        text[] NOT NULL DEFAULT '{}',
    plugins       text[] NOT NULL DEFAULT '{}',
    status        text NOT NULL CHECK (status IN ('provisioning', 'active', 'failed', 'offboarding', 'deleted')),
    status_reason text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenants_status_idx ON rigger.tenants (status);

CREATE TABLE rigger.subscriptions (
    id          bigserial PRIMARY KEY,
    tenant_slug text NOT NULL REFERENCES rigger.tenants (slug),
    plan_id     text NOT NULL REFERENCES rigger.plans (id),
    started_at  timestamptz NOT NULL DEFAULT now(),
    ended_at    timestamptz
);
-- At most one open subscription per tenant: the idempotency key of the
-- billing step.
CREATE UNIQUE INDEX subscriptions_one_open ON rigger.subscriptions (tenant_slug) WHERE ended_at IS NULL;

-- +goose Down
DROP TABLE rigger.subscriptions;
DROP TABLE rigger.tenants;
DROP TABLE rigger.plans;
