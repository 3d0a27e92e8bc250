package backup

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/rigger-platform/rigger/internal/store"
	"github.com/rigger-platform/rigger/internal/tenant"
)

func TestBackupRestoreVerifyRoundTrip(t *testing.T) {
	e := newEnv(t)
	e.fixture(t, "acme")
	res := e.backup(t, "acme", "b1")
	m := res.Manifest

	names := []string{}
	for _, tb := range m.Tables {
		names = append(names, tb.Name)
	}
	wantTables := []string{"Weird \"Table\" ñame", "accounts", "empty_table", "events"}
	if !slices.Equal(names, wantTables) {
		t.Fatalf("tables %q, want %q", names, wantTables)
	}
	rows := map[string]int64{}
	for _, tb := range m.Tables {
		rows[tb.Name] = tb.Rows
		if _, err := os.Stat(e.file("acme", "b1", tb.File)); err != nil {
			t.Errorf("data file of %s: %v", tb.Name, err)
		}
	}
	if rows["accounts"] != 3004 || rows["events"] != 4500 || rows["empty_table"] != 0 || rows[wantTables[0]] != 3 {
		t.Fatalf("row counts %v", rows)
	}
	if m.SnapshotID == "" || m.SourceLSN == "" || m.Bytes != res.Bytes || len(m.Files) != len(m.Tables)+2 {
		t.Fatalf("manifest %+v", m)
	}
	seqs := map[string]SequenceEntry{}
	for _, s := range m.Sequences {
		seqs[s.Name] = s
	}
	// 1000 and 1007 by hand, then 1014, 1021, 1028 as defaults of three rows.
	if s := seqs["invoice_numbers"]; s.LastValue != 1028 || !s.IsCalled {
		t.Errorf("invoice_numbers %+v", s)
	}
	if len(seqs) != 3 {
		t.Fatalf("sequences %+v", m.Sequences)
	}

	r, err := e.a.RestoreTenant(ctx, RestoreInput{Slug: "acme", BackupID: "b1", TargetSchema: "drill_acme_1"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Tables != 4 || r.Rows != 3004+4500+3 {
		t.Fatalf("restore result %+v", r)
	}
	v, err := e.a.VerifyRestore(ctx, VerifyInput{Slug: "acme", BackupID: "b1", Schema: "drill_acme_1"})
	if err != nil || !v.OK || len(v.Tables) != 4 {
		t.Fatalf("verify %+v %v", v, err)
	}
	for _, c := range v.Tables {
		if !c.ChecksumOK || c.ActualRows != c.ExpectedRows {
			t.Errorf("table check %+v", c)
		}
	}
	sameContent(t, e, tenant.Schema("acme"), "drill_acme_1")
	sameStructure(t, e, tenant.Schema("acme"), "drill_acme_1")
	behavesLikeLive(t, e, tenant.Schema("acme"), "drill_acme_1")

	rec, err := e.store.GetBackup(ctx, "acme", "b1")
	if err != nil || rec.Status != store.BackupComplete || rec.VerifiedAt == nil || rec.Bytes != m.Bytes {
		t.Fatalf("control-plane record %+v %v", rec, err)
	}

	// A retry of each step converges instead of redoing or failing.
	again := e.backup(t, "acme", "b1")
	if again.Manifest.SnapshotID != m.SnapshotID || !again.Manifest.FinishedAt.Equal(m.FinishedAt) {
		t.Fatalf("second backup redid the work: %s vs %s", again.Manifest.SnapshotID, m.SnapshotID)
	}
	r2, err := e.a.RestoreTenant(ctx, RestoreInput{Slug: "acme", BackupID: "b1", TargetSchema: "drill_acme_1"})
	if err != nil || r2 != r {
		t.Fatalf("restore retry %+v %v, first %+v", r2, err, r)
	}
	for i, want := range []bool{true, false} {
		d, err := e.a.DropScratch(ctx, DropScratchInput{Schema: "drill_acme_1"})
		if err != nil || d.Dropped != want {
			t.Fatalf("drop #%d: %+v %v", i, d, err)
		}
	}
	if e.schemaExists(t, "drill_acme_1") {
		t.Fatal("scratch schema still there")
	}
}

// sameContent compares every table row by row in their text form, which
// also covers generated columns that the checksum does not see.
func sameContent(t *testing.T, e *env, a, b string) {
	t.Helper()
	for _, table := range e.strings(t, `SELECT relname FROM pg_class WHERE relnamespace = $1::regnamespace AND relkind = 'r'`, a) {
		q := `SELECT x::text FROM %s x ORDER BY 1`
		left := e.strings(t, fmt.Sprintf(q, ident(a, table)))
		right := e.strings(t, fmt.Sprintf(q, ident(b, table)))
		if !slices.Equal(left, right) {
			t.Errorf("table %s differs after restore (%d vs %d rows)", table, len(left), len(right))
		}
	}
}

// sameStructure compares the definitions PostgreSQL prints for both schemas.
func sameStructure(t *testing.T, e *env, a, b string) {
	t.Helper()
	describe := func(schema string) []string {
		return e.strings(t, `
		SELECT 'col ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull
		       || ' ' || a.attidentity::text || a.attgenerated::text || ' ' || coalesce(co.collname, '')
		FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid LEFT JOIN pg_collation co ON co.oid = a.attcollation
		WHERE c.relnamespace = $1::regnamespace AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'v')
		UNION ALL SELECT 'con ' || c.relname || '.' || con.conname || ' ' || pg_get_constraintdef(con.oid)
		FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid WHERE c.relnamespace = $1::regnamespace
		UNION ALL SELECT 'idx ' || ic.relname || ' ' || pg_get_indexdef(i.indexrelid, 0, true)
		FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE ic.relnamespace = $1::regnamespace
		UNION ALL SELECT 'view ' || relname || ' ' || pg_get_viewdef(oid, true) FROM pg_class WHERE relnamespace = $1::regnamespace AND relkind = 'v'
		UNION ALL SELECT 'type ' || typname || ' ' || typtype::text FROM pg_type WHERE typnamespace = $1::regnamespace AND typtype IN ('e', 'd')
		UNION ALL SELECT 'seq ' || c.relname || ' ' || s.seqstart || ' ' || s.seqincrement || ' ' || s.seqmax
		FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid WHERE c.relnamespace = $1::regnamespace
		ORDER BY 1`, schema)
	}
	left, right := describe(a), describe(b)
	for i := range left {
		left[i] = strings.ReplaceAll(left[i], a+".", "")
	}
	for i := range right {
		right[i] = strings.ReplaceAll(right[i], b+".", "")
	}
	if !slices.Equal(left, right) {
		t.Errorf("structure differs:\n%s\n%v\n%s\n%v", a, left, b, right)
	}
}

// behavesLikeLive checks what the catalog comparison cannot: sequences
// continue where they were, constraints and defaults still act.
func behavesLikeLive(t *testing.T, e *env, live, restored string) {
	t.Helper()
	for _, schema := range []string{live, restored} {
		got := e.strings(t, fmt.Sprintf(`INSERT INTO %s (name) VALUES ('new') RETURNING id::text || ' ' || name_len`, ident(schema, "accounts")))
		if got[0] != "3005 3" {
			t.Errorf("%s: identity continues at %q, want id 3005 with generated length 3", schema, got[0])
		}
		for what, sql := range map[string]string{
			"CHECK constraint":  `INSERT INTO %s.accounts (name) VALUES ('')`,
			"domain CHECK":      `INSERT INTO %s.accounts (name, fee) VALUES ('neg', -1)`,
			"foreign key":       `INSERT INTO %s.events (account_id, kind) VALUES (999999, 'x')`,
			"unique constraint": `INSERT INTO %s.accounts (name, uid) SELECT 'dup', uid FROM %[1]s.accounts LIMIT 1`,
			"NOT NULL":          `INSERT INTO %s.events (kind) VALUES (NULL)`,
		} {
			if _, err := e.pool.Exec(ctx, fmt.Sprintf(sql, ident(schema))); err == nil {
				t.Errorf("%s: %s not enforced", schema, what)
			}
		}
	}
	// Both schemas' sequences were in the same state, so they hand out the
	// same next numbers.
	for _, seq := range []string{"events_id_seq", "invoice_numbers", "accounts_id_seq"} {
		a := e.strings(t, `SELECT nextval($1::regclass)::text`, ident(live, seq))
		b := e.strings(t, `SELECT nextval($1::regclass)::text`, ident(restored, seq))
		if a[0] != b[0] {
			t.Errorf("%s: live next %s, restored next %s", seq, a[0], b[0])
		}
	}
}
