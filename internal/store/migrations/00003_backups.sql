-- +goose Up
-- One row per tenant backup. The backup itself lives in object storage under
-- tenants/<slug>/backups/<id>/; this row is the control plane's record of it,
-- written idempotently by the activity that completes, verifies or deletes it.
-- IDs are chosen by the workflow (e.g. the schedule time), so they repeat
-- across tenants: the key is (tenant_slug, id).
CREATE TABLE rigger.backups (
    tenant_slug text NOT NULL REFERENCES rigger.tenants (slug),
    id          text NOT NULL CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$'),
    taken_at    timestamptz NOT NULL,
    status      text NOT NULL CHECK (status IN ('running', 'complete', 'failed', 'deleted')),
    bytes       bigint NOT NULL DEFAULT 0 CHECK (bytes >= 0),
    manifest    jsonb,
    -- Set when a restore of this backup verified (row counts and checksums).
    verified_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_slug, id)
);
CREATE INDEX backups_tenant_taken ON rigger.backups (tenant_slug, taken_at DESC);

-- A disaster-recovery drill: one run over many tenants. The ID is the
-- workflow's (e.g. the drill date), so a repeated run updates, not duplicates.
CREATE TABLE rigger.drills (
    id          text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 200),
    started_at  timestamptz NOT NULL,
    finished_at timestamptz,
    status      text NOT NULL CHECK (status IN ('running', 'passed', 'failed', 'cancelled')),
    report      jsonb
);
CREATE INDEX drills_started ON rigger.drills (started_at DESC);

-- One tenant's outcome in a drill. No foreign key to rigger.backups: a drill
-- may find a backup in storage that the control plane never recorded, and
-- that is worth reporting too.
CREATE TABLE rigger.drill_results (
    drill_id    text NOT NULL REFERENCES rigger.drills (id) ON DELETE CASCADE,
    tenant_slug text NOT NULL,
    backup_id   text NOT NULL DEFAULT '',
    ok          boolean NOT NULL,
    rto_ms      bigint CHECK (rto_ms >= 0),
    rpo_ms      bigint CHECK (rpo_ms >= 0),
    problems    jsonb NOT NULL DEFAULT '[]',
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (drill_id, tenant_slug)
);

-- +goose Down
DROP TABLE rigger.drill_results;
DROP TABLE rigger.drills;
DROP TABLE rigger.backups;
