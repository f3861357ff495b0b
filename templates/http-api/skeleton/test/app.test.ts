import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, test } from "node:test";
import { handler, route } from "../src/app.ts";
import { correlationId, correlationIdFrom, logLine, withCorrelation } from "../src/log.ts";
import { metricsText, observeRequest } from "../src/metrics.ts";
import { formatTraceparent, parseTraceparent, tracedFetch, tracing } from "../src/tracing.ts";

describe("routes", () => {
  test("/healthz answers while the process runs", () => {
    assert.equal(route("GET", "/healthz", { ready: false }).status, 200);
  });
  test("/readyz answers 503 until the service is ready", () => {
    assert.equal(route("GET", "/readyz", { ready: false }).status, 503);
    assert.equal(route("GET", "/readyz", { ready: true }).status, 200);
  });
  test("unknown paths and methods", () => {
    assert.equal(route("GET", "/nope", { ready: true }).status, 404);
    assert.equal(route("POST", "/", { ready: true }).status, 405);
    assert.equal(route("GET", "/api/v1/hello", { ready: true }).status, 200);
  });
});

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN = "00f067aa0ba902b7";
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_SPAN}-01`;

describe("logs", () => {
  test("a line has the platform's shape and the request's correlation id", () => {
    const line = withCorrelation("req-1", () => logLine("info", "hello", { path: "/" }, new Date("2026-01-01T00:00:00Z")));
    assert.deepEqual(line, {
      path: "/",
      timestamp: "2026-01-01T00:00:00.000Z",
      level: "info",
      service: "${{ values.name }}",
      message: "hello",
      correlation_id: "req-1",
      trace_id: null, // outside any span
      span_id: null,
    });
  });
  test("inside a span, the line carries its trace_id and span_id", () => {
    const line = tracing().serverSpan("GET /", { traceparent: TRACEPARENT }, () => logLine("info", "hello"));
    assert.equal(line.trace_id, TRACE_ID);
    assert.match(String(line.span_id), /^[0-9a-f]{16}$/);
    assert.notEqual(line.span_id, PARENT_SPAN); // the server span is a child of the caller's
  });
  test("the correlation id is the caller's X-Request-Id, or a new one", () => {
    assert.equal(correlationIdFrom("abc-123"), "abc-123");
    assert.match(correlationIdFrom(undefined), /^[0-9a-f-]{36}$/);
    assert.match(correlationIdFrom("bad value with spaces"), /^[0-9a-f-]{36}$/);
  });
});

describe("W3C trace context", () => {
  test("traceparent is parsed and formatted per the specification", () => {
    assert.deepEqual(parseTraceparent(TRACEPARENT), { traceId: TRACE_ID, spanId: PARENT_SPAN, sampled: true });
    assert.equal(formatTraceparent({ traceId: TRACE_ID, spanId: PARENT_SPAN }), TRACEPARENT);
    for (const bad of [undefined, "", "00-xyz", `00-${"0".repeat(32)}-${PARENT_SPAN}-01`, `00-${TRACE_ID}-${"0".repeat(16)}-01`])
      assert.equal(parseTraceparent(bad), undefined, String(bad));
  });
  test("without a traceparent, a request starts a new trace", () => {
    const ids = tracing().serverSpan("GET /", {}, () => tracing().active());
    assert.match(ids?.traceId ?? "", /^[0-9a-f]{32}$/);
  });
});

/** Runs `fn` and returns the log lines it wrote to stdout (the test runner's own output passes through). */
async function capturingLogs(fn: () => Promise<void>): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    const text = String(chunk);
    if (!text.startsWith('{"timestamp"')) return write.call(process.stdout, chunk, ...rest);
    for (const l of text.split("\n").filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
    return true;
  }) as typeof process.stdout.write;
  try {
    await fn();
  } finally {
    process.stdout.write = write;
  }
  return lines;
}

async function listening(h: Parameters<typeof createServer>[1]): Promise<{ url: string; close: () => void }> {
  const server = createServer(h!).listen(0);
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

test("the server echoes X-Request-Id", async () => {
  const server = await listening(handler({ ready: true }));
  try {
    const res = await fetch(`${server.url}/api/v1/hello`, { headers: { "x-request-id": "trace-me" } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-request-id"), "trace-me");
  } finally {
    server.close();
  }
});

test("an incoming traceparent is continued: the request's log line carries the caller's trace_id", async () => {
  const server = await listening(handler({ ready: true }));
  try {
    const [line] = await capturingLogs(async () => {
      const res = await fetch(`${server.url}/api/v1/hello`, { headers: { traceparent: TRACEPARENT, "x-request-id": "req-42" } });
      await res.text();
    });
    assert.ok(line, "one log line per request");
    assert.deepEqual(Object.keys(line).slice(0, 7), ["timestamp", "level", "service", "message", "correlation_id", "trace_id", "span_id"]);
    assert.equal(line.trace_id, TRACE_ID);
    assert.equal(line.correlation_id, "req-42");
    assert.match(String(line.span_id), /^[0-9a-f]{16}$/);
    assert.notEqual(line.span_id, PARENT_SPAN);
    assert.match(String(line.timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  } finally {
    server.close();
  }
});

test("an outgoing call (tracedFetch) sends the active trace context and the correlation id on", async () => {
  let received: IncomingHttpHeaders = {};
  const downstream = await listening((req, res) => {
    received = req.headers;
    res.end("{}");
  });
  try {
    await tracing().serverSpan("GET /", { traceparent: TRACEPARENT }, () =>
      withCorrelation("req-7", async () => {
        const res = await tracedFetch(`${downstream.url}/x`, { headers: { accept: "application/json" } }, correlationId());
        await res.text();
      }),
    );
    const sent = parseTraceparent(received.traceparent);
    assert.equal(sent?.traceId, TRACE_ID);
    assert.notEqual(sent?.spanId, PARENT_SPAN);
    assert.equal(received["x-request-id"], "req-7");
    assert.equal(received.accept, "application/json");
  } finally {
    downstream.close();
  }
});

describe("metrics", () => {
  test("requests are counted by method and code, with their duration in a histogram that has the 0.5 s objective as a bucket", () => {
    observeRequest("PUT", 503, 0.7);
    observeRequest("PUT", 200, 0.2);
    const text = metricsText();
    assert.match(text, /^# TYPE http_requests_total counter$/m);
    assert.match(text, /^http_requests_total\{method="PUT",code="503"\} 1$/m);
    assert.match(text, /^http_request_duration_seconds_bucket\{method="PUT",le="0.5"\} 1$/m);
    assert.match(text, /^http_request_duration_seconds_bucket\{method="PUT",le="\+Inf"\} 2$/m);
    assert.match(text, /^http_request_duration_seconds_count\{method="PUT"\} 2$/m);
  });
  test("the server serves them on /metrics, counting the requests it answered", async () => {
    const server = await listening(handler({ ready: true }));
    try {
      await capturingLogs(async () => void (await (await fetch(`${server.url}/api/v1/hello`)).text()));
      const res = await fetch(`${server.url}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
      assert.match(await res.text(), /^http_requests_total\{method="GET",code="200"\} [1-9]\d*$/m);
    } finally {
      server.close();
    }
  });
});
