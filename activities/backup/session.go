package backup

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// pinSession fixes, for the current transaction, every setting that changes
// how values are written as COPY text or how names are printed and resolved,
// so that a backup, its restore and its verification produce and parse the
// same bytes whatever the server's or role's defaults are. searchPath is the
// one schema unqualified names mean (pg_catalog stays implicitly first).
// Timeouts are lifted: a large table takes as long as it takes, and the
// activity's heartbeat, not the server, decides when an attempt is dead.
func pinSession(ctx context.Context, tx pgx.Tx, searchPath string) error {
	_, err := tx.Exec(ctx, fmt.Sprintf(`SET LOCAL search_path = %s;
		SET LOCAL datestyle = 'ISO, YMD';
		SET LOCAL intervalstyle = 'postgres';
		SET LOCAL extra_float_digits = 3;
		SET LOCAL bytea_output = 'hex';
		SET LOCAL timezone = 'UTC';
		SET LOCAL lc_monetary = 'C';
		SET LOCAL statement_timeout = 0;
		SET LOCAL idle_in_transaction_session_timeout = 0;
		SET LOCAL lock_timeout = '30s'`, ident(searchPath)))
	return err
}
