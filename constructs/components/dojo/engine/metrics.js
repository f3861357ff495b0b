// @ts-check
"use strict";
/**
 * Progress as Prometheus metrics, through the Pushgateway: one group per learner and belt
 * (`/metrics/job/dojo/learner_id/<id>/belt/<belt>`), replaced on every validation. The id is the
 * learner's Keycloak user id when the slot was claimed with identity, else the learner name; every
 * sample also carries `learner` (the name), so a rename replaces the same group instead of
 * starting a second history. Groups from before learner_id (`/learner/<name>/belt/<belt>`) are
 * read once as earlier progress (legacyGroup) and then deleted. What must survive
 * a wiped slot (first completion time of each module, when the belt was started and earned) is read
 * back from the group before it is replaced, so progress follows the learner, not the slot.
 */

/** @import { ModuleResult } from "./checks" */

/** @typedef {{ labels?: Record<string, string>, value: number }} Sample */
/** @typedef {{ name: string, help: string, type?: string, samples: Sample[] }} Family */
/** @typedef {{ startedAt?: number, earnedAt?: number, completedAt: Record<string, number> }} Progress */
/**
 * One group of the Pushgateway's /api/v1/metrics answer: its labels, and each metric family by name.
 * @typedef {{ labels?: Record<string, string>, [family: string]: unknown }} PushGroup
 */
/** @typedef {{ metrics?: { labels?: Record<string, string>, value: string | number }[] }} PushFamily */
/** @typedef {{ data?: PushGroup[] }} PushgatewayAnswer */

const JOB = "dojo";
const POOL_JOB = "dojo-pool";

/**
 * @param {unknown} v
 * @returns {string}
 */
function escapeLabel(v) {
  return String(v).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/**
 * Prometheus text exposition of families [{ name, help, type, samples: [{ labels, value }] }].
 * @param {Family[]} families
 * @returns {string}
 */
function exposition(families) {
  const out = [];
  for (const f of families) {
    if (!f.samples.length) continue;
    out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type || "gauge"}`);
    for (const s of f.samples) {
      const labels = Object.entries(s.labels || {}).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
      out.push(`${f.name}${labels.length ? `{${labels.join(",")}}` : ""} ${Number(s.value)}`);
    }
  }
  return out.join("\n") + "\n";
}

/**
 * @param {string} job
 * @param {Record<string, string>} labels
 * @returns {string}
 */
function groupPath(job, labels) {
  return (
    `/metrics/job/${encodeURIComponent(job)}` +
    Object.entries(labels)
      .map(([k, v]) => `/${k}/${encodeURIComponent(v)}`)
      .join("")
  );
}

/**
 * Values of one metric in one group of the Pushgateway's /api/v1/metrics answer.
 * @param {PushGroup | undefined} group
 * @param {string} name
 * @returns {{ labels: Record<string, string>, value: number }[]}
 */
function samplesOf(group, name) {
  const family = /** @type {PushFamily | undefined} */ (group && group[name]);
  return ((family && family.metrics) || []).map((m) => ({ labels: m.labels || {}, value: Number(m.value) }));
}

/**
 * The grouping key of a learner's progress in a belt.
 * @param {string} learnerId
 * @param {string} belt
 * @returns {Record<string, string>}
 */
function progressGroup(learnerId, belt) {
  return { learner_id: learnerId, belt };
}

/**
 * The group for a learner id and belt in an /api/v1/metrics answer, or undefined.
 * @param {PushgatewayAnswer | undefined} apiAnswer
 * @param {string} learnerId
 * @param {string} belt
 * @returns {PushGroup | undefined}
 */
function findGroup(apiAnswer, learnerId, belt) {
  return ((apiAnswer && apiAnswer.data) || []).find((g) => g.labels && g.labels.job === JOB && g.labels.learner_id === learnerId && g.labels.belt === belt);
}

/**
 * A group pushed before learner_id existed (keyed by learner name), or undefined.
 * @param {PushgatewayAnswer | undefined} apiAnswer
 * @param {string} learner
 * @param {string} belt
 * @returns {PushGroup | undefined}
 */
function legacyGroup(apiAnswer, learner, belt) {
  return ((apiAnswer && apiAnswer.data) || []).find(
    (g) => g.labels && g.labels.job === JOB && !g.labels.learner_id && g.labels.learner === learner && g.labels.belt === belt,
  );
}

/**
 * What earlier validations recorded: { startedAt, earnedAt, completedAt: { module: seconds } }.
 * Keyed by learner id; a legacy group of the learner's name is the fallback.
 * @param {PushgatewayAnswer | undefined} apiAnswer
 * @param {{ learnerId: string, learner: string }} who
 * @param {string} belt
 * @returns {Progress}
 */
function previousProgress(apiAnswer, { learnerId, learner }, belt) {
  const g = findGroup(apiAnswer, learnerId, belt) || legacyGroup(apiAnswer, learner, belt);
  /** @type {Record<string, number>} */
  const completedAt = {};
  for (const s of samplesOf(g, "dojo_module_completed_timestamp_seconds"))
    if (s.labels.module && Number.isFinite(s.value)) completedAt[s.labels.module] = s.value;
  /** @param {string} name */
  const one = (name) => {
    const v = samplesOf(g, name)[0];
    return v && Number.isFinite(v.value) ? v.value : undefined;
  };
  return { startedAt: one("dojo_belt_started_timestamp_seconds"), earnedAt: one("dojo_belt_earned_timestamp_seconds"), completedAt };
}

/**
 * Merges this run's results with earlier progress and renders the group. `results` come from
 * runModule; `moduleIds` are every module of the belt (for the completion ratio); `learner` (the
 * name) labels every sample, next to the group's learner_id.
 * Returns { progress, text }.
 * @param {{ results: ModuleResult[], previous: Progress, moduleIds: string[], claimedAt?: string, now: Date, learner: string }} input
 * @returns {{ progress: Progress & { startedAt: number, earned: boolean, completed: number, total: number }, text: string }}
 */
function progressMetrics({ results, previous, moduleIds, claimedAt, now, learner }) {
  const nowS = Math.floor(now.getTime() / 1000);
  const claimedS = claimedAt ? Math.floor(Date.parse(claimedAt) / 1000) : undefined;
  const completedAt = { ...previous.completedAt };
  for (const r of results) if (r.passed && completedAt[r.module] === undefined) completedAt[r.module] = nowS;
  const done = moduleIds.filter((m) => completedAt[m] !== undefined);
  const startedAt = previous.startedAt ?? (Number.isFinite(claimedS) ? /** @type {number} */ (claimedS) : nowS);
  const earned = moduleIds.length > 0 && done.length === moduleIds.length;
  const earnedAt = earned ? (previous.earnedAt ?? nowS) : undefined;
  const families = [
    {
      name: "dojo_check_passed",
      help: "1 when the check passed at the last validation",
      samples: results.flatMap((r) => r.checks.map((c) => ({ labels: { module: r.module, check: c.id }, value: c.passed ? 1 : 0 }))),
    },
    {
      name: "dojo_module_passed",
      help: "1 when every check of the module passed at the last validation",
      samples: results.map((r) => ({ labels: { module: r.module }, value: r.passed ? 1 : 0 })),
    },
    {
      name: "dojo_module_completed",
      help: "1 once the module has passed at least once",
      samples: moduleIds.map((m) => ({ labels: { module: m }, value: completedAt[m] !== undefined ? 1 : 0 })),
    },
    {
      name: "dojo_module_completed_timestamp_seconds",
      help: "When the module first passed",
      samples: done.map((m) => ({ labels: { module: m }, value: completedAt[m] })),
    },
    { name: "dojo_belt_started_timestamp_seconds", help: "When the learner first claimed a lab of this belt", samples: [{ value: startedAt }] },
    {
      name: "dojo_belt_completion_ratio",
      help: "Completed modules of the belt, 0-1",
      samples: [{ value: moduleIds.length ? done.length / moduleIds.length : 0 }],
    },
    { name: "dojo_belt_earned", help: "1 once every module of the belt has passed", samples: [{ value: earned ? 1 : 0 }] },
    { name: "dojo_belt_earned_timestamp_seconds", help: "When the belt was earned", samples: earnedAt !== undefined ? [{ value: earnedAt }] : [] },
    { name: "dojo_last_validation_timestamp_seconds", help: "When the learner's lab was last validated", samples: [{ value: nowS }] },
  ];
  const named = /** @type {Family[]} */ (families).map((f) => ({ ...f, samples: f.samples.map((x) => ({ ...x, labels: { learner, ...(x.labels || {}) } })) }));
  return { progress: { startedAt, earnedAt, completedAt, earned, completed: done.length, total: moduleIds.length }, text: exposition(named) };
}

/**
 * The pool's own metrics: slots by belt and state, configured slots and, when `success`, the time of
 * this run (push with POST, which replaces only the families sent, so a failed run keeps the last success).
 * @param {Record<string, Record<string, number>>} counts
 * @param {{ belts: Record<string, { slots: number }> }} pool
 * @param {Date} now
 * @param {boolean} [success]
 * @returns {string}
 */
function poolMetrics(counts, pool, now, success = true) {
  const families = [
    {
      name: "dojo_slots",
      help: "Lab slots by belt and state",
      samples: Object.entries(counts).flatMap(([belt, byState]) => Object.entries(byState).map(([state, n]) => ({ labels: { belt, state }, value: n }))),
    },
    {
      name: "dojo_slots_configured",
      help: "Warm lab slots the pool keeps per belt",
      samples: Object.entries(pool.belts).map(([belt, b]) => ({ labels: { belt }, value: b.slots })),
    },
    {
      name: "dojo_reconcile_last_success_timestamp_seconds",
      help: "When the pool reconciler last finished without errors",
      samples: success ? [{ value: Math.floor(now.getTime() / 1000) }] : [],
    },
  ];
  return exposition(families);
}

module.exports = { JOB, POOL_JOB, exposition, groupPath, progressGroup, findGroup, legacyGroup, previousProgress, progressMetrics, poolMetrics };
