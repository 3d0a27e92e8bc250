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
	return sdktally.NewMetricsHandler(scope), closer, nil
}
