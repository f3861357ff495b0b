// @ts-check
"use strict";
/**
 * The pipeline's helper commands: `node cli.js <command> --flag value …`. The Groovy steps run these
 * in the pod's `node` container and read their exit codes and JSON outputs; every decision is in the
 * pure modules beside this one (config, skip, gates, record, gitops, argo). I/O is injected (`Io`).
 */
const fs = require("node:fs");
const path = require("node:path");
const { parseConfig, toolchain } = require("./config.js");
const { skipDecision } = require("./skip.js");
const { trivyGate, sonarGate, trivyMarkdown } = require("./gates.js");
const { deploymentRecord } = require("./record.js");

/**
 * @typedef {object} Io
 * @property {Record<string, string | undefined>} env
 * @property {typeof fetch} fetch
 * @property {(file: string) => string} readFile
 * @property {(file: string, text: string) => void} writeFile
 * @property {(file: string) => boolean} exists
 * @property {(line: string) => void} log
 * @property {() => number} now
 * @property {(ms: number) => Promise<void>} sleep
 */
/** @typedef {Record<string, string>} Args */

const SA = "/var/run/secrets/kubernetes.io/serviceaccount";
const STATUS_CONTEXT = "fawkes/image";

/**
 * `--key value` pairs (and bare `--flag` as "true").
 * @param {string[]} argv
 * @returns {Args}
 */
function parseArgs(argv) {
  /** @type {Args} */
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new Error(`cli: unexpected argument ${JSON.stringify(a)} (flags are --name value)`);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith("--")) out[a.slice(2)] = "true";
    else out[a.slice(2)] = argv[++i];
  }
  return out;
}

/**
 * @param {Args} args
 * @param {string} name
 */
function need(args, name) {
  const v = args[name];
  if (v === undefined || v === "") throw new Error(`cli: --${name} is required`);
  return v;
}

/**
 * A JSON HTTP call; throws with the status and body on errors.
 * @param {Io} io
 * @param {string} method
 * @param {string} url
 * @param {{ token?: string, basic?: string, body?: unknown }} [opts]
 */
async function http(io, method, url, opts = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: "application/json" };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.basic) headers.authorization = `Basic ${Buffer.from(opts.basic).toString("base64")}`;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const res = await io.fetch(url, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url.replace(/\?.*/, "")}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : {};
}

/**
 * The Gitea REST client gitops.promote and the commit status use: `request(method, path, body)` on
 * `/api/v1`, as the robot (`fawkes-ci`, token from the mounted credential).
 * @param {Io} io
 */
function giteaApi(io) {
  const base = need(/** @type {Args} */ (io.env), "FAWKES_GIT_API_URL").replace(/\/$/, "");
  const token = need(/** @type {Args} */ (io.env), "GIT_TOKEN");
  return {
    /**
     * @param {string} method
     * @param {string} p
     * @param {unknown} [body]
     */
    request: (method, p, body) => http(io, method, `${base}${p}`, { body, basic: `${io.env.GIT_USERNAME ?? "fawkes-ci"}:${token}` }),
  };
}

/**
 * Owner and name of a repository from its clone URL (`https://git.<domain>/<owner>/<name>.git`).
 * @param {string} url
 */
function repoOf(url) {
  const m = /[/:]([^/:]+)\/([^/]+?)(?:\.git)?\/?$/.exec(url);
  if (!m) throw new Error(`cli: --repo-url must be a repository's clone URL, got ${JSON.stringify(url)}`);
  return { owner: m[1], repo: m[2], url: url.replace(/\.git$/, "") };
}

/** @type {Record<string, (args: Args, io: Io) => Promise<number>>} */
const COMMANDS = {
  /** fawkes.yaml (as JSON from readYaml) validated, defaults filled, the toolchain added. */
  async config(args, io) {
    const cfg = parseConfig(JSON.parse(io.readFile(need(args, "in"))));
    io.writeFile(need(args, "out"), JSON.stringify({ ...cfg, toolchain: toolchain(cfg.language) }, null, 2));
    io.log(`fawkes.yaml: ${cfg.service} of team ${cfg.team}, ${cfg.language}, coverage >= ${cfg.quality.coverage}%, blocking ${cfg.scan.severity.join("/")}`);
    return 0;
  },

  /** Head commit (first line author, then the message) and changed files → skip or build. */
  async skip(args, io) {
    const [author, ...message] = io.readFile(need(args, "head")).split("\n");
    const changedFiles = io.readFile(need(args, "changed")).split("\n").filter(Boolean);
    const d = skipDecision({ author, message: message.join("\n"), changedFiles });
    io.writeFile(need(args, "out"), JSON.stringify(d));
    io.log(`${d.skip ? "Skipping" : "Building"}: ${d.reason}`);
    return 0;
  },

  /** Waits for SonarQube's background task of this analysis, then decides the gate. */
  async "sonar-gate"(args, io) {
    const host = need(/** @type {Args} */ (io.env), "SONAR_HOST_URL").replace(/\/$/, "");
    const token = io.env.SONAR_AUTH_TOKEN ?? io.env.SONAR_TOKEN;
    const task = Object.fromEntries(
      io
        .readFile(need(args, "report-task"))
        .split("\n")
        .filter((l) => l.includes("="))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    const deadline = io.now() + Number(args.timeout ?? 300) * 1000;
    const auth = { basic: token ? `${token}:` : undefined };
    let ce;
    for (;;) {
      ce = (await http(io, "GET", `${host}/api/ce/task?id=${encodeURIComponent(task.ceTaskId)}`, auth)).task;
      if (!["PENDING", "IN_PROGRESS"].includes(ce.status)) break;
      if (io.now() > deadline) throw new Error(`SonarQube: analysis ${task.ceTaskId} still ${ce.status} after ${args.timeout ?? 300} s`);
      await io.sleep(3000);
    }
    if (ce.status !== "SUCCESS") throw new Error(`SonarQube: analysis ${task.ceTaskId} ended ${ce.status}: ${ce.errorMessage ?? ""}`);
    const status = await http(io, "GET", `${host}/api/qualitygates/project_status?analysisId=${encodeURIComponent(ce.analysisId)}`, auth);
    const measures = await http(io, "GET", `${host}/api/measures/component?component=${encodeURIComponent(task.projectKey)}&metricKeys=coverage`, auth);
    const gate = sonarGate(status, measures, { coverage: Number(need(args, "coverage")) });
    if (args.out) io.writeFile(args.out, JSON.stringify({ ...gate, dashboard: task.dashboardUrl }, null, 2));
    io.log(gate.summary);
    if (task.dashboardUrl) io.log(`SonarQube dashboard: ${task.dashboardUrl}`);
    return gate.pass ? 0 : 1;
  },

  /** Trivy's JSON report and the ignore file (as JSON) → exit code, summary, markdown report. */
  async "trivy-gate"(args, io) {
    const report = JSON.parse(io.readFile(need(args, "report")));
    const ignores = args.ignores && io.exists(args.ignores) ? JSON.parse(io.readFile(args.ignores)) : undefined;
    // The threshold from --severity, or from the validated fawkes.yaml (`config` command's output).
    const severity = args.severity ? args.severity.split(",") : JSON.parse(io.readFile(need(args, "config"))).scan.severity;
    const gate = trivyGate(report, { severity, ignores, now: io.now() });
    io.log(gate.summary);
    for (const f of gate.findings) io.log(`  ${f.severity} ${f.id} ${f.pkg} ${f.installed} -> ${f.fixed || "no fix yet"} (${f.target})`);
    if (args.out) io.writeFile(args.out, JSON.stringify(gate, null, 2));
    if (args.markdown) io.writeFile(args.markdown, trivyMarkdown(gate, { image: args.image ?? report.ArtifactName, buildUrl: io.env.BUILD_URL }));
    return gate.pass ? 0 : 1;
  },

  /** Commit status `fawkes/image` on the app commit: the digest that passed the scan gate. */
  async "commit-status"(args, io) {
    const { owner, repo } = repoOf(need(args, "repo-url"));
    const digest = need(args, "digest");
    await giteaApi(io).request("POST", `/repos/${owner}/${repo}/statuses/${need(args, "sha")}`, {
      state: "success",
      context: STATUS_CONTEXT,
      description: digest,
      target_url: need(args, "target-url"),
    });
    io.log(`${STATUS_CONTEXT}: ${digest} on ${owner}/${repo}@${args.sha.slice(0, 7)}`);
    return 0;
  },

  /** GitOps promotion through gitops.js: the digest into deploy/<env>/kustomization.yaml. */
  async promote(args, io) {
    const gitops = require("./gitops.js");
    const { owner, repo } = repoOf(need(args, "repo-url"));
    const out = need(args, "out");
    const startedAt = new Date(io.now()).toISOString();
    io.writeFile(out, JSON.stringify({ startedAt }));
    const api = giteaApi(io);
    const mode = /** @type {"commit" | "pull-request"} */ (need(args, "mode"));
    const env = need(args, "env");
    /** @type {{ revision: string, unchanged?: boolean, pullRequest?: { number: number, url: string, merged: boolean } }} */
    const res = await gitops.promote(api, {
      owner,
      repo,
      env,
      newName: need(args, "new-name"),
      digest: need(args, "digest"),
      commit: need(args, "commit"),
      service: need(args, "service"),
      mode,
      // The pipeline records what it merges itself (record step): marked so the relay skips the merge.
      recorded: true,
      // promotion: auto — the pipeline merges its own pull request.
      merge: args.merge === "true",
    });
    const revision = res.revision;
    if (res.unchanged) io.log(`${env}: already deploys ${args.digest}, nothing committed`);
    if (res.pullRequest)
      io.log(`${env}: pull request #${res.pullRequest.number} ${res.pullRequest.merged ? "merged (promotion: auto)" : `opened: ${res.pullRequest.url}`}`);
    io.writeFile(out, JSON.stringify({ startedAt, revision, pullRequest: res.pullRequest ?? null }));
    io.log(`${env}: ${args["new-name"]}@${args.digest} at revision ${revision}`);
    return 0;
  },

  /** Waits (bounded) for the Argo CD Application to be Synced and Healthy at the revision. */
  async "wait-argo"(args, io) {
    const argo = require("./argo.js");
    const name = need(args, "app");
    const ns = args.namespace ?? "argocd";
    const revision = need(args, "revision");
    const token = io.readFile(`${SA}/token`).trim();
    const api = io.env.KUBERNETES_SERVICE_HOST
      ? `https://${io.env.KUBERNETES_SERVICE_HOST}:${io.env.KUBERNETES_SERVICE_PORT ?? "443"}`
      : "https://kubernetes.default.svc";
    const deadline = io.now() + Number(args.timeout ?? 600) * 1000;
    let last = "";
    for (;;) {
      let app;
      try {
        app = await http(io, "GET", `${api}/apis/argoproj.io/v1alpha1/namespaces/${ns}/applications/${name}`, { token });
      } catch (e) {
        // Not there yet: the ApplicationSet creates it on its next SCM scan.
        if (!String(e).includes("HTTP 404")) throw e;
      }
      const s = app ? argo.applicationStatus(app, { revision }) : { done: false, ok: false, sync: "Missing", health: "Missing", message: "no Application yet" };
      const rollout = "rollout" in s && s.rollout ? `, rollout ${s.rollout}` : "";
      const line = `${name}: sync ${s.sync}, health ${s.health}${rollout}${s.message ? ` (${s.message})` : ""}`;
      if (line !== last) io.log(line);
      last = line;
      if (s.done) return s.ok ? 0 : 1;
      if (io.now() > deadline) {
        io.log(`${name}: not Synced and Healthy at ${revision.slice(0, 7)} after ${args.timeout ?? 600} s`);
        return 1;
      }
      await io.sleep(Number(args.interval ?? 5) * 1000);
    }
  },

  /** GET the in-cluster Service until it answers 2xx (a few retries while the rollout settles). */
  async smoke(args, io) {
    const url = need(args, "url");
    const attempts = Number(args.attempts ?? 12);
    for (let i = 1; ; i++) {
      try {
        const res = await io.fetch(url, { method: "GET" });
        if (res.status >= 200 && res.status < 300) {
          io.log(`smoke: ${url} answered ${res.status} (attempt ${i})`);
          return 0;
        }
        io.log(`smoke: ${url} answered ${res.status} (attempt ${i}/${attempts})`);
      } catch (e) {
        io.log(`smoke: ${url}: ${/** @type {Error} */ (e).message} (attempt ${i}/${attempts})`);
      }
      if (i >= attempts) return 1;
      await io.sleep(Number(args.interval ?? 5) * 1000);
    }
  },

  /** The deployment record: archived as a file, POSTed to the delivery-events seam when offered. */
  async record(args, io) {
    const promotion = args.promotion && io.exists(args.promotion) ? JSON.parse(io.readFile(args.promotion)) : {};
    const { url } = repoOf(need(args, "repo-url"));
    const record = deploymentRecord({
      service: need(args, "service"),
      team: need(args, "team"),
      environment: need(args, "env"),
      repository: url,
      commit: need(args, "commit"),
      pullUrl: need(args, "pull-url"),
      digest: need(args, "digest"),
      startedAt: promotion.startedAt ?? new Date(io.now()).toISOString(),
      finishedAt: new Date(io.now()).toISOString(),
      result: need(args, "result"),
      pipelineUrl: need(/** @type {Args} */ (io.env), "BUILD_URL"),
      deployRevision: promotion.revision ?? null,
    });
    io.writeFile(need(args, "out"), JSON.stringify(record, null, 2));
    const target = io.env.FAWKES_DELIVERY_EVENTS_URL;
    if (target) {
      try {
        await http(io, "POST", target, { token: io.env.FAWKES_DELIVERY_EVENTS_TOKEN, body: record });
        io.log(`record: ${record.environment} ${record.result} sent to ${target}`);
      } catch (e) {
        // The archived record stays the source of truth; a relay outage must not fail a deployment.
        io.log(`record: could not send to ${target}: ${/** @type {Error} */ (e).message}`);
      }
    }
    return 0;
  },
};

/** @returns {Io} */
function realIo() {
  return {
    env: process.env,
    fetch: globalThis.fetch,
    readFile: (f) => fs.readFileSync(f, "utf8"),
    writeFile: (f, t) => {
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, t);
    },
    exists: (f) => fs.existsSync(f),
    log: (l) => console.log(l),
    now: () => Date.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
}

/**
 * @param {string[]} argv
 * @param {Io} io
 * @returns {Promise<number>}
 */
async function main(argv, io) {
  const [command, ...rest] = argv;
  const run = COMMANDS[command];
  if (!run) {
    io.log(`cli: unknown command ${JSON.stringify(command)} (commands: ${Object.keys(COMMANDS).join(", ")})`);
    return 2;
  }
  try {
    return await run(parseArgs(rest), io);
  } catch (e) {
    io.log(`${command}: ${/** @type {Error} */ (e).message}`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2), realIo()).then((code) => process.exit(code));
}

module.exports = { COMMANDS, main, parseArgs, repoOf, STATUS_CONTEXT };
