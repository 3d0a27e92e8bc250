package api

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"

	"github.com/rigger-platform/rigger/internal/store"
)

const maxIdempotencyKey = 200

// idempotent makes a POST that starts work safe to repeat with the same
// Idempotency-Key: the first response is stored and replayed; the same key
// with a different body is refused.
func (s *Server) idempotent(w http.ResponseWriter, r *http.Request, p *Principal, next http.HandlerFunc) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" || r.Method != http.MethodPost {
		next(w, r)
		return
	}
	if len(key) > maxIdempotencyKey {
		writeError(w, errInvalid("Idempotency-Key", "Idempotency-Key may have at most 200 characters"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		writeError(w, jsonError(err))
		return
	}
	sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.RequestURI()+"\n"), body...))
	stored, err := s.Store.BeginIdempotent(r.Context(), p.ID(), key, sum[:])
	switch {
	case errors.Is(err, store.ErrIdempotencyMismatch):
		writeError(w, &apiError{Status: http.StatusUnprocessableEntity, Code: "idempotency_mismatch", Field: "Idempotency-Key", Message: err.Error()})
		return
	case errors.Is(err, store.ErrIdempotencyInFlight):
		w.Header().Set("Retry-After", "1")
		writeError(w, &apiError{Status: http.StatusConflict, Code: "idempotency_in_flight", Field: "Idempotency-Key", Message: err.Error()})
		return
	case err != nil:
		s.log(r).Error("idempotency", "error", err)
		writeError(w, errInternal())
		return
	case stored != nil:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(stored.Status)
		_, _ = w.Write(stored.Body)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := &captureWriter{ResponseWriter: w, status: http.StatusOK}
	next(rec, r)
	if err := s.Store.FinishIdempotent(r.Context(), p.ID(), key, rec.status, rec.buf.Bytes()); err != nil {
		s.log(r).Error("store idempotent response", "error", err)
	}
}

type captureWriter struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (c *captureWriter) WriteHeader(code int) {
	c.status = code
	c.ResponseWriter.WriteHeader(code)
}

func (c *captureWriter) Write(b []byte) (int, error) {
	c.buf.Write(b)
	return c.ResponseWriter.Write(b)
}
