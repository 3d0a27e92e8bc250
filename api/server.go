// Package api is Rigger's HTTP front door: it authenticates, validates and
// scopes requests, then starts, queries and cancels workflows. It never does
// the work itself.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"

	"github.com/rigger-platform/rigger/internal/ops"
	"github.com/rigger-platform/rigger/internal/store"
)

// Server holds the API's dependencies.
type Server struct {
	Temporal client.Client
	Store    *store.Store
	AdminKey string
	Logger   *slog.Logger
	Registry *prometheus.Registry

	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// Handler returns the routed, instrumented handler.
func (s *Server) Handler() http.Handler {
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	if s.Registry == nil {
		s.Registry = ops.NewRegistry()
	}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rigger_api_requests_total", Help: "API requests by route and status code.",
	}, []string{"route", "code"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "rigger_api_request_duration_seconds", Help: "API request latency by route.", Buckets: prometheus.DefBuckets,
	}, []string{"route"})
	s.Registry.MustRegister(s.requests, s.latency)

	mux := http.NewServeMux()
	ops.Mount(mux, s.Registry, ops.Check{Name: "database", Fn: func(ctx context.Context) error { return s.Store.Pool.Ping(ctx) }},
		ops.Check{Name: "temporal", Fn: func(ctx context.Context) error {
			_, err := s.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{})
			return err
		}})
	s.route(mux, "POST /v1/tenants", s.requireAdmin(s.createTenant))
	s.route(mux, "GET /v1/tenants", s.requireAdmin(s.listTenants))
	s.route(mux, "GET /v1/tenants/{slug}", s.requireAdmin(s.getTenant))
	s.route(mux, "DELETE /v1/tenants/{slug}", s.requireAdmin(s.deleteTenant))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{Status: http.StatusNotFound, Code: "not_found", Message: "no route for " + r.Method + " " + r.URL.Path})
	})
	return mux
}

// route registers a handler and counts its requests under the pattern, not
// the raw path, so metrics never carry tenant slugs as unbounded labels.
func (s *Server) route(mux *http.ServeMux, pattern string, h http.HandlerFunc) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				s.Logger.Error("panic in handler", "route", pattern, "panic", p)
				writeError(rec, errInternal())
			}
			s.requests.WithLabelValues(pattern, strconv.Itoa(rec.status)).Inc()
			s.latency.WithLabelValues(pattern).Observe(time.Since(start).Seconds())
		}()
		h(rec, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status  int
	written bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.written {
		return
	}
	r.status, r.written = code, true
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.written = true
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
