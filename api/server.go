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
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

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
	// OIDC verifies bearer tokens from an identity provider when set.
	OIDC TokenVerifier
	// RateLimit is requests per second per tenant (0 = unlimited), with
	// RateBurst tokens of burst.
	RateLimit float64
	RateBurst int
	// Codec, when set, is served at /codec for the Temporal Web UI, to the
	// browser origins in CodecOrigins.
	Codec        converter.PayloadCodec
	CodecOrigins []string
	// TechDocs configures the TechDocs builds, serving and push webhooks.
	TechDocs TechDocsOptions
	// Scaffolder configures the Backstage-compatible scaffolder routes.
	Scaffolder ScaffolderOptions
	// Tracer, when set, traces every request (see traced); nil when
	// tracing is off.
	Tracer trace.TracerProvider

	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	limits   *limiters
	meter    *callMeter
	patterns []string
}

// Routes lists the "METHOD /path" patterns of the authenticated routes.
func (s *Server) Routes() []string { return append([]string(nil), s.patterns...) }

// TokenVerifier turns a bearer token into a principal (OIDC).
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (*Principal, error)
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
	s.limits = newLimiters(s.RateLimit, s.RateBurst)
	s.meter = newCallMeter()

	mux := http.NewServeMux()
	ops.Mount(mux, s.Registry, ops.Check{Name: "database", Fn: func(ctx context.Context) error { return s.Store.Pool.Ping(ctx) }},
		ops.Check{Name: "temporal", Fn: func(ctx context.Context) error {
			_, err := s.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{})
			return err
		}})
	s.route(mux, "POST /v1/tenants", platformAdmin, s.createTenant)
	s.route(mux, "GET /v1/tenants", platformAdmin, s.listTenants)
	s.route(mux, "GET /v1/tenants/{slug}", tenantRead, s.getTenant)
	s.route(mux, "DELETE /v1/tenants/{slug}", platformAdmin, s.deleteTenant)
	s.route(mux, "POST /v1/tenants/{slug}/api-keys", tenantAdmin, s.createAPIKey)
	s.route(mux, "GET /v1/tenants/{slug}/api-keys", tenantAdmin, s.listAPIKeys)
	s.route(mux, "POST /v1/tenants/{slug}/api-keys/{id}/rotate", tenantAdmin, s.rotateAPIKey)
	s.route(mux, "DELETE /v1/tenants/{slug}/api-keys/{id}", tenantAdmin, s.revokeAPIKey)
	s.route(mux, "GET /v1/tenants/{slug}/invoices", tenantRead, s.listInvoices)
	s.route(mux, "GET /v1/tenants/{slug}/invoices/{id}", tenantRead, s.getInvoice)
	s.route(mux, "GET /v1/tenants/{slug}/usage", tenantRead, s.getUsage)
	s.route(mux, "POST /v1/usage", authenticated, s.recordUsage)
	s.route(mux, "POST /v1/billing/cycles", platformAdmin, s.startBillingCycle)
	s.route(mux, "GET /v1/billing/cycles/{period}", platformAdmin, s.getBillingCycle)
	s.route(mux, "GET /v1/tenants/{slug}/backups", tenantRead, s.listBackups)
	s.route(mux, "POST /v1/tenants/{slug}/backups", tenantAdmin, s.startBackup)
	s.route(mux, "POST /v1/tenants/{slug}/restore", platformAdmin, s.startRestore)
	s.route(mux, "POST /v1/dr/drills", platformAdmin, s.startDrill)
	s.route(mux, "GET /v1/dr/drills/{id}", platformAdmin, s.getDrill)
	// Assistant tasks name their tenant in the body or in the task ID;
	// the handlers check it with CanAccess (run, read, admin to decide).
	s.route(mux, "POST /v1/assistant/tasks", authenticated, s.createAssistantTask)
	s.route(mux, "GET /v1/assistant/tasks/{id}", authenticated, s.getAssistantTask)
	s.route(mux, "GET /v1/assistant/tasks/{id}/stream", authenticated, s.streamAssistantTask)
	s.route(mux, "POST /v1/assistant/tasks/{id}/approve", authenticated, s.approveAssistantTask)
	s.route(mux, "POST /v1/assistant/tasks/{id}/reject", authenticated, s.rejectAssistantTask)
	s.route(mux, "DELETE /v1/assistant/tasks/{id}", authenticated, s.cancelAssistantTask)
	s.routeTechDocs(mux)
	s.mountScaffolder(mux)
	s.mountCodec(mux)
	mux.HandleFunc("GET /openapi.json", s.serveOpenAPI)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{Status: http.StatusNotFound, Code: "not_found", Message: "no route for " + r.Method + " " + r.URL.Path})
	})
	return s.traced(withRequestID(mux))
}

// route registers a handler behind authentication, the route's access rule,
// the tenant's rate limit and idempotency keys, and counts its requests
// under the pattern, not the raw path, so metrics never carry tenant slugs
// as unbounded labels.
func (s *Server) route(mux *http.ServeMux, pattern string, need access, h http.HandlerFunc) {
	s.patterns = append(s.patterns, pattern)
	guarded := func(w http.ResponseWriter, r *http.Request) {
		p, e := s.authenticate(r)
		if e != nil {
			if e.Status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="rigger"`)
			}
			writeError(w, e)
			return
		}
		if e := s.authorize(p, need, r); e != nil {
			writeError(w, e)
			return
		}
		// Limits are per tenant; the platform admin (operators, automation)
		// is not a tenant and is not limited.
		if !p.Admin {
			if ok, wait := s.limits.allow(p.Tenant); !ok {
				writeRateLimited(w, wait)
				return
			}
			s.meter.add(p.Tenant)
		}
		r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
		s.idempotent(w, r, p, h)
	}
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		nameSpan(r, pattern)
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				s.log(r).Error("panic in handler", "route", pattern, "panic", p)
				writeError(rec, errInternal())
			}
			s.requests.WithLabelValues(pattern, strconv.Itoa(rec.status)).Inc()
			s.latency.WithLabelValues(pattern).Observe(time.Since(start).Seconds())
		}()
		guarded(rec, r)
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
