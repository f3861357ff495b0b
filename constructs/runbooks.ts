import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import type { Values } from "./helm";

/**
 * Runbooks: one page per platform component in docs/runbooks/ (TechDocs, mkdocs), published as the
 * `platform-docs` repository and catalog entity, and the alerts that link to them. Every alert the
 * platform ships carries `service` and `severity` labels and a `runbook_url` built here, so a
 * Mattermost message (and a DORA incident) leads to the section of the page that explains it.
 */

/** The repository, and the catalog Component whose TechDocs serve the runbooks. */
export const PLATFORM_DOCS = "platform-docs";
/** The runbooks in this repository: `<id>.md` per component, `index.md`, `service.md`, `mkdocs.yml`. */
export const RUNBOOKS_DIR = path.join(__dirname, "..", "docs", "runbooks");
/** Backstage's host label (constructs/components/backstage: `https://backstage.<domain>`). */
const PORTAL_SUBDOMAIN = "backstage";

export type Severity = "critical" | "warning" | "info";

/** An alert as a component declares it: labels and the runbook link are added by `alertRule`. */
export interface PlatformAlert {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly severity: Severity;
  readonly summary: string;
  readonly description: string;
}

/**
 * The anchor mkdocs (Python-Markdown's toc, which TechDocs uses) gives a heading: lower case, word
 * characters, spaces and hyphens kept, runs of spaces and hyphens made one hyphen.
 */
export function headingAnchor(heading: string): string {
  return heading
    .replace(/[^\w\s-]/g, "")
    .trim()
    .toLowerCase()
    .replace(/[-\s]+/g, "-");
}

/** The TechDocs page of a runbook (`page` = `docs/runbooks/<page>.md`), at the section of `alert` (its heading). */
export function runbookUrl(domain: string, page: string, alert?: string): string {
  const base = `https://${PORTAL_SUBDOMAIN}.${domain}/docs/default/component/${PLATFORM_DOCS}/${page}/`;
  return alert ? `${base}#${headingAnchor(alert)}` : base;
}

/** A golden-path service's own runbook (its repository's `docs/runbook.md`) in TechDocs. */
export function serviceRunbookUrl(domain: string, service: string): string {
  return `https://${PORTAL_SUBDOMAIN}.${domain}/docs/default/component/${service}/runbook/`;
}

/** A Prometheus rule for a platform alert: labels `service` (the component) and `severity`, annotation `runbook_url`. */
function alertRule(domain: string, service: string, a: PlatformAlert): Values {
  return {
    alert: a.alert,
    expr: a.expr,
    for: a.for,
    labels: { service, severity: a.severity },
    annotations: { summary: a.summary, description: a.description, runbook_url: runbookUrl(domain, service, a.alert) },
  };
}

/** Namespaces of each component (its id, plus the ones it creates beside it). */
export const COMPONENT_NAMESPACES: Readonly<Record<string, readonly string[]>> = {
  ingress: ["ingress"],
  tls: ["tls"],
  dns: ["dns"],
  secrets: ["secrets"],
  identity: ["identity"],
  git: ["git"],
  backstage: ["backstage"],
  argocd: ["argocd"],
  observability: ["observability", "node-exporter"],
  mattermost: ["mattermost", "mattermost-operator"],
  scanning: ["scanning"],
  jenkins: ["jenkins"],
  dojo: ["dojo", "dojo-validators", "kyverno"],
  dora: ["dora"],
};

/**
 * The alerts every component gets, on kube-state-metrics (always scraped): its Deployments and
 * StatefulSets serving, its pods not restarting, its Jobs (bootstrap, realm, publishing) succeeding.
 * Components whose pods are managed otherwise (CloudNativePG instances) are caught by the restarts.
 */
function workloadAlerts(component: string): PlatformAlert[] {
  const ns = `namespace=~"${COMPONENT_NAMESPACES[component]!.join("|")}"`;
  const wanted = (kind: string, spec: string, ready: string) => `sum by (namespace, ${kind}) (${spec}{${ns}}) - sum by (namespace, ${kind}) (${ready}{${ns}})`;
  const deployments = wanted("deployment", "kube_deployment_spec_replicas", "kube_deployment_status_replicas_available");
  const statefulsets = wanted("statefulset", "kube_statefulset_replicas", "kube_statefulset_status_replicas_ready");
  const none = (kind: string, spec: string, ready: string) =>
    `(sum by (namespace, ${kind}) (${ready}{${ns}}) == 0) and (sum by (namespace, ${kind}) (${spec}{${ns}}) > 0)`;
  return [
    {
      alert: "FawkesWorkloadDown",
      expr: `${none("deployment", "kube_deployment_spec_replicas", "kube_deployment_status_replicas_available")} or ${none("statefulset", "kube_statefulset_replicas", "kube_statefulset_status_replicas_ready")}`,
      for: "5m",
      severity: "critical",
      summary: `A ${component} workload has no ready replica`,
      description: "{{ $labels.namespace }}/{{ $labels.deployment }}{{ $labels.statefulset }} serves nothing: no replica is ready.",
    },
    {
      alert: "FawkesWorkloadDegraded",
      expr: `(${deployments}) > 0 or (${statefulsets}) > 0`,
      for: "15m",
      severity: "warning",
      summary: `A ${component} workload runs fewer replicas than it wants`,
      description: "{{ $labels.namespace }}/{{ $labels.deployment }}{{ $labels.statefulset }} has {{ $value }} replica(s) missing for 15 minutes.",
    },
    {
      alert: "FawkesPodRestarting",
      expr: `sum by (namespace, pod, container) (increase(kube_pod_container_status_restarts_total{${ns}}[30m])) > 3`,
      for: "5m",
      severity: "warning",
      summary: `A ${component} container keeps restarting`,
      description: "{{ $labels.namespace }}/{{ $labels.pod }} container {{ $labels.container }} restarted more than 3 times in 30 minutes.",
    },
    {
      alert: "FawkesJobFailed",
      // Jobs that failed in the last 2 hours: CronJobs keep their failed Jobs, which would fire forever.
      expr: `sum by (namespace, job_name) (kube_job_failed{condition="true", ${ns}}) > 0 and on (namespace, job_name) (time() - max by (namespace, job_name) (kube_job_status_start_time{${ns}}) < 7200)`,
      for: "1m",
      severity: "warning",
      summary: `A ${component} Job failed`,
      description: "Job {{ $labels.namespace }}/{{ $labels.job_name }} failed (the alert clears 2 hours after it started): its pods' logs say why.",
    },
  ];
}

/** Alerts on what a component does, from the metrics it exposes (monitors declared by the component). */
const COMPONENT_ALERTS: Readonly<Record<string, readonly PlatformAlert[]>> = {
  ingress: [
    {
      alert: "IngressHighErrorRate",
      // By entry point: Traefik's own `service` label would clash with the alert's.
      expr: 'sum by (entrypoint) (rate(traefik_entrypoint_requests_total{code=~"5.."}[5m])) / sum by (entrypoint) (rate(traefik_entrypoint_requests_total[5m])) > 0.05',
      for: "10m",
      severity: "warning",
      summary: "More than 5% of requests on entry point {{ $labels.entrypoint }} answer 5xx",
      description: "Traefik returns server errors for {{ $value | humanizePercentage }} of requests: a backend is failing or unreachable.",
    },
  ],
  tls: [
    {
      alert: "CertificateNotReady",
      expr: 'max by (namespace, name) (certmanager_certificate_ready_status{condition="False"}) == 1',
      for: "15m",
      severity: "warning",
      summary: "Certificate {{ $labels.namespace }}/{{ $labels.name }} is not ready",
      description: "cert-manager could not issue or renew it: its host serves no or an old certificate.",
    },
    {
      alert: "CertificateExpiringSoon",
      // cert-manager renews at two thirds of the lifetime (30 days left for Let's Encrypt): 14 days left means renewal fails.
      expr: "min by (namespace, name) (certmanager_certificate_expiration_timestamp_seconds) - time() < 14 * 86400",
      for: "1h",
      severity: "critical",
      summary: "Certificate {{ $labels.namespace }}/{{ $labels.name }} expires in less than 14 days",
      description: "Renewal has been failing for two weeks; browsers refuse the host when it expires.",
    },
  ],
  dns: [
    {
      alert: "ExternalDnsSyncStale",
      expr: "time() - max(external_dns_controller_last_sync_timestamp_seconds) > 900",
      for: "10m",
      severity: "warning",
      summary: "external-dns has not synced DNS records for 15 minutes",
      description: "New ingress hosts get no DNS record and removed ones keep theirs.",
    },
    {
      alert: "ExternalDnsProviderErrors",
      expr: "sum(increase(external_dns_registry_errors_total[15m])) + sum(increase(external_dns_source_errors_total[15m])) > 0",
      for: "15m",
      severity: "warning",
      summary: "external-dns fails to read ingresses or to write the DNS zone",
      description: "Errors for 15 minutes: usually the DNS zone's permissions (workload identity) or a throttled provider API.",
    },
  ],
  secrets: [
    {
      alert: "ExternalSecretNotSynced",
      expr: 'max by (namespace, name) (externalsecret_status_condition{condition="Ready", status="False"}) == 1',
      for: "15m",
      severity: "warning",
      summary: "ExternalSecret {{ $labels.namespace }}/{{ $labels.name }} is not synced",
      description: "Its Secret is missing or stale: the pods that read it fail to start or use an old value.",
    },
  ],
  argocd: [
    {
      alert: "ArgoCDSyncFailing",
      expr: 'sum by (name, project) (increase(argocd_app_sync_total{phase=~"Error|Failed"}[30m])) > 0',
      for: "5m",
      severity: "warning",
      summary: "Argo CD fails to sync application {{ $labels.name }} (project {{ $labels.project }})",
      description: "What is in Git is not what runs: a manifest the cluster refuses, a forbidden kind, or no access to the repository.",
    },
  ],
  observability: [
    {
      alert: "AlertmanagerMattermostFailing",
      expr: 'sum by (integration) (rate(alertmanager_notifications_failed_total{integration=~"slack|webhook"}[15m])) > 0',
      for: "15m",
      severity: "critical",
      summary: "Alertmanager cannot deliver alerts through {{ $labels.integration }}",
      description: "Alerts do not reach Mattermost (slack) or the DORA relay (webhook): nobody is told when something breaks.",
    },
  ],
};

/** Every alert of a component, in the order its runbook documents them. */
export function alertsOf(component: string): PlatformAlert[] {
  return [...(COMPONENT_ALERTS[component] ?? []), ...workloadAlerts(component)];
}

/**
 * The PrometheusRule with the alerts of every enabled component that has a runbook (one group per
 * component), for the observability component to install once the CRDs exist.
 */
export function platformAlertsManifest(domain: string, enabled: Iterable<string>, namespace: string): Values {
  const ids = [...enabled].filter((id) => id in COMPONENT_NAMESPACES).sort();
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: "fawkes-platform", namespace, labels: { "app.kubernetes.io/part-of": "fawkes" } },
    spec: { groups: ids.map((id) => ({ name: `fawkes-${id}`, rules: alertsOf(id).map((a) => alertRule(domain, id, a)) })) },
  };
}

/**
 * The `platform-docs` repository: a catalog Component whose TechDocs are the runbooks
 * (`backstage.io/techdocs-ref: dir:.`), `mkdocs.yml` at the root and every page under `docs/`.
 */
export function platformDocsFiles(): Record<string, string> {
  const component = {
    apiVersion: "backstage.io/v1alpha1",
    kind: "Component",
    metadata: {
      name: PLATFORM_DOCS,
      title: "Platform runbooks",
      description: "What each platform alert means, how to look and how to fix it",
      annotations: { "backstage.io/techdocs-ref": "dir:." },
      tags: ["runbooks"],
    },
    spec: { type: "documentation", lifecycle: "production", owner: "group:default/platform-team", system: "fawkes" },
  };
  const files: Record<string, string> = {
    "catalog-info.yaml": `# Published by the platform from docs/runbooks/ in the Fawkes repository: changes made here are overwritten.\n${stringify(component)}`,
    "mkdocs.yml": fs.readFileSync(path.join(RUNBOOKS_DIR, "mkdocs.yml"), "utf8"),
  };
  for (const f of fs
    .readdirSync(RUNBOOKS_DIR)
    .filter((n) => n.endsWith(".md"))
    .sort()) {
    files[`docs/${f}`] = fs.readFileSync(path.join(RUNBOOKS_DIR, f), "utf8");
  }
  return files;
}
