#!/usr/bin/env node
// @ts-check
"use strict";
/**
 * In-cluster entry point of DevLake's configuration (the install hook Job and the 15-minute
 * CronJob): `node main.js [--dashboards DIR]`. With --dashboards (the install Job, whose init
 * container copied DIR out of the pinned devlake-dashboard image) it first writes DevLake's delivery
 * dashboards as ConfigMaps for Grafana's sidecar, and restarts Grafana once if DATASOURCE_HASH is new. Reads the platform's teams from DORA_CONFIG (a JSON file), discovers
 * services in Gitea when GITEA_API_URL is set, and applies both through DevLake's REST API.
 * The relay's API key is kept in the Secret named by API_KEY_SECRET (`<namespace>/<name>/<key>`),
 * read and patched through the Kubernetes API with the pod's service account.
 */
const fs = require("node:fs");
const https = require("node:https");
const path = require("node:path");
const { configure, discoverServices } = require("./devlake");
const { applyConfigMaps, dashboardConfigMaps, restartPatch } = require("./grafana");

/** @import { Api, DesiredConfig, KeyStore, Response } from "./devlake" */

/** @param {string} name */
function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} must be set, got nothing`);
  return v;
}

/** DevLake's API over plain HTTP inside the namespace (the backend's own routes, not the UI proxy). @param {string} base @returns {Api} */
function devlakeApi(base) {
  /** @param {string} method @param {string} path @param {string | undefined} body @param {string} type */
  const call = async (method, path, body, type) => {
    const res = await fetch(`${base}${path}`, { method, body, headers: body ? { "content-type": type } : {}, signal: AbortSignal.timeout(30000) });
    const text = await res.text();
    return { status: res.status, text };
  };
  /** @param {{ status: number, text: string }} r @returns {Response} */
  const json = (r) => {
    let body = r.text;
    try {
      body = JSON.parse(r.text);
    } catch {
      // not JSON: kept as text
    }
    return { status: r.status, body };
  };
  return {
    get: async (p) => json(await call("GET", p, undefined, "")),
    post: async (p, b) => json(await call("POST", p, JSON.stringify(b), "application/json")),
    patch: async (p, b) => json(await call("PATCH", p, JSON.stringify(b), "application/json")),
    put: async (p, b) => json(await call("PUT", p, JSON.stringify(b), "application/json")),
    getText: (p) => call("GET", p, undefined, ""),
    putCsv: async (p, csv) => {
      // The org plugin takes the CSV as a multipart upload, field "file".
      const form = new FormData();
      form.append("file", new Blob([csv], { type: "text/csv" }), p.split("/").pop());
      const res = await fetch(`${base}${p}`, { method: "PUT", body: form, signal: AbortSignal.timeout(30000) });
      return json({ status: res.status, text: await res.text() });
    },
  };
}

/** The Kubernetes API with the pod's token and CA (node:https: fetch takes no CA option). @param {string} method @param {string} path @param {unknown} [body] */
function kube(method, path, body) {
  const dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: env("KUBERNETES_SERVICE_HOST"),
        port: Number(process.env.KUBERNETES_SERVICE_PORT ?? 443),
        path,
        method,
        ca: fs.readFileSync(`${dir}/ca.crt`),
        headers: {
          authorization: `Bearer ${fs.readFileSync(`${dir}/token`, "utf8").trim()}`,
          accept: "application/json",
          ...(payload ? { "content-type": method === "PATCH" ? "application/merge-patch+json" : "application/json" } : {}),
        },
        timeout: 30000,
      },
      (res) => {
        let data = "";
        res.on("data", (c) => (data += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: data ? JSON.parse(data) : {} }));
      },
    );
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error(`Kubernetes API ${method} ${path} timed out`)));
    if (payload) req.write(payload);
    req.end();
  });
}

/** @param {string} ref `<namespace>/<name>/<key>` @returns {KeyStore} */
function secretKeyStore(ref) {
  const [namespace, name, key] = ref.split("/");
  const path = `/api/v1/namespaces/${namespace}/secrets/${name}`;
  return {
    async read() {
      const res = /** @type {Response} */ (await kube("GET", path));
      if (res.status !== 200) throw new Error(`reading secret ${namespace}/${name} failed: HTTP ${res.status}`);
      const v = res.body?.data?.[key];
      return v ? Buffer.from(v, "base64").toString("utf8") : undefined;
    },
    async write(value) {
      const res = /** @type {Response} */ (await kube("PATCH", path, { data: { [key]: Buffer.from(value).toString("base64") } }));
      if (res.status !== 200) throw new Error(`writing secret ${namespace}/${name} failed: HTTP ${res.status}`);
    },
  };
}

/** DevLake's dashboards into ConfigMaps, and Grafana restarted once for a new datasource. @param {string} dir @param {(m: string) => void} log */
async function grafanaSide(dir, log) {
  const files = fs.readdirSync(dir).map((file) => ({ file, content: fs.readFileSync(path.join(dir, file), "utf8") }));
  const maps = dashboardConfigMaps(files, {
    namespace: env("DASHBOARD_NAMESPACE"),
    folder: env("DASHBOARD_FOLDER"),
    label: JSON.parse(env("DASHBOARD_LABEL")),
    folderAnnotation: env("DASHBOARD_FOLDER_ANNOTATION"),
  });
  const written = await applyConfigMaps(/** @type {any} */ (kube), maps);
  log(`${maps.length} DevLake dashboard(s), ${written.length} written`);
  const grafana = process.env.GRAFANA_DEPLOYMENT; // <namespace>/<name>
  if (!grafana) return;
  const [ns, name] = grafana.split("/");
  const deploymentPath = `/apis/apps/v1/namespaces/${ns}/deployments/${name}`;
  const res = /** @type {Response} */ (await kube("GET", deploymentPath));
  if (res.status === 404) return log(`no Grafana deployment ${grafana}: nothing to restart`);
  if (res.status !== 200) throw new Error(`reading deployment ${grafana} failed: HTTP ${res.status}`);
  const patch = restartPatch(res.body, env("DATASOURCE_HASH"));
  if (!patch) return;
  const done = /** @type {Response} */ (await kube("PATCH", deploymentPath, patch));
  if (done.status !== 200) throw new Error(`restarting ${grafana} failed: HTTP ${done.status}`);
  log(`restarted ${grafana}: it reads the DevLake datasource at start`);
}

async function main() {
  /** @type {{ teams: DesiredConfig["teams"], cron: string, apiKeyName: string }} */
  const config = JSON.parse(fs.readFileSync(env("DORA_CONFIG"), "utf8"));
  const log = (/** @type {string} */ m) => console.log(`[dora-config] ${m}`);
  const flag = process.argv.indexOf("--dashboards");
  if (flag > 0) await grafanaSide(process.argv[flag + 1], log);
  let services = /** @type {DesiredConfig["services"]} */ ([]);
  const gitea = process.env.GITEA_API_URL;
  if (gitea) {
    const auth = `Basic ${Buffer.from(`${env("GITEA_USERNAME")}:${env("GITEA_PASSWORD")}`).toString("base64")}`;
    const get = async (/** @type {string} */ p) => {
      const res = await fetch(`${gitea}${p}`, { headers: { authorization: auth, accept: "application/json" }, signal: AbortSignal.timeout(30000) });
      return { status: res.status, body: res.status === 200 ? await res.json() : await res.text() };
    };
    services = await discoverServices(
      get,
      config.teams.map((t) => t.name),
    );
    log(`found ${services.length} service(s) in Gitea`);
  }
  /** @type {DesiredConfig} */
  const desired = { ...config, services };
  if (process.env.JENKINS_USERNAME && process.env.JENKINS_TOKEN) {
    desired.jenkins = { endpoint: env("JENKINS_URL"), username: process.env.JENKINS_USERNAME, password: process.env.JENKINS_TOKEN };
  }
  if (process.env.GITHUB_APP_ID) {
    desired.github = { appId: env("GITHUB_APP_ID"), installationId: Number(env("GITHUB_INSTALLATION_ID")), secretKey: env("GITHUB_PRIVATE_KEY") };
  }
  const writes = await configure(devlakeApi(env("DEVLAKE_URL")), desired, secretKeyStore(env("API_KEY_SECRET")), { log });
  log(writes.length ? `${writes.length} change(s)` : "DevLake already matches: no change");
}

main().catch((e) => {
  console.error(`[dora-config] ${e.message}`);
  process.exit(1);
});
