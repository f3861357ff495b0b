// @ts-check
"use strict";
/**
 * The bootstrap Job's entry point: reads its config from the mounted ConfigMap, builds the HTTP
 * clients (Gitea as the admin, or GitHub as the App's installation; Kubernetes as the Job's service
 * account) and runs the decisions of bootstrap.js. Only outcomes are logged, never a credential.
 */
const fs = require("node:fs");
const zlib = require("node:zlib");
const https = require("node:https");
const crypto = require("node:crypto");
const { bootstrapGitea, bootstrapGithub, appJwt, substitute } = require("./bootstrap.js");

const CONFIG_DIR = process.env.CONFIG_DIR || "/etc/fawkes/git";
const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * @param {string} base
 * @param {Record<string, string>} auth
 * @returns {import("./bootstrap.js").Http}
 */
function httpClient(base, auth) {
  return {
    async request(method, path, body, headers = {}) {
      const res = await fetch(base + path, {
        method,
        headers: { Accept: "application/json", ...(body !== undefined ? { "Content-Type": "application/json" } : {}), ...auth, ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      let parsed;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = text;
      }
      return { status: res.status, body: parsed };
    },
  };
}

/** Secrets as this pod's service account sees them (merge patches; token re-read: projected tokens rotate). */
function kubeClient() {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  if (!host) throw new Error("not running in a cluster (KUBERNETES_SERVICE_HOST is not set)");
  const ca = fs.readFileSync(`${SA_DIR}/ca.crt`);
  /**
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   * @returns {Promise<{ status: number, body: any }>}
   */
  const send = (method, path, body) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = https.request(
        {
          host,
          port: process.env.KUBERNETES_SERVICE_PORT || "443",
          path,
          method,
          ca,
          headers: {
            Authorization: `Bearer ${fs.readFileSync(`${SA_DIR}/token`, "utf8").trim()}`,
            Accept: "application/json",
            ...(payload !== undefined ? { "Content-Type": "application/merge-patch+json" } : {}),
          },
        },
        (res) => {
          let text = "";
          res.on("data", (c) => (text += c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
        },
      );
      req.on("error", reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  return {
    /** @type {(ns: string, name: string) => Promise<any>} */
    async get(ns, name) {
      const r = await send("GET", `/api/v1/namespaces/${ns}/secrets/${name}`);
      if (r.status === 404) return undefined;
      if (r.status !== 200) throw new Error(`reading secret ${ns}/${name}: HTTP ${r.status} ${r.body?.message ?? ""}`);
      return r.body;
    },
    /** @type {(ns: string, name: string, patch: unknown) => Promise<void>} */
    async patch(ns, name, patch) {
      const r = await send("PATCH", `/api/v1/namespaces/${ns}/secrets/${name}`, patch);
      if (r.status !== 200) throw new Error(`patching secret ${ns}/${name}: HTTP ${r.status} ${r.body?.message ?? ""}`);
    },
  };
}

/**
 * Waits (bounded) until the server answers `path` with 200: the Job may start before Gitea serves.
 * @param {import("./bootstrap.js").Http} http
 * @param {string} path
 */
async function waitFor(http, path, attempts = 60) {
  for (let i = 1; ; i++) {
    const r = await http.request("GET", path).catch((e) => ({ status: 0, body: e.message }));
    if (r.status === 200) return;
    if (i >= attempts) throw new Error(`${path} did not answer 200 after ${attempts} attempts, last: ${r.status} ${JSON.stringify(r.body)}`);
    await new Promise((ok) => setTimeout(ok, 5000));
  }
}

/** A published repository's file set: gzip-compressed JSON (`.json.gz`, the ConfigMap's binary data) or JSON. */
function readRepositoryFile(/** @type {string} */ file) {
  const bytes = fs.readFileSync(file);
  return file.endsWith(".gz") ? zlib.gunzipSync(bytes).toString("utf8") : bytes.toString("utf8");
}

async function main() {
  const config = JSON.parse(fs.readFileSync(`${CONFIG_DIR}/config.json`, "utf8"));
  config.repositories = config.repositories.map((/** @type {{ file: string, substitutions?: Record<string, string> }} */ r) =>
    substitute(JSON.parse(readRepositoryFile(`${CONFIG_DIR}/${r.file}`)), r.substitutions),
  );
  const api = String(process.env.GIT_API_URL);
  const log = (/** @type {string} */ line) => console.log(line);
  let result;
  if (config.provider === "gitea") {
    const basic = Buffer.from(`${process.env.GITEA_ADMIN_USERNAME}:${process.env.GITEA_ADMIN_PASSWORD}`).toString("base64");
    const admin = httpClient(api, { Authorization: `Basic ${basic}` });
    await waitFor(admin, "/user");
    result = await bootstrapGitea(config, {
      admin,
      asToken: (token) => httpClient(api, { Authorization: `token ${token}` }),
      kube: kubeClient(),
      log,
      randomPassword: () => crypto.randomBytes(24).toString("base64url"),
    });
  } else {
    const jwt = appJwt({ appId: String(process.env.GITHUB_APP_ID), privateKey: String(process.env.GITHUB_APP_PRIVATE_KEY) });
    const gh = { "X-GitHub-Api-Version": "2022-11-28", Accept: "application/vnd.github+json" };
    const app = httpClient(api, { ...gh, Authorization: `Bearer ${jwt}` });
    const minted = await app.request("POST", `/app/installations/${process.env.GITHUB_INSTALLATION_ID}/access_tokens`);
    if (minted.status !== 201) throw new Error(`GitHub App installation token: HTTP ${minted.status} ${minted.body?.message ?? ""}`);
    result = await bootstrapGithub(config, { http: httpClient(api, { ...gh, Authorization: `Bearer ${minted.body.token}` }), log });
  }
  log(result.writes.length ? `done: ${result.writes.length} change(s)` : "done: nothing to change");
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}

module.exports = { httpClient };
