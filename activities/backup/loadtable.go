package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"

	"github.com/rigger-platform/rigger/activities/storage"
)

// loadTable streams one data file from storage through zstd into COPY FROM.
// The file's SHA-256 is computed on the way and the whole file is read even
// when COPY stops early, so that whatever went wrong, a damaged file is
// reported as BackupCorrupt and never committed.
func (a *Activities) loadTable(ctx context.Context, st storage.Store, m *Manifest, target string, t TableEntry, p *progress) error {
	want, ok := m.file(t.File)
	if !ok {
		return corruptf("manifest of %s lists no file %s for table %s", m.BackupID, t.File, t.Name)
	}
	body, err := st.Get(ctx, backupDir(m.BackupID)+t.File)
	if errors.Is(err, storage.ErrNotFound) {
		return corruptf("%s of backup %s (table %s) is missing", t.File, m.BackupID, t.Name)
	}
	if err != nil {
		return err
	}
	defer body.Close()
	hash := sha256.New()
	var size countWriter
	file := io.TeeReader(body, io.MultiWriter(hash, &size))

	tx, err := a.Pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := pinSession(ctx, tx, target); err != nil {
		return err
	}
	copyErr := copyIn(ctx, tx, file, target, t, p)
	if _, err := io.Copy(io.Discard, file); err != nil {
		return fmt.Errorf("backup: reading %s: %w", t.File, err)
	}
	if size.n != want.Size || hex.EncodeToString(hash.Sum(nil)) != want.SHA256 {
		return corruptf("%s of backup %s (table %s) does not match its SHA-256 or size", t.File, m.BackupID, t.Name)
	}
	if copyErr != nil {
		return copyErr
	}
	p.tables.Add(1)
	return tx.Commit(ctx)
}

// copyIn decompresses file into the freshly truncated table. TRUNCATE in
// the same transaction lets COPY FREEZE write rows already frozen, sparing
// the first VACUUM a rewrite of the whole table.
func copyIn(ctx context.Context, tx pgx.Tx, file io.Reader, target string, t TableEntry, p *progress) error {
	dec, err := newDecompressor(file)
	if err != nil {
		return err
	}
	zr := &closeAfterRead{r: dec, close: dec.Close}
	defer zr.Close()
	table := ident(target, t.Name)
	if _, err := tx.Exec(ctx, "TRUNCATE "+table); err != nil {
		return err
	}
	tag, err := tx.Conn().PgConn().CopyFrom(ctx, io.TeeReader(zr, progressWriter{p}),
		"COPY "+table+copyColumns(t.Columns)+" FROM STDIN WITH (FREEZE)")
	if err != nil {
		return fmt.Errorf("backup: loading table %s: %w", t.Name, err)
	}
	if tag.RowsAffected() != t.Rows {
		return corruptf("table %s: the file holds %d rows, the manifest says %d", t.Name, tag.RowsAffected(), t.Rows)
	}
	p.rows.Add(t.Rows)
	return nil
}
