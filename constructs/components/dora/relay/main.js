#!/usr/bin/env node
// @ts-check
"use strict";
/**
 * In-cluster entry point of the delivery-events relay (a Deployment running the official node image
 * on this file from a ConfigMap). Environment:
 *   DEVLAKE_API_URL   DevLake's API base that takes an API key, e.g. http://devlake-lake.dora.svc:8080/rest
 *   API_KEY_FILE      the mounted DevLake API key (secret dora/devlake-api-key, optional until the config Job writes it)
 *   TOKENS_DIR        one file per reporting component, holding its bearer token
 *   GITEA_SECRET_FILE the Gitea webhook's signing secret
 *   PORT              default 8080: deployments, Gitea, incidents by hand
 *   ALERTS_PORT       default 8081: Alertmanager only (its own port, so the NetworkPolicy lets only
 *                     the monitoring namespace raise incidents, not the pipelines' pods)
 * Secrets are read from their files on every request, so rotated ones apply without a restart.
 */
const fs = require("node:fs");
const http = require("node:http");
const path = require("node:path");
const { createRelay } = require("./relay");

/** Largest body accepted: Alertmanager groups and Gitea pushes stay far below. */
const MAX_BODY = 1024 * 1024;

/** @param {Record<string, unknown>} o */
function jsonLog(o) {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), ...o }) + "\n");
}

/** @param {string | undefined} file */
function readSecret(file) {
  if (!file) return "";
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    return "";
  }
}

/** @param {string} dir */
function readTokens(dir) {
  /** @type {Record<string, string>} */
  const out = {};
  let names = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return out;
  }
  // Kubernetes' secret volumes hold `..data` links beside the keys.
  for (const n of names.filter((n) => !n.startsWith("."))) out[n] = readSecret(path.join(dir, n));
  return out;
}

/**
 * The relay's HTTP server (not listening yet), on DevLake at `base`.
 * `paths`: the routes this server answers (others 404), `/healthz` always.
 * @param {{ base: string, keyFile?: string, tokensDir: string, giteaSecretFile?: string, paths: string[],
 *   retry?: { attempts: number, baseMs: number, maxMs: number }, log?: (o: Record<string, unknown>) => void }} opts
 */
function createServer({ base, keyFile, tokensDir, giteaSecretFile, paths, retry, log = jsonLog }) {
  const relay = createRelay({
    devlake: {
      async request(method, p, body) {
        const res = await fetch(base + p, {
          method,
          headers: { authorization: `Bearer ${readSecret(keyFile)}`, "content-type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
          // Short: Gitea gives up on a delivery after 5 s, and the retries below must fit.
          signal: AbortSignal.timeout(5_000),
        });
        const text = await res.text();
        let parsed = text;
        try {
          parsed = text ? JSON.parse(text) : null;
        } catch {
          // DevLake's errors are not always JSON: keep the text.
        }
        return { status: res.status, body: parsed };
      },
    },
    tokens: () => readTokens(tokensDir),
    giteaSecret: () => readSecret(giteaSecretFile),
    apiKeyPresent: () => readSecret(keyFile) !== "",
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    log,
    retry,
  });

  return http.createServer((req, res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > MAX_BODY) {
        log({ level: "warn", msg: "rejected", route: req.url, status: 413, error: `body larger than ${MAX_BODY} bytes` });
        res.writeHead(413).end();
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => {
      if (res.writableEnded) return;
      const p = (req.url ?? "/").split("?")[0];
      if (p !== "/healthz" && !paths.includes(p)) {
        res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: `no route ${p} on this port` }));
        return;
      }
      relay({ method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers, body: Buffer.concat(chunks) })
        .then((answer) => {
          res.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(answer.body));
        })
        .catch((e) => {
          log({ level: "error", msg: "unexpected", error: String(e) });
          res.writeHead(500).end();
        });
    });
  });
}

function main() {
  const base = (process.env.DEVLAKE_API_URL ?? "").replace(/\/+$/, "");
  if (!base) throw new Error("DEVLAKE_API_URL must be set, got nothing");
  const common = {
    base,
    keyFile: process.env.API_KEY_FILE,
    tokensDir: process.env.TOKENS_DIR ?? "/etc/fawkes-events/tokens",
    giteaSecretFile: process.env.GITEA_SECRET_FILE,
  };
  const servers = [
    { port: Number(process.env.PORT ?? 8080), server: createServer({ ...common, paths: ["/deployments", "/gitea", "/incidents", "/incidents/close"] }) },
    { port: Number(process.env.ALERTS_PORT ?? 8081), server: createServer({ ...common, paths: ["/alertmanager"] }) },
  ];
  for (const { port, server } of servers) server.listen(port, () => jsonLog({ level: "info", msg: "listening", port }));
  // Kubernetes stops a pod with SIGTERM: finish what is in flight, then exit.
  process.on("SIGTERM", () => {
    let open = servers.length;
    for (const { server } of servers) server.close(() => --open === 0 && process.exit(0));
  });
}

if (require.main === module) main();

module.exports = { createServer };
