"""Structured JSON logs: one object per line, in the platform's log shape (docs/logging-and-tracing.md).

trace_id and span_id are the active OpenTelemetry span's (W3C ids, lower-case hex), so Grafana links a
line to its trace; correlation_id is the request's X-Request-Id.
"""

import contextvars
import json
import logging
import os
import re
import uuid
from datetime import UTC, datetime

from opentelemetry import trace

SERVICE = os.environ.get("SERVICE_NAME", "${{ values.name }}")
_correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def correlation_id_from(header: str | None) -> str:
    """The caller's X-Request-Id when it is a sane token, else a new id."""
    return header if header and _SANE_ID.match(header) else str(uuid.uuid4())


def current_correlation_id() -> str | None:
    return _correlation_id.get()


def set_correlation_id(value: str) -> contextvars.Token:
    return _correlation_id.set(value)


def reset_correlation_id(token: contextvars.Token) -> None:
    _correlation_id.reset(token)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        span = trace.get_current_span().get_span_context()
        line = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "service": SERVICE,
            "message": record.getMessage(),
            "correlation_id": _correlation_id.get(),
            "trace_id": trace.format_trace_id(span.trace_id) if span.is_valid else None,
            "span_id": trace.format_span_id(span.span_id) if span.is_valid else None,
        }
        # The caller's fields after the shape's, never over them.
        line.update({k: v for k, v in getattr(record, "fields", {}).items() if k not in line})
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line)


# For uvicorn's log_config: its own loggers go through the same formatter; access logs are ours.
LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": JsonFormatter}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}},
    "loggers": {
        "uvicorn": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        "app": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
    },
}
