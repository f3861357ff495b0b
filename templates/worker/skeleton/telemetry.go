package main

// Tracing: the OpenTelemetry SDK, exporting over OTLP/HTTP to the platform's collector.
//
// Configured by the standard environment variables the Deployment sets (deploy/base/deployment.yaml):
// OTEL_EXPORTER_OTLP_ENDPOINT (the collector; the exporter appends /v1/traces), OTEL_SERVICE_NAME,
// OTEL_RESOURCE_ATTRIBUTES (service.namespace = the team, deployment.environment). OTEL_SDK_DISABLED=true
// turns the export off. See docs/logging-and-tracing.md.

import (
	"context"
	"io"
	"net/http"
	"os"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// tracer names the spans this service starts itself (a unit of work); otelhttp starts the HTTP ones.
var tracer = otel.Tracer("${{ values.name }}")

// installPropagator makes W3C trace context (traceparent, tracestate) and baggage the way in and out.
func installPropagator() {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
}

// setupTelemetry installs the SDK as the global tracer provider; the returned function flushes it.
func setupTelemetry(ctx context.Context) (func(context.Context) error, error) {
	installPropagator()
	if os.Getenv("OTEL_SDK_DISABLED") == "true" {
		return func(context.Context) error { return nil }, nil
	}
	exporter, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, err
	}
	// The default resource reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
	provider := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter))
	otel.SetTracerProvider(provider)
	return provider.Shutdown, nil
}

// tracedClient is the client for calls to other services: a client span each, and traceparent sent on.
var tracedClient = &http.Client{Transport: otelhttp.NewTransport(http.DefaultTransport)}

// newOutgoingRequest is a request to another service carrying this context's correlation id
// (tracedClient adds the trace context).
func newOutgoingRequest(ctx context.Context, method, url string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return nil, err
	}
	if id, ok := ctx.Value(correlationKey{}).(string); ok {
		req.Header.Set("X-Request-Id", id)
	}
	return req, nil
}
