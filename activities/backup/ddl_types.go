package backup

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// collationSQL prints a collation's name relative to the search path:
// unqualified in pg_catalog, qualified elsewhere. $coll is substituted.
const collationSQL = `(SELECT CASE WHEN co.collnamespace = 'pg_catalog'::regnamespace THEN quote_ident(co.collname)
	ELSE quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END
	FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = %s)`

// typesSQL returns the schema's enums and domains in creation (oid) order,
// which is also dependency order: a domain's base type exists before it.
var typesSQL = `
SELECT t.typtype::text, quote_ident(t.typname),
  coalesce((SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
            FROM pg_enum e WHERE e.enumtypid = t.oid), ''),
  coalesce(format_type(t.typbasetype, t.typtypmod), ''),
  coalesce(CASE WHEN t.typtype = 'd' AND t.typcollation <> 0 AND t.typcollation <> bt.typcollation
           THEN ` + fmt.Sprintf(collationSQL, "t.typcollation") + ` END, ''),
  coalesce(pg_get_expr(t.typdefaultbin, 0), ''),
  t.typnotnull,
  coalesce((SELECT string_agg(' CONSTRAINT ' || quote_ident(con.conname) || ' ' || pg_get_constraintdef(con.oid), '' ORDER BY con.conname)
            FROM pg_constraint con WHERE con.contypid = t.oid AND con.contype = 'c'), '')
FROM pg_type t LEFT JOIN pg_type bt ON bt.oid = t.typbasetype
WHERE t.typnamespace = $1 AND t.typtype IN ('e', 'd')
ORDER BY t.oid`

// typeDDL returns CREATE TYPE ... AS ENUM and CREATE DOMAIN statements.
func typeDDL(ctx context.Context, tx pgx.Tx, ns uint32) ([]string, error) {
	rows, err := tx.Query(ctx, typesSQL, ns)
	if err != nil {
		return nil, err
	}
	var out []string
	var kind, name, labels, base, coll, def, checks string
	var notNull bool
	_, err = pgx.ForEachRow(rows, []any{&kind, &name, &labels, &base, &coll, &def, &notNull, &checks}, func() error {
		if kind == "e" {
			out = append(out, "CREATE TYPE "+name+" AS ENUM ("+labels+")")
			return nil
		}
		s := "CREATE DOMAIN " + name + " AS " + base
		if coll != "" {
			s += " COLLATE " + coll
		}
		if def != "" {
			s += " DEFAULT " + def
		}
		if notNull {
			s += " NOT NULL"
		}
		out = append(out, s+checks)
		return nil
	})
	return out, err
}
