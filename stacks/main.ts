import * as fs from "node:fs";
import * as path from "node:path";
import { buildApp } from "./app";
import { ConfigError, loadConfig } from "./config/load";
import { summarize } from "./summary";

/**
 * The cdktf app (`cdktf.json` runs it; `npm run synth` runs it and prints a summary).
 * Order matters: the config is validated and every construct is built before anything is written,
 * and the output goes to a scratch directory that replaces `cdktf.out` only when synth succeeded —
 * so a bad config or a wiring error leaves the previous `cdktf.out` as it was.
 */
export function main(): number {
  let loaded;
  try {
    loaded = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`fawkes: invalid configuration\n${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const outdir = path.resolve(process.env.CDKTF_OUTDIR ?? "cdktf.out");
  const scratch = `${outdir}.partial-${process.pid}`;
  fs.rmSync(scratch, { recursive: true, force: true });
  try {
    const app = buildApp(loaded.config, scratch);
    app.synth();
    fs.rmSync(outdir, { recursive: true, force: true });
    fs.renameSync(scratch, outdir);
  } catch (e) {
    fs.rmSync(scratch, { recursive: true, force: true });
    process.stderr.write(`fawkes: synth failed, ${path.relative(process.cwd(), outdir) || outdir} left as it was\n${(e as Error).message}\n`);
    return 1;
  }
  if (process.env.FAWKES_SUMMARY !== "0") {
    const ms = process.uptime() * 1000; // since the process started: loading included
    process.stdout.write(summarize(outdir, loaded.file, ms));
  }
  return 0;
}

if (require.main === module) process.exitCode = main();
