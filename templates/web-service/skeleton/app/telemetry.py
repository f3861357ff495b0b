"""Tracing: the OpenTelemetry SDK, exporting over OTLP/HTTP to the platform's collector.

Configured by the standard environment variables the Deployment sets (deploy/base/deployment.yaml):
OTEL_EXPORTER_OTLP_ENDPOINT (the collector; the exporter appends /v1/traces), OTEL_SERVICE_NAME,
OTEL_RESOURCE_ATTRIBUTES (service.namespace = the team, deployment.environment). OTEL_SDK_DISABLED=true
turns the export off. See docs/logging-and-tracing.md.
"""

import os

from fastapi import FastAPI
from opentelemetry import propagate, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from .logs import current_correlation_id


def configure(exporter: SpanExporter | None = None) -> TracerProvider | None:
    """Installs the SDK as the global tracer provider (once, at start: app/__main__.py)."""
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return None
    # Resource.create() reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
    provider = TracerProvider(resource=Resource.create())
    provider.add_span_processor(BatchSpanProcessor(exporter or OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


def instrument(app: FastAPI) -> None:
    """A server span per request, continuing the caller's W3C traceparent; probes and scrapes are not traced."""
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics")


def outgoing_headers(headers: dict[str, str] | None = None) -> dict[str, str]:
    """Headers for a call to another service: the active trace context and the correlation id.

    httpx.get(url, headers=outgoing_headers()) continues this request's trace in the callee.
    """
    carrier = dict(headers or {})
    propagate.inject(carrier)  # traceparent (and tracestate) of the active span
    correlation_id = current_correlation_id()
    if correlation_id:
        carrier["x-request-id"] = correlation_id
    return carrier
