import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";

/**
 * Trace context for the code of this service: the server span of the request being handled, the
 * ids its log lines carry, and the headers an outgoing call must send (W3C Trace Context,
 * https://www.w3.org/TR/trace-context/). `src/telemetry.ts` installs the OpenTelemetry SDK behind
 * this interface at start; without it (unit tests, `OTEL_SDK_DISABLED=true`) the built-in W3C
 * implementation below continues the caller's trace the same way, only exports nothing.
 */
export interface SpanIds {
  traceId: string;
  spanId: string;
}

export interface ServerSpan {
  setAttribute(key: string, value: string | number | boolean): void;
  /** Marks the span failed (a 5xx answer or an exception). */
  fail(message?: string): void;
}

export interface Tracing {
  /** Runs `fn` in a server span that continues the caller's trace (`traceparent`) or starts a new one. */
  serverSpan<T>(name: string, headers: Record<string, string | string[] | undefined>, fn: (span: ServerSpan) => T): T;
  /** The ids of the active span, for the log line; undefined outside any span. */
  active(): SpanIds | undefined;
  /** Writes `traceparent` (and `tracestate`) of the active span into an outgoing call's headers. */
  inject(headers: Record<string, string>): void;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** A `traceparent` header's ids, or undefined when it is absent or invalid (all-zero ids are invalid). */
export function parseTraceparent(header: string | string[] | undefined): (SpanIds & { sampled: boolean }) | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim().toLowerCase();
  const m = value ? TRACEPARENT.exec(value) : null;
  if (!m || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return undefined;
  return { traceId: m[1]!, spanId: m[2]!, sampled: (parseInt(m[3]!, 16) & 1) === 1 };
}

export function formatTraceparent(ids: SpanIds, sampled = true): string {
  return `00-${ids.traceId}-${ids.spanId}-${sampled ? "01" : "00"}`;
}

const hex = (bytes: number) => randomBytes(bytes).toString("hex");

/** The W3C-only implementation: same ids and headers as the SDK's, no export. */
export function w3cTracing(): Tracing {
  const store = new AsyncLocalStorage<SpanIds & { sampled: boolean }>();
  const noop: ServerSpan = { setAttribute: () => undefined, fail: () => undefined };
  return {
    serverSpan(_name, headers, fn) {
      const parent = parseTraceparent(headers.traceparent);
      // A new span in the caller's trace; a new trace when the caller sent none.
      return store.run({ traceId: parent?.traceId ?? hex(16), spanId: hex(8), sampled: parent?.sampled ?? true }, () => fn(noop));
    },
    active() {
      const s = store.getStore();
      return s && { traceId: s.traceId, spanId: s.spanId };
    },
    inject(headers) {
      const s = store.getStore();
      if (s) headers.traceparent = formatTraceparent(s, s.sampled);
    },
  };
}

let current: Tracing = w3cTracing();

/** The service's tracing: the SDK's once `src/telemetry.ts` ran, else the W3C-only one. */
export const tracing = (): Tracing => current;

/** Called by `src/telemetry.ts` (and tests) to put an implementation behind `tracing()`. */
export function setTracing(t: Tracing): void {
  current = t;
}

/** `fetch` for calls to other services: sends the active trace context and the correlation id. */
export async function tracedFetch(url: string | URL, init: RequestInit = {}, correlationId?: string): Promise<Response> {
  const headers: Record<string, string> = Object.fromEntries(new Headers(init.headers).entries());
  tracing().inject(headers);
  if (correlationId) headers["x-request-id"] = correlationId;
  return fetch(url, { ...init, headers });
}
