package backup

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// unsupportedSQL lists, by kind and name, every object in the schema that
// readCatalog would not reproduce. Row types belong to their relations and
// array types to their element types, so neither is listed on its own.
const unsupportedSQL = `
SELECT what FROM (
  SELECT CASE c.relkind WHEN 'm' THEN 'materialized view ' WHEN 'p' THEN 'partitioned table '
         WHEN 'I' THEN 'partitioned index ' WHEN 'f' THEN 'foreign table ' WHEN 'c' THEN 'composite type '
         ELSE 'relation ' END || quote_ident(c.relname) AS what
    FROM pg_class c WHERE c.relnamespace = $1 AND c.relkind NOT IN ('r', 'S', 'i', 'v')
  UNION ALL SELECT 'inherited or partition table ' || quote_ident(c.relname) FROM pg_class c
    WHERE c.relnamespace = $1 AND c.relkind = 'r'
      AND (c.relispartition OR EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid OR i.inhparent = c.oid))
  UNION ALL SELECT 'typed table ' || quote_ident(c.relname) FROM pg_class c
    WHERE c.relnamespace = $1 AND c.reloftype <> 0
  UNION ALL SELECT CASE p.prokind WHEN 'a' THEN 'aggregate ' WHEN 'p' THEN 'procedure ' ELSE 'function ' END
         || p.oid::regprocedure::text FROM pg_proc p WHERE p.pronamespace = $1
  UNION ALL SELECT 'type ' || quote_ident(t.typname) FROM pg_type t
    WHERE t.typnamespace = $1 AND t.typtype NOT IN ('e', 'd') AND t.typrelid = 0
      AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.typarray = t.oid)
  UNION ALL SELECT 'trigger ' || quote_ident(tg.tgname) || ' on ' || quote_ident(c.relname)
    FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid WHERE c.relnamespace = $1 AND NOT tg.tgisinternal
  UNION ALL SELECT 'policy ' || quote_ident(po.polname) || ' on ' || quote_ident(c.relname)
    FROM pg_policy po JOIN pg_class c ON c.oid = po.polrelid WHERE c.relnamespace = $1
  UNION ALL SELECT 'rule ' || quote_ident(r.rulename) || ' on ' || quote_ident(c.relname)
    FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class WHERE c.relnamespace = $1 AND r.rulename <> '_RETURN'
  UNION ALL SELECT 'collation ' || quote_ident(collname) FROM pg_collation WHERE collnamespace = $1
  UNION ALL SELECT 'operator ' || oprname FROM pg_operator WHERE oprnamespace = $1
  UNION ALL SELECT 'operator class ' || quote_ident(opcname) FROM pg_opclass WHERE opcnamespace = $1
  UNION ALL SELECT 'operator family ' || quote_ident(opfname) FROM pg_opfamily WHERE opfnamespace = $1
  UNION ALL SELECT 'conversion ' || quote_ident(conname) FROM pg_conversion WHERE connamespace = $1
  UNION ALL SELECT 'text search configuration ' || quote_ident(cfgname) FROM pg_ts_config WHERE cfgnamespace = $1
  UNION ALL SELECT 'text search dictionary ' || quote_ident(dictname) FROM pg_ts_dict WHERE dictnamespace = $1
  UNION ALL SELECT 'text search parser ' || quote_ident(prsname) FROM pg_ts_parser WHERE prsnamespace = $1
  UNION ALL SELECT 'text search template ' || quote_ident(tmplname) FROM pg_ts_template WHERE tmplnamespace = $1
  UNION ALL SELECT 'statistics object ' || quote_ident(stxname) FROM pg_statistic_ext WHERE stxnamespace = $1
  UNION ALL SELECT 'extension ' || quote_ident(extname) FROM pg_extension WHERE extnamespace = $1
) u ORDER BY 1`

// checkSupported fails with BackupUnsupported, naming the objects, when the
// schema holds anything a restore would silently lose.
func checkSupported(ctx context.Context, tx pgx.Tx, ns uint32, schema string) error {
	rows, err := tx.Query(ctx, unsupportedSQL, ns)
	if err != nil {
		return err
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	if len(found) == 0 {
		return nil
	}
	return nonRetryable(ErrTypeUnsupported, fmt.Errorf("schema %s holds objects a logical backup would not keep: %s",
		schema, strings.Join(found, ", ")))
}
