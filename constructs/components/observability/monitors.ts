import type { MetricsTarget } from "../../platform";

/**
 * A ServiceMonitor or PodMonitor for a metrics endpoint a component declared. Monitors live in the
 * observability namespace and reach into the component's namespace with `namespaceSelector`, so
 * one release owns them all and removing observability removes them.
 */
export function monitorManifest(target: MetricsTarget, namespace: string): Record<string, unknown> {
  const endpoint = { port: target.port, path: target.path ?? "/metrics" };
  const spec = {
    selector: { matchLabels: target.selector },
    namespaceSelector: { matchNames: [target.namespace] },
    ...(target.kind === "PodMonitor" ? { podMetricsEndpoints: [endpoint] } : { endpoints: [endpoint] }),
  };
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: target.kind,
    metadata: {
      name: `${target.namespace}-${target.name}`,
      namespace,
      labels: { "app.kubernetes.io/part-of": "fawkes", "fawkes.dev/component": target.namespace },
    },
    spec,
  };
}
