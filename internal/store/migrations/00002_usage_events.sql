-- +goose Up
-- Metering: every billable event once. The event ID is chosen by the
-- producer (e.g. workflow ID + activity ID), so a retried activity or a
-- re-sent API call is recorded once.
CREATE TABLE rigger.usage_events (
    id          text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 200),
    tenant_slug text NOT NULL REFERENCES rigger.tenants (slug),
    metric      text NOT NULL CHECK (metric ~ '^[a-z][a-z0-9_]{0,62}$'),
    quantity    bigint NOT NULL CHECK (quantity >= 0),
    occurred_at timestamptz NOT NULL,
    source      text NOT NULL DEFAULT '',
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX usage_events_tenant_time ON rigger.usage_events (tenant_slug, occurred_at);

-- +goose Down
DROP TABLE rigger.usage_events;
