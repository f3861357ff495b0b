import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import type { ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import { escapeTemplates } from "./helm";
import type { Installed } from "./platform";

/**
 * What a release that renders ServiceMonitors, PodMonitors or PrometheusRules must wait for: the
 * release owning their CRDs when monitoring is installed, nothing otherwise (it renders none then).
 * Only the CRDs: Grafana and the rest of the observability stack are not an install-time need.
 */
export function monitoringCrds(deps: Installed): ITerraformDependable[] {
  return deps.maybe("monitoring")?.crds ?? [];
}

/**
 * Conventions shared by every component and the observability stack:
 * - Prometheus selects every ServiceMonitor, PodMonitor and PrometheusRule in the cluster (no release label needed);
 * - Grafana's sidecar loads every ConfigMap labelled `grafana_dashboard: "1"`, in any namespace, into the folder
 *   named by the `grafana_folder` annotation.
 */
export const DASHBOARD_LABEL = { grafana_dashboard: "1" } as const;
export const DASHBOARD_FOLDER_ANNOTATION = "grafana_folder";
/** Grafana's datasource sidecar loads every Secret labelled so, in any namespace, when Grafana starts. */
export const DATASOURCE_LABEL = { grafana_datasource: "1" } as const;

/** A Grafana dashboard shipped as a labelled ConfigMap (works whether or not Grafana is installed yet). */
export function grafanaDashboard(
  scope: Construct,
  id: string,
  props: { namespace: string; name: string; folder: string; json: string; dependsOn?: ITerraformDependable[] },
): ConfigMapV1 {
  return new ConfigMapV1(scope, id, {
    metadata: {
      name: props.name,
      namespace: props.namespace,
      labels: { ...DASHBOARD_LABEL, "app.kubernetes.io/part-of": "fawkes" },
      annotations: { [DASHBOARD_FOLDER_ANNOTATION]: props.folder },
    },
    // Dashboards are full of `${datasource}`: escaped so Terraform passes them through.
    data: { [`${props.name}.json`]: escapeTemplates(props.json) },
    dependsOn: props.dependsOn,
  });
}

export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: string[];
  /** Auto-refresh, e.g. "1m". */
  readonly refresh: string;
  /** Default time range, e.g. "now-7d". */
  readonly from: string;
  /** Template variables besides the Prometheus data source picker (`$datasource`). */
  readonly variables: Record<string, unknown>[];
  readonly panels: Record<string, unknown>[];
}

/** A Grafana dashboard's JSON: the envelope every Fawkes dashboard shares, around its panels. */
export function dashboardJson(d: DashboardSpec): string {
  return JSON.stringify(
    {
      uid: d.uid,
      title: d.title,
      description: d.description,
      tags: d.tags,
      editable: true,
      graphTooltip: 1,
      refresh: d.refresh,
      schemaVersion: 39,
      time: { from: d.from, to: "now" },
      timezone: "browser",
      templating: { list: [{ name: "datasource", label: "Data source", type: "datasource", query: "prometheus", hide: 0 }, ...d.variables] },
      panels: d.panels,
    },
    null,
    2,
  );
}

/** Fixed uids of the provisioned datasources, so links, correlations and dashboards can name them. */
export const DATASOURCE_UIDS = { prometheus: "prometheus", loki: "loki", tempo: "tempo" } as const;

/**
 * Loki's and Tempo's queries for one service in one environment: the labels the collector sets
 * (`service`, `env`) and the OTLP resource attributes the golden path's Deployment sets
 * (`service.name`, `deployment.environment`). Names are word characters and "-" only (a template
 * may pass a placeholder), so they cannot break out of the quotes.
 */
export function serviceQueries(service: string, env: string): { readonly logs: string; readonly traces: string } {
  if (!/^[\w-]+$/.test(service)) throw new Error(`serviceQueries.service must be a service name (letters, digits, "_", "-"), got "${service}"`);
  if (!/^[\w-]+$/.test(env)) throw new Error(`serviceQueries.env must be an environment name (letters, digits, "_", "-"), got "${env}"`);
  return { logs: `{service="${service}", env="${env}"}`, traces: `{resource.service.name="${service}" && resource.deployment.environment="${env}"}` };
}

/**
 * Grafana Explore with one pane: `query` on the Loki or Tempo datasource over the last hour (Grafana
 * 10+'s `schemaVersion=1&panes=` URL form). `query` is Loki's `expr` or Tempo's TraceQL. For portal links.
 */
export function exploreUrl(grafanaUrl: string, datasource: "loki" | "tempo", query: string): string {
  const target =
    datasource === "loki"
      ? { refId: "A", datasource: { type: "loki", uid: DATASOURCE_UIDS.loki }, expr: query, queryType: "range" }
      : { refId: "A", datasource: { type: "tempo", uid: DATASOURCE_UIDS.tempo }, queryType: "traceql", query, limit: 20 };
  const panes = { a: { datasource: target.datasource.uid, queries: [target], range: { from: "now-1h", to: "now" } } };
  return `${grafanaUrl.replace(/\/+$/, "")}/explore?schemaVersion=1&orgId=1&panes=${encodeURIComponent(JSON.stringify(panes))}`;
}
