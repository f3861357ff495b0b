/**
 * The OpenTelemetry SDK, loaded before the service (`node --import ./dist/telemetry.js dist/server.js`,
 * see the Dockerfile): traces go over OTLP/HTTP to the platform's collector.
 *
 * Configured by the standard environment variables the Deployment sets (deploy/base/deployment.yaml):
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (the collector; the exporter appends `/v1/traces`), `OTEL_SERVICE_NAME`,
 * `OTEL_RESOURCE_ATTRIBUTES` (`service.namespace` = the team, `deployment.environment`).
 * `OTEL_SDK_DISABLED=true` turns it off. See docs/logging-and-tracing.md.
 */
import { register } from "node:module";
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { setTracing, type Tracing } from "./tracing.ts";

// The documented ESM hook, so instrumentations can patch modules this (ES module) service imports.
register("@opentelemetry/instrumentation/hook.mjs", import.meta.url);

/** The SDK behind the service's `tracing()`: real spans, exported; ids and headers as the W3C version. */
export function sdkTracing(name = process.env.OTEL_SERVICE_NAME ?? "app"): Tracing {
  const tracer = trace.getTracer(name);
  return {
    serverSpan(spanName, headers, fn) {
      // The caller's context from its traceparent/tracestate headers (the SDK's W3C propagator).
      const parent = propagation.extract(ROOT_CONTEXT, headers);
      return tracer.startActiveSpan(spanName, { kind: SpanKind.SERVER }, parent, (span) => {
        const handle = {
          setAttribute: (key: string, value: string | number | boolean) => void span.setAttribute(key, value),
          fail: (message?: string) => void span.setStatus({ code: SpanStatusCode.ERROR, ...(message ? { message } : {}) }),
        };
        try {
          const result = fn(handle);
          if (result instanceof Promise) return result.finally(() => span.end()) as typeof result;
          span.end();
          return result;
        } catch (error) {
          handle.fail(String(error));
          span.end();
          throw error;
        }
      });
    },
    active() {
      const ctx = trace.getActiveSpan()?.spanContext();
      return ctx && trace.isSpanContextValid(ctx) ? { traceId: ctx.traceId, spanId: ctx.spanId } : undefined;
    },
    inject(headers) {
      propagation.inject(context.active(), headers);
    },
  };
}

if (process.env.OTEL_SDK_DISABLED !== "true") {
  const sdk = new NodeSDK({
    traceExporter: new OTLPTraceExporter(),
    // Incoming requests get their span from the handler (sdkTracing().serverSpan); the instrumentation
    // adds client spans and traceparent to outgoing http.request calls.
    instrumentations: [new HttpInstrumentation({ ignoreIncomingRequestHook: () => true })],
  });
  sdk.start();
  setTracing(sdkTracing());
  // Flush the last spans when Kubernetes stops the pod.
  process.once("SIGTERM", () => void sdk.shutdown().catch(() => undefined));
}
