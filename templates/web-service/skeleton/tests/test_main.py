import json
import logging

from fastapi.testclient import TestClient

from app.logs import JsonFormatter, correlation_id_from, reset_correlation_id, set_correlation_id
from app.main import app, state

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
