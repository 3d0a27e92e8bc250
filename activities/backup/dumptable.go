package backup

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/rigger-platform/rigger/activities/storage"
)

// snapshotRE is the shape of pg_export_snapshot()'s result; checked because
// SET TRANSACTION SNAPSHOT takes a literal, not a parameter.
var snapshotRE = regexp.MustCompile(`^[0-9A-F]+(-[0-9A-F]+)+$`)

// dataFileName is readable (the table's name, sanitised) and unique (the
// table's position), since table names may hold anything a key may not.
func dataFileName(i int, table string) string {
	clean := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r - 'A' + 'a'
		}
		return '_'
	}, table)
	if len(clean) > 40 {
		clean = clean[:40]
	}
	return fmt.Sprintf("data/%04d-%s.copy.zst", i+1, clean)
}

// copyColumns is the column list of a COPY statement. A table without
// copyable columns is copied without a list, which PostgreSQL reads as
// "every non-generated column": none, one empty line per row.
func copyColumns(cols []string) string {
	if len(cols) == 0 {
		return ""
	}
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = ident(c)
	}
	return " (" + strings.Join(q, ", ") + ")"
}

// dumpTable streams one table, as of the exported snapshot, through the
// row checksum and zstd into storage; nothing is buffered whole.
func (a *Activities) dumpTable(ctx context.Context, st storage.Store, dir, snapshot, schema string, i int, t tableDef, p *progress) (TableEntry, FileEntry, error) {
	name := dataFileName(i, t.name)
	conn, err := a.Pool.Acquire(ctx)
	if err != nil {
		return TableEntry{}, FileEntry{}, err
	}
	defer conn.Release()
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return TableEntry{}, FileEntry{}, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, "SET TRANSACTION SNAPSHOT '"+snapshot+"'"); err != nil {
		return TableEntry{}, FileEntry{}, err
	}
	if err := pinSession(ctx, tx, schema); err != nil {
		return TableEntry{}, FileEntry{}, err
	}

	pr, pw := io.Pipe()
	putDone := make(chan error, 1)
	go func() {
		err := st.Put(ctx, dir+name, pr, -1, "application/zstd")
		pr.CloseWithError(cmp.Or(err, io.ErrClosedPipe)) // writes fail, not block, once Put is gone
		putDone <- err
	}()
	file := sha256.New()
	var stored countWriter
	zw, err := newCompressor(io.MultiWriter(pw, file, &stored))
	if err != nil {
		pw.CloseWithError(err)
		<-putDone
		return TableEntry{}, FileEntry{}, err
	}
	digest := &rowDigest{}
	sql := "COPY " + ident(schema, t.name) + copyColumns(t.columns) + " TO STDOUT"
	_, err = tx.Conn().PgConn().CopyTo(ctx, io.MultiWriter(digest, zw, progressWriter{p}), sql)
	if err == nil {
		err = zw.Close()
	}
	pw.CloseWithError(err) // nil: the reader sees EOF and Put completes
	if putErr := <-putDone; err == nil {
		err = putErr
	}
	if err != nil {
		return TableEntry{}, FileEntry{}, fmt.Errorf("backup: table %s: %w", t.name, err)
	}
	sum, err := digest.Sum()
	if err != nil {
		return TableEntry{}, FileEntry{}, err
	}
	p.tables.Add(1)
	p.rows.Add(digest.rows)
	entry := TableEntry{Name: t.name, Columns: t.columns, Rows: digest.rows, Checksum: sum, File: name, DataBytes: digest.bytes}
	return entry, FileEntry{Name: name, Size: stored.n, SHA256: hex.EncodeToString(file.Sum(nil))}, nil
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(b []byte) (int, error) {
	c.n += int64(len(b))
	return len(b), nil
}

// progressWriter counts uncompressed bytes for the heartbeat.
type progressWriter struct{ p *progress }

func (w progressWriter) Write(b []byte) (int, error) {
	w.p.bytes.Add(int64(len(b)))
	return len(b), nil
}
