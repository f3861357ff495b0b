import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type { Check } from "./engine/checks";
import { OPS, parsePath, unknownVariables, VARIABLES } from "./engine/checks";
import KINDS from "./engine/kinds.json";
import { BELTS, type Belt, type K8sObject } from "./engine/slot";

/**
 * The Dojo's curriculum: one YAML file per module, `curriculum/<belt>/<nn>-<slug>.yaml`, validated
 * at synth. A malformed module fails synth naming the file and the field, e.g.
 * `constructs/components/dojo/curriculum/green/02-rollback.yaml: checks.0.kind: expected one of ..., got "Foo"`.
 */
export const CURRICULUM_DIR = path.join(__dirname, "curriculum");
const REPO_ROOT = path.join(__dirname, "..", "..", "..");

/** Kinds a check may read: the validator's read-only ClusterRole covers exactly these. */
export const CHECK_KINDS = Object.entries(KINDS)
  .filter(([, k]) => (k as { check?: boolean }).check)
  .map(([kind]) => kind) as [string, ...string[]];
/** Kinds a module may seed into every slot of its belt (created by the reconciler). */
const SEED_KINDS = ["ConfigMap", "Deployment", "Service"] as const;

const FILE_NAME = /^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.yaml$/;
const ID = /^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$/;
const DNS_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

const text = (what: string, max: number) => z.string().trim().min(1, `${what} must not be empty`).max(max, `${what} must be at most ${max} characters`);
/** A string that may use the engine's template variables, and no others. */
const templated = (inner: z.ZodString) =>
  inner.superRefine((s, ctx) => {
    const bad = unknownVariables(s);
    if (bad.length) ctx.addIssue({ code: "custom", message: `unknown template variable {{${bad[0]}}}: use ${VARIABLES.map((v) => `{{${v}}}`).join(", ")}` });
  });

const expectation = z
  .strictObject({
    path: templated(z.string()).optional(),
    op: z.enum(OPS, { error: (i) => `expected one of ${OPS.join(", ")}, got ${JSON.stringify(i.input)}` }).optional(),
    value: z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number(), z.boolean()]))]).optional(),
    every: z.boolean().optional(),
    condition: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9]*$/, "a condition type such as Available or Ready")
      .optional(),
    status: z.enum(["True", "False", "Unknown"]).optional(),
    selects: z
      .strictObject({
        kind: z.enum(CHECK_KINDS, { error: (i) => `expected one of ${CHECK_KINDS.join(", ")}, got ${JSON.stringify(i.input)}` }),
        name: templated(z.string().min(1)),
        labelsPath: z.string().optional(),
      })
      .optional(),
    selectorPath: z.string().optional(),
  })
  .superRefine((e, ctx) => {
    const forms = [e.path !== undefined, e.condition !== undefined, e.selects !== undefined].filter(Boolean).length;
    if (forms !== 1) return ctx.addIssue({ code: "custom", message: "an expectation has exactly one of path, condition or selects" });
    for (const key of ["path", "selectorPath"] as const) {
      const p = e[key];
      if (p !== undefined) {
        try {
          parsePath(p.replace(/\{\{\s*[a-z]+\s*\}\}/g, "x"));
        } catch (err) {
          ctx.addIssue({ code: "custom", path: [key], message: (err as Error).message });
        }
      }
    }
    if (e.path !== undefined) {
      const op = e.op ?? "exists";
      const needsValue = !["exists", "absent"].includes(op);
      if (needsValue && e.value === undefined) ctx.addIssue({ code: "custom", path: ["value"], message: `op "${op}" needs a value` });
      if (!needsValue && e.value !== undefined) ctx.addIssue({ code: "custom", path: ["value"], message: `op "${op}" takes no value` });
      if ((op === "in" || op === "notIn") && !Array.isArray(e.value)) ctx.addIssue({ code: "custom", path: ["value"], message: `op "${op}" needs a list` });
      if (op.startsWith("count") && typeof e.value !== "number") ctx.addIssue({ code: "custom", path: ["value"], message: `op "${op}" needs a number` });
      if (op === "matches" && typeof e.value === "string") {
        try {
          new RegExp(e.value);
        } catch (err) {
          ctx.addIssue({ code: "custom", path: ["value"], message: `not a regular expression: ${(err as Error).message}` });
        }
      }
      for (const s of [e.value].flat()) {
        const bad = typeof s === "string" ? unknownVariables(s) : [];
        if (bad.length) ctx.addIssue({ code: "custom", path: ["value"], message: `unknown template variable {{${bad[0]}}}` });
      }
    } else if (e.op !== undefined || e.value !== undefined || e.every !== undefined) {
      ctx.addIssue({ code: "custom", message: "op, value and every go with path" });
    }
    if (e.status !== undefined && e.condition === undefined) ctx.addIssue({ code: "custom", path: ["status"], message: "status goes with condition" });
    if (e.selectorPath !== undefined && e.selects === undefined)
      ctx.addIssue({ code: "custom", path: ["selectorPath"], message: "selectorPath goes with selects" });
  });

const check = z
  .strictObject({
    id: z.string().regex(ID, "a lower-case id (a-z, 0-9, -), at most 42 characters"),
    description: templated(text("description", 200)),
    kind: z.enum(CHECK_KINDS, { error: (i) => `expected one of ${CHECK_KINDS.join(", ")}, got ${JSON.stringify(i.input)}` }),
    apiVersion: z.string().optional(),
    name: templated(z.string().min(1)).optional(),
    selector: z.strictObject({ matchLabels: z.record(z.string(), z.string()) }).optional(),
    all: z.boolean().optional(),
    min: z.number().int().min(1).max(100).optional(),
    expect: z.array(expectation).default([]),
  })
  .superRefine((c, ctx) => {
    const want = (KINDS as Record<string, { apiVersion: string }>)[c.kind]?.apiVersion;
    if (c.apiVersion !== undefined && want && c.apiVersion !== want)
      ctx.addIssue({ code: "custom", path: ["apiVersion"], message: `${c.kind} is ${want}, got "${c.apiVersion}"` });
    if (c.name !== undefined && c.selector !== undefined) ctx.addIssue({ code: "custom", path: ["selector"], message: "use name or selector, not both" });
    if (c.all && c.name !== undefined) ctx.addIssue({ code: "custom", path: ["all"], message: "all applies to several objects: drop name" });
  });

const seed = z
  .looseObject({
    apiVersion: z.string(),
    kind: z.enum(SEED_KINDS, { error: (i) => `expected one of ${SEED_KINDS.join(", ")}, got ${JSON.stringify(i.input)}` }),
    metadata: z.looseObject({
      name: z.string().regex(DNS_NAME, "a DNS name"),
      namespace: z.undefined({ error: "seeds go into the slot: leave namespace out" }).optional(),
    }),
  })
  .superRefine((o, ctx) => {
    const want = (KINDS as Record<string, { apiVersion: string }>)[o.kind].apiVersion;
    if (o.apiVersion !== want) ctx.addIssue({ code: "custom", path: ["apiVersion"], message: `${o.kind} is ${want}, got "${o.apiVersion}"` });
  });

const moduleSchema = z
  .strictObject({
    title: text("title", 80),
    objectives: z.array(text("an objective", 200)).min(1, "list at least one objective"),
    provides: z.array(templated(text("an item", 300))).min(1, "say what the lab environment provides"),
    instructions: templated(text("instructions", 2000)),
    seed: z.array(seed).default([]),
    checks: z.array(check).min(1, "a module needs at least one check"),
  })
  .superRefine((m, ctx) => {
    const seen = new Set<string>();
    m.checks.forEach((c, i) => {
      if (seen.has(c.id)) ctx.addIssue({ code: "custom", path: ["checks", i, "id"], message: `duplicate check id "${c.id}"` });
      seen.add(c.id);
    });
  });

export interface Module {
  /** `<nn>-<slug>`, from the file name; unique within the belt. */
  readonly id: string;
  readonly belt: Belt;
  readonly file: string;
  readonly title: string;
  readonly objectives: string[];
  readonly provides: string[];
  readonly instructions: string;
  readonly seed: K8sObject[];
  readonly checks: Check[];
}

export type Curriculum = Record<Belt, Module[]>;

function shown(file: string): string {
  const rel = path.relative(REPO_ROOT, file);
  return rel.startsWith("..") ? file : rel.split(path.sep).join("/");
}

/**
 * Validated modules are kept by content hash beside the transpile cache: parsing and validating
 * the curriculum was a twentieth of synth, and the files rarely change. A failing file is never cached.
 */
const MODULE_CACHE = path.join(REPO_ROOT, "node_modules", ".cache", "fawkes", "curriculum");

/** One module file, validated; throws `<file>: <field>: <problem>`. */
function loadModule(file: string, belt: Belt): Module {
  const name = path.basename(file);
  if (!FILE_NAME.test(name)) throw new Error(`${shown(file)}: the file name must be <nn>-<slug>.yaml (two digits, then lower-case words joined by "-")`);
  const text = fs.readFileSync(file, "utf8");
  const cached = path.join(MODULE_CACHE, `${createHash("sha1").update(shown(file)).update("\0").update(belt).update("\0").update(text).digest("hex")}.json`);
  try {
    return JSON.parse(fs.readFileSync(cached, "utf8")) as Module;
  } catch {
    /* miss */
  }
  const module = parseModule(file, belt, name, text);
  try {
    fs.mkdirSync(MODULE_CACHE, { recursive: true });
    fs.writeFileSync(`${cached}.${process.pid}`, JSON.stringify(module));
    fs.renameSync(`${cached}.${process.pid}`, cached); // atomic: parallel runs never read half a file
  } catch {
    /* a read-only tree still works, just slower */
  }
  return module;
}

function parseModule(file: string, belt: Belt, name: string, text: string): Module {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new Error(`${shown(file)}: not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  const parsed = moduleSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${shown(file)}: ${i.path.length ? `${i.path.join(".")}: ` : ""}${i.message}`);
    throw new Error(lines.join("\n"));
  }
  return { id: name.replace(/\.yaml$/, ""), belt, file: shown(file), ...(parsed.data as Omit<Module, "id" | "belt" | "file">) };
}

const cache = new Map<string, Curriculum>();

/**
 * Every module of every belt, in file order. A folder that is not a belt, a belt without modules,
 * or two seeds of one belt with the same kind and name fail synth.
 */
export function loadCurriculum(dir: string = CURRICULUM_DIR): Curriculum {
  const cached = cache.get(dir);
  if (cached) return cached;
  const entries = fs.readdirSync(dir, { withFileTypes: true });
  for (const e of entries) {
    if (!e.isDirectory() || !(BELTS as string[]).includes(e.name))
      throw new Error(`${shown(path.join(dir, e.name))}: the curriculum holds one folder per belt (${BELTS.join(", ")})`);
  }
  const out = {} as Record<Belt, Module[]>;
  for (const belt of BELTS) {
    const beltDir = path.join(dir, belt);
    const files = fs.existsSync(beltDir)
      ? fs
          .readdirSync(beltDir)
          .filter((f) => !f.startsWith("."))
          .sort()
      : [];
    if (!files.length) throw new Error(`${shown(beltDir)}: the ${belt} belt needs at least one module`);
    out[belt] = files.map((f) => loadModule(path.join(beltDir, f), belt));
    const seeds = new Map<string, string>();
    for (const m of out[belt]) {
      for (const s of m.seed) {
        const key = `${s.kind}/${s.metadata.name}`;
        if (seeds.has(key)) throw new Error(`${m.file}: seed ${key} is also seeded by ${seeds.get(key)}`);
        seeds.set(key, m.file);
      }
    }
  }
  cache.set(dir, out);
  return out;
}

/** The curriculum as the in-cluster validator reads it (curriculum.json). */
export function curriculumJson(c: Curriculum): { belts: Record<Belt, { id: string; title: string; checks: Check[] }[]> } {
  const belts = {} as Record<Belt, { id: string; title: string; checks: Check[] }[]>;
  for (const belt of BELTS) belts[belt] = c[belt].map((m) => ({ id: m.id, title: m.title, checks: m.checks }));
  return { belts };
}
