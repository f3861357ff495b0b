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
export const SYNTH_CACHE_DIR = path.join(__dirname, "..", "node_modules", ".cache", "fawkes-synth");

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
  const file = path.join(SYNTH_CACHE_DIR, `${key}.json`);
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8"));
  const { stack, config } = STANDARD[key];
  return synthStack(stack, config);
}

/** Writes the standard set (global setup). */
export function fillSynthCache(): void {
  fs.rmSync(SYNTH_CACHE_DIR, { recursive: true, force: true });
  fs.mkdirSync(SYNTH_CACHE_DIR, { recursive: true });
  for (const [key, { stack, config }] of Object.entries(STANDARD)) {
    fs.writeFileSync(path.join(SYNTH_CACHE_DIR, `${key}.json`), JSON.stringify(synthStack(stack, config)));
  }
}
