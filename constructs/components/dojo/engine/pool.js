// @ts-check
"use strict";
/**
 * The warm pool: claim, release, expiry, and the reconciler's plan. Pure decisions (`plan*`,
 * `claimNamespace`, `isExpired`...) are separate from the few functions that talk to the API
 * (`claimSlot`, `releaseSlot`, `applyPlan`), which take any client with
 * `request(method, path, body) -> Promise<object>` that throws `{ status }` on HTTP errors
 * (the in-cluster client, or kubectl for scripts/dojo).
 *
 * Concurrency: every write of a slot namespace is a PUT carrying the resourceVersion that was read,
 * so two claims racing for one slot cannot both win (the second gets 409 and moves on), and
 * deleting a slot carries uid + resourceVersion preconditions, so a slot is only wiped in the
 * state the decision was made on. Every write names exactly one slot: releasing, expiring or
 * re-claiming never touches another.
 */
const { ANNOTATIONS, LABELS, LEARNER_BINDING, learnerBinding, parseSlotName, renderSlot, slotName, specHash } = require("./slot");
const { collectionPath, objectPath } = require("./kube");

/** @import { Belt, BeltPool, K8sObject, PoolDefinition } from "./slot" */
/** @import { Api } from "./kube" */

/**
 * What one reconciler run does (see planReconcile).
 * @typedef {object} Plan
 * @property {{ belt: Belt, index: number, name: string }[]} create
 * @property {{ name: string, reason: string, uid?: string, resourceVersion?: string }[]} remove
 * @property {{ name: string, user?: string, role?: string, namespace: K8sObject }[]} observe
 * @property {{ kind: string, namespace: string, name: string, slot: string }[]} orphans
 */
/**
 * `learnerId`/`learnerEmail`: the learner's identity in Keycloak (instructor claims on a platform with identity).
 * @typedef {{ learner: string, user?: string, module?: string, now: Date, ttlHours?: number, learnerId?: string, learnerEmail?: string }} Claim
 */

const NAMESPACES = "/api/v1/namespaces";
/** A slot still `provisioning` after this long was left behind by a failed run: rebuild it. */
const STUCK_MS = 10 * 60 * 1000;
const LEARNER_ID = /^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/;

/**
 * @param {K8sObject} o
 * @returns {Record<string, string>}
 */
function labelsOf(o) {
  return (o.metadata && o.metadata.labels) || {};
}
/**
 * @param {K8sObject} o
 * @returns {Record<string, string>}
 */
function annotationsOf(o) {
  return (o.metadata && o.metadata.annotations) || {};
}
/**
 * @param {K8sObject} ns
 * @returns {string}
 */
function stateOf(ns) {
  return labelsOf(ns)[LABELS.state];
}
/**
 * @param {K8sObject & { status?: { phase?: string } }} ns
 * @returns {boolean}
 */
function isTerminating(ns) {
  return Boolean(ns.metadata && ns.metadata.deletionTimestamp) || (ns.status && ns.status.phase) === "Terminating";
}
/**
 * @param {K8sObject} ns
 * @returns {number}
 */
function indexOf(ns) {
  const i = Number(labelsOf(ns)[LABELS.index]);
  if (Number.isInteger(i)) return i;
  const parsed = parseSlotName(ns.metadata.name);
  return parsed ? parsed.index : NaN;
}
/**
 * @param {string | undefined} s
 * @returns {number | undefined}
 */
function time(s) {
  const t = Date.parse(/** @type {string} */ (s));
  return Number.isFinite(t) ? t : undefined;
}

/**
 * A learner id usable as a label value and metric label: lower-case letters, digits, "-", "."; 1-63.
 * @param {string} learner
 * @returns {string}
 */
function checkLearner(learner) {
  if (typeof learner !== "string" || !LEARNER_ID.test(learner)) {
    throw new Error(`learner must be 1-63 lower-case letters, digits, "-" or "." (starting and ending alphanumeric), got "${learner}"`);
  }
  return learner;
}

/**
 * A learner id from a cluster user name (e-mail, OIDC subject...): what self-service claims record.
 * @param {string} user
 * @returns {string}
 */
function learnerFromUser(user) {
  const id = String(user)
    .toLowerCase()
    .replace(/^.*[#/:]/, "")
    .replace(/[^a-z0-9.-]+/g, "-")
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "")
    .slice(0, 63)
    .replace(/[^a-z0-9]+$/, "");
  return checkLearner(id || "learner");
}

/**
 * When a claimed slot expires: the earliest of its expires-at annotation and observed-at + TTL (the
 * reconciler's own record, so a hand-edited expires-at cannot extend a claim beyond the TTL).
 * `undefined` when the claim carries no usable time at all.
 * @param {K8sObject} ns
 * @param {number} ttlHours
 * @returns {number | undefined}
 */
function expiryOf(ns, ttlHours) {
  const a = annotationsOf(ns);
  const ttl = ttlHours * 3600 * 1000;
  const candidates = [time(a[ANNOTATIONS.expiresAt])];
  const observed = time(a[ANNOTATIONS.observedAt]);
  if (observed !== undefined) candidates.push(observed + ttl);
  const claimed = time(a[ANNOTATIONS.claimedAt]);
  if (observed === undefined && claimed !== undefined) candidates.push(claimed + ttl);
  const known = candidates.filter((t) => t !== undefined);
  return known.length ? Math.min(...known) : undefined;
}

/**
 * Whether a claimed slot must be wiped: past its expiry, or claimed without any time.
 * @param {K8sObject} ns
 * @param {Date} now
 * @param {number} ttlHours
 * @returns {boolean}
 */
function isExpired(ns, now, ttlHours) {
  if (stateOf(ns) !== "claimed") return false;
  const expiry = expiryOf(ns, ttlHours);
  return expiry === undefined || now.getTime() >= expiry;
}

/**
 * The TTL a claim of this slot gets: the caller's, else the one the slot was rendered with, else 24 h.
 * @param {K8sObject} ns
 * @param {number | undefined} ttlHours
 * @returns {number}
 */
function ttlOf(ns, ttlHours) {
  return ttlHours || Number(annotationsOf(ns)[ANNOTATIONS.ttlHours]) || 24;
}

/**
 * The namespace as claimed (a new object; resourceVersion kept, so the PUT is conditional).
 * @param {K8sObject} ns
 * @param {Claim} claim
 * @returns {K8sObject}
 */
function claimNamespace(ns, claim) {
  checkLearner(claim.learner);
  const now = claim.now;
  const annotations = { ...annotationsOf(ns) };
  annotations[ANNOTATIONS.claimedAt] = now.toISOString();
  annotations[ANNOTATIONS.expiresAt] = new Date(now.getTime() + ttlOf(ns, claim.ttlHours) * 3600 * 1000).toISOString();
  if (claim.module) annotations[ANNOTATIONS.module] = claim.module;
  else delete annotations[ANNOTATIONS.module];
  if (claim.user) annotations[ANNOTATIONS.user] = claim.user;
  else delete annotations[ANNOTATIONS.user];
  // Absent means "claimed by name only": never left over from an earlier claim.
  if (claim.learnerId) annotations[ANNOTATIONS.learnerId] = claim.learnerId;
  else delete annotations[ANNOTATIONS.learnerId];
  if (claim.learnerEmail) annotations[ANNOTATIONS.learnerEmail] = claim.learnerEmail;
  else delete annotations[ANNOTATIONS.learnerEmail];
  return {
    ...ns,
    metadata: {
      ...ns.metadata,
      labels: { ...labelsOf(ns), [LABELS.state]: "claimed", [LABELS.learner]: claim.learner },
      annotations,
    },
  };
}

/**
 * The namespace as released: the reconciler wipes it on its next run.
 * @param {K8sObject} ns
 * @returns {K8sObject}
 */
function releaseNamespace(ns) {
  return { ...ns, metadata: { ...ns.metadata, labels: { ...labelsOf(ns), [LABELS.state]: "released" } } };
}

/**
 * Free slots of a belt, in index order (the claim tries them in this order).
 * @param {K8sObject[]} namespaces
 * @param {string} belt
 * @returns {K8sObject[]}
 */
function freeSlots(namespaces, belt) {
  return namespaces.filter((ns) => labelsOf(ns)[LABELS.belt] === belt && stateOf(ns) === "free" && !isTerminating(ns)).sort((a, b) => indexOf(a) - indexOf(b));
}

/**
 * @param {string} belt
 * @returns {string}
 */
function beltSelector(belt) {
  return `${NAMESPACES}?labelSelector=${encodeURIComponent(`${LABELS.belt}=${belt}`)}`;
}

/**
 * Claims a free slot of `belt` for `learner` (or returns the slot the learner already holds in that
 * belt). Tries free slots in order; a 409 means someone else got that one first.
 * Returns { slot, expiresAt, reused }.
 * @param {Api} api
 * @param {{ belt: string, learner: string, user?: string, module?: string, now?: Date, ttlHours?: number, learnerId?: string, learnerEmail?: string }} options
 * @returns {Promise<{ slot: string, expiresAt: string, reused: boolean }>}
 */
async function claimSlot(api, { belt, learner, user, module, now = new Date(), ttlHours, learnerId, learnerEmail }) {
  checkLearner(learner);
  const list = await api.request("GET", beltSelector(belt));
  /** @type {K8sObject[]} */
  const items = list.items || [];
  const held = items.find(
    (ns) => stateOf(ns) === "claimed" && labelsOf(ns)[LABELS.learner] === learner && !isTerminating(ns) && !isExpired(ns, now, ttlOf(ns, ttlHours)),
  );
  if (held) return { slot: held.metadata.name, expiresAt: new Date(/** @type {number} */ (expiryOf(held, ttlOf(held, ttlHours)))).toISOString(), reused: true };
  let lost = 0;
  for (const ns of freeSlots(items, belt)) {
    const claimed = claimNamespace(ns, { learner, user, module, now, ttlHours, learnerId, learnerEmail });
    try {
      await api.request("PUT", `${NAMESPACES}/${ns.metadata.name}`, claimed);
      return { slot: ns.metadata.name, expiresAt: annotationsOf(claimed)[ANNOTATIONS.expiresAt], reused: false };
    } catch (/** @type {any} */ e) {
      if (e && e.status === 409) {
        lost++;
        continue;
      }
      throw e;
    }
  }
  const busy = items.filter((ns) => stateOf(ns) !== "free").length;
  throw new Error(
    `no free ${belt} slot (${items.length} slots, ${busy} busy${lost ? `, ${lost} taken while claiming` : ""}): ` +
      `try again in a minute, or raise dojo.belts.${belt}.slots`,
  );
}

/**
 * Marks one slot released (idempotent). With `learner`, refuses a slot someone else holds.
 * Retries on 409 with a fresh read: only this slot's namespace is written.
 * @param {Api} api
 * @param {string} name
 * @param {{ learner?: string }} [options]
 * @returns {Promise<{ slot: string, already: boolean }>}
 */
async function releaseSlot(api, name, { learner } = {}) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const ns = await api.request("GET", `${NAMESPACES}/${name}`);
    if (!labelsOf(ns)[LABELS.belt]) throw new Error(`${name} is not a dojo slot`);
    const state = stateOf(ns);
    if (state === "released") return { slot: name, already: true };
    if (state !== "claimed") throw new Error(`${name} is ${state}, not claimed`);
    if (learner && labelsOf(ns)[LABELS.learner] !== learner) throw new Error(`${name} is claimed by ${labelsOf(ns)[LABELS.learner]}, not ${learner}`);
    try {
      await api.request("PUT", `${NAMESPACES}/${name}`, releaseNamespace(ns));
      return { slot: name, already: false };
    } catch (/** @type {any} */ e) {
      if (!(e && e.status === 409)) throw e;
    }
  }
  throw new Error(`${name}: could not release after 5 attempts (the slot keeps changing)`);
}

/**
 * What the reconciler does this run, decided from the slot namespaces and the objects slots own
 * outside them (validator service accounts, AppProjects), all labelled with their slot:
 * - create: slots the pool should have and that do not exist (nor are still terminating);
 * - remove: expired, released, surplus, stale (free, rendered from an older pool definition),
 *   stuck, and duplicate claims (one slot per learner and belt) — each with the uid and
 *   resourceVersion it was decided on;
 * - observe: claims the reconciler has not seen yet (it records the time and binds the learner);
 * - orphans: outside objects whose slot is gone or being removed.
 * @param {PoolDefinition} pool
 * @param {K8sObject[]} namespaces
 * @param {Date} now
 * @param {K8sObject[]} [externals]
 * @returns {Plan}
 */
function planReconcile(pool, namespaces, now, externals = []) {
  /** @type {Plan} */
  const plan = { create: [], remove: [], observe: [], orphans: [] };
  /** @type {Set<string>} */
  const present = new Set();
  /** @type {Set<string>} */
  const removed = new Set();
  /** @type {(ns: K8sObject, reason: string) => void} */
  const remove = (ns, reason) => {
    removed.add(ns.metadata.name);
    plan.remove.push({ name: ns.metadata.name, reason, uid: ns.metadata.uid, resourceVersion: ns.metadata.resourceVersion });
  };
  /** @type {Map<string, K8sObject[]>} */
  const claims = new Map();
  for (const ns of namespaces) {
    const name = ns.metadata.name;
    present.add(name);
    if (isTerminating(ns)) continue;
    // Any label value: a belt the pool does not have makes the slot surplus.
    const belt = /** @type {Belt} */ (labelsOf(ns)[LABELS.belt]);
    const b = /** @type {BeltPool | undefined} */ (pool.belts[belt]);
    const index = indexOf(ns);
    const surplus = !b || !(index >= 1 && index <= b.slots) || name !== slotName(belt, index);
    const state = stateOf(ns);
    if (state === "provisioning") {
      const created = time(annotationsOf(ns)[ANNOTATIONS.createdAt]) ?? time(ns.metadata.creationTimestamp) ?? 0;
      if (surplus || now.getTime() - created > STUCK_MS) remove(ns, surplus ? "surplus" : "stuck provisioning");
    } else if (state === "free") {
      if (surplus) remove(ns, "surplus");
      else if (annotationsOf(ns)[ANNOTATIONS.spec] !== specHash(belt, pool)) remove(ns, "pool definition changed");
    } else if (state === "claimed") {
      if (isExpired(ns, now, pool.ttlHours)) remove(ns, "expired");
      else {
        const key = `${belt}/${labelsOf(ns)[LABELS.learner]}`;
        claims.set(key, [...(claims.get(key) || []), ns]);
        if (!annotationsOf(ns)[ANNOTATIONS.observedAt])
          plan.observe.push({ name, user: annotationsOf(ns)[ANNOTATIONS.user], role: b ? b.learnerRole : undefined, namespace: ns });
      }
    } else if (state === "released") remove(ns, "released");
    else remove(ns, `unknown state "${state}"`);
  }
  // One slot per learner and belt: keep the earliest claim, wipe the others.
  for (const held of claims.values()) {
    if (held.length < 2) continue;
    const sorted = [...held].sort(
      (a, b) => (time(annotationsOf(a)[ANNOTATIONS.claimedAt]) ?? 0) - (time(annotationsOf(b)[ANNOTATIONS.claimedAt]) ?? 0) || indexOf(a) - indexOf(b),
    );
    for (const ns of sorted.slice(1)) {
      remove(ns, "duplicate claim");
      plan.observe = plan.observe.filter((o) => o.name !== ns.metadata.name);
    }
  }
  for (const belt of /** @type {Belt[]} */ (Object.keys(pool.belts))) {
    for (let index = 1; index <= pool.belts[belt].slots; index++) {
      const name = slotName(belt, index);
      if (!present.has(name)) plan.create.push({ belt, index, name });
    }
  }
  const live = new Set(namespaces.filter((ns) => !isTerminating(ns) && !removed.has(ns.metadata.name)).map((ns) => ns.metadata.name));
  for (const o of externals) {
    const slot = labelsOf(o)[LABELS.slot];
    if (!live.has(slot) && !plan.create.some((c) => c.name === slot))
      plan.orphans.push({ kind: o.kind, namespace: /** @type {string} */ (o.metadata.namespace), name: o.metadata.name, slot });
  }
  return plan;
}

/**
 * Runs `fn` over `items`, at most `limit` at a time; collects errors instead of stopping.
 * @template T
 * @param {T[]} items
 * @param {number} limit
 * @param {(item: T) => Promise<unknown>} fn
 * @returns {Promise<{ item: T, error: any }[]>}
 */
async function eachLimit(items, limit, fn) {
  /** @type {{ item: T, error: any }[]} */
  const errors = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (e) {
        errors.push({ item, error: e });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return errors;
}

/**
 * @template T
 * @param {Promise<T>} p
 * @returns {Promise<T | undefined>}
 */
async function ignore404(p) {
  try {
    return await p;
  } catch (/** @type {any} */ e) {
    if (e && e.status === 404) return undefined;
    throw e;
  }
}

/**
 * Creates an object, or replaces the one already there (keeping its resourceVersion).
 * @param {Api} api
 * @param {K8sObject} obj
 * @returns {Promise<any>}
 */
async function createOrReplace(api, obj) {
  const ns = obj.metadata.namespace;
  try {
    return await api.request("POST", collectionPath(obj.kind, ns), obj);
  } catch (/** @type {any} */ e) {
    if (!(e && e.status === 409)) throw e;
    const existing = await api.request("GET", objectPath(obj.kind, ns, obj.metadata.name));
    return api.request("PUT", objectPath(obj.kind, ns, obj.metadata.name), {
      ...obj,
      metadata: { ...obj.metadata, resourceVersion: existing.metadata.resourceVersion },
    });
  }
}

/**
 * Objects a slot owns outside its namespace (deleted with it).
 * @param {string} name
 * @param {PoolDefinition} pool
 * @returns {{ kind: string, namespace: string, name: string }[]}
 */
function externalsOf(name, pool) {
  const out = [{ kind: "ServiceAccount", namespace: pool.validatorNamespace, name }];
  if (pool.argocd) out.push({ kind: "AppProject", namespace: pool.argocd.namespace, name });
  return out;
}

/**
 * Carries out a plan. Each step touches one slot; a failure is logged and retried on the next run.
 * Returns the list of errors ({ step, slot, message }).
 * @param {Api} api
 * @param {PoolDefinition} pool
 * @param {Plan} plan
 * @param {Date} now
 * @param {(o: object) => void} [log]
 * @returns {Promise<{ step: string, slot: string, message: string }[]>}
 */
async function applyPlan(api, pool, plan, now, log = () => {}) {
  /** @type {{ step: string, slot: string, message: string }[]} */
  const errors = [];
  /** @type {(step: string) => (errs: { item: { name: string }, error: any }[]) => void} */
  const record = (step) => (errs) =>
    errs.forEach(({ item, error }) => errors.push({ step, slot: item.name, message: String((error && error.message) || error) }));

  record("remove")(
    await eachLimit(plan.remove, 4, async (r) => {
      const preconditions = { uid: r.uid, resourceVersion: r.resourceVersion };
      try {
        await api.request("DELETE", `${NAMESPACES}/${r.name}`, { apiVersion: "v1", kind: "DeleteOptions", preconditions, propagationPolicy: "Background" });
      } catch (/** @type {any} */ e) {
        // 409: changed since it was read (e.g. re-claimed or extended): decide again next run.
        if (e && e.status === 409) return log({ msg: "slot changed, not removed", slot: r.name });
        if (!(e && e.status === 404)) throw e;
      }
      for (const x of externalsOf(r.name, pool)) await ignore404(api.request("DELETE", objectPath(x.kind, x.namespace, x.name)));
      log({ msg: "slot removed", slot: r.name, reason: r.reason });
    }),
  );

  record("orphan")(
    await eachLimit(plan.orphans, 4, async (o) => {
      await ignore404(api.request("DELETE", objectPath(o.kind, o.namespace, o.name)));
      log({ msg: "orphan removed", kind: o.kind, name: o.name });
    }),
  );

  record("create")(
    await eachLimit(plan.create, 4, async (c) => {
      const { objects } = renderSlot(c.belt, c.index, pool, now.toISOString());
      try {
        await api.request("POST", NAMESPACES, objects[0]);
      } catch (/** @type {any} */ e) {
        if (e && e.status === 409) return log({ msg: "slot exists already", slot: c.name });
        throw e;
      }
      for (const obj of objects.slice(1)) await createOrReplace(api, obj);
      // Only now may it be claimed: a claim never gets a half-built slot.
      const ns = await api.request("GET", `${NAMESPACES}/${c.name}`);
      await api.request("PUT", `${NAMESPACES}/${c.name}`, { ...ns, metadata: { ...ns.metadata, labels: { ...labelsOf(ns), [LABELS.state]: "free" } } });
      log({ msg: "slot created", slot: c.name });
    }),
  );

  record("observe")(
    await eachLimit(plan.observe, 4, async (o) => {
      if (o.role) await createOrReplace(api, learnerBinding(o.name, o.role, o.user));
      const ns = o.namespace;
      const annotations = { ...annotationsOf(ns), [ANNOTATIONS.observedAt]: now.toISOString() };
      try {
        await api.request("PUT", `${NAMESPACES}/${o.name}`, { ...ns, metadata: { ...ns.metadata, annotations } });
      } catch (/** @type {any} */ e) {
        if (!(e && e.status === 409)) throw e;
      }
      log({ msg: "claim observed", slot: o.name, user: o.user || null });
    }),
  );
  return errors;
}

/**
 * Slot counts by belt and state, for the pool's metrics.
 * @param {PoolDefinition} pool
 * @param {K8sObject[]} namespaces
 * @returns {Record<string, Record<string, number>>}
 */
function poolCounts(pool, namespaces) {
  /** @type {Record<string, Record<string, number>>} */
  const counts = {};
  for (const belt of Object.keys(pool.belts)) counts[belt] = { provisioning: 0, free: 0, claimed: 0, released: 0, terminating: 0 };
  for (const ns of namespaces) {
    const belt = labelsOf(ns)[LABELS.belt];
    if (!counts[belt]) continue;
    const state = isTerminating(ns) ? "terminating" : stateOf(ns);
    if (state in counts[belt]) counts[belt][state]++;
  }
  return counts;
}

module.exports = {
  NAMESPACES,
  LEARNER_BINDING,
  checkLearner,
  learnerFromUser,
  expiryOf,
  isExpired,
  isTerminating,
  claimNamespace,
  releaseNamespace,
  freeSlots,
  claimSlot,
  releaseSlot,
  planReconcile,
  applyPlan,
  createOrReplace,
  externalsOf,
  poolCounts,
  eachLimit,
};
