// @ts-check
"use strict";
/**
 * Reading an Argo CD Application (argoproj.io/v1alpha1, as `kubectl get application -o json` or the
 * Kubernetes API returns it): is the deployment of `revision` done, and did it work? Pure; shared by
 * the pipeline (cli.js `wait-argo`) and scripts/fawkes.
 */

/**
 * @typedef {object} ApplicationStatus
 * @property {boolean} done Nothing more will change without a new commit: success, or a failure to report.
 * @property {boolean} ok Synced and Healthy at the expected revision.
 * @property {string} sync `Synced`, `OutOfSync`, `Unknown`.
 * @property {string} health `Healthy`, `Progressing`, `Degraded`, `Suspended`, `Missing`, `Unknown`.
 * @property {string} [revision] The revision Argo CD compared the cluster with (`status.sync.revision`).
 * @property {boolean} atRevision Whether that is the expected revision (always true without one).
 * @property {string} [operation] The last sync operation's phase (`Running`, `Succeeded`, `Failed`, `Error`, `Terminating`).
 * @property {string} message What a person should read: why it is not done, or why it failed.
 * @property {string} [rollout] The Deployment's rollout as Argo CD reports it (its health message).
 */

/** Conditions that mean Argo CD cannot deploy this Application at all, whatever the wait. */
const FATAL_CONDITIONS = ["InvalidSpecError", "SyncError"];

/**
 * Whether `actual` is `expected` (a full SHA, or a prefix of at least 7 characters of it).
 * @param {string | undefined} actual
 * @param {string} expected
 */
function sameRevision(actual, expected) {
  if (!actual) return false;
  return actual === expected || (expected.length >= 7 && actual.startsWith(expected));
}

/**
 * @param {any} app An Argo CD Application.
 * @param {{ revision?: string }} [expect] The Git commit that must be deployed; without it, any.
 * @returns {ApplicationStatus}
 */
function applicationStatus(app, expect = {}) {
  if (!app || app.kind !== "Application" || typeof app.metadata?.name !== "string") {
    throw new Error(`applicationStatus.app must be an Argo CD Application, got ${JSON.stringify(app?.kind ?? app ?? null)}`);
  }
  const status = app.status ?? {};
  const sync = String(status.sync?.status ?? "Unknown");
  const health = String(status.health?.status ?? "Unknown");
  /** @type {string | undefined} */
  const revision = status.sync?.revision ?? (Array.isArray(status.sync?.revisions) ? status.sync.revisions[0] : undefined);
  const expected = expect.revision;
  const atRevision = expected ? sameRevision(revision, expected) : true;
  const op = status.operationState;
  const opRevision = op?.syncResult?.revision ?? op?.operation?.sync?.revision;
  // An operation for another revision (an older sync) says nothing about this deployment.
  const opIsOurs = op && (!expected || !opRevision || sameRevision(opRevision, expected));
  const operation = op?.phase ? String(op.phase) : undefined;
  const deployment = (status.resources ?? []).find((/** @type {any} */ r) => r?.kind === "Deployment" && (r.group ?? "apps") === "apps");
  const rollout = deployment?.health?.message ? String(deployment.health.message) : undefined;
  const fatal = (status.conditions ?? []).find((/** @type {any} */ c) => FATAL_CONDITIONS.includes(c?.type));
  const base = { sync, health, revision, atRevision, operation, rollout };
  const short = (/** @type {string | undefined} */ r) => (r ? r.slice(0, 7) : "none");

  if (fatal) return { ...base, done: true, ok: false, message: `${fatal.type}: ${fatal.message ?? ""}`.trim() };
  if (opIsOurs && (operation === "Failed" || operation === "Error")) {
    const failed = (op.syncResult?.resources ?? []).find((/** @type {any} */ r) => r?.status === "SyncFailed");
    const what = failed ? `${failed.kind}/${failed.name}: ${failed.message ?? "failed"}` : (op.message ?? "sync failed");
    return { ...base, done: true, ok: false, message: `sync ${operation.toLowerCase()}: ${what}` };
  }
  if (!atRevision) {
    const pending = opIsOurs && operation === "Running" ? ` (syncing: ${op.message ?? "running"})` : "";
    return { ...base, done: false, ok: false, message: `waiting for revision ${short(expected)} (Argo CD is at ${short(revision)})${pending}` };
  }
  if (operation === "Running" && opIsOurs) return { ...base, done: false, ok: false, message: `syncing: ${op.message ?? "running"}` };
  if (health === "Degraded") {
    const bad = (status.resources ?? []).find((/** @type {any} */ r) => r?.health?.status === "Degraded");
    const what = bad ? `${bad.kind}/${bad.name}: ${bad.health.message ?? "Degraded"}` : (status.health?.message ?? "Degraded");
    return { ...base, done: true, ok: false, message: `Degraded: ${what}` };
  }
  if (sync === "Synced" && health === "Healthy") return { ...base, done: true, ok: true, message: `Synced and Healthy at ${short(revision)}` };
  if (sync !== "Synced") return { ...base, done: false, ok: false, message: `${sync}: waiting for the sync` };
  return { ...base, done: false, ok: false, message: rollout ?? `${health}: waiting for the resources` };
}

/**
 * The Deployment's rollout from its own status (kubectl get deploy -o json): `2/2 ready, 2 updated`.
 * @param {any} deploy A apps/v1 Deployment.
 * @returns {{ desired: number, updated: number, ready: number, available: number, done: boolean, text: string }}
 */
function rolloutOf(deploy) {
  const desired = Number(deploy?.spec?.replicas ?? 1);
  const s = deploy?.status ?? {};
  const updated = Number(s.updatedReplicas ?? 0);
  const ready = Number(s.readyReplicas ?? 0);
  const available = Number(s.availableReplicas ?? 0);
  const current = (s.observedGeneration ?? 0) >= (deploy?.metadata?.generation ?? 0);
  const done = current && updated === desired && ready === desired && available === desired && Number(s.replicas ?? desired) === desired;
  return { desired, updated, ready, available, done, text: `${ready}/${desired} ready, ${updated} updated` };
}

module.exports = { applicationStatus, rolloutOf, sameRevision };
