import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, test } from "node:test";
import { handler, route } from "../src/app.ts";
import { correlationIdFrom, logLine, withCorrelation } from "../src/log.ts";

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
      trace_id: null,
      span_id: null,
    });
  });
  test("the correlation id is the caller's X-Request-Id, or a new one", () => {
    assert.equal(correlationIdFrom("abc-123"), "abc-123");
    assert.match(correlationIdFrom(undefined), /^[0-9a-f-]{36}$/);
    assert.match(correlationIdFrom("bad value with spaces"), /^[0-9a-f-]{36}$/);
  });
});

test("the server echoes X-Request-Id", async () => {
  const server = createServer(handler({ ready: true })).listen(0);
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  try {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/hello`, { headers: { "x-request-id": "trace-me" } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-request-id"), "trace-me");
  } finally {
    server.close();
  }
});
