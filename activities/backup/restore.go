package backup

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rigger-platform/rigger/activities/storage"
)

type RestoreInput struct {
	Slug     string
	BackupID string
	// TargetSchema is a new scratch schema: "drill_..." for a drill,
	// "restore_..." for a restore that SwapSchema will put in place.
	TargetSchema string
}

type RestoreResult struct {
	Schema    string
	Tables    int
	Rows      int64
	DataBytes int64 // uncompressed COPY bytes loaded
	// Duration is the restore's own time (for the RTO); a retry that finds
	// the restore already done reports the original duration.
	Duration time.Duration
}

// RestoreTenant recreates the backup in TargetSchema. Every file is checked
// against the manifest's SHA-256 and size: small files before they are used,
// data files as they stream, with the table's transaction committed only if
// the file matched. A mismatch is the non-retryable BackupCorrupt, and the
// half-made target is dropped. The target must be a scratch name; if it
// exists it must be one RestoreTenant made (a retry), never anything else.
func (a *Activities) RestoreTenant(ctx context.Context, in RestoreInput) (RestoreResult, error) {
	start := time.Now()
	if err := checkSlug(in.Slug); err != nil {
		return RestoreResult{}, err
	}
	if err := checkBackupID(in.BackupID); err != nil {
		return RestoreResult{}, err
	}
	if err := checkScratch(in.TargetSchema); err != nil {
		return RestoreResult{}, err
	}
	st := a.scope(in.Slug)
	m, err := loadManifest(ctx, st, in.Slug, in.BackupID)
	if err != nil {
		return RestoreResult{}, err
	}
	if res, done, err := a.prepareTarget(ctx, in); done || err != nil {
		return res, classify(phaseRestore, err)
	}
	res, err := a.restore(ctx, st, &m, in.TargetSchema, start)
	if errorType(err) == ErrTypeCorrupt {
		// Nothing in a corrupt restore is worth keeping; a drill's own cleanup
		// would drop it too, an admin restore has none.
		dropCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		_ = execFormat(dropCtx, a.Pool, "DROP SCHEMA IF EXISTS %I CASCADE", in.TargetSchema)
	}
	return res, classify(phaseRestore, err)
}

// prepareTarget makes sure the target is free. done is true when an earlier
// attempt already restored this very backup there.
func (a *Activities) prepareTarget(ctx context.Context, in RestoreInput) (RestoreResult, bool, error) {
	exists, mk, err := readMarker(ctx, a.Pool, in.TargetSchema)
	switch {
	case err != nil || !exists:
		return RestoreResult{}, false, err
	case mk == nil:
		return RestoreResult{}, false, nonRetryable(ErrTypeTargetExists,
			fmt.Errorf("schema %s exists and was not made by a restore; refusing to touch it", in.TargetSchema))
	case mk.State == stateComplete && mk.Tenant == in.Slug && mk.BackupID == in.BackupID:
		return RestoreResult{Schema: in.TargetSchema, Tables: mk.Tables, Rows: mk.Rows, DataBytes: mk.DataBytes,
			Duration: time.Duration(mk.DurationMS) * time.Millisecond}, true, nil
	case mk.State == stateLoading || mk.State == stateComplete:
		// An unfinished attempt, or another backup: ours to replace.
		return RestoreResult{}, false, execFormat(ctx, a.Pool, "DROP SCHEMA %I CASCADE", in.TargetSchema)
	default:
		return RestoreResult{}, false, nonRetryable(ErrTypeTargetExists,
			fmt.Errorf("schema %s is a %s schema, not a restore target", in.TargetSchema, mk.State))
	}
}

func (a *Activities) restore(ctx context.Context, st storage.Store, m *Manifest, target string, start time.Time) (RestoreResult, error) {
	res := RestoreResult{Schema: target, Tables: len(m.Tables)}
	p := newProgress("pre-data", len(m.Tables))
	stop := heartbeat(ctx, p) // index builds after the load can take minutes
	defer stop()
	ddlBody, err := readVerified(ctx, st, m, schemaFile)
	if err != nil {
		return res, err
	}
	var ddl schemaDDL
	if err := json.Unmarshal(ddlBody, &ddl); err != nil {
		return res, corruptf("schema.json of %s does not parse: %v", m.BackupID, err)
	}
	// Not used by a restore, but a drill must notice if it is damaged.
	if _, err := readVerified(ctx, st, m, controlPlaneFile); err != nil {
		return res, err
	}
	mk := marker{Tenant: m.Tenant, BackupID: m.BackupID, State: stateLoading}
	err = pgx.BeginFunc(ctx, a.Pool, func(tx pgx.Tx) error {
		if err := execFormat(ctx, tx, "CREATE SCHEMA %I", target); err != nil {
			return err
		}
		if err := writeMarker(ctx, tx, target, mk); err != nil {
			return err
		}
		return runDDL(ctx, tx, target, ddl.PreData)
	})
	if err != nil {
		return res, err
	}
	p.phase.Store("load")
	if err := forEach(ctx, len(m.Tables), a.parallel(), func(ctx context.Context, i int) error {
		return a.loadTable(ctx, st, m, target, m.Tables[i], p)
	}); err != nil {
		return res, err
	}
	res.Rows, res.DataBytes = p.rows.Load(), p.bytes.Load()
	p.phase.Store("post-data")
	err = pgx.BeginFunc(ctx, a.Pool, func(tx pgx.Tx) error {
		for _, s := range m.Sequences {
			if _, err := tx.Exec(ctx, "SELECT pg_catalog.setval($1::regclass, $2, $3)", ident(target, s.Name), s.LastValue, s.IsCalled); err != nil {
				return err
			}
		}
		if err := runDDL(ctx, tx, target, ddl.PostData); err != nil {
			return err
		}
		// Everything but the commit is done: that is the restore's time.
		res.Duration = time.Since(start).Truncate(time.Millisecond) // as the marker keeps it
		mk.State, mk.Tables, mk.Rows, mk.DataBytes, mk.DurationMS = stateComplete, res.Tables, res.Rows, res.DataBytes, res.Duration.Milliseconds()
		return writeMarker(ctx, tx, target, mk)
	})
	return res, err
}

func runDDL(ctx context.Context, tx pgx.Tx, target string, stmts []string) error {
	if err := pinSession(ctx, tx, target); err != nil {
		return err
	}
	for _, s := range stmts {
		if _, err := tx.Exec(ctx, s); err != nil {
			return fmt.Errorf("backup: replaying %.120q: %w", s, err)
		}
	}
	return nil
}
