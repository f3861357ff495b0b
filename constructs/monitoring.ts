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
 * Grafana Explore with two panes, pre-filtered on one service in one environment: its logs
 * (`{service="<s>", env="<e>"}`, the labels the collector sets) and its traces (TraceQL on the OTLP
 * resource's `service.name` and `deployment.environment`, which the golden path's Deployment sets). For portal links.
 */
export function exploreUrl(grafanaUrl: string, target: { service: string; env: string }, range = { from: "now-1h", to: "now" }): string {
  const { service, env } = target;
  if (!/^[a-z][a-z0-9-]*$/.test(service)) throw new Error(`exploreUrl.service must be a service name (a-z, 0-9, "-"), got "${service}"`);
  if (!/^[a-z][a-z0-9-]*$/.test(env)) throw new Error(`exploreUrl.env must be an environment name (a-z, 0-9, "-"), got "${env}"`);
  const loki = { type: "loki", uid: DATASOURCE_UIDS.loki };
  const tempo = { type: "tempo", uid: DATASOURCE_UIDS.tempo };
  const panes = {
    logs: { datasource: loki.uid, queries: [{ refId: "A", datasource: loki, expr: `{service="${service}", env="${env}"}` }], range },
    traces: {
      datasource: tempo.uid,
      queries: [
        {
          refId: "A",
          datasource: tempo,
          queryType: "traceql",
          query: `{resource.service.name="${service}" && resource.deployment.environment="${env}"}`,
        },
      ],
      range,
    },
  };
  return `${grafanaUrl.replace(/\/+$/, "")}/explore?schemaVersion=1&orgId=1&panes=${encodeURIComponent(JSON.stringify(panes))}`;
}
