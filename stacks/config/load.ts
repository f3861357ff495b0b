import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml, YAMLParseError } from "yaml";
import type { z } from "zod";
import { configChecks, configSchema, type FawkesConfig } from "./schema";
import { calendarToday } from "../../constructs/kubernetes-versions";

/** The environment variable that points at the operator's config file. */
export const CONFIG_ENV = "FAWKES_CONFIG";
/** Where the config file is looked for when the variable is not set (optional there). */
export const DEFAULT_CONFIG_FILE = "fawkes.yaml";

/** A config file that cannot be used: the message names the file, the key path and what was expected. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export interface LoadedConfig {
  readonly config: FawkesConfig;
  /** The file the values came from, or undefined when only the embedded defaults were used. */
  readonly file?: string;
}

/**
 * Reads and validates the configuration: `$FAWKES_CONFIG` if set (it must exist), else `./fawkes.yaml`
 * if present, else the embedded defaults. JSON is YAML, so either format works.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), today: Date = calendarToday()): LoadedConfig {
  const explicit = env[CONFIG_ENV];
  const file = path.resolve(cwd, explicit || DEFAULT_CONFIG_FILE);
  if (!fs.existsSync(file)) {
    if (explicit) throw new ConfigError(`${explicit}: no such file (from ${CONFIG_ENV}); expected a YAML or JSON config file`);
    return { config: parseConfig({}, "(embedded defaults)", today) };
  }
  const shown = path.relative(cwd, file) || file;
  const bytes = fs.readFileSync(file);
  const bad = firstNonUtf8(bytes);
  if (bad !== undefined) {
    throw new ConfigError(`${shown}: not UTF-8 text (byte 0x${bytes[bad].toString(16).padStart(2, "0")} at offset ${bad}); save it as UTF-8`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(bytes.toString("utf8"));
  } catch (e) {
    const where = e instanceof YAMLParseError && e.linePos ? ` (line ${e.linePos[0].line})` : "";
    throw new ConfigError(`${shown}${where}: not valid YAML or JSON: ${(e as Error).message.split("\n")[0]}`);
  }
  // An empty file is more likely a mistake (a truncated copy, the wrong file) than a wish for the defaults.
  if (raw === null || raw === undefined) {
    throw new ConfigError(`${shown}: the file is empty; delete it to use the embedded defaults, or set at least one key`);
  }
  return { config: parseConfig(raw, shown, today), file: shown };
}

/** Offset of the first byte that is not part of well-formed UTF-8, or undefined. */
function firstNonUtf8(b: Buffer): number | undefined {
  for (let i = 0; i < b.length;) {
    const c = b[i];
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) {
      const x = b[i + k];
      if (x === undefined || (x & 0xc0) !== 0x80) return i;
    }
    // Overlong 3/4-byte forms, surrogates and code points past U+10FFFF.
    if ((c === 0xe0 && b[i + 1] < 0xa0) || (c === 0xed && b[i + 1] > 0x9f) || (c === 0xf0 && b[i + 1] < 0x90) || (c === 0xf4 && b[i + 1] > 0x8f)) return i;
    i += n + 1;
  }
  return undefined;
}

/** Where a validated config came from, for messages raised after validation (e.g. at synth). */
const SOURCES = new WeakMap<object, string>();

/** The file a config was read from (`fawkes.yaml`, `(embedded defaults)`), or "the config" if unknown. */
export function configSource(config: FawkesConfig): string {
  return SOURCES.get(config) ?? "the config";
}

/** Validates raw config values; `source` names the file in error messages. */
export function parseConfig(raw: unknown, source: string, today: Date = calendarToday()): FawkesConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${source}: the top level must be a mapping of keys (name:, domain:, ...), got ${describe(raw)}`);
  }
  // A key left empty in YAML (`components:` with only comments under it) means "the defaults".
  const result = configSchema.safeParse(withoutNulls(raw));
  if (!result.success) {
    const lines = result.error.issues.slice(0, 10).map((issue) => formatIssue(source, issue, raw));
    throw new ConfigError(lines.join("\n"));
  }
  const issues = configChecks(result.data, today);
  if (issues.length > 0) {
    throw new ConfigError(
      issues
        .slice(0, 10)
        .map((i) => `${source}: ${i.path}: expected ${i.expected}, got ${describe(i.got)}`)
        .join("\n"),
    );
  }
  SOURCES.set(result.data, source);
  return result.data;
}

function formatIssue(source: string, issue: z.core.$ZodIssue, raw: unknown): string {
  const key = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    const at = key ? `${key}.` : "";
    const known = Object.keys(shapeAt(issue.path) ?? {});
    return (
      `${source}: ${issue.keys.map((k) => at + k).join(", ")}: unknown key${issue.keys.length > 1 ? "s" : ""}` +
      (known.length ? `; expected one of ${known.join(", ")}` : "")
    );
  }
  if (issue.code === "custom" && issue.message.startsWith("unknown")) return `${source}: ${key}: ${issue.message}`;
  const got = valueAt(raw, issue.path);
  const expected = issue.message
    .replace(/^Invalid input: /, "")
    .replace(/^Invalid option: /, "")
    .replace(/^Too (small|big): /, "");
  return `${source}: ${key || "(top level)"}: expected ${expected.replace(/^expected /, "")}, got ${describe(got)}`;
}

function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== null)
        .map(([k, x]) => [k, withoutNulls(x)]),
    );
  }
  return v;
}

function valueAt(raw: unknown, keyPath: PropertyKey[]): unknown {
  let v: unknown = raw;
  for (const k of keyPath) v = v && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

/** The known keys of the object schema at a key path, to suggest them for a typo. */
function shapeAt(keyPath: PropertyKey[]): Record<string, unknown> | undefined {
  // zod keeps an object schema's shape behind wrappers (default, prefault, pipe): walked untyped.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let s: any = configSchema;
  for (const k of [...keyPath, undefined]) {
    while (s && !s.shape && (s.def?.innerType || s.def?.in)) s = s.def.innerType ?? s.def.in;
    if (k === undefined) return s?.shape;
    s = s?.shape?.[k as string];
  }
  return undefined;
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
