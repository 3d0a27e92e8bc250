-- +goose Up
-- One invoice per tenant and period: the unique key is what makes a billing
-- cycle exactly-once, whatever the workflow retries or replays.
CREATE TABLE rigger.invoices (
    id                text PRIMARY KEY DEFAULT 'inv_' || replace(gen_random_uuid()::text, '-', ''),
    tenant_slug       text   NOT NULL REFERENCES rigger.tenants (slug),
    period            text   NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    currency          text   NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    subtotal_minor    bigint NOT NULL CHECK (subtotal_minor >= 0),
    total_minor       bigint NOT NULL CHECK (total_minor >= 0),
    status            text   NOT NULL DEFAULT 'issued' CHECK (status IN ('issued', 'paid', 'void')),
    created_at        timestamptz NOT NULL DEFAULT now(),
    -- Keys relative to the tenant's storage prefix; NULL until rendered.
    rendered_json_key text,
    rendered_html_key text,
    -- Set once the webhook receiver acknowledged; NULL means not yet.
    notified_at       timestamptz,
    UNIQUE (tenant_slug, period)
);

CREATE TABLE rigger.invoice_lines (
    invoice_id       text   NOT NULL REFERENCES rigger.invoices (id) ON DELETE CASCADE,
    position         int    NOT NULL CHECK (position >= 0),
    kind             text   NOT NULL CHECK (kind IN ('base', 'usage')),
    description      text   NOT NULL,
    plan_id          text   NOT NULL,
    metric           text   NOT NULL DEFAULT '',
    span_from        timestamptz NOT NULL,
    span_to          timestamptz NOT NULL CHECK (span_to > span_from),
    days             int    NOT NULL CHECK (days >= 0),
    period_days      int    NOT NULL CHECK (period_days BETWEEN 28 AND 31),
    used             bigint NOT NULL CHECK (used >= 0),
    included         bigint NOT NULL CHECK (included >= 0),
    quantity         bigint NOT NULL CHECK (quantity >= 0),
    unit_price_minor bigint NOT NULL CHECK (unit_price_minor >= 0),
    amount_minor     bigint NOT NULL CHECK (amount_minor = quantity * unit_price_minor),
    PRIMARY KEY (invoice_id, position)
);

-- Billing reads subscriptions by tenant and time span.
CREATE INDEX subscriptions_tenant_span ON rigger.subscriptions (tenant_slug, started_at);

-- +goose Down
DROP INDEX rigger.subscriptions_tenant_span;
DROP TABLE rigger.invoice_lines;
DROP TABLE rigger.invoices;
