"""Structured JSON logs: one object per line, in the platform's log shape."""

import contextvars
import json
import logging
import os
import re
import uuid
from datetime import UTC, datetime

SERVICE = os.environ.get("SERVICE_NAME", "${{ values.name }}")
_correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def correlation_id_from(header: str | None) -> str:
    """The caller's X-Request-Id when it is a sane token, else a new id."""
    return header if header and _SANE_ID.match(header) else str(uuid.uuid4())


def set_correlation_id(value: str) -> contextvars.Token:
    return _correlation_id.set(value)


def reset_correlation_id(token: contextvars.Token) -> None:
    _correlation_id.reset(token)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "service": SERVICE,
            "message": record.getMessage(),
            "correlation_id": _correlation_id.get(),
            # Filled in once the service is traced (OpenTelemetry); kept so queries need no change.
            "trace_id": None,
            "span_id": None,
        }
        line.update(getattr(record, "fields", {}))
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
