// @ts-check
"use strict";
/**
 * Minimal Kubernetes API access, no dependencies: REST paths for the kinds the Dojo uses, an
 * in-cluster client (service account token + cluster CA), a kubectl-backed client with the same
 * `request(method, path, body)` shape for scripts/dojo, and plain HTTP for the Pushgateway.
 */
const fs = require("node:fs");
const http = require("node:http");
const https = require("node:https");

/**
 * @typedef {object} KindInfo
 * @property {string} apiVersion
 * @property {string} plural
 * @property {boolean} namespaced
 * @property {boolean} [check] Whether curriculum checks may name this kind.
 */
/** @typedef {"GET" | "POST" | "PUT" | "DELETE"} Method */
/**
 * What every client offers: one API request, the parsed JSON answer, a KubeError on HTTP errors.
 * @typedef {{ request(method: Method, path: string, body?: unknown): Promise<any> }} Api
 */
/** @typedef {{ error?: Error, status: number | null, stdout: string, stderr: string }} SpawnResult */
/** @typedef {(command: string, args: string[], options: { input?: string, encoding: "utf8", maxBuffer: number }) => SpawnResult} SpawnSync */

/** @type {Record<string, KindInfo>} */
const KINDS = require("./kinds.json");

class KubeError extends Error {
  /**
   * @param {number} status
   * @param {string} [reason]
   * @param {string} [message]
   */
  constructor(status, reason, message) {
    super(message || reason || `HTTP ${status}`);
    this.status = status;
    this.reason = reason;
  }
}

/**
 * @param {string} kind
 * @returns {KindInfo}
 */
function kindInfo(kind) {
  const info = KINDS[kind];
  if (!info) throw new Error(`unknown kind "${kind}" (known: ${Object.keys(KINDS).join(", ")})`);
  return info;
}

/**
 * @param {string} apiVersion
 * @returns {string}
 */
function apiBase(apiVersion) {
  return apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/**
 * @param {string} kind
 * @param {string} [namespace]
 * @returns {string}
 */
function collectionPath(kind, namespace) {
  const info = kindInfo(kind);
  if (!info.namespaced) return `${apiBase(info.apiVersion)}/${info.plural}`;
  if (!namespace) throw new Error(`${kind} is namespaced: a namespace is needed`);
  return `${apiBase(info.apiVersion)}/namespaces/${namespace}/${info.plural}`;
}

/**
 * @param {string} kind
 * @param {string | undefined} namespace
 * @param {string} name
 * @returns {string}
 */
function objectPath(kind, namespace, name) {
  return `${collectionPath(kind, namespace)}/${encodeURIComponent(name)}`;
}

/**
 * One HTTP(S) request with a JSON body; resolves { status, text }.
 * @param {string} url
 * @param {{ method?: string, headers?: Record<string, string>, body?: string, ca?: Buffer, timeoutMs?: number }} [options]
 * @returns {Promise<{ status: number, text: string }>}
 */
function send(url, { method = "GET", headers = {}, body, ca, timeoutMs = 30000 } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const lib = u.protocol === "https:" ? https : http;
    const req = lib.request(u, { method, headers, ca, timeout: timeoutMs }, (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: /** @type {number} */ (res.statusCode), text: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${u.pathname}: timed out after ${timeoutMs} ms`)));
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/**
 * @param {string} text
 * @returns {any}
 */
function parseJson(text) {
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return { message: text };
  }
}

const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * The API server as this pod's service account sees it (token re-read on every call: projected
 * tokens rotate), or as another identity when `token` is given (the validator's per-slot tokens).
 * @param {{ token?: string, host?: string, port?: string }} [options]
 * @returns {Api}
 */
function inClusterClient({ token, host = process.env.KUBERNETES_SERVICE_HOST, port = process.env.KUBERNETES_SERVICE_PORT || "443" } = {}) {
  if (!host) throw new Error("not running in a cluster (KUBERNETES_SERVICE_HOST is not set)");
  const ca = fs.readFileSync(`${SA_DIR}/ca.crt`);
  const base = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
  return {
    async request(method, path, body) {
      const bearer = token || fs.readFileSync(`${SA_DIR}/token`, "utf8").trim();
      const payload = body === undefined ? undefined : JSON.stringify(body);
      /** @type {Record<string, string>} */
      const headers = { Authorization: `Bearer ${bearer}`, Accept: "application/json" };
      if (payload !== undefined) headers["Content-Type"] = "application/json";
      const res = await send(base + path, { method, headers, body: payload, ca });
      const parsed = parseJson(res.text);
      if (res.status >= 400) throw new KubeError(res.status, parsed.reason, `${method} ${path}: ${parsed.message || res.status}`);
      return parsed;
    },
  };
}

/** @type {Record<string, number>} */
const REASON_STATUS = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  AlreadyExists: 409,
  Conflict: 409,
  Invalid: 422,
  TooManyRequests: 429,
};

/**
 * The API through kubectl (`--raw`), with the caller's kubeconfig: what scripts/dojo uses.
 * @param {{ kubectl?: string, context?: string, spawnSync?: SpawnSync }} [options]
 * @returns {Api}
 */
function kubectlClient({ kubectl = process.env.KUBECTL || "kubectl", context, spawnSync = require("node:child_process").spawnSync } = {}) {
  const base = context ? ["--context", context] : [];
  return {
    async request(method, path, body) {
      const verb = {
        GET: ["get", "--raw", path],
        POST: ["create", "--raw", path, "-f", "-"],
        PUT: ["replace", "--raw", path, "-f", "-"],
        DELETE: ["delete", "--raw", path],
      }[method];
      if (!verb) throw new Error(`kubectl client: unsupported method ${method}`);
      const r = spawnSync(kubectl, [...base, ...verb], { input: body === undefined ? undefined : JSON.stringify(body), encoding: "utf8", maxBuffer: 1 << 28 });
      if (r.error) throw new Error(`cannot run ${kubectl}: ${r.error.message}`);
      if (r.status !== 0) {
        const msg = (r.stderr || r.stdout || "").trim();
        const m = /\(([A-Za-z]+)\)/.exec(msg);
        throw new KubeError((m && REASON_STATUS[m[1]]) || 500, m ? m[1] : undefined, `${method} ${path}: ${msg}`);
      }
      return parseJson(r.stdout);
    },
  };
}

module.exports = { KINDS, KubeError, kindInfo, apiBase, collectionPath, objectPath, send, inClusterClient, kubectlClient };
