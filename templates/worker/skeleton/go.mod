module ${{ values.platform.gitHost }}/${{ values.repoOwner }}/${{ values.name }}

go 1.25

// OpenTelemetry (docs/logging-and-tracing.md): the API and SDK, the OTLP/HTTP trace exporter, and
// net/http instrumentation, from the same release (otel v1.38.0, contrib v0.63.0); the Prometheus
// client for /metrics. `go mod tidy` records their dependencies and go.sum.
require (
	github.com/prometheus/client_golang v1.23.2
	go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp v0.63.0
	go.opentelemetry.io/otel v1.38.0
	go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp v1.38.0
	go.opentelemetry.io/otel/sdk v1.38.0
	go.opentelemetry.io/otel/trace v1.38.0
)
