import json
import logging

from fastapi.testclient import TestClient

from opentelemetry import trace

from app.logs import JsonFormatter, correlation_id_from, reset_correlation_id, set_correlation_id
from app.main import app, state
from app import telemetry
from app.telemetry import outgoing_headers

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_SPAN}-01"
SHAPE = ["timestamp", "level", "service", "message", "correlation_id", "trace_id", "span_id"]

client = TestClient(app)


def test_healthz():
    assert client.get("/healthz").status_code == 200


def test_readyz_answers_503_when_not_ready():
    state["ready"] = False
    try:
        assert client.get("/readyz").status_code == 503
    finally:
        state["ready"] = True
    assert client.get("/readyz").status_code == 200


def test_pages():
    assert "${{ values.name }}" in client.get("/").text
    assert client.get("/api/v1/hello").json() == {"message": "Hello from ${{ values.name }}"}


def test_request_id_is_echoed():
    assert client.get("/api/v1/hello", headers={"X-Request-Id": "trace-me"}).headers["x-request-id"] == "trace-me"


def test_correlation_id_from():
    assert correlation_id_from("abc-123") == "abc-123"
    assert len(correlation_id_from(None)) == 36
    assert len(correlation_id_from("bad value with spaces")) == 36


def test_log_line_shape():
    token = set_correlation_id("req-1")
    try:
        record = logging.LogRecord("app", logging.INFO, __file__, 1, "hello", None, None)
        record.fields = {"path": "/"}
        line = json.loads(JsonFormatter().format(record))
    finally:
        reset_correlation_id(token)
    assert set(line) == {"timestamp", "level", "service", "message", "correlation_id", "trace_id", "span_id", "path"}
    assert line["level"] == "info"
    assert line["correlation_id"] == "req-1"
    assert line["timestamp"].endswith("Z")


class Lines(logging.Handler):
    """Collects the app logger's lines, formatted as in production (while the request's span is active)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict] = []
        self.formatter = JsonFormatter()

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


def test_log_line_outside_a_span_has_no_trace_ids():
    record = logging.LogRecord("app", logging.INFO, __file__, 1, "hello", None, None)
    line = json.loads(JsonFormatter().format(record))
    assert list(line)[:7] == SHAPE
    assert line["trace_id"] is None and line["span_id"] is None


def test_incoming_traceparent_is_continued_in_the_log_line(spans):
    lines = Lines()
    logger = logging.getLogger("app")
    logger.addHandler(lines)
    level = logger.level
    logger.setLevel(logging.INFO)  # app/__main__.py's LOG_CONFIG does this in production
    try:
        response = client.get("/api/v1/hello", headers={"traceparent": TRACEPARENT, "X-Request-Id": "req-42"})
    finally:
        logger.removeHandler(lines)
        logger.setLevel(level)
    assert response.status_code == 200
    [line] = lines.lines
    assert list(line)[:7] == SHAPE
    assert line["trace_id"] == TRACE_ID
    assert line["correlation_id"] == "req-42"
    assert len(line["span_id"]) == 16 and line["span_id"] != PARENT_SPAN
    # The server span was recorded in the caller's trace, as a child of the caller's span.
    server = [s for s in spans.get_finished_spans() if s.kind == trace.SpanKind.SERVER]
    assert server and all(format(s.context.trace_id, "032x") == TRACE_ID for s in server)
    assert format(server[0].parent.span_id, "016x") == PARENT_SPAN


def test_outgoing_headers_carry_the_trace_and_the_correlation_id():
    token = set_correlation_id("req-7")
    try:
        with trace.get_tracer("test").start_as_current_span("work") as span:
            headers = outgoing_headers({"accept": "application/json"})
            trace_id = format(span.get_span_context().trace_id, "032x")
    finally:
        reset_correlation_id(token)
    assert headers["traceparent"].split("-")[1] == trace_id
    assert headers["x-request-id"] == "req-7"
    assert headers["accept"] == "application/json"


def test_configure_reads_the_standard_variables(monkeypatch):
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    monkeypatch.setenv("OTEL_SERVICE_NAME", "${{ values.name }}")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "service.namespace=${{ values.team }},deployment.environment=staging")
    provider = telemetry.configure(InMemorySpanExporter())  # the tests' provider stays the global one
    assert provider is not None
    attributes = provider.resource.attributes
    assert attributes["service.name"] == "${{ values.name }}"
    assert attributes["service.namespace"] == "${{ values.team }}"
    assert attributes["deployment.environment"] == "staging"
    provider.shutdown()
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert telemetry.configure() is None


def test_metrics_count_requests_by_method_and_code():
    client.get("/api/v1/hello")
    text = client.get("/metrics").text
    assert 'http_requests_total{method="GET",code="200"}' in text
    assert 'http_request_duration_seconds_bucket{method="GET",le="0.5"}' in text
