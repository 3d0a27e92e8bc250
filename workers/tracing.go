package workers

import (
	"go.opentelemetry.io/otel/trace"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"

	"github.com/rigger-platform/rigger/internal/telemetry"
)

// TracingInterceptor is the Temporal SDK's OpenTelemetry interceptor on tp.
// It is a client interceptor (StartWorkflow, SignalWorkflow... spans, the
// caller's span written into the workflow's header) and a worker
// interceptor (RunWorkflow, StartActivity, RunActivity... spans, parented
// by the header), so a trace runs from an API request through the workflow
// into its activities. DialInstrumented sets it on the client only: the SDK
// applies a client's interceptors to the workers built from that client,
// and one set in both places would record every span twice.
func TracingInterceptor(tp trace.TracerProvider) (interceptor.Interceptor, error) {
	return temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{
		Tracer:            tp.Tracer("go.temporal.io/sdk"),
		TextMapPropagator: telemetry.Propagator,
	})
}
