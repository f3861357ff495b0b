"use strict";
/**
 * Minimal Kubernetes API access, no dependencies: REST paths for the kinds the Dojo uses, an
 * in-cluster client (service account token + cluster CA), a kubectl-backed client with the same
 * `request(method, path, body)` shape for scripts/dojo, and plain HTTP for the Pushgateway.
 */
const fs = require("node:fs");
const http = require("node:http");
const https = require("node:https");
const KINDS = require("./kinds.json");

class KubeError extends Error {
  constructor(status, reason, message) {
    super(message || reason || `HTTP ${status}`);
    this.status = status;
    this.reason = reason;
  }
}

function kindInfo(kind) {
  const info = KINDS[kind];
  if (!info) throw new Error(`unknown kind "${kind}" (known: ${Object.keys(KINDS).join(", ")})`);
  return info;
}

function apiBase(apiVersion) {
  return apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

function collectionPath(kind, namespace) {
  const info = kindInfo(kind);
  if (!info.namespaced) return `${apiBase(info.apiVersion)}/${info.plural}`;
  if (!namespace) throw new Error(`${kind} is namespaced: a namespace is needed`);
  return `${apiBase(info.apiVersion)}/namespaces/${namespace}/${info.plural}`;
}

function objectPath(kind, namespace, name) {
  return `${collectionPath(kind, namespace)}/${encodeURIComponent(name)}`;
}

/** One HTTP(S) request with a JSON body; resolves { status, text }. */
function send(url, { method = "GET", headers = {}, body, ca, timeoutMs = 30000 } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const lib = u.protocol === "https:" ? https : http;
    const req = lib.request(u, { method, headers, ca, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${u.pathname}: timed out after ${timeoutMs} ms`)));
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

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
 */
function inClusterClient({ token, host = process.env.KUBERNETES_SERVICE_HOST, port = process.env.KUBERNETES_SERVICE_PORT || "443" } = {}) {
  if (!host) throw new Error("not running in a cluster (KUBERNETES_SERVICE_HOST is not set)");
  const ca = fs.readFileSync(`${SA_DIR}/ca.crt`);
  const base = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
  return {
    async request(method, path, body) {
      const bearer = token || fs.readFileSync(`${SA_DIR}/token`, "utf8").trim();
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers = { Authorization: `Bearer ${bearer}`, Accept: "application/json" };
      if (payload !== undefined) headers["Content-Type"] = "application/json";
      const res = await send(base + path, { method, headers, body: payload, ca });
      const parsed = parseJson(res.text);
      if (res.status >= 400) throw new KubeError(res.status, parsed.reason, `${method} ${path}: ${parsed.message || res.status}`);
      return parsed;
    },
  };
}

const REASON_STATUS = { BadRequest: 400, Unauthorized: 401, Forbidden: 403, NotFound: 404, MethodNotAllowed: 405, AlreadyExists: 409, Conflict: 409, Invalid: 422, TooManyRequests: 429 };

/** The API through kubectl (`--raw`), with the caller's kubeconfig: what scripts/dojo uses. */
function kubectlClient({ kubectl = process.env.KUBECTL || "kubectl", context, spawnSync = require("node:child_process").spawnSync } = {}) {
  const base = context ? ["--context", context] : [];
  return {
    async request(method, path, body) {
      const verb = { GET: ["get", "--raw", path], POST: ["create", "--raw", path, "-f", "-"], PUT: ["replace", "--raw", path, "-f", "-"], DELETE: ["delete", "--raw", path] }[method];
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
