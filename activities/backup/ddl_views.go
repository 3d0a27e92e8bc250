package backup

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
)

const viewsSQL = `
SELECT c.oid, c.relname, coalesce(array_to_string(c.reloptions, ', '), ''), pg_get_viewdef(c.oid)
FROM pg_class c WHERE c.relnamespace = $1 AND c.relkind = 'v' ORDER BY c.oid`

// viewDepsSQL: which of the schema's views each view reads from.
const viewDepsSQL = `
SELECT DISTINCT r.ev_class, d.refobjid FROM pg_rewrite r
JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_class'::regclass
JOIN pg_class rc ON rc.oid = d.refobjid
WHERE rc.relnamespace = $1 AND rc.relkind = 'v' AND d.refobjid <> r.ev_class`

type viewRow struct {
	oid                uint32
	name, options, def string
}

// viewDDL returns CREATE VIEW statements, each after the views it reads
// (oid order is not enough: CREATE OR REPLACE keeps a view's old oid).
func viewDDL(ctx context.Context, tx pgx.Tx, ns uint32) ([]string, error) {
	rows, err := tx.Query(ctx, viewsSQL, ns)
	if err != nil {
		return nil, err
	}
	var views []viewRow
	var v viewRow
	if _, err := pgx.ForEachRow(rows, []any{&v.oid, &v.name, &v.options, &v.def}, func() error {
		views = append(views, v)
		return nil
	}); err != nil {
		return nil, err
	}
	rows, err = tx.Query(ctx, viewDepsSQL, ns)
	if err != nil {
		return nil, err
	}
	deps := map[uint32][]uint32{}
	var from, to uint32
	if _, err := pgx.ForEachRow(rows, []any{&from, &to}, func() error {
		deps[from] = append(deps[from], to)
		return nil
	}); err != nil {
		return nil, err
	}
	var out []string
	done := map[uint32]bool{}
	var visit func(v viewRow)
	byOID := map[uint32]viewRow{}
	for _, v := range views {
		byOID[v.oid] = v
	}
	visit = func(v viewRow) {
		if done[v.oid] {
			return
		}
		done[v.oid] = true // views cannot depend on each other in a cycle
		for _, d := range deps[v.oid] {
			if dv, ok := byOID[d]; ok {
				visit(dv)
			}
		}
		out = append(out, v.create())
	}
	for _, v := range views {
		visit(v)
	}
	return out, nil
}

func (v viewRow) create() string {
	s := "CREATE VIEW " + ident(v.name)
	if v.options != "" {
		s += " WITH (" + v.options + ")"
	}
	return s + " AS " + strings.TrimSuffix(strings.TrimSpace(v.def), ";")
}
