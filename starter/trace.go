package starter

import (
	"context"
	"net/http"
	"os"

	"go.opentelemetry.io/otel/propagation"

	"github.com/rigger-platform/rigger/internal/telemetry"
)

// A CI job or script that traces its own steps hands its span to child
// processes in TRACEPARENT (with TRACESTATE and BAGGAGE), OpenTelemetry's
// environment carrier. The CLI forwards them as the W3C headers, so the API
// request, the workflow it starts and that workflow's activities join the
// caller's trace. The propagator parses them: a malformed value is dropped,
// not sent.
func setTraceHeaders(h http.Header) {
	env := propagation.MapCarrier{}
	for key, name := range map[string]string{"traceparent": "TRACEPARENT", "tracestate": "TRACESTATE", "baggage": "BAGGAGE"} {
		if v := os.Getenv(name); v != "" {
			env[key] = v
		}
	}
	if len(env) == 0 {
		return
	}
	telemetry.Propagator.Inject(telemetry.Propagator.Extract(context.Background(), env), propagation.HeaderCarrier(h))
}
