// Package backup takes, restores, verifies and prunes logical backups of a
// tenant's PostgreSQL schema, for the TenantBackup and DRDrill workflows and
// the admin restore.
//
// # Format
//
// A backup is a directory of objects under the tenant's storage prefix,
// tenants/<slug>/backups/<BackupID>/:
//
//	data/0001-<table>.copy.zst  one per table: COPY ... TO STDOUT text format, zstd-compressed
//	schema.json                 the DDL to recreate the schema, in a pre-data and a post-data list
//	controlplane.json           the tenant's rows of rigger.tenants and rigger.subscriptions
//	manifest.json               written last; its presence marks a complete backup
//
// The manifest records the time, the exported snapshot ID and the WAL
// position taken with it, every table with its columns, row count and
// content checksum, every sequence's value, and the size and SHA-256 of every
// other file.
//
// # Why COPY text and catalog-built DDL rather than pg_dump
//
// A drill restores into a scratch schema next to the live one, and an admin
// restore into a new schema that is then swapped in. pg_dump names the source
// schema in every statement and has no option to restore under another name,
// and running it from the worker needs a binary of at least the server's major
// version with admin credentials on its command line or environment. So the
// DDL is rebuilt from the catalog with PostgreSQL's own pg_get_* deparsers,
// called with search_path set to the tenant schema: they then print names of
// the tenant's own objects unqualified and everything else (pg_catalog aside)
// qualified, which makes the DDL relocatable — it is replayed with search_path
// set to the target. Supported: tables (column types including arrays,
// domains and enums, collations, defaults, NOT NULL, identity and generated
// columns, reloptions, row-level-security flags), all constraint kinds but
// constraint triggers, indexes, sequences (standalone, serial and identity)
// with their values, enum and domain types, and views. Anything else in the
// schema (functions, triggers, policies, partitioned or inherited tables,
// materialized views, ...) fails the backup with the non-retryable
// BackupUnsupported error naming the objects: a backup that silently drops
// part of a schema would only be discovered during a disaster. Comments,
// grants and ownership are not kept: a restore is owned by the admin, and
// SwapSchema hands everything to the tenant role.
//
// Data uses COPY's text format, not binary: binary array and record values
// embed type OIDs, so an enum[] column would not load into another schema's
// copy of the enum, and the text form is what the checksum is defined over.
// Every session that writes or reads COPY text pins the settings that shape
// it (DateStyle, IntervalStyle, extra_float_digits, bytea_output, TimeZone,
// lc_monetary); see pinSession.
//
// # Consistency
//
// One REPEATABLE READ READ ONLY transaction exports its snapshot, takes
// ACCESS SHARE locks on every table (as pg_dump does, so no DDL changes them
// mid-backup) and reads the catalog; up to Parallel further connections
// import the snapshot and COPY tables concurrently, so every table shows the
// same instant. The recorded LSN is the WAL insert position right after the
// snapshot: every transaction the backup contains committed before it.
// A retried attempt starts over with a new snapshot (files of different
// snapshots must never be mixed) unless the manifest already exists, in which
// case the backup is complete and is returned as it is.
//
// # Content checksum ("rowsum-sha256-v1")
//
// For each table, the rows are rendered as COPY text lines (the manifest's
// column order, pinned settings, without the newline), each line is hashed
// with SHA-256, and the hashes are added as 256-bit big-endian integers
// modulo 2^256. The sum does not depend on row order, so VerifyRestore can
// recompute it from a restored table without sorting, and it is computed for
// free on the backup's own COPY stream. It detects restore bugs and lost or
// altered rows; it is not meant to resist deliberate forgery (the file
// SHA-256s protect the backup at rest).
package backup
