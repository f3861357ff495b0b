// @ts-check
"use strict";
/**
 * The curriculum's check language, evaluated against the objects in one slot.
 *
 * A check names a kind (and optionally a name or label selector), and lists expectations; it passes
 * when at least `min` (default 1) of the selected objects meet every expectation — or, with
 * `all: true`, when at least `min` objects are selected and every one of them does. Expectations:
 *   { path: "status.availableReplicas", op: ">=", value: 1 }       compare values found at a path
 *   { condition: "Available", status: "True" }                     status.conditions[type=...].status
 *   { selects: { kind: "Service", name: "podinfo" } }              this object's selector matches it
 * Paths: dot-separated keys, `["key.with.dots"]`, `[0]`, `[*]` (every element or map value), and
 * `[field=value]` (array elements whose field equals value); arrays are walked automatically.
 * A path yields a list of values; an op holds when any value satisfies it (`every: true`: all do,
 * and at least one exists). `exists`/`absent`/`count>=`/`count<=` look at the list itself.
 * Strings may use {{slot}}, {{domain}}, {{belt}} and {{learner}}.
 */

/** @import { K8sObject } from "./slot" */
/** @import { Api } from "./kube" */

/** @typedef {"exists" | "absent" | "==" | "!=" | ">=" | ">" | "<=" | "<" | "matches" | "in" | "notIn" | "contains" | "count>=" | "count<="} Op */
/** @typedef {{ path: string, op?: Op, value?: unknown, every?: boolean }} PathExpectation */
/** @typedef {{ condition: string, status?: string }} ConditionExpectation */
/** @typedef {{ kind: string, name: string, labelsPath?: string }} SelectTarget */
/** @typedef {{ selects: SelectTarget, selectorPath?: string }} SelectsExpectation */
/** @typedef {PathExpectation | ConditionExpectation | SelectsExpectation} Expectation */
/**
 * Any expectation, every field optional: what `evaluate` tells apart.
 * @typedef {{ path?: string, op?: Op, value?: unknown, every?: boolean, condition?: string, status?: string, selects?: SelectTarget, selectorPath?: string }} AnyExpectation
 */
/**
 * @typedef {object} Check
 * @property {string} id
 * @property {string} description
 * @property {string} kind
 * @property {string} [apiVersion]
 * @property {string} [name]
 * @property {LabelSelector | Record<string, string>} [selector]
 * @property {boolean} [all]
 * @property {number} [min]
 * @property {Expectation[]} [expect]
 */
/** @typedef {{ matchLabels?: Record<string, string>, matchExpressions?: { key: string, operator: string, values?: string[] }[] }} LabelSelector */
/** @typedef {{ id: string, description: string, passed: boolean, message: string }} CheckResult */
/** @typedef {{ module: string, title: string, passed: boolean, checks: CheckResult[] }} ModuleResult */
/** @typedef {(kind: string) => Promise<K8sObject[]>} Lister */
/** @typedef {{ slot: string, domain: string, belt: string, learner: string }} Vars */
/** @typedef {{ ok: true, why?: undefined } | { ok: false, why: string }} Verdict */
/** @typedef {{ t: "all" } | { t: "index", i: number } | { t: "key", k: string } | { t: "filter", k: string, v: string }} Token */

/** @type {Op[]} */
const OPS = ["exists", "absent", "==", "!=", ">=", ">", "<=", "<", "matches", "in", "notIn", "contains", "count>=", "count<="];
const VARIABLES = ["slot", "domain", "belt", "learner"];
/** Where a workload's pod labels are (what a selector in a Service or monitor must match). */
const POD_TEMPLATE_KINDS = ["Deployment", "StatefulSet", "ReplicaSet", "Job"];

/**
 * Fills {{variables}} in a string; any other value is returned as is.
 * @overload
 * @param {string} s
 * @param {Partial<Vars>} [vars]
 * @returns {string}
 */
/**
 * @overload
 * @param {unknown} s
 * @param {Partial<Vars>} [vars]
 * @returns {unknown}
 */
/**
 * @param {unknown} s
 * @param {Partial<Vars>} [vars]
 * @returns {unknown}
 */
function render(s, vars) {
  if (typeof s !== "string") return s;
  return s.replace(/\{\{\s*([a-z]+)\s*\}\}/g, (m, /** @type {keyof Vars} */ v) => (vars && vars[v] !== undefined ? String(vars[v]) : m));
}

/**
 * Template variables a string uses that the engine does not know.
 * @param {string} s
 * @returns {string[]}
 */
function unknownVariables(s) {
  const out = [];
  for (const m of String(s).matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) if (!VARIABLES.includes(m[1])) out.push(m[1]);
  return out;
}

/**
 * Parses a path into tokens; throws with the position of the first error.
 * @param {string} path
 * @returns {Token[]}
 */
function parsePath(path) {
  /** @type {Token[]} */
  const tokens = [];
  let i = 0;
  /** @type {(why: string) => never} */
  const fail = (why) => {
    throw new Error(`bad path "${path}" at ${i}: ${why}`);
  };
  while (i < path.length) {
    const c = path[i];
    if (c === ".") {
      if (i === 0 || i === path.length - 1 || path[i + 1] === ".") fail("empty key");
      i++;
      continue;
    }
    if (c === "[") {
      const end = path.indexOf("]", i);
      if (end < 0) fail('missing "]"');
      const inner = path.slice(i + 1, end);
      if (inner === "*") tokens.push({ t: "all" });
      else if (/^\d+$/.test(inner)) tokens.push({ t: "index", i: Number(inner) });
      else if (/^"[^"]*"$|^'[^']*'$/.test(inner)) tokens.push({ t: "key", k: inner.slice(1, -1) });
      else if (/^[A-Za-z0-9_.\/-]+=[^\]]*$/.test(inner)) {
        const eq = inner.indexOf("=");
        tokens.push({ t: "filter", k: inner.slice(0, eq), v: inner.slice(eq + 1).replace(/^["']|["']$/g, "") });
      } else fail(`"[${inner}]" is not [*], [N], ["key"] or [field=value]`);
      i = end + 1;
      continue;
    }
    const m = /^[^.[\]]+/.exec(path.slice(i));
    if (!m) fail("unexpected character");
    tokens.push({ t: "key", k: m[0] });
    i += m[0].length;
  }
  if (!tokens.length) fail("empty path");
  return tokens;
}

/**
 * Every value at `path` in `obj` (null/undefined dropped; arrays walked for key and filter steps).
 * @param {unknown} obj
 * @param {string} path
 * @returns {unknown[]}
 */
function resolve(obj, path) {
  let cur = [obj];
  for (const tok of parsePath(path)) {
    /** @type {unknown[]} */
    const next = [];
    /** @param {any} v a value from parsed JSON: whatever the step finds */
    const visit = (v) => {
      if (v === null || v === undefined) return;
      if (tok.t === "all") {
        if (Array.isArray(v)) next.push(...v);
        else if (typeof v === "object") next.push(...Object.values(v));
      } else if (tok.t === "index") {
        if (Array.isArray(v) && tok.i < v.length) next.push(v[tok.i]);
      } else if (tok.t === "filter") {
        if (Array.isArray(v)) next.push(...v.filter((e) => e && typeof e === "object" && String(e[tok.k]) === tok.v));
      } else if (Array.isArray(v)) v.forEach(visit);
      else if (typeof v === "object" && tok.k in v) next.push(v[tok.k]);
    };
    cur.forEach(visit);
    cur = next.filter((v) => v !== null && v !== undefined);
  }
  return cur;
}

/**
 * @param {unknown} v
 * @returns {number}
 */
function asNumber(v) {
  if (typeof v === "number") return v;
  if (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  return NaN;
}

/**
 * @param {unknown} a
 * @param {unknown} b
 * @returns {boolean}
 */
function equal(a, b) {
  const x = asNumber(a);
  const y = asNumber(b);
  if (!Number.isNaN(x) && !Number.isNaN(y)) return x === y;
  return String(a) === String(b);
}

/**
 * @param {unknown} v
 * @returns {string}
 */
function show(v) {
  return typeof v === "string" ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
}

/**
 * Whether one value satisfies op/value.
 * @param {Op} op
 * @param {unknown} actual
 * @param {unknown} expected
 * @returns {boolean}
 */
function holds(op, actual, expected) {
  switch (op) {
    case "==":
      return equal(actual, expected);
    case "!=":
      return !equal(actual, expected);
    case ">=":
      return asNumber(actual) >= asNumber(expected);
    case ">":
      return asNumber(actual) > asNumber(expected);
    case "<=":
      return asNumber(actual) <= asNumber(expected);
    case "<":
      return asNumber(actual) < asNumber(expected);
    case "matches":
      return new RegExp(/** @type {string} */ (expected)).test(typeof actual === "string" ? actual : JSON.stringify(actual));
    case "in":
      return Array.isArray(expected) && expected.some((e) => equal(actual, e));
    case "notIn":
      return Array.isArray(expected) && !expected.some((e) => equal(actual, e));
    case "contains":
      return (typeof actual === "string" ? actual : JSON.stringify(actual)).includes(String(expected));
    default:
      throw new Error(`unknown op "${op}"`);
  }
}

/**
 * @param {unknown} value
 * @param {Partial<Vars>} vars
 * @returns {unknown}
 */
function renderValue(value, vars) {
  return Array.isArray(value) ? value.map((v) => render(v, vars)) : render(value, vars);
}

/**
 * Evaluates a path expectation on one object: { ok, why }.
 * @param {unknown} obj
 * @param {PathExpectation} exp
 * @param {Partial<Vars>} vars
 * @returns {Verdict}
 */
function evaluatePath(obj, exp, vars) {
  const path = render(exp.path, vars);
  const values = resolve(obj, path);
  const expected = renderValue(exp.value, vars);
  const op = exp.op || "exists";
  if (op === "exists") return values.length ? { ok: true } : { ok: false, why: `${path} is not set` };
  if (op === "absent") return values.length ? { ok: false, why: `${path} is set (${show(values[0])}), expected it absent` } : { ok: true };
  if (op === "count>=")
    return values.length >= /** @type {number} */ (expected)
      ? { ok: true }
      : { ok: false, why: `${path} has ${values.length} entries, expected at least ${expected}` };
  if (op === "count<=")
    return values.length <= /** @type {number} */ (expected)
      ? { ok: true }
      : { ok: false, why: `${path} has ${values.length} entries, expected at most ${expected}` };
  if (!values.length) return { ok: false, why: `${path} is not set, expected ${op} ${show(expected)}` };
  const pass = exp.every ? values.every((v) => holds(op, v, expected)) : values.some((v) => holds(op, v, expected));
  if (pass) return { ok: true };
  const bad = exp.every ? values.find((v) => !holds(op, v, expected)) : values[0];
  const shown = values.length > 1 && !exp.every ? `[${values.slice(0, 5).map(show).join(", ")}${values.length > 5 ? ", ..." : ""}]` : show(bad);
  return { ok: false, why: `${path} is ${shown}, expected ${exp.every ? "every value " : ""}${op} ${show(expected)}` };
}

/**
 * Whether a label selector (LabelSelector, or a plain map as in a Service) matches labels.
 * @param {unknown} selector
 * @param {Record<string, string>} labels
 * @returns {boolean}
 */
function selectorMatches(selector, labels) {
  if (!selector || typeof selector !== "object") return false;
  const plain = !("matchLabels" in selector) && !("matchExpressions" in selector);
  const matchLabels = plain ? /** @type {Record<string, string>} */ (selector) : /** @type {LabelSelector} */ (selector).matchLabels || {};
  const exprs = plain ? [] : /** @type {LabelSelector} */ (selector).matchExpressions || [];
  if (!Object.keys(matchLabels).length && !exprs.length) return false; // an empty selector selects everything: not a deliberate choice
  for (const [k, v] of Object.entries(matchLabels)) if (labels[k] !== v) return false;
  for (const e of exprs) {
    const has = e.key in labels;
    const vals = e.values || [];
    if (e.operator === "In" && !(has && vals.includes(labels[e.key]))) return false;
    if (e.operator === "NotIn" && has && vals.includes(labels[e.key])) return false;
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
  }
  return true;
}

/**
 * @param {string} kind
 * @returns {string}
 */
function labelsPathFor(kind) {
  return POD_TEMPLATE_KINDS.includes(kind) ? "spec.template.metadata.labels" : "metadata.labels";
}

/**
 * Evaluates one expectation on one object (async: `selects` reads the target kind).
 * @param {K8sObject} obj
 * @param {AnyExpectation} exp
 * @param {Lister} list
 * @param {Partial<Vars>} vars
 * @returns {Promise<Verdict>}
 */
async function evaluate(obj, exp, list, vars) {
  if (exp.condition !== undefined) {
    const type = render(exp.condition, vars);
    return evaluatePath(obj, { path: `status.conditions[type=${type}].status`, op: "==", value: exp.status ?? "True" }, vars);
  }
  if (exp.selects !== undefined) {
    const target = exp.selects;
    const name = render(target.name, vars);
    const targets = (await list(target.kind)).filter((o) => o.metadata.name === name);
    if (!targets.length) return { ok: false, why: `no ${target.kind} named ${name} to select` };
    const selectorPath = exp.selectorPath || "spec.selector";
    const selector = resolve(obj, selectorPath)[0];
    const labels = /** @type {Record<string, string>} */ (resolve(targets[0], target.labelsPath || labelsPathFor(target.kind))[0] || {});
    return selectorMatches(selector, labels)
      ? { ok: true }
      : { ok: false, why: `${selectorPath} ${show(selector ?? null)} does not select ${target.kind}/${name} (labels ${show(labels)})` };
  }
  // Neither a condition nor a selects: a path expectation.
  return evaluatePath(obj, /** @type {PathExpectation} */ (exp), vars);
}

/**
 * Runs one check. `list(kind)` returns the slot's objects of a kind (throwing for an API error).
 * Returns { id, description, passed, message }.
 * @param {Check} check
 * @param {Lister} list
 * @param {Vars} vars
 * @returns {Promise<CheckResult>}
 */
async function runCheck(check, list, vars) {
  const base = { id: check.id, description: render(check.description, vars) };
  let objects;
  try {
    objects = await list(check.kind);
  } catch (/** @type {any} */ e) {
    return { ...base, passed: false, message: `cannot list ${check.kind}: ${e.message}` };
  }
  const name = check.name === undefined ? undefined : render(check.name, vars);
  const selected = objects.filter(
    (o) => (name === undefined || o.metadata.name === name) && (!check.selector || selectorMatches(check.selector, o.metadata.labels || {})),
  );
  const min = check.min ?? 1;
  const what = name !== undefined ? `${check.kind} named ${name}` : check.selector ? `${check.kind} labelled ${show(check.selector)}` : `${check.kind}`;
  if (!selected.length) return { ...base, passed: false, message: `no ${what} in ${vars.slot}` };
  /** @type {{ name: string, why: string | undefined }[]} */
  const verdicts = [];
  for (const o of selected) {
    /** @type {string | undefined} */
    let why;
    for (const exp of check.expect || []) {
      try {
        const r = await evaluate(o, exp, list, vars);
        if (!r.ok) {
          why = r.why;
          break;
        }
      } catch (/** @type {any} */ e) {
        why = e.message;
        break;
      }
    }
    verdicts.push({ name: o.metadata.name, why });
  }
  const failing = verdicts.filter((v) => v.why !== undefined);
  const passing = verdicts.length - failing.length;
  if (check.all) {
    if (selected.length < min) return { ...base, passed: false, message: `${selected.length} ${what}, expected at least ${min}` };
    if (failing.length) return { ...base, passed: false, message: `${check.kind}/${failing[0].name}: ${failing[0].why}` };
    return { ...base, passed: true, message: `all ${selected.length} ${what} pass` };
  }
  if (passing >= min) return { ...base, passed: true, message: `${passing} ${what} pass` };
  const first = failing[0];
  return { ...base, passed: false, message: first ? `${check.kind}/${first.name}: ${first.why}` : `${passing} ${what} pass, expected at least ${min}` };
}

/**
 * Runs every check of a module: { module, title, passed, checks }.
 * @param {{ id: string, title: string, checks: Check[] }} mod
 * @param {Lister} list
 * @param {Vars} vars
 * @returns {Promise<ModuleResult>}
 */
async function runModule(mod, list, vars) {
  const checks = [];
  for (const check of mod.checks) checks.push(await runCheck(check, list, vars));
  return { module: mod.id, title: mod.title, passed: checks.every((c) => c.passed), checks };
}

/**
 * A lister over one namespace with one client, caching each kind for the run; 404 (no such API) is an empty list.
 * @param {Api} api
 * @param {string} namespace
 * @param {(kind: string, namespace: string) => string} collectionPath
 * @returns {Lister}
 */
function slotLister(api, namespace, collectionPath) {
  /** @type {Map<string, Promise<K8sObject[]>>} */
  const cache = new Map();
  return (kind) => {
    if (!cache.has(kind)) {
      cache.set(
        kind,
        api.request("GET", collectionPath(kind, namespace)).then(
          (r) => r.items || [],
          (e) => {
            if (e && e.status === 404) return [];
            throw e;
          },
        ),
      );
    }
    return /** @type {Promise<K8sObject[]>} */ (cache.get(kind));
  };
}

module.exports = { OPS, VARIABLES, render, unknownVariables, parsePath, resolve, holds, selectorMatches, evaluate, runCheck, runModule, slotLister };
