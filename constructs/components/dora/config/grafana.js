// @ts-check
"use strict";
/**
 * The Grafana side of the DevLake install: DevLake's own dashboards, taken from the pinned
 * devlake-dashboard image at install, become ConfigMaps the platform Grafana's sidecar loads; and
 * Grafana is restarted once when the DevLake datasource it reads at start changed. Pure decisions,
 * Kubernetes calls injected.
 */

/**
 * @typedef {{ status: number, body: any }} KubeResponse
 * @typedef {(method: string, path: string, body?: unknown) => Promise<KubeResponse>} Kube
 * @typedef {{ apiVersion: string, kind: string, metadata: { name: string, namespace: string, labels: Record<string, string>, annotations: Record<string, string> }, data: Record<string, string> }} ConfigMap
 */

/** DevLake's dashboards that are about delivery (the image also has Jira, GitLab, Copilot... ones). */
const DASHBOARD_FILE = /^(DORA[^/]*|EngineeringThroughputAndCycleTime[^/]*)\.json$/;

/** Annotation on Grafana's pod template: a new value restarts it (it reads provisioned datasources at start only). */
const DATASOURCE_ANNOTATION = "fawkes.dev/devlake-datasource";

/** @param {string} file */
function configMapName(file) {
  const slug = file
    .replace(/\.json$/, "")
    .replace(/([a-z])([A-Z])/g, "$1-$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
  return `devlake-dashboard-${slug}`.slice(0, 63).replace(/-$/, "");
}

/**
 * One ConfigMap per delivery dashboard (a dashboard can be near a ConfigMap's 1 MiB), labelled for
 * Grafana's sidecar and filed in `folder`. Files that are not JSON are refused.
 * @param {{ file: string, content: string }[]} files
 * @param {{ namespace: string, folder: string, label: Record<string, string>, folderAnnotation: string }} opts
 * @returns {ConfigMap[]}
 */
function dashboardConfigMaps(files, opts) {
  return files
    .filter((f) => DASHBOARD_FILE.test(f.file))
    .sort((a, b) => a.file.localeCompare(b.file))
    .map((f) => {
      try {
        JSON.parse(f.content);
      } catch (e) {
        throw new Error(`dashboard ${f.file} must be JSON, got a parse error: ${/** @type {Error} */ (e).message}`);
      }
      return {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
          name: configMapName(f.file),
          namespace: opts.namespace,
          labels: { ...opts.label, "app.kubernetes.io/part-of": "fawkes", "app.kubernetes.io/managed-by": "fawkes-dora-config" },
          annotations: { [opts.folderAnnotation]: opts.folder },
        },
        data: { [f.file]: f.content },
      };
    });
}

/**
 * Creates or replaces each ConfigMap whose data, labels or annotations differ; returns the names written.
 * @param {Kube} kube @param {ConfigMap[]} maps
 */
async function applyConfigMaps(kube, maps) {
  /** @type {string[]} */
  const written = [];
  for (const cm of maps) {
    const path = `/api/v1/namespaces/${cm.metadata.namespace}/configmaps/${cm.metadata.name}`;
    const cur = await kube("GET", path);
    if (cur.status === 404) {
      const res = await kube("POST", `/api/v1/namespaces/${cm.metadata.namespace}/configmaps`, cm);
      if (res.status >= 300) throw new Error(`creating ConfigMap ${cm.metadata.name} failed: HTTP ${res.status}`);
      written.push(cm.metadata.name);
      continue;
    }
    if (cur.status !== 200) throw new Error(`reading ConfigMap ${cm.metadata.name} failed: HTTP ${cur.status}`);
    const same =
      JSON.stringify(cur.body.data ?? {}) === JSON.stringify(cm.data) &&
      Object.entries(cm.metadata.labels).every(([k, v]) => cur.body.metadata?.labels?.[k] === v) &&
      Object.entries(cm.metadata.annotations).every(([k, v]) => cur.body.metadata?.annotations?.[k] === v);
    if (same) continue;
    const res = await kube("PUT", path, { ...cm, metadata: { ...cm.metadata, resourceVersion: cur.body.metadata?.resourceVersion } });
    if (res.status >= 300) throw new Error(`replacing ConfigMap ${cm.metadata.name} failed: HTTP ${res.status}`);
    written.push(cm.metadata.name);
  }
  return written;
}

/**
 * The merge patch that restarts Grafana's pods when the datasource changed, or undefined when the
 * running pods already have it (so a second run restarts nothing).
 * @param {any} deployment @param {string} hash
 */
function restartPatch(deployment, hash) {
  const current = deployment?.spec?.template?.metadata?.annotations?.[DATASOURCE_ANNOTATION];
  if (current === hash) return undefined;
  return { spec: { template: { metadata: { annotations: { [DATASOURCE_ANNOTATION]: hash } } } } };
}

module.exports = { DASHBOARD_FILE, DATASOURCE_ANNOTATION, applyConfigMaps, configMapName, dashboardConfigMaps, restartPatch };
