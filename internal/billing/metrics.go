package billing

// MetricTenantDays is the days of the period a tenant had a subscription. It
// equals store.MetricTenantDays; billing derives it from subscriptions (a
// usage event for it would double-count a day) and prices it like any metric
// if a plan gives it an included quantity or a rate.
const MetricTenantDays = "tenant_days"

// metricLabels are the invoice wording of the metrics Rigger meters; any
// other metric appears under its own name.
var metricLabels = map[string]string{
	MetricTenantDays:         "Tenant days",
	"seats":                  "Seats",
	"scaffolder_runs":        "Scaffolder runs",
	"techdocs_build_minutes": "TechDocs build minutes",
	"ai_tokens":              "AI tokens",
	"api_calls":              "API calls",
}

// MetricLabel is the human name of a metric.
func MetricLabel(metric string) string {
	if l, ok := metricLabels[metric]; ok {
		return l
	}
	return metric
}
