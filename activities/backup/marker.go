package backup

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// marker is the JSON comment RestoreTenant puts on every schema it creates
// (and SwapSchema updates). It is how DropScratch knows a schema is ours to
// drop, how a retried restore knows it already finished, and how a retried
// swap knows it already happened.
type marker struct {
	Rigger     string `json:"rigger"` // always markerKind
	Tenant     string `json:"tenant"`
	BackupID   string `json:"backupId"`
	State      string `json:"state"` // see the state constants
	Tables     int    `json:"tables,omitempty"`
	Rows       int64  `json:"rows,omitempty"`
	DataBytes  int64  `json:"dataBytes,omitempty"`
	DurationMS int64  `json:"durationMs,omitempty"`
	From       string `json:"from,omitempty"`  // swapped: the restore schema it came from
	Aside      string `json:"aside,omitempty"` // swapped: where the old live schema went
}

const markerKind = "restore"

const (
	stateLoading  = "loading"  // created, not yet usable
	stateComplete = "complete" // restored; may be verified, swapped or dropped
	stateSwapped  = "swapped"  // now the tenant's live schema
	stateReplaced = "replaced" // the live schema a swap moved aside
)

type dbtx interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// readMarker reports whether the schema exists and, if it carries a Rigger
// marker, the marker (nil for a schema Rigger's restore did not make).
func readMarker(ctx context.Context, q dbtx, schema string) (bool, *marker, error) {
	var comment *string
	err := q.QueryRow(ctx, "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = $1", schema).Scan(&comment)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil, nil
	}
	if err != nil || comment == nil {
		return err == nil, nil, err
	}
	var m marker
	if json.Unmarshal([]byte(*comment), &m) != nil || m.Rigger != markerKind {
		return true, nil, nil
	}
	return true, &m, nil
}

func writeMarker(ctx context.Context, q dbtx, schema string, m marker) error {
	m.Rigger = markerKind
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return execFormat(ctx, q, "COMMENT ON SCHEMA %I IS %L", schema, string(body))
}

// execFormat runs a utility statement built by the server's format(), which
// quotes identifiers (%I) and literals (%L) itself; utility statements take
// no bind parameters.
func execFormat(ctx context.Context, q dbtx, format string, args ...string) error {
	params := []any{format}
	sql := "SELECT format($1"
	for i, a := range args {
		params = append(params, a)
		sql += ", $" + strconv.Itoa(i+2) + "::text"
	}
	var stmt string
	if err := q.QueryRow(ctx, sql+")", params...).Scan(&stmt); err != nil {
		return err
	}
	_, err := q.Exec(ctx, stmt)
	return err
}
