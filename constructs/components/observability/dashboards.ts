import type { Values } from "../../helm";

/** The Grafana dashboard provider (and folder) that upstream component dashboards load into. */
export const PLATFORM_DASHBOARD_PROVIDER = "platform";
export const PLATFORM_DASHBOARD_FOLDER = "Platform";

/** A dashboard published on grafana.com, pinned to one revision. */
export interface UpstreamDashboard {
  /** The component whose metrics it shows: wired only when that component is enabled. */
  readonly component: string;
  /** File name under the provider, also how the README lists it. */
  readonly key: string;
  readonly gnetId: number;
  readonly revision: number;
  /**
   * How the Grafana chart points the dashboard at our Prometheus: a datasource name replaced in
   * every `"datasource":` line, or the dashboard's `${DS_*}` inputs replaced by the datasource uid.
   */
  readonly datasource: string | { readonly name: string; readonly value: string }[];
}

/** Name and uid of the provisioned Prometheus datasource. */
export const PROMETHEUS_DATASOURCE = { name: "Prometheus", uid: "prometheus" } as const;

/**
 * Upstream dashboards for platform components, by grafana.com id. Revisions are pinned: a new
 * revision is a reviewed one-line change, like a chart version.
 */
export const UPSTREAM_DASHBOARDS: readonly UpstreamDashboard[] = [
  // Traefik Official Kubernetes Dashboard (Traefik Labs).
  { component: "ingress", key: "traefik", gnetId: 17347, revision: 9, datasource: PROMETHEUS_DATASOURCE.name },
  // cert-manager: certificates, expiry, ACME requests.
  { component: "tls", key: "cert-manager", gnetId: 20842, revision: 3, datasource: [{ name: "DS_PROMETHEUS", value: PROMETHEUS_DATASOURCE.uid }] },
  // external-dns: records and provider errors.
  { component: "dns", key: "external-dns", gnetId: 15038, revision: 3, datasource: PROMETHEUS_DATASOURCE.name },
  // External Secrets Operator (the project's own dashboard).
  { component: "secrets", key: "external-secrets", gnetId: 21640, revision: 4, datasource: [{ name: "DS_METRICS", value: PROMETHEUS_DATASOURCE.uid }] },
  // Argo CD (the project's own dashboard).
  { component: "argocd", key: "argocd", gnetId: 14584, revision: 1, datasource: PROMETHEUS_DATASOURCE.name },
  // Jenkins: Performance and Health Overview (Prometheus metrics plugin).
  { component: "jenkins", key: "jenkins", gnetId: 9964, revision: 1, datasource: PROMETHEUS_DATASOURCE.name },
];

/** The upstream dashboards of the enabled components, as Grafana chart `dashboards.<provider>` values. */
export function upstreamDashboardValues(enabled: ReadonlySet<string>): Values {
  const wanted = UPSTREAM_DASHBOARDS.filter((d) => enabled.has(d.component));
  return Object.fromEntries(wanted.map((d) => [d.key, { gnetId: d.gnetId, revision: d.revision, datasource: d.datasource }]));
}
