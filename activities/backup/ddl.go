package backup

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// schemaDDL is schema.json: statements to replay with search_path set to
// the target schema (see the package doc for why that relocates them).
type schemaDDL struct {
	Format int `json:"format"`
	// PreData runs before the data: types, sequences, tables with their
	// validated CHECK constraints, sequence ownership, views.
	PreData []string `json:"preData"`
	// PostData runs after it, where building is cheapest and no row is
	// checked twice: primary keys, unique and exclusion constraints, indexes,
	// then foreign keys and not-yet-validated checks, then row security.
	PostData []string `json:"postData"`
}

// tableDef is a table to copy.
type tableDef struct {
	name    string
	columns []string // non-generated columns, in attnum order
}

// catalog is everything a backup reads about a schema's structure.
type catalog struct {
	ddl       schemaDDL
	tables    []tableDef
	sequences []string
}

// readCatalog describes the schema as it is in tx, which must have pinned
// search_path to the schema (pinSession) for the deparsed names to come out
// relative to it, and must hold locks on the tables so they cannot change.
func readCatalog(ctx context.Context, tx pgx.Tx, schema string) (catalog, error) {
	var ns uint32
	err := tx.QueryRow(ctx, "SELECT oid FROM pg_namespace WHERE nspname = $1", schema).Scan(&ns)
	if errors.Is(err, pgx.ErrNoRows) {
		return catalog{}, nonRetryable(ErrTypeSchemaNotFound, fmt.Errorf("schema %s does not exist", schema))
	}
	if err != nil {
		return catalog{}, err
	}
	if err := checkSupported(ctx, tx, ns, schema); err != nil {
		return catalog{}, err
	}
	var c catalog
	c.ddl.Format = 1
	types, err := typeDDL(ctx, tx, ns)
	if err != nil {
		return c, err
	}
	seqs, err := readSequences(ctx, tx, ns)
	if err != nil {
		return c, err
	}
	tables, err := tableDDL(ctx, tx, ns, seqs)
	if err != nil {
		return c, err
	}
	views, err := viewDDL(ctx, tx, ns)
	if err != nil {
		return c, err
	}
	c.ddl.PreData = append(c.ddl.PreData, types...)
	c.ddl.PreData = append(c.ddl.PreData, seqs.create()...)
	c.ddl.PreData = append(c.ddl.PreData, tables.create...)
	c.ddl.PreData = append(c.ddl.PreData, seqs.ownedBy()...)
	c.ddl.PreData = append(c.ddl.PreData, views...)
	c.ddl.PostData = tables.post
	c.tables = tables.defs
	c.sequences = seqs.names()
	return c, checkRelocatable(c.ddl, schema)
}

// checkRelocatable refuses DDL that names the source schema: it would make
// a restored copy point back at the live tenant. The deparsers qualify a
// tenant object only when its name is shadowed by a built-in one (a type
// called "text", say), which a restore could not reproduce anyway.
func checkRelocatable(d schemaDDL, schema string) error {
	for _, stmt := range append(append([]string{}, d.PreData...), d.PostData...) {
		if strings.Contains(stmt, schema+".") || strings.Contains(stmt, ident(schema)+".") {
			return nonRetryable(ErrTypeUnsupported, fmt.Errorf(
				"schema %s: a definition names its own schema (an object shadowed by a built-in name?): %.200s", schema, stmt))
		}
	}
	return nil
}
