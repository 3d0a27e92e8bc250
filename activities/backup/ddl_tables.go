package backup

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// tableDDLs is what tableDDL produces: the CREATE TABLE statements, the
// post-data statements and the tables to copy.
type tableDDLs struct {
	create []string
	post   []string
	defs   []tableDef
}

type tableRow struct {
	oid                     uint32
	name, reloptions        string
	unlogged, rls, forceRLS bool
	columns, checks         []string // column definitions, inline CHECKs
	copyCols                []string
}

const tablesSQL = `
SELECT c.oid, c.relname, c.relpersistence = 'u', c.relrowsecurity, c.relforcerowsecurity,
  coalesce(array_to_string(c.reloptions, ', '), '')
FROM pg_class c WHERE c.relnamespace = $1 AND c.relkind = 'r'
ORDER BY c.relname COLLATE "C"`

var columnsSQL = `
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
  a.attidentity::text, a.attgenerated::text, coalesce(pg_get_expr(d.adbin, d.adrelid), ''),
  coalesce(CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
           THEN ` + fmt.Sprintf(collationSQL, "a.attcollation") + ` END, '')
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE c.relnamespace = $1 AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum`

// constraintsSQL: validated CHECKs go inline (cheap to test per row while
// loading); the rest is added after the data, unique-ish ones first because
// foreign keys need them.
const constraintsSQL = `
SELECT con.conrelid, con.contype::text, con.convalidated, quote_ident(con.conname), pg_get_constraintdef(con.oid)
FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
WHERE c.relnamespace = $1 AND c.relkind = 'r' AND con.contype IN ('c', 'p', 'u', 'x', 'f')
ORDER BY CASE con.contype WHEN 'c' THEN 0 WHEN 'p' THEN 1 WHEN 'u' THEN 1 WHEN 'x' THEN 1 ELSE 3 END,
  c.relname COLLATE "C", con.conname COLLATE "C"`

// indexesSQL: indexes that no constraint owns. The pretty form of
// pg_get_indexdef names the table relative to the search path. Invalid
// indexes (a failed CREATE INDEX CONCURRENTLY) are left behind, as pg_dump does.
const indexesSQL = `
SELECT pg_get_indexdef(i.indexrelid, 0, true)
FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid
WHERE c.relnamespace = $1 AND c.relkind = 'r' AND i.indisvalid
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid
                  AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x'))
ORDER BY ic.relname COLLATE "C"`

func tableDDL(ctx context.Context, tx pgx.Tx, ns uint32, seqs seqDefs) (tableDDLs, error) {
	var tables []*tableRow
	byOID := map[uint32]*tableRow{}
	rows, err := tx.Query(ctx, tablesSQL, ns)
	if err != nil {
		return tableDDLs{}, err
	}
	var t tableRow
	_, err = pgx.ForEachRow(rows, []any{&t.oid, &t.name, &t.unlogged, &t.rls, &t.forceRLS, &t.reloptions}, func() error {
		row := t
		tables = append(tables, &row)
		byOID[row.oid] = &row
		return nil
	})
	if err != nil {
		return tableDDLs{}, err
	}
	if err := readColumns(ctx, tx, ns, byOID, seqs); err != nil {
		return tableDDLs{}, err
	}
	var out tableDDLs
	post, err := readConstraints(ctx, tx, ns, byOID)
	if err != nil {
		return out, err
	}
	rows, err = tx.Query(ctx, indexesSQL, ns)
	if err != nil {
		return out, err
	}
	indexes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return out, err
	}
	// Unique-ish constraints, then indexes, then foreign keys and the rest.
	out.post = append(append(append(out.post, post.unique...), indexes...), post.later...)
	for _, t := range tables {
		out.create = append(out.create, t.createStatement())
		out.defs = append(out.defs, tableDef{name: t.name, columns: t.copyCols})
		if t.rls {
			out.post = append(out.post, "ALTER TABLE "+ident(t.name)+" ENABLE ROW LEVEL SECURITY")
		}
		if t.forceRLS {
			out.post = append(out.post, "ALTER TABLE "+ident(t.name)+" FORCE ROW LEVEL SECURITY")
		}
	}
	return out, nil
}

func (t *tableRow) createStatement() string {
	var b strings.Builder
	b.WriteString("CREATE ")
	if t.unlogged {
		b.WriteString("UNLOGGED ")
	}
	b.WriteString("TABLE " + ident(t.name) + " (\n    ")
	b.WriteString(strings.Join(append(append([]string{}, t.columns...), t.checks...), ",\n    "))
	b.WriteString("\n)")
	if t.reloptions != "" {
		b.WriteString(" WITH (" + t.reloptions + ")")
	}
	return b.String()
}

func readColumns(ctx context.Context, tx pgx.Tx, ns uint32, byOID map[uint32]*tableRow, seqs seqDefs) error {
	rows, err := tx.Query(ctx, columnsSQL, ns)
	if err != nil {
		return err
	}
	var rel uint32
	var name, typ, identity, generated, def, coll string
	var notNull bool
	_, err = pgx.ForEachRow(rows, []any{&rel, &name, &typ, &notNull, &identity, &generated, &def, &coll}, func() error {
		t := byOID[rel]
		col := ident(name) + " " + typ
		if coll != "" {
			col += " COLLATE " + coll
		}
		switch {
		case generated == "s":
			col += " GENERATED ALWAYS AS (" + def + ") STORED"
		case identity != "":
			s, ok := seqs.identityFor(t.name, name)
			if !ok {
				return fmt.Errorf("identity column %s.%s has no sequence", t.name, name)
			}
			kind := "ALWAYS"
			if identity == "d" {
				kind = "BY DEFAULT"
			}
			col += " GENERATED " + kind + " AS IDENTITY (SEQUENCE NAME " + ident(s.name) + " " + s.options() + ")"
		case def != "":
			col += " DEFAULT " + def
		}
		if notNull {
			col += " NOT NULL"
		}
		t.columns = append(t.columns, col)
		if generated == "" {
			t.copyCols = append(t.copyCols, name)
		}
		return nil
	})
	return err
}

type constraintDDL struct{ unique, later []string }

func readConstraints(ctx context.Context, tx pgx.Tx, ns uint32, byOID map[uint32]*tableRow) (constraintDDL, error) {
	var out constraintDDL
	rows, err := tx.Query(ctx, constraintsSQL, ns)
	if err != nil {
		return out, err
	}
	var rel uint32
	var kind, name, def string
	var validated bool
	_, err = pgx.ForEachRow(rows, []any{&rel, &kind, &validated, &name, &def}, func() error {
		t := byOID[rel]
		add := "ALTER TABLE " + ident(t.name) + " ADD CONSTRAINT " + name + " " + def
		switch {
		case kind == "c" && validated:
			t.checks = append(t.checks, "CONSTRAINT "+name+" "+def)
		case kind == "p" || kind == "u" || kind == "x":
			out.unique = append(out.unique, add)
		default: // foreign keys, and checks added NOT VALID (def says so)
			out.later = append(out.later, add)
		}
		return nil
	})
	return out, err
}
