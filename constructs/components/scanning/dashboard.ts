/**
 * "Vulnerabilities by severity": a Grafana dashboard over the Trivy operator's metrics. Metric and
 * label names are the operator's (pkg/metrics/collector.go, v0.32.0): `trivy_image_vulnerabilities`,
 * `trivy_image_exposedsecrets` and `trivy_resource_configaudits`, one series per scanned container or
 * resource and `severity` in Critical, High, Medium, Low, Unknown.
 */
import { dashboardJson } from "../../monitoring";

export const DASHBOARD_TITLE = "Vulnerabilities by severity";
export const DASHBOARD_UID = "fawkes-trivy-vulnerabilities";

/** Severities as the operator labels them, worst first, with the colour each panel uses. */
export const SEVERITIES = [
  { label: "Critical", color: "dark-red" },
  { label: "High", color: "red" },
  { label: "Medium", color: "orange" },
  { label: "Low", color: "yellow" },
  { label: "Unknown", color: "blue" },
] as const;

const DS = { type: "prometheus", uid: "${datasource}" };
const NS = 'namespace=~"$namespace"';

function target(expr: string, legendFormat = "", refId = "A", extra: Record<string, unknown> = {}) {
  return { datasource: DS, expr, legendFormat, refId, ...extra };
}

function severityStat(label: string, color: string, x: number) {
  return {
    type: "stat",
    title: label,
    datasource: DS,
    gridPos: { h: 4, w: 4, x, y: 0 },
    // `or vector(0)`: an empty result (nothing of that severity) shows 0, not "No data".
    targets: [target(`sum(trivy_image_vulnerabilities{severity="${label}", ${NS}}) or vector(0)`)],
    options: { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, colorMode: "background", graphMode: "area", textMode: "value" },
    fieldConfig: { defaults: { color: { mode: "fixed", fixedColor: color }, unit: "short" }, overrides: [] },
  };
}

/** The dashboard JSON (Grafana schema 39), with a data source and a namespace selector. */
export function vulnerabilitiesDashboard(): string {
  const severityColors = SEVERITIES.map((s) => ({
    matcher: { id: "byName", options: s.label },
    properties: [{ id: "color", value: { mode: "fixed", fixedColor: s.color } }],
  }));
  const panels = [
    ...SEVERITIES.map((s, i) => severityStat(s.label, s.color, i * 4)),
    {
      type: "text",
      title: "About",
      gridPos: { h: 4, w: 4, x: 20, y: 0 },
      options: {
        mode: "markdown",
        content:
          "Image vulnerabilities found by the Trivy operator in every running workload, rescanned daily. Details: `kubectl get vulnerabilityreports -A`.",
      },
    },
    {
      type: "timeseries",
      title: "Vulnerabilities by severity",
      datasource: DS,
      gridPos: { h: 9, w: 24, x: 0, y: 4 },
      targets: [target(`sum by (severity) (trivy_image_vulnerabilities{${NS}})`, "{{severity}}")],
      fieldConfig: {
        defaults: { unit: "short", custom: { drawStyle: "line", fillOpacity: 10, stacking: { mode: "normal", group: "A" } } },
        overrides: severityColors,
      },
      options: { legend: { displayMode: "table", placement: "right", calcs: ["lastNotNull"] }, tooltip: { mode: "multi", sort: "desc" } },
    },
    {
      type: "bargauge",
      title: "Critical and high by namespace",
      datasource: DS,
      gridPos: { h: 10, w: 12, x: 0, y: 13 },
      targets: [
        target(`sort_desc(sum by (namespace) (trivy_image_vulnerabilities{severity=~"Critical|High", ${NS}}))`, "{{namespace}}", "A", { instant: true }),
      ],
      options: { orientation: "horizontal", displayMode: "gradient", reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false } },
      fieldConfig: { defaults: { unit: "short", color: { mode: "continuous-YlRd" } }, overrides: [] },
    },
    {
      type: "table",
      title: "Images with the most critical vulnerabilities",
      datasource: DS,
      gridPos: { h: 10, w: 12, x: 12, y: 13 },
      // max, not sum: every workload running an image repeats the image's counts.
      targets: [
        target(`topk(20, max by (image_registry, image_repository, image_tag) (trivy_image_vulnerabilities{severity="Critical", ${NS}}))`, "", "A", {
          instant: true,
          format: "table",
        }),
      ],
      transformations: [{ id: "organize", options: { excludeByName: { Time: true }, renameByName: { Value: "Critical" } } }],
      fieldConfig: { defaults: { unit: "short" }, overrides: [] },
      options: { sortBy: [{ displayName: "Critical", desc: true }] },
    },
    {
      type: "timeseries",
      title: "Configuration audit findings by severity",
      datasource: DS,
      gridPos: { h: 8, w: 12, x: 0, y: 23 },
      targets: [target(`sum by (severity) (trivy_resource_configaudits{${NS}})`, "{{severity}}")],
      fieldConfig: { defaults: { unit: "short", custom: { fillOpacity: 10 } }, overrides: severityColors },
      options: { legend: { displayMode: "list", placement: "bottom" }, tooltip: { mode: "multi", sort: "desc" } },
    },
    {
      type: "timeseries",
      title: "Secrets exposed in images by severity",
      datasource: DS,
      gridPos: { h: 8, w: 12, x: 12, y: 23 },
      targets: [target(`sum by (severity) (trivy_image_exposedsecrets{${NS}})`, "{{severity}}")],
      fieldConfig: { defaults: { unit: "short", custom: { fillOpacity: 10 } }, overrides: severityColors },
      options: { legend: { displayMode: "list", placement: "bottom" }, tooltip: { mode: "multi", sort: "desc" } },
    },
  ].map((p, i) => ({ id: i + 1, ...p }));

  return dashboardJson({
    uid: DASHBOARD_UID,
    title: DASHBOARD_TITLE,
    description: "Trivy operator findings across the cluster: image vulnerabilities, exposed secrets and configuration audits.",
    tags: ["fawkes", "security", "trivy"],
    refresh: "5m",
    from: "now-7d",
    variables: [
      {
        name: "namespace",
        label: "Namespace",
        type: "query",
        datasource: DS,
        query: { query: "label_values(trivy_image_vulnerabilities, namespace)", refId: "namespaces" },
        definition: "label_values(trivy_image_vulnerabilities, namespace)",
        refresh: 2,
        includeAll: true,
        multi: true,
        allValue: ".*",
        current: { selected: true, text: ["All"], value: ["$__all"] },
        sort: 1,
      },
    ],
    panels,
  });
}
