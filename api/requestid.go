package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"

	"go.opentelemetry.io/otel/trace"
)

var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

type requestIDKey struct{}

// withRequestID gives every request an ID — the caller's X-Request-ID when it
// is well formed, a new one otherwise — echoes it in the response, and puts
// it in the request's logger so a support ticket leads to the log lines.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !requestIDRE.MatchString(id) {
			b := make([]byte, 12)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

// RequestID returns the request's ID.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// log returns the server logger with the request's ID and caller.
func (s *Server) log(r *http.Request) *slog.Logger {
	l := s.Logger.With("request_id", RequestID(r.Context()))
	if sc := trace.SpanContextFromContext(r.Context()); sc.IsValid() {
		// Leads from a log line to the request's trace (tracing on).
		l = l.With("trace_id", sc.TraceID().String())
	}
	if p := PrincipalFrom(r.Context()); p != nil {
		if p.Admin {
			l = l.With("principal", "admin")
		} else {
			l = l.With("tenant", p.Tenant, "key_id", p.KeyID)
		}
	}
	return l
}
