"""The ${{ values.name }} web service (see docs/index.md)."""

import logging
import time

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

from . import telemetry
from .logs import correlation_id_from, reset_correlation_id, set_correlation_id

log = logging.getLogger("app")
PROBES = {"/healthz", "/readyz"}
# What the default alerts read (deploy/base/prometheusrule.yaml): error rate by code, latency with
# the 0.5 s objective as a bucket. Known methods only, so a client cannot grow the series.
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
REQUESTS = Counter("http_requests", "HTTP requests answered.", ["method", "code"])
DURATION = Histogram("http_request_duration_seconds", "Time to answer an HTTP request.", ["method"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
state = {"ready": True}

app = FastAPI(title="${{ values.name }}")
telemetry.instrument(app)


@app.middleware("http")
async def correlate(request: Request, call_next) -> Response:
    """One correlation id per request (echoed as X-Request-Id), one log line and its metrics per request."""
    if request.url.path == "/metrics":
        return await call_next(request)
    correlation_id = correlation_id_from(request.headers.get("x-request-id"))
    token = set_correlation_id(correlation_id)
    started = time.perf_counter()
    try:
        response = await call_next(request)
        response.headers["X-Request-Id"] = correlation_id
        method = request.method if request.method in METHODS else "other"
        REQUESTS.labels(method, str(response.status_code)).inc()
        DURATION.labels(method).observe(time.perf_counter() - started)
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


@app.get("/metrics")
def metrics() -> Response:
    """Prometheus' scrape (deploy/base/servicemonitor.yaml)."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


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
