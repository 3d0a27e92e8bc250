package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rigger-platform/rigger/internal/store"
)

type VerifyInput struct {
	Slug     string
	BackupID string
	Schema   string // the restored schema to check
}

type TableCheck struct {
	Name         string
	ExpectedRows int64
	ActualRows   int64
	ChecksumOK   bool
}

type VerifyResult struct {
	OK       bool
	Tables   []TableCheck
	Problems []string
}

// schemaNameRE accepts the plain lowercase identifiers Rigger makes.
var schemaNameRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// VerifyRestore recomputes every table's row count and content checksum in
// Schema and compares them, the table set and the sequence values with the
// backup's manifest. Differences are reported in the result (OK false), not
// as an error: a failed verification is the drill's finding. When it is OK
// and the control plane is configured, the backup is marked verified.
func (a *Activities) VerifyRestore(ctx context.Context, in VerifyInput) (VerifyResult, error) {
	if err := checkSlug(in.Slug); err != nil {
		return VerifyResult{}, err
	}
	if err := checkBackupID(in.BackupID); err != nil {
		return VerifyResult{}, err
	}
	if !schemaNameRE.MatchString(in.Schema) {
		return VerifyResult{}, nonRetryable(ErrTypeInvalidInput, fmt.Errorf("schema name %q is not valid", in.Schema))
	}
	m, err := loadManifest(ctx, a.scope(in.Slug), in.Slug, in.BackupID)
	if err != nil {
		return VerifyResult{}, err
	}
	res, err := a.verify(ctx, &m, in.Schema)
	if err != nil {
		return VerifyResult{}, classify(phaseRestore, err)
	}
	if res.OK && a.Store2 != nil {
		err := a.Store2.MarkBackupVerified(ctx, in.Slug, in.BackupID, time.Now())
		if err != nil && !errors.Is(err, store.ErrNotFound) { // a backup the control plane never recorded
			return res, classify(phaseRestore, err)
		}
	}
	return res, nil
}

func (a *Activities) verify(ctx context.Context, m *Manifest, schema string) (VerifyResult, error) {
	exists, _, err := readMarker(ctx, a.Pool, schema)
	if err != nil {
		return VerifyResult{}, err
	}
	if !exists {
		return VerifyResult{}, nonRetryable(ErrTypeSchemaNotFound, fmt.Errorf("schema %s does not exist", schema))
	}
	rows, err := a.Pool.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind = 'r'`, schema)
	if err != nil {
		return VerifyResult{}, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return VerifyResult{}, err
	}
	present := map[string]bool{}
	for _, n := range names {
		present[n] = true
	}
	var res VerifyResult
	res.Tables = make([]TableCheck, len(m.Tables))
	problems := make([]string, len(m.Tables))
	p := newProgress("verify", len(m.Tables))
	stop := heartbeat(ctx, p)
	err = forEach(ctx, len(m.Tables), a.parallel(), func(ctx context.Context, i int) error {
		t := m.Tables[i]
		res.Tables[i] = TableCheck{Name: t.Name, ExpectedRows: t.Rows}
		if !present[t.Name] {
			problems[i] = fmt.Sprintf("table %s is missing", t.Name)
			return nil
		}
		n, sum, err := a.tableChecksum(ctx, schema, t.Name, t.Columns, p)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code[:2] == "42" { // e.g. a column is missing
			problems[i] = fmt.Sprintf("table %s cannot be read as backed up: %s", t.Name, pgErr.Message)
			return nil
		}
		if err != nil {
			return err
		}
		res.Tables[i].ActualRows, res.Tables[i].ChecksumOK = n, sum == t.Checksum
		switch {
		case n != t.Rows:
			problems[i] = fmt.Sprintf("table %s has %d rows, the backup %d", t.Name, n, t.Rows)
		case sum != t.Checksum:
			problems[i] = fmt.Sprintf("table %s: content checksum differs from the backup's", t.Name)
		}
		return nil
	})
	stop()
	if err != nil {
		return VerifyResult{}, err
	}
	for _, pr := range problems {
		if pr != "" {
			res.Problems = append(res.Problems, pr)
		}
	}
	res.Problems = append(res.Problems, extraTables(m, names)...)
	seqProblems, err := a.checkSequences(ctx, m, schema)
	if err != nil {
		return VerifyResult{}, err
	}
	res.Problems = append(res.Problems, seqProblems...)
	res.OK = len(res.Problems) == 0
	return res, nil
}

func extraTables(m *Manifest, names []string) []string {
	expected := map[string]bool{}
	for _, t := range m.Tables {
		expected[t.Name] = true
	}
	var out []string
	for _, n := range names {
		if !expected[n] {
			out = append(out, fmt.Sprintf("table %s is not in the backup", n))
		}
	}
	return out
}

// tableChecksum renders the table exactly as a backup does and digests it.
func (a *Activities) tableChecksum(ctx context.Context, schema, table string, cols []string, p *progress) (int64, string, error) {
	var rows int64
	var sum string
	err := pgx.BeginTxFunc(ctx, a.Pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := pinSession(ctx, tx, schema); err != nil {
			return err
		}
		d := &rowDigest{}
		sql := "COPY " + ident(schema, table) + copyColumns(cols) + " TO STDOUT"
		if _, err := tx.Conn().PgConn().CopyTo(ctx, io.MultiWriter(d, progressWriter{p}), sql); err != nil {
			return err
		}
		var err error
		sum, err = d.Sum()
		rows = d.rows
		return err
	})
	if err == nil {
		p.tables.Add(1)
		p.rows.Add(rows)
	}
	return rows, sum, err
}

// checkSequences compares sequence states with the manifest.
func (a *Activities) checkSequences(ctx context.Context, m *Manifest, schema string) ([]string, error) {
	var out []string
	for _, s := range m.Sequences {
		var got SequenceEntry
		err := a.Pool.QueryRow(ctx, "SELECT last_value, is_called FROM "+ident(schema, s.Name)).Scan(&got.LastValue, &got.IsCalled)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42P01" {
			out = append(out, fmt.Sprintf("sequence %s is missing", s.Name))
			continue
		}
		if err != nil {
			return nil, err
		}
		if got.LastValue != s.LastValue || got.IsCalled != s.IsCalled {
			out = append(out, fmt.Sprintf("sequence %s is at %d (called %v), the backup at %d (called %v)",
				s.Name, got.LastValue, got.IsCalled, s.LastValue, s.IsCalled))
		}
	}
	return out, nil
}
