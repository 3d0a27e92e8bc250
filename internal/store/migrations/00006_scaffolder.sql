-- +goose Up
-- Where each tenant's software templates come from: a local directory (set
-- by the platform admin only) or a git repository cloned at a ref. Searched
-- in position order; the first template with the requested name wins.
CREATE TABLE rigger.template_locations (
    tenant_slug text NOT NULL REFERENCES rigger.tenants (slug),
    position    int  NOT NULL,
    type        text NOT NULL CHECK (type IN ('dir', 'git')),
    target      text NOT NULL,
    ref         text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_slug, position)
);

-- Scaffolder tasks, as Backstage's task API shows them. The workflow
-- scaffold/<tenant>/<id> is the truth while it runs; the row carries the
-- spec (never the secrets) and the last status the workflow recorded, so
-- lists need no Temporal round trip.
CREATE TABLE rigger.scaffolder_tasks (
    id                text PRIMARY KEY,
    tenant_slug       text NOT NULL REFERENCES rigger.tenants (slug),
    template_ref      text NOT NULL,
    created_by        text NOT NULL DEFAULT '',
    status            text NOT NULL DEFAULT 'open'
                      CHECK (status IN ('open', 'processing', 'completed', 'failed', 'cancelled')),
    spec              jsonb NOT NULL,
    run_id            text NOT NULL DEFAULT '',
    attempts          int  NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    last_heartbeat_at timestamptz
);
CREATE INDEX scaffolder_tasks_tenant ON rigger.scaffolder_tasks (tenant_slug, created_at DESC);

-- Rigger's catalog: the locations catalog:register recorded. task_id says
-- which run registered it, so that run's undo removes only its own.
CREATE TABLE rigger.catalog_locations (
    id          text PRIMARY KEY,
    tenant_slug text NOT NULL REFERENCES rigger.tenants (slug),
    target      text NOT NULL,
    entity_ref  text NOT NULL DEFAULT '',
    task_id     text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_slug, target)
);

-- +goose Down
DROP TABLE rigger.catalog_locations;
DROP TABLE rigger.scaffolder_tasks;
DROP TABLE rigger.template_locations;
