package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate applies every pending migration. Several processes may start at
// once (API and workers), so goose holds a PostgreSQL advisory lock for the
// whole run and the others wait, then find nothing to do.
func (s *Store) Migrate(ctx context.Context) error {
	// goose keeps its version table inside the schema it migrates, so the
	// schema has to exist first; the advisory lock serialises concurrent
	// creators.
	if _, err := s.Pool.Exec(ctx, `SELECT pg_advisory_xact_lock(72730001); CREATE SCHEMA IF NOT EXISTS rigger`); err != nil {
		return fmt.Errorf("store: create schema rigger: %w", err)
	}
	db := stdlib.OpenDBFromPool(s.Pool)
	defer db.Close()
	p, err := newMigrator(db)
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	for _, r := range results {
		slog.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

func newMigrator(db *sql.DB) (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectPostgres, db, sub,
		goose.WithSessionLocker(locker),
		goose.WithTableName("rigger.schema_migrations"),
		goose.WithDisableGlobalRegistry(true),
	)
}
