"""The ${{ values.name }} web service (see docs/index.md)."""

import logging
import time

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse

from . import telemetry
from .logs import correlation_id_from, reset_correlation_id, set_correlation_id

log = logging.getLogger("app")
PROBES = {"/healthz", "/readyz"}
state = {"ready": True}

app = FastAPI(title="${{ values.name }}")
telemetry.instrument(app)


@app.middleware("http")
async def correlate(request: Request, call_next) -> Response:
    """One correlation id per request (echoed as X-Request-Id), one log line per request."""
    correlation_id = correlation_id_from(request.headers.get("x-request-id"))
    token = set_correlation_id(correlation_id)
    started = time.perf_counter()
    try:
        response = await call_next(request)
        response.headers["X-Request-Id"] = correlation_id
        # Probes are frequent and boring: logged only when they fail.
        if request.url.path not in PROBES or response.status_code >= 400:
            fields = {
                "method": request.method,
                "path": request.url.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            }
            log.info("request", extra={"fields": fields})
        return response
    finally:
        reset_correlation_id(token)


@app.get("/healthz")
def healthz() -> dict:
    return {"status": "ok"}


@app.get("/readyz")
def readyz(response: Response) -> dict:
    if not state["ready"]:
        response.status_code = 503
        return {"status": "not ready"}
    return {"status": "ready"}


@app.get("/", response_class=HTMLResponse)
def index() -> str:
    return "<!doctype html><html><head><title>${{ values.name }}</title></head><body><h1>${{ values.name }}</h1></body></html>"


@app.get("/api/v1/hello")
def hello() -> dict:
    return {"message": "Hello from ${{ values.name }}"}
