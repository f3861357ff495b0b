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
  // Developer portal and GitOps delivery
  backstage: { repository: "https://redhat-developer.github.io/rhdh-chart", chart: "backstage", version: "5.12.10" }, // Red Hat Developer Hub 1.10
  gitea: { repository: "https://dl.gitea.com/charts/", chart: "gitea", version: "12.7.0" }, // Gitea 1.27 (keys checked against a 2025-12 snapshot)
  "argo-cd": { repository: "https://argoproj.github.io/argo-helm", chart: "argo-cd", version: "10.1.1" },
  // CI and code scanning
  jenkins: { repository: "https://charts.jenkins.io", chart: "jenkins", version: "5.9.53" },
  sonarqube: { repository: "https://SonarSource.github.io/helm-chart-sonarqube", chart: "sonarqube", version: "2026.4.0" },
  "trivy-operator": { repository: "https://aquasecurity.github.io/helm-charts/", chart: "trivy-operator", version: "0.34.0" },
  // Single sign-on
  keycloakx: { repository: "https://codecentric.github.io/helm-charts", chart: "keycloakx", version: "7.1.11" },
  // Observability and chat
  "kube-prometheus-stack": { repository: "https://prometheus-community.github.io/helm-charts", chart: "kube-prometheus-stack", version: "88.5.3" },
  grafana: { repository: "https://grafana-community.github.io/helm-charts", chart: "grafana", version: "12.11.1" },
  loki: { repository: "https://grafana-community.github.io/helm-charts", chart: "loki", version: "18.11.0" }, // Loki 3.7 (moved to grafana-community in 2026)
  tempo: { repository: "https://grafana-community.github.io/helm-charts", chart: "tempo", version: "2.2.4" }, // Tempo 2.10, monolithic
  alloy: { repository: "https://grafana.github.io/helm-charts", chart: "alloy", version: "1.11.1" }, // Alloy v1.18
  "mattermost-operator": { repository: "https://helm.mattermost.com", chart: "mattermost-operator", version: "1.0.5" },
  // The Dojo: lab pod placement (policy engine) and progress metrics
  kyverno: { repository: "https://kyverno.github.io/kyverno/", chart: "kyverno", version: "3.9.0" },
  "prometheus-pushgateway": { repository: "https://prometheus-community.github.io/helm-charts", chart: "prometheus-pushgateway", version: "3.8.0" },
  // Delivery metrics: DevLake (chart 1.0.3-beta10 for mysql.extraParams; its images pinned to v1.0.2, the newest stable) and the SSO proxy of its UI
  devlake: { repository: "https://apache.github.io/incubator-devlake-helm-chart", chart: "devlake", version: "1.0.3-beta10" },
  "oauth2-proxy": { repository: "https://oauth2-proxy.github.io/manifests", chart: "oauth2-proxy", version: "10.7.0" },
  // Foundation add-ons
  "cluster-autoscaler": { repository: "https://kubernetes.github.io/autoscaler", chart: "cluster-autoscaler", version: "9.59.0" },
  "cloudnative-pg": { repository: "https://cloudnative-pg.github.io/charts", chart: "cloudnative-pg", version: "0.29.0" },
} as const satisfies Record<string, ChartPin>;

export type ChartId = keyof typeof CHARTS;

/** Charts kept in this repository (`charts/<id>`), installed from a copy made at synth. */
export const LOCAL_CHARTS = {
  /** Renders `.Values.manifests` as they are: custom resources that must follow their CRDs. */
  "fawkes-manifests": { version: "0.1.0" },
} as const satisfies Record<string, { version: string }>;

export type LocalChartId = keyof typeof LOCAL_CHARTS;
