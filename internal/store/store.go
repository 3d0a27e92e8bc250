// Package store is the control-plane store: schema "rigger" in PostgreSQL,
// holding tenants, plans and subscriptions (and, as other families land,
// usage, invoices, backups, drills and API keys).
package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

var (
	// ErrNotFound means the row does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means the request collides with an existing row that
	// differs from it (for example a slug owned by someone else).
	ErrConflict = errors.New("conflict")
)

// Store wraps the admin connection pool of the Rigger database.
type Store struct{ Pool *pgxpool.Pool }

// Open connects and pings; it does not migrate.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: invalid database URL: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: ping %s: %w", cfg.ConnConfig.Host, err)
	}
	return &Store{Pool: pool}, nil
}

// Close releases the pool.
func (s *Store) Close() { s.Pool.Close() }
