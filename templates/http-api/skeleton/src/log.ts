import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { tracing } from "./tracing.ts";

export type Level = "debug" | "info" | "warn" | "error";

/**
 * One log line: the platform's log shape (Loki and Grafana read these fields; docs/logging-and-tracing.md).
 * `trace_id` and `span_id` are the active span's (W3C ids, lower-case hex), so Grafana links the line to its trace.
 */
export interface LogLine {
  timestamp: string;
  level: Level;
  service: string;
  message: string;
  correlation_id: string | null;
  trace_id: string | null;
  span_id: string | null;
  [field: string]: unknown;
}

const SERVICE = process.env.SERVICE_NAME ?? "${{ values.name }}";
const context = new AsyncLocalStorage<{ correlationId: string }>();

/** The caller's `X-Request-Id` when it is a sane token, else a new id. */
export function correlationIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && /^[A-Za-z0-9._:-]{1,128}$/.test(value) ? value : randomUUID();
}

/** Runs `fn` with `correlationId` attached to every line it logs. */
export function withCorrelation<T>(correlationId: string, fn: () => T): T {
  return context.run({ correlationId }, fn);
}

/** The correlation id of the request being handled, if any (for calls to other services). */
export function correlationId(): string | undefined {
  return context.getStore()?.correlationId;
}

export function logLine(level: Level, message: string, fields: Record<string, unknown> = {}, now = new Date()): LogLine {
  const span = tracing().active();
  const line: LogLine = {
    timestamp: now.toISOString(),
    level,
    service: SERVICE,
    message,
    correlation_id: context.getStore()?.correlationId ?? null,
    trace_id: span?.traceId ?? null,
    span_id: span?.spanId ?? null,
  };
  // The shape's fields first and never overridden; the caller's fields after them.
  return { ...line, ...fields, ...line };
}

export function log(level: Level, message: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify(logLine(level, message, fields))}\n`);
}
