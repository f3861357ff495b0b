import type { IncomingMessage, ServerResponse } from "node:http";
import { correlationIdFrom, log, withCorrelation } from "./log.ts";
import { METRICS_CONTENT_TYPE, metricsText, observeRequest } from "./metrics.ts";
import { tracing } from "./tracing.ts";

/** Kubernetes probes: frequent and boring, logged only when they fail. */
const PROBES = new Set(["/healthz", "/readyz"]);
/** Span names carry the route, never an unknown path (unbounded names make traces hard to search). */
const ROUTES = new Set(["/", "/healthz", "/readyz", "/api/v1/hello"]);

export interface State {
  /** False while the service starts or shuts down: `/readyz` answers 503 and Kubernetes sends no traffic. */
  ready: boolean;
}

export interface Reply {
  status: number;
  body: unknown;
}

/** The routes, as a pure function of method and path (the unit tests call it directly). */
export function route(method: string, path: string, state: State): Reply {
  if (method !== "GET") return { status: 405, body: { error: "method not allowed" } };
  switch (path) {
    case "/healthz":
      return { status: 200, body: { status: "ok" } };
    case "/readyz":
      return state.ready ? { status: 200, body: { status: "ready" } } : { status: 503, body: { status: "not ready" } };
    case "/":
      return { status: 200, body: { service: "${{ values.name }}", description: ${{ values.description | dump }} } };
    case "/api/v1/hello":
      return { status: 200, body: { message: "Hello from ${{ values.name }}" } };
    default:
      return { status: 404, body: { error: "not found" } };
  }
}

/** Metric labels take known methods only: a client cannot grow the series without bound. */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * The HTTP handler: one server span per request, continuing the caller's trace (`traceparent`); one
 * correlation id per request (echoed as `X-Request-Id`); one log line per request, carrying both;
 * its count and duration in the metrics. `/metrics` itself (Prometheus' scrape) is none of these.
 */
export function handler(state: State) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path === "/metrics" && req.method === "GET") {
      res.writeHead(200, { "content-type": METRICS_CONTENT_TYPE });
      res.end(metricsText());
      return;
    }
    const correlationId = correlationIdFrom(req.headers["x-request-id"]);
    const method = req.method ?? "GET";
    tracing().serverSpan(ROUTES.has(path) ? `${method} ${path}` : method, req.headers, (span) =>
      withCorrelation(correlationId, () => {
        const started = process.hrtime.bigint();
        const reply = route(method, path, state);
        span.setAttribute("http.response.status_code", reply.status);
        if (reply.status >= 500) span.fail();
        res.writeHead(reply.status, { "content-type": "application/json", "x-request-id": correlationId });
        res.end(JSON.stringify(reply.body));
        const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
        observeRequest(METHODS.has(method) ? method : "other", reply.status, durationMs / 1000);
        if (!PROBES.has(path) || reply.status >= 400) {
          log(reply.status >= 500 ? "error" : "info", "request", { method, path, status: reply.status, duration_ms: durationMs });
        }
      }),
    );
  };
}
