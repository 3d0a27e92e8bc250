package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/internal/store"
	"github.com/rigger-platform/rigger/internal/tenant"
)

type BackupInput struct {
	Slug     string
	BackupID string
	// TakenAt is the time the backup stands for, normally the schedule's
	// time; zero means now.
	TakenAt time.Time
}

type BackupResult struct {
	BackupID string
	Manifest Manifest
	Bytes    int64 // stored bytes (all files but the manifest)
}

// BackupTenant takes a consistent logical backup of the tenant's schema and
// control-plane rows into tenants/<slug>/backups/<BackupID>/. When the
// manifest already exists the backup is complete and is returned unchanged;
// otherwise the attempt starts over and overwrites what an earlier attempt
// left, removing files it no longer needs, and writes the manifest last.
func (a *Activities) BackupTenant(ctx context.Context, in BackupInput) (BackupResult, error) {
	if err := checkSlug(in.Slug); err != nil {
		return BackupResult{}, err
	}
	if err := checkBackupID(in.BackupID); err != nil {
		return BackupResult{}, err
	}
	st := a.scope(in.Slug)
	m, err := readManifest(ctx, st, in.Slug, in.BackupID)
	switch {
	case err == nil:
		return a.finishBackup(ctx, m)
	case !errors.Is(err, storage.ErrNotFound) && errorType(err) != ErrTypeCorrupt:
		return BackupResult{}, classify(phaseBackup, err) // a corrupt manifest is simply rewritten
	}
	cp, err := a.controlPlaneRows(ctx, in.Slug)
	if err != nil {
		return BackupResult{}, err
	}
	if in.TakenAt.IsZero() {
		in.TakenAt = time.Now().UTC()
	}
	m, err = a.dump(ctx, st, in, cp)
	if err != nil {
		return BackupResult{}, classify(phaseBackup, err)
	}
	return a.finishBackup(ctx, m)
}

// finishBackup records the complete backup in the control plane.
func (a *Activities) finishBackup(ctx context.Context, m Manifest) (BackupResult, error) {
	if a.Store2 != nil {
		body, err := json.Marshal(m)
		if err != nil {
			return BackupResult{}, err
		}
		err = a.Store2.RecordBackup(ctx, store.Backup{Tenant: m.Tenant, ID: m.BackupID, TakenAt: m.TakenAt,
			Status: store.BackupComplete, Bytes: m.Bytes, Manifest: body})
		if err != nil {
			return BackupResult{}, classify(phaseBackup, err)
		}
	}
	return BackupResult{BackupID: m.BackupID, Manifest: m, Bytes: m.Bytes}, nil
}

// dump runs the snapshot-holding transaction while table workers copy.
func (a *Activities) dump(ctx context.Context, st storage.Store, in BackupInput, cp controlPlane) (Manifest, error) {
	schema, dir := tenant.Schema(in.Slug), backupDir(in.BackupID)
	p := newProgress("snapshot", 0) // waiting for locks can take a while too
	stop := heartbeat(ctx, p)
	defer stop()
	m := Manifest{Format: ManifestFormat, Tenant: in.Slug, BackupID: in.BackupID, Schema: schema, TakenAt: in.TakenAt.UTC(),
		DataFormat: DataFormat, ChecksumAlgorithm: ChecksumAlgorithm}
	conn, err := a.Pool.Acquire(ctx)
	if err != nil {
		return m, err
	}
	defer conn.Release()
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return m, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// The first statement fixes the snapshot; the WAL position read with it
	// is past every commit the snapshot sees.
	err = tx.QueryRow(ctx, `SELECT pg_export_snapshot(), now(), current_setting('server_version'),
		(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text`).
		Scan(&m.SnapshotID, &m.SnapshotAt, &m.ServerVersion, &m.SourceLSN)
	if err != nil {
		return m, err
	}
	if !snapshotRE.MatchString(m.SnapshotID) {
		return m, fmt.Errorf("backup: unexpected snapshot ID %q", m.SnapshotID)
	}
	m.SnapshotAt = m.SnapshotAt.UTC()
	if err := pinSession(ctx, tx, schema); err != nil {
		return m, err
	}
	if err := lockSchema(ctx, tx, schema); err != nil {
		return m, err
	}
	cat, err := readCatalog(ctx, tx, schema)
	if err != nil {
		return m, err
	}
	if m.Sequences, err = sequenceValues(ctx, tx, schema, cat.sequences); err != nil {
		return m, err
	}
	p.total.Store(int64(len(cat.tables)))
	p.phase.Store("dump")
	if err := a.dumpTables(ctx, st, dir, schema, cat.tables, &m, p); err != nil {
		return m, err
	}
	if err := tx.Commit(ctx); err != nil { // releases the locks; the data is out
		return m, err
	}
	p.phase.Store("files")
	if err := writeBackupFiles(ctx, st, dir, cat.ddl, cp, &m); err != nil {
		return m, err
	}
	return m, nil
}

// lockSchema takes ACCESS SHARE locks on every table, as pg_dump does, so no
// DDL alters or drops a table between the catalog read and its COPY. A table
// dropped since the snapshot fails the LOCK, and the attempt is retried.
func lockSchema(ctx context.Context, tx pgx.Tx, schema string) error {
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", schema).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return nonRetryable(ErrTypeSchemaNotFound, fmt.Errorf("schema %s does not exist", schema))
	}
	rows, err := tx.Query(ctx, `SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY c.oid`, schema)
	if err != nil {
		return err
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(tables) == 0 {
		return err
	}
	for start := 0; start < len(tables); start += 500 { // keep statements a sane size
		batch := tables[start:min(start+500, len(tables))]
		sql := "LOCK TABLE "
		for i, t := range batch {
			if i > 0 {
				sql += ", "
			}
			sql += t
		}
		if _, err := tx.Exec(ctx, sql+" IN ACCESS SHARE MODE"); err != nil {
			return err
		}
	}
	return nil
}

// sequenceValues reads each sequence's state. Sequences are not
// transactional, so this is the value now, at least what any row in the
// snapshot used: a restore never hands out a number already taken.
func sequenceValues(ctx context.Context, tx pgx.Tx, schema string, names []string) ([]SequenceEntry, error) {
	out := make([]SequenceEntry, 0, len(names))
	for _, name := range names {
		s := SequenceEntry{Name: name}
		if err := tx.QueryRow(ctx, "SELECT last_value, is_called FROM "+ident(schema, name)).Scan(&s.LastValue, &s.IsCalled); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// dumpTables copies every table in parallel under the exported snapshot.
func (a *Activities) dumpTables(ctx context.Context, st storage.Store, dir, schema string, tables []tableDef, m *Manifest, p *progress) error {
	m.Tables = make([]TableEntry, len(tables))
	m.Files = make([]FileEntry, len(tables))
	return forEach(ctx, len(tables), a.parallel(), func(ctx context.Context, i int) error {
		t, f, err := a.dumpTable(ctx, st, dir, m.SnapshotID, schema, i, tables[i], p)
		m.Tables[i], m.Files[i] = t, f
		return err
	})
}

// writeBackupFiles stores the DDL and control-plane rows, removes files an
// earlier attempt left that this one did not write, and then — last — the
// manifest, which makes the backup complete.
func writeBackupFiles(ctx context.Context, st storage.Store, dir string, ddl schemaDDL, cp controlPlane, m *Manifest) error {
	for _, f := range []struct {
		name string
		v    any
	}{{schemaFile, ddl}, {controlPlaneFile, cp}} {
		entry, err := putJSON(ctx, st, dir, f.name, f.v)
		if err != nil {
			return err
		}
		m.Files = append(m.Files, entry)
	}
	keep := map[string]bool{manifestFile: true}
	for _, f := range m.Files {
		keep[f.Name] = true
		m.Bytes += f.Size
	}
	for _, t := range m.Tables {
		m.DataBytes += t.DataBytes
	}
	objs, err := st.List(ctx, dir)
	if err != nil {
		return err
	}
	for _, o := range objs {
		if name := o.Key[len(dir):]; !keep[name] {
			if err := st.Delete(ctx, o.Key); err != nil {
				return err
			}
		}
	}
	m.FinishedAt = time.Now().UTC()
	_, err = putJSON(ctx, st, dir, manifestFile, m)
	return err
}
