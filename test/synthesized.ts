import * as fs from "node:fs";
import * as path from "node:path";
import { Testing } from "cdktf";
import { STACKS, type StackName } from "../stacks/app";
import type { ConfigInput } from "../stacks/config/schema";
import { testConfig } from "./support";

/**
 * Each stack synthesized once per `jest` run and shared by every test file that reads it: a stack
 * costs ~1 s to synthesize, and half a dozen files (snapshots, manifests, install order, destroy,
 * equivalence) look at the same four. test/global-setup.ts fills the cache before the workers start.
 */
const CACHE_ROOT = path.join(__dirname, "..", "node_modules", ".cache", "fawkes-synth");
/** Set by the global setup for the workers it starts: one directory per run, so parallel runs never mix. */
const CACHE_ENV = "FAWKES_SYNTH_CACHE";

/** The laptop with every component on, to compare like with like across foundations. */
export const LOCAL_WITH_ALL: ConfigInput = { local: { components: { scanning: true, mattermost: true, dojo: true } } };

/** The standard set: every stack with the embedded defaults, and the laptop with everything on. */
export const STANDARD: Record<string, { stack: StackName; config: ConfigInput }> = {
  "fawkes-aws": { stack: "fawkes-aws", config: {} },
  "fawkes-azure": { stack: "fawkes-azure", config: {} },
  "fawkes-gcp": { stack: "fawkes-gcp", config: {} },
  "fawkes-local": { stack: "fawkes-local", config: {} },
  "fawkes-local-all": { stack: "fawkes-local", config: LOCAL_WITH_ALL },
};
export type StandardKey = keyof typeof STANDARD;

/** Synthesizes a stack (construct validations included) and returns the parsed Terraform JSON. */
export function synthStack(stack: StackName, config: ConfigInput = {}): any {
  return JSON.parse(Testing.synth(new STACKS[stack](Testing.app(), stack, testConfig(config)), true));
}

/** A stack of the standard set, from this run's cache (synthesized here if the cache is missing). */
export function synthesized(key: StandardKey): any {
  const dir = process.env[CACHE_ENV];
  const file = dir && path.join(dir, `${key}.json`);
  if (file && fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8"));
  const { stack, config } = STANDARD[key];
  return synthStack(stack, config);
}

/** Writes the standard set into a fresh directory for this run and points the workers at it (global setup). */
export function fillSynthCache(): void {
  fs.mkdirSync(CACHE_ROOT, { recursive: true });
  const dir = fs.mkdtempSync(path.join(CACHE_ROOT, "run-"));
  for (const [key, { stack, config }] of Object.entries(STANDARD)) {
    fs.writeFileSync(path.join(dir, `${key}.json`), JSON.stringify(synthStack(stack, config)));
  }
  process.env[CACHE_ENV] = dir;
}

/** Removes this run's directory (global teardown). */
export function clearSynthCache(): void {
  const dir = process.env[CACHE_ENV];
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
