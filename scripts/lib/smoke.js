// @ts-check
// scripts/smoke: the golden path walked end to end on a real platform, by a person after a deploy
// (not in CI). For each template it creates a service through Backstage's scaffolder API, waits for
// its first green pipeline (commit status fawkes/image) and for its staging deployment (Argo CD
// Synced and Healthy with that image), and prints each stage's duration against the story's targets.
// Importable: `main(argv, io)` resolves to the exit code; `stageReport` is the pure report.
"use strict";
const path = require("node:path");
const lib = require("./platform.js");
const argo = require(path.join(__dirname, "..", "..", "pipeline-library", "resources", "fawkes", "argo.js"));

const TEMPLATES = ["http-api", "web-service", "worker"];
const TARGETS = { provisioningMs: 10 * 60 * 1000, greenToHealthyMs: 5 * 60 * 1000 };
const USAGE = `usage: scripts/smoke --team <team> [options]
  Creates one service per template through Backstage (named smoke-<template>-<suffix>, owned by
  <team>), waits for its first pipeline and its staging deployment, and prints each stage's
  duration and the total against the targets (provisioning < 10 min, green build to healthy < 5 min).
  --templates <list>   comma-separated (default: ${TEMPLATES.join(",")})
  --timeout <d>        per service (default 20m)
  --token <token>      a Backstage API token (default: $FAWKES_BACKSTAGE_TOKEN, else secret backstage/backstage-secrets key api-token)
  --domain, --context, --git-token   as for scripts/fawkes
  The services stay: delete their repositories in Gitea (and their catalog entities) when done.`;

/**
 * @typedef {{ name: string, stages: { name: string, ms: number }[], provisioningMs?: number, greenToHealthyMs?: number, error?: string }} SmokeResult
 */

/**
 * The report: one line per service (its stages and total), then the targets, met or missed.
 * @param {SmokeResult[]} results
 * @returns {{ lines: string[], ok: boolean }}
 */
function stageReport(results) {
  const lines = [];
  let ok = true;
  for (const r of results) {
    const total = r.stages.reduce((s, x) => s + x.ms, 0);
    lines.push(
      `${r.name}: ${r.stages.map((s) => `${s.name} ${lib.formatDuration(s.ms)}`).join(", ")}; total ${lib.formatDuration(total)}${r.error ? ` (FAILED: ${r.error})` : ""}`,
    );
    if (r.error) ok = false;
    for (const [key, label] of /** @type {const} */ ([
      ["provisioningMs", "provisioning"],
      ["greenToHealthyMs", "green build to healthy"],
    ])) {
      const ms = r[key];
      if (ms === undefined) continue;
      const met = ms < TARGETS[key];
      ok &&= met;
      lines.push(`  ${label} ${lib.formatDuration(ms)} (target < ${lib.formatDuration(TARGETS[key])}: ${met ? "met" : "missed"})`);
    }
  }
  return { lines, ok };
}

/**
 * `smoke-<template>-<4 base-36 digits>`: a valid, fresh service name.
 * @param {string} template
 * @param {number} now
 */
function smokeName(template, now) {
  return `smoke-${template}-${(now % 36 ** 4).toString(36).padStart(4, "0")}`.slice(0, 30);
}

/**
 * Polls `probe` every `intervalMs` until it returns a value (not undefined) or `deadline` passes.
 * @template T
 * @param {lib.Io} io
 * @param {() => Promise<T | undefined>} probe
 * @param {number} deadline
 * @param {string} what
 * @param {number} intervalMs
 * @returns {Promise<T>}
 */
async function until(io, probe, deadline, what, intervalMs) {
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (io.now() >= deadline) throw new Error(`timed out waiting for ${what}`);
    await io.sleep(intervalMs);
  }
}

/**
 * One template's walk.
 * @param {{ io: lib.Io, backstage: lib.GitApi, git: lib.GitApi, k: ReturnType<typeof lib.kube>, template: string, team: string, timeoutMs: number, intervalMs: number }} w
 * @returns {Promise<SmokeResult>}
 */
async function walk({ io, backstage, git, k, template, team, timeoutMs, intervalMs }) {
  const name = smokeName(template, io.now() + TEMPLATES.indexOf(template));
  const say = (/** @type {string} */ line) => io.stdout(`${name}: ${line}\n`);
  const start = io.now();
  const deadline = start + timeoutMs;
  /** @type {SmokeResult} */
  const result = { name, stages: [] };
  let mark = start;
  const stage = (/** @type {string} */ s, /** @type {number} */ at) => {
    result.stages.push({ name: s, ms: at - mark });
    mark = at;
    say(`${s} done in ${lib.formatDuration(result.stages[result.stages.length - 1].ms)}`);
  };
  try {
    const task = await backstage.request("POST", "/api/scaffolder/v2/tasks", {
      templateRef: `template:default/fawkes-${template}`,
      values: { name, owner: `group:default/${team}`, description: `Smoke test of the ${template} template (scripts/smoke)` },
    });
    say(`scaffolder task ${task.id}`);
    await until(
      io,
      async () => {
        const t = await backstage.request("GET", `/api/scaffolder/v2/tasks/${encodeURIComponent(task.id)}`);
        if (t.status === "failed" || t.status === "cancelled") throw new Error(`scaffolder task ${task.id} ${t.status}`);
        return t.status === "completed" ? true : undefined;
      },
      deadline,
      "the scaffolder task",
      intervalMs,
    );
    stage("scaffold", io.now());
    const green = await until(
      io,
      async () => {
        try {
          return await lib.latestGreen(git, { owner: team, repo: name });
        } catch (e) {
          // The repository has no commits (or is not visible) yet.
          if (/** @type {{ status?: number }} */ (e).status === 404 || /** @type {{ status?: number }} */ (e).status === 409) return undefined;
          throw e;
        }
      },
      deadline,
      "the first green build (commit status fawkes/image)",
      intervalMs,
    );
    const greenAt = green.greenAt ? Date.parse(green.greenAt) : io.now();
    stage("first build", Math.max(mark, greenAt));
    const healthyAt = await until(
      io,
      async () => {
        const app = k.getJson(["application", "-n", "argocd", `${name}-staging`]);
        if (!app) return undefined;
        const s = argo.applicationStatus(app);
        if (s.done && !s.ok) throw new Error(`staging: ${s.message}`);
        const images = JSON.stringify(app.status?.summary?.images ?? []);
        return s.ok && images.includes(green.digest) ? io.now() : undefined;
      },
      deadline,
      "Argo CD: staging Synced and Healthy with the built image",
      intervalMs,
    );
    stage("staging", healthyAt);
    result.provisioningMs = healthyAt - start;
    result.greenToHealthyMs = healthyAt - greenAt;
  } catch (e) {
    result.error = /** @type {Error} */ (e).message;
    result.stages.push({ name: "failed after", ms: io.now() - mark });
  }
  return result;
}

/**
 * @param {string[]} argv
 * @param {lib.Io} [io]
 * @returns {Promise<number>}
 */
async function main(argv, io = lib.defaultIo()) {
  try {
    const { positional, flags } = lib.parseArgs(argv, ["help"]);
    if (flags.help) {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    if (positional.length) throw new lib.UsageError(`unexpected argument ${JSON.stringify(positional[0])}`);
    const team = flags.team;
    if (typeof team !== "string") throw new lib.UsageError("--team is required (a team of config.teams)");
    const templates = typeof flags.templates === "string" ? flags.templates.split(",") : TEMPLATES;
    const unknown = templates.filter((t) => !TEMPLATES.includes(t));
    if (unknown.length) throw new lib.UsageError(`--templates must name ${TEMPLATES.join(", ")}, got ${JSON.stringify(unknown.join(","))}`);
    const timeoutMs = lib.parseDuration(typeof flags.timeout === "string" ? flags.timeout : "20m");
    const intervalMs = lib.parseDuration(typeof flags.interval === "string" ? flags.interval : "5s");
    const { domain, context } = lib.platformTarget(flags, io);
    const k = lib.kube(io, context);
    let token = typeof flags.token === "string" ? flags.token : io.env.FAWKES_BACKSTAGE_TOKEN;
    if (!token) {
      const secret = k.getJson(["secret", "-n", "backstage", "backstage-secrets"]);
      const b64 = secret?.data?.["api-token"];
      if (!b64) throw new Error("no Backstage token: pass --token or set FAWKES_BACKSTAGE_TOKEN (secret backstage/backstage-secrets has no api-token)");
      token = Buffer.from(b64, "base64").toString("utf8");
    }
    const backstage = lib.jsonApi(io, `https://backstage.${domain}`, { authorization: `Bearer ${token}` });
    const git = lib.giteaApi(io, domain, lib.gitCredential(flags, io, k));
    const results = await Promise.all(templates.map((template) => walk({ io, backstage, git, k, template, team, timeoutMs, intervalMs })));
    const report = stageReport(results);
    io.stdout(`\n${report.lines.join("\n")}\n${report.ok ? "smoke: all targets met" : "smoke: FAILED or missed a target"}\n`);
    return report.ok ? 0 : 1;
  } catch (e) {
    if (e instanceof lib.UsageError) {
      io.stderr(`smoke: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    io.stderr(`smoke: ${/** @type {Error} */ (e).message}\n`);
    return 1;
  }
}

module.exports = { main, stageReport, smokeName, TARGETS };
