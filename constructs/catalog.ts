/**
 * Every chart Fawkes installs, pinned. The only place a chart version is written: an upgrade is a
 * one-line change here, reviewed with the chart's changelog and `npm run check:values`.
 * Repositories are the projects' official ones (see ../shared/charts/INDEX.md when it is at hand).
 */
export interface ChartPin {
  readonly repository: string;
  readonly chart: string;
  readonly version: string;
}

export const CHARTS = {
  // The front door
  traefik: { repository: "https://traefik.github.io/charts", chart: "traefik", version: "41.3.0" },
  "cert-manager": { repository: "https://charts.jetstack.io", chart: "cert-manager", version: "v1.21.1" },
  "external-dns": { repository: "https://kubernetes-sigs.github.io/external-dns/", chart: "external-dns", version: "1.21.1" },
  "external-secrets": { repository: "https://charts.external-secrets.io", chart: "external-secrets", version: "2.9.0" },
  // Foundation add-ons
  "cluster-autoscaler": { repository: "https://kubernetes.github.io/autoscaler", chart: "cluster-autoscaler", version: "9.59.0" },
} as const satisfies Record<string, ChartPin>;

export type ChartId = keyof typeof CHARTS;

/** Charts kept in this repository (`charts/<id>`), installed from a copy made at synth. */
export const LOCAL_CHARTS = {
  /** Renders `.Values.manifests` as they are: custom resources that must follow their CRDs. */
  "fawkes-manifests": { version: "0.1.0" },
} as const satisfies Record<string, { version: string }>;

export type LocalChartId = keyof typeof LOCAL_CHARTS;
