package workers

import (
	"fmt"
	"io"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
)

// SDKMetrics exposes the Temporal SDK's metrics (workflow and activity
// latencies, task slots, poll results...) on the process's Prometheus
// registry, beside Rigger's own.
func SDKMetrics(reg *prometheus.Registry) (client.MetricsHandler, io.Closer, error) {
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer: reg,
		// Histograms, not summaries: they aggregate across worker pods.
		DefaultTimerType: tallyprom.HistogramTimerType,
		// Up to 10 minutes: ArgoCD waits and docs builds are long.
		DefaultHistogramBuckets: tally.DurationBuckets{
			5 * time.Millisecond, 25 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond,
			500 * time.Millisecond, time.Second, 2500 * time.Millisecond, 5 * time.Second, 10 * time.Second,
			30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute,
		}.AsValues(),
		OnRegisterError: func(err error) {
			// A duplicate registration only loses that one series.
			_ = err
		},
	})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
	}, time.Second)
	if scope == nil {
		return nil, nil, fmt.Errorf("metrics: could not create the SDK metrics scope")
	}
	// Prometheus naming: counters end in _total, timers in _seconds.
	scope = sdktally.NewPrometheusNamingScope(scope)
	return sdktally.NewMetricsHandler(scope), closer, nil
}
