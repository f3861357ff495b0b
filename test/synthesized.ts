import * as fs from "node:fs";
import { spawn } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import type { StackName } from "../stacks/app";
import type { ConfigInput } from "../stacks/config/schema";

/**
 * Each stack synthesized once per `jest` run and shared by every test file that reads it: a stack
 * costs ~1 s to synthesize, and half a dozen files (snapshots, manifests, install order, destroy,
 * equivalence) look at the same four. test/global-setup.ts fills the cache before the workers start.
 */
const CACHE_ROOT = path.join(__dirname, "..", "node_modules", ".cache", "fawkes-synth");
/** Set by the global setup for the workers it starts: one directory per run, so parallel runs never mix. */
const CACHE_ENV = "FAWKES_SYNTH_CACHE";

/** The laptop with every component on, to compare like with like across foundations. */
export const LOCAL_WITH_ALL: ConfigInput = { local: { components: { scanning: true, mattermost: true, dojo: true, dora: true } } };

/** The standard set: every stack with the embedded defaults, and the laptop with everything on. */
export const STANDARD: Record<string, { stack: StackName; config: ConfigInput; validate?: false }> = {
  "fawkes-aws": { stack: "fawkes-aws", config: {} },
  "fawkes-azure": { stack: "fawkes-azure", config: {} },
  "fawkes-gcp": { stack: "fawkes-gcp", config: {} },
  "fawkes-local": { stack: "fawkes-local", config: {} },
  "fawkes-local-all": { stack: "fawkes-local", config: LOCAL_WITH_ALL },
  // Every stack with allowDestroy (test/destroy.spec.ts); validations ran on the set above.
  "fawkes-aws-destroyable": { stack: "fawkes-aws", config: { allowDestroy: true }, validate: false },
  "fawkes-azure-destroyable": { stack: "fawkes-azure", config: { allowDestroy: true }, validate: false },
  "fawkes-gcp-destroyable": { stack: "fawkes-gcp", config: { allowDestroy: true }, validate: false },
  "fawkes-local-destroyable": { stack: "fawkes-local", config: { ...LOCAL_WITH_ALL, allowDestroy: true }, validate: false },
};
export type StandardKey = keyof typeof STANDARD;

/** Processes the global setup synthesizes in: the machine's cores, at most two (CI has two). */
const SETUP_PROCESSES = Math.min(2, Math.max(1, os.cpus().length));

/**
 * Synthesizes a stack and returns the parsed Terraform JSON; `validate` runs the construct
 * validations (PlatformPolicy among them), which the standard set always does.
 * cdktf, the providers and the stacks are loaded here, on first use only: a file that reads only
 * cached stacks never loads them (~1 s per test file).
 */
export function synthStack(stack: StackName, config: ConfigInput = {}, validate = true): any {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { Testing } = require("cdktf") as typeof import("cdktf");
  const { STACKS } = require("../stacks/app") as typeof import("../stacks/app");
  const { testConfig } = require("./support") as typeof import("./support");
  /* eslint-enable @typescript-eslint/no-require-imports */
  return JSON.parse(Testing.synth(new STACKS[stack](Testing.app(), stack, testConfig(config)), validate));
}

/** A stack of the standard set, from this run's cache (synthesized here if the cache is missing). */
export function synthesized(key: StandardKey): any {
  const dir = process.env[CACHE_ENV];
  const file = dir && path.join(dir, `${key}.json`);
  if (file && fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8"));
  const { stack, config, validate } = STANDARD[key];
  return synthStack(stack, config, validate ?? true);
}

/** Synthesizes the given keys of the standard set into `dir` (what each setup process runs). */
export function writeSynthesized(dir: string, keys: string[]): void {
  for (const key of keys) {
    const { stack, config, validate } = STANDARD[key];
    const tmp = path.join(dir, `${key}.json.${process.pid}`);
    fs.writeFileSync(tmp, JSON.stringify(synthStack(stack, config, validate ?? true)));
    fs.renameSync(tmp, path.join(dir, `${key}.json`));
  }
}

/**
 * Writes the standard set into a fresh directory for this run and points the workers at it (global
 * setup). The stacks are synthesized in parallel processes (plain Node with the app's TypeScript
 * loader, scripts/register-ts.js), so the setup costs about half of doing it in line.
 */
export async function fillSynthCache(): Promise<void> {
  fs.mkdirSync(CACHE_ROOT, { recursive: true });
  const dir = fs.mkdtempSync(path.join(CACHE_ROOT, "run-"));
  const keys = Object.keys(STANDARD);
  const shares = Array.from({ length: SETUP_PROCESSES }, (_, i) => keys.filter((_k, j) => j % SETUP_PROCESSES === i));
  const root = path.join(__dirname, "..");
  const script = `require("./scripts/register-ts");require("./test/synthesized.ts").writeSynthesized(process.argv[1], process.argv.slice(2))`;
  await Promise.all(
    shares.map(
      (share) =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(process.execPath, ["-e", script, dir, ...share], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
          child.on("error", reject);
          child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`synth cache: a setup process exited with ${code} (${share.join(", ")})`))));
        }),
    ),
  );
  process.env[CACHE_ENV] = dir;
}

/** Removes this run's directory (global teardown). */
export function clearSynthCache(): void {
  const dir = process.env[CACHE_ENV];
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
