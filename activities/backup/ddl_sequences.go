package backup

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// seqDef is a sequence and what owns it: deptype 'a' (serial, OWNED BY a
// column) or 'i' (an identity column's internal sequence), or "" (standalone).
type seqDef struct {
	name, typ              string
	start, inc, minv, maxv int64
	cache                  int64
	cycle                  bool
	deptype, table, column string
}

type seqDefs []seqDef

const sequencesSQL = `
SELECT s.relname, format_type(q.seqtypid, NULL), q.seqstart, q.seqincrement, q.seqmin, q.seqmax, q.seqcache, q.seqcycle,
  coalesce(d.deptype::text, ''), coalesce(tc.relname, ''), coalesce(ta.attname, '')
FROM pg_class s JOIN pg_sequence q ON q.seqrelid = s.oid
LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid
  AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
LEFT JOIN pg_class tc ON tc.oid = d.refobjid AND tc.relnamespace = s.relnamespace
LEFT JOIN pg_attribute ta ON ta.attrelid = d.refobjid AND ta.attnum = d.refobjsubid
WHERE s.relnamespace = $1 AND s.relkind = 'S'
ORDER BY s.relname COLLATE "C"`

func readSequences(ctx context.Context, tx pgx.Tx, ns uint32) (seqDefs, error) {
	rows, err := tx.Query(ctx, sequencesSQL, ns)
	if err != nil {
		return nil, err
	}
	var out seqDefs
	var s seqDef
	_, err = pgx.ForEachRow(rows, []any{&s.name, &s.typ, &s.start, &s.inc, &s.minv, &s.maxv, &s.cache, &s.cycle,
		&s.deptype, &s.table, &s.column}, func() error {
		if s.table == "" { // owned by something outside the schema: keep it standalone
			s.deptype = ""
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

// options is the sequence's parameters in CREATE SEQUENCE / identity syntax.
func (s seqDef) options() string {
	cycle := "NO CYCLE"
	if s.cycle {
		cycle = "CYCLE"
	}
	return fmt.Sprintf("START WITH %d INCREMENT BY %d MINVALUE %d MAXVALUE %d CACHE %d %s",
		s.start, s.inc, s.minv, s.maxv, s.cache, cycle)
}

// create returns CREATE SEQUENCE for every sequence but identity ones, which
// their column creates (tableDDL asks identityFor).
func (ss seqDefs) create() []string {
	var out []string
	for _, s := range ss {
		if s.deptype != "i" {
			out = append(out, "CREATE SEQUENCE "+ident(s.name)+" AS "+s.typ+" "+s.options())
		}
	}
	return out
}

// ownedBy ties serial sequences to their columns again, after the tables
// exist, so that dropping the column or table drops the sequence as before.
func (ss seqDefs) ownedBy() []string {
	var out []string
	for _, s := range ss {
		if s.deptype == "a" {
			out = append(out, "ALTER SEQUENCE "+ident(s.name)+" OWNED BY "+ident(s.table, s.column))
		}
	}
	return out
}

// identityFor is the identity sequence of a column, if it has one.
func (ss seqDefs) identityFor(table, column string) (seqDef, bool) {
	for _, s := range ss {
		if s.deptype == "i" && s.table == table && s.column == column {
			return s, true
		}
	}
	return seqDef{}, false
}

func (ss seqDefs) names() []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.name
	}
	return out
}
