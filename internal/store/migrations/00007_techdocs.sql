-- +goose Up
-- One row per TechDocs build of a tenant's entity at a commit. The TechDocs
-- workflow writes it (running -> published | superseded | failed); the
-- workflow ID holds the same (tenant, entity, commit), so a repeated request
-- updates this row instead of adding one. requested_at is the workflow's
-- start time: when two builds of one entity race, the later request wins.
CREATE TABLE rigger.techdocs_builds (
    tenant_slug  text NOT NULL REFERENCES rigger.tenants (slug),
    entity       text NOT NULL CHECK (entity ~ '^[a-z0-9][a-z0-9._-]*/[a-z][a-z0-9-]*/[a-z0-9][a-z0-9._-]*$'),
    commit       text NOT NULL CHECK (commit ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    workflow_id  text NOT NULL,
    source       text NOT NULL DEFAULT '',
    ref          text NOT NULL DEFAULT '',
    trigger      text NOT NULL DEFAULT '',
    status       text NOT NULL CHECK (status IN ('running', 'published', 'superseded', 'failed')),
    requested_at timestamptz NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    files        int NOT NULL DEFAULT 0 CHECK (files >= 0),
    pages        int NOT NULL DEFAULT 0 CHECK (pages >= 0),
    warnings     jsonb NOT NULL DEFAULT '[]',
    error        text NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_slug, entity, commit)
);
CREATE INDEX techdocs_builds_latest ON rigger.techdocs_builds (tenant_slug, entity, started_at DESC);

-- Which repository builds which entity, per tenant: a push webhook for
-- repo_url (normalised: lower-case host, no scheme, no ".git") on branch
-- (empty: the repository's default branch) builds entity from docs_path.
CREATE TABLE rigger.techdocs_sources (
    tenant_slug text NOT NULL REFERENCES rigger.tenants (slug),
    repo_key    text NOT NULL,
    repo_url    text NOT NULL,
    entity      text NOT NULL,
    docs_path   text NOT NULL DEFAULT '',
    branch      text NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_slug, entity)
);
CREATE INDEX techdocs_sources_repo ON rigger.techdocs_sources (tenant_slug, repo_key);

-- Webhook deliveries seen in the last 24 hours (replay protection): a
-- delivery ID already here and younger than a day is refused.
CREATE TABLE rigger.webhook_deliveries (
    provider    text NOT NULL,
    tenant_slug text NOT NULL,
    delivery_id text NOT NULL CHECK (length(delivery_id) BETWEEN 1 AND 200),
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, tenant_slug, delivery_id)
);
CREATE INDEX webhook_deliveries_received ON rigger.webhook_deliveries (received_at);

-- +goose Down
DROP TABLE rigger.webhook_deliveries;
DROP TABLE rigger.techdocs_sources;
DROP TABLE rigger.techdocs_builds;
