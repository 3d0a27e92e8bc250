package store

import (
	"bytes"
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
)

// Idempotency outcomes of BeginIdempotent.
var (
	// ErrIdempotencyMismatch: the key was used for a different request.
	ErrIdempotencyMismatch = errors.New("idempotency key reused with a different request")
	// ErrIdempotencyInFlight: the first request with this key is still running.
	ErrIdempotencyInFlight = errors.New("a request with this idempotency key is still in progress")
)

// StoredResponse is the response kept for an idempotency key.
type StoredResponse struct {
	Status int
	Body   []byte
}

// BeginIdempotent claims (principal, key) for a request. It returns the
// stored response when the same request already completed, nil when this
// call claimed the key and must call FinishIdempotent.
func (s *Store) BeginIdempotent(ctx context.Context, principal, key string, requestHash []byte) (*StoredResponse, error) {
	tag, err := s.Pool.Exec(ctx, `INSERT INTO rigger.idempotency_keys (principal, key, request_hash) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`, principal, key, requestHash)
	if err != nil {
		return nil, err
	}
	if tag.RowsAffected() == 1 {
		return nil, nil
	}
	var hash, body []byte
	var status *int
	err = s.Pool.QueryRow(ctx, `SELECT request_hash, status, body FROM rigger.idempotency_keys WHERE principal = $1 AND key = $2`, principal, key).
		Scan(&hash, &status, &body)
	if errors.Is(err, pgx.ErrNoRows) {
		return s.BeginIdempotent(ctx, principal, key, requestHash)
	}
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(hash, requestHash) {
		return nil, ErrIdempotencyMismatch
	}
	if status == nil {
		return nil, ErrIdempotencyInFlight
	}
	return &StoredResponse{Status: *status, Body: body}, nil
}

// FinishIdempotent stores the response of a claimed key. A server error
// releases the key instead, so the client's retry runs the request again.
func (s *Store) FinishIdempotent(ctx context.Context, principal, key string, status int, body []byte) error {
	if status >= 500 {
		_, err := s.Pool.Exec(ctx, `DELETE FROM rigger.idempotency_keys WHERE principal = $1 AND key = $2 AND status IS NULL`, principal, key)
		return err
	}
	_, err := s.Pool.Exec(ctx, `UPDATE rigger.idempotency_keys SET status = $3, body = $4 WHERE principal = $1 AND key = $2`, principal, key, status, body)
	return err
}
