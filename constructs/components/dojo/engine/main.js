#!/usr/bin/env node
// @ts-check
"use strict";
/**
 * In-cluster entry point, run by the Dojo's CronJobs from a ConfigMap:
 *   node main.js reconcile                keep the warm pool: create, wipe, observe claims
 *   node main.js validate [--slot NAME]   run the curriculum's checks in claimed slots, record progress
 * Reads the pool definition and curriculum from DOJO_POOL and DOJO_CURRICULUM (JSON files).
 */
const fs = require("node:fs");
const kube = require("./kube");
const pool = require("./pool");
const checks = require("./checks");
const metrics = require("./metrics");
const { ANNOTATIONS, LABELS } = require("./slot");

/** @import { Api } from "./kube" */
/** @import { Check, ModuleResult } from "./checks" */
/** @import { Progress, PushgatewayAnswer } from "./metrics" */
/** @import { K8sObject, PoolDefinition } from "./slot" */
/**
 * The curriculum as the synth ships it (curriculum.json): each belt's modules, in order.
 * @typedef {{ belts: Record<string, { id: string, title: string, checks: Check[] }[]> }} Curriculum
 */

/** @param {object} o */
function log(o) {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), ...o }) + "\n");
}

/**
 * @param {string} file
 * @returns {any}
 */
function readJson(file) {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

/**
 * @param {Api} api
 * @returns {Promise<K8sObject[]>}
 */
async function listSlots(api) {
  const r = await api.request("GET", `${pool.NAMESPACES}?labelSelector=${encodeURIComponent(LABELS.belt)}`);
  return r.items || [];
}

/**
 * Objects slots own outside their namespaces, found by their slot label.
 * @param {Api} api
 * @param {PoolDefinition} def
 * @returns {Promise<K8sObject[]>}
 */
async function listExternals(api, def) {
  const selector = `?labelSelector=${encodeURIComponent(LABELS.slot)}`;
  const lists = [api.request("GET", kube.collectionPath("ServiceAccount", def.validatorNamespace) + selector)];
  if (def.argocd)
    lists.push(
      api
        .request("GET", kube.collectionPath("AppProject", def.argocd.namespace) + selector)
        .catch((e) => (e.status === 404 ? { items: [] } : Promise.reject(e))),
    );
  const answers = await Promise.all(lists);
  return answers.flatMap((a, i) => (a.items || []).map((/** @type {K8sObject} */ o) => ({ ...o, kind: i === 0 ? "ServiceAccount" : "AppProject" })));
}

/**
 * @param {PoolDefinition} def
 * @param {"POST" | "PUT" | "DELETE"} method
 * @param {string} path
 * @param {string} text
 */
async function push(def, method, path, text) {
  const res = await kube.send(def.pushgateway + path, { method, body: text, headers: { "Content-Type": "text/plain; version=0.0.4" } });
  if (res.status >= 400) throw new Error(`Pushgateway ${method} ${path}: HTTP ${res.status} ${res.text.trim()}`);
}

/**
 * @param {PoolDefinition} def
 * @returns {Promise<number>} the exit code
 */
async function reconcile(def) {
  const api = kube.inClusterClient();
  const now = new Date();
  const plan = pool.planReconcile(def, await listSlots(api), now, await listExternals(api, def));
  log({ msg: "plan", create: plan.create.length, remove: plan.remove.length, observe: plan.observe.length, orphans: plan.orphans.length });
  const errors = await pool.applyPlan(api, def, plan, now, log);
  for (const e of errors) log({ level: "error", ...e });
  try {
    const counts = pool.poolCounts(def, await listSlots(api));
    await push(def, "POST", metrics.groupPath(metrics.POOL_JOB, {}), metrics.poolMetrics(counts, def, now, errors.length === 0));
  } catch (/** @type {any} */ e) {
    log({ level: "warning", msg: "pool metrics not pushed", error: e.message });
  }
  return errors.length ? 1 : 0;
}

/**
 * A short-lived token for the slot's validator identity: read-only, in that slot only.
 * @param {Api} runner
 * @param {PoolDefinition} def
 * @param {string} slot
 * @returns {Promise<string>}
 */
async function slotToken(runner, def, slot) {
  const r = await runner.request("POST", `${kube.objectPath("ServiceAccount", def.validatorNamespace, slot)}/token`, {
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenRequest",
    spec: { expirationSeconds: 600 },
  });
  return r.status.token;
}

/**
 * @param {string} slot
 * @param {string} learner
 * @param {string} belt
 * @param {ModuleResult[]} results
 * @param {{ completed: number, total: number, earned: boolean }} [progress]
 * @returns {string}
 */
function report(slot, learner, belt, results, progress) {
  const lines = [`${slot} (learner ${learner}, ${belt} belt)`];
  for (const r of results) {
    lines.push(`  ${r.passed ? "PASS" : "FAIL"} ${r.module}  ${r.title}`);
    for (const c of r.checks) lines.push(`      ${c.passed ? "ok  " : "FAIL"} ${c.id}: ${c.passed ? c.description : c.message}`);
  }
  if (progress) lines.push(`  ${belt} belt: ${progress.completed}/${progress.total} modules completed${progress.earned ? " - BELT EARNED" : ""}`);
  return lines.join("\n");
}

/**
 * @param {Api} runner
 * @param {PoolDefinition} def
 * @param {Curriculum} curriculum
 * @param {K8sObject} ns
 * @param {PushgatewayAnswer | undefined} previous the Pushgateway's /api/v1/metrics answer, when it could be read
 * @param {Date} now
 */
async function validateSlot(runner, def, curriculum, ns, previous, now) {
  const slot = ns.metadata.name;
  const labels = ns.metadata.labels || {};
  const belt = labels[LABELS.belt];
  const learner = labels[LABELS.learner];
  if (labels[LABELS.state] !== "claimed" || !learner) throw new Error(`${slot} is not claimed`);
  const modules = curriculum.belts[belt] || [];
  const slotApi = kube.inClusterClient({ token: await slotToken(runner, def, slot) });
  const list = checks.slotLister(slotApi, slot, kube.collectionPath);
  const vars = { slot, domain: def.domain, belt, learner };
  const results = [];
  for (const mod of modules) results.push(await checks.runModule(mod, list, vars));
  /** @type {(Progress & { completed: number, total: number, earned: boolean }) | undefined} */
  let progress;
  if (previous) {
    const annotations = ns.metadata.annotations || {};
    // The Keycloak id when claimed with identity: a renamed learner keeps one history.
    const learnerId = annotations[ANNOTATIONS.learnerId] || learner;
    const m = metrics.progressMetrics({
      results,
      previous: metrics.previousProgress(previous, { learnerId, learner }, belt),
      moduleIds: modules.map((x) => x.id),
      claimedAt: annotations[ANNOTATIONS.claimedAt],
      now,
      learner,
    });
    await push(def, "PUT", metrics.groupPath(metrics.JOB, metrics.progressGroup(learnerId, belt)), m.text);
    // Its progress now lives in the learner_id group: the name-keyed group would count the learner twice.
    if (metrics.legacyGroup(previous, learner, belt)) await push(def, "DELETE", metrics.groupPath(metrics.JOB, { learner, belt }), "");
    progress = m.progress;
  }
  process.stdout.write(report(slot, learner, belt, results, progress) + "\n");
  log({
    msg: "validated",
    slot,
    learner,
    belt,
    passed: results.filter((r) => r.passed).map((r) => r.module),
    failed: results.filter((r) => !r.passed).map((r) => r.module),
    recorded: Boolean(progress),
  });
}

/**
 * @param {PoolDefinition} def
 * @param {Curriculum} curriculum
 * @param {string} [slot]
 * @returns {Promise<number>} the exit code
 */
async function validate(def, curriculum, slot) {
  const runner = kube.inClusterClient();
  const now = new Date();
  const targets = slot
    ? [await runner.request("GET", `${pool.NAMESPACES}/${encodeURIComponent(slot)}`)]
    : (await listSlots(runner)).filter((ns) => (ns.metadata.labels || {})[LABELS.state] === "claimed" && !pool.isTerminating(ns));
  // Earlier progress is read before it is replaced; without it nothing is pushed (history would be lost).
  /** @type {PushgatewayAnswer | undefined} */
  let previous;
  try {
    const res = await kube.send(`${def.pushgateway}/api/v1/metrics`);
    if (res.status >= 400) throw new Error(`HTTP ${res.status}`);
    previous = JSON.parse(res.text);
  } catch (/** @type {any} */ e) {
    log({ level: "warning", msg: "Pushgateway not readable: results are printed, not recorded", error: e.message });
  }
  const errors = await pool.eachLimit(targets, 4, (ns) => validateSlot(runner, def, curriculum, ns, previous, now));
  for (const { item, error } of errors) log({ level: "error", slot: item.metadata.name, error: error.message });
  return errors.length ? 1 : 0;
}

/**
 * @param {string[]} argv
 * @returns {Promise<number>} the exit code
 */
async function main(argv) {
  const def = readJson(process.env.DOJO_POOL || "/etc/dojo/pool.json");
  const [command, ...rest] = argv;
  if (command === "reconcile") return reconcile(def);
  if (command === "validate") {
    const i = rest.indexOf("--slot");
    return validate(def, readJson(process.env.DOJO_CURRICULUM || "/etc/dojo/curriculum.json"), i >= 0 ? rest[i + 1] : undefined);
  }
  process.stderr.write("usage: main.js reconcile | validate [--slot NAME]\n");
  return 2;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (/** @type {any} */ e) => {
      log({ level: "error", msg: e.message });
      process.exit(1);
    },
  );
}

module.exports = { main, reconcile, validate, validateSlot, report };
