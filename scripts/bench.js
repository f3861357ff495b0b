#!/usr/bin/env node
// npm run bench: the project's speed budgets, measured (median of 3 runs each) and printed as a table.
//   synth all stacks <= 3 s and <= 400 MB peak RSS; tests <= 30 s; tsc --noEmit <= 5 s.
// Also: Terraform resources per stack, and the Dojo's scale check (500 lab slots add <= 1 s to synth and no resources).
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const root = path.join(__dirname, "..");
const runs = Number(process.env.BENCH_RUNS || 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timed(cmd, args, env = {}) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: root, env: { ...process.env, ...env }, encoding: "utf8", maxBuffer: 1 << 26 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) {
    process.stderr.write(`bench: ${cmd} ${args.join(" ")} failed\n${r.stderr || r.stdout}\n`);
    process.exit(1);
  }
  return { ms, out: r.stdout };
}

/** One synth in a fresh process: wall time (loading included), peak RSS, resources per stack. */
function synth(configFile) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "fawkes-bench-"));
  const probe =
    "require('./scripts/register-ts');const c=require('./stacks/main.ts').main();" +
    "process.stdout.write('\\n@@'+JSON.stringify({rss:process.resourceUsage().maxRSS,code:c}))";
  const env = { FAWKES_SUMMARY: "0", CDKTF_OUTDIR: path.join(outdir, "out"), ...(configFile ? { FAWKES_CONFIG: configFile } : {}) };
  const { ms, out } = timed(process.execPath, ["-e", probe], env);
  const { rss } = JSON.parse(out.split("@@").pop());
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, "out", "manifest.json"), "utf8"));
  const resources = {};
  for (const s of Object.values(manifest.stacks)) {
    const tf = JSON.parse(fs.readFileSync(path.join(outdir, "out", s.synthesizedStackPath), "utf8"));
    resources[s.name] = Object.values(tf.resource || {}).reduce((n, byType) => n + Object.keys(byType).length, 0);
  }
  fs.rmSync(outdir, { recursive: true, force: true });
  return { ms, rssMB: rss / 1024, resources };
}

function repeat(n, fn) {
  return Array.from({ length: n }, fn);
}

const rows = [];
const row = (what, value, budget, ok) => rows.push([what, value, budget, ok === undefined ? "" : ok ? "ok" : "OVER"]);

// A fresh clone's first synth: npm ci's "prepare" (scripts/warm-cache.js) has filled the transpile
// cache. Without it (npm ci --ignore-scripts) synth transpiles every TypeScript file itself.
const transpileCache = path.join(root, "node_modules", ".cache", "fawkes", "ts");
const clearCache = () => fs.rmSync(transpileCache, { recursive: true, force: true });
const first = repeat(runs, () => (clearCache(), timed(process.execPath, ["scripts/warm-cache.js"]), synth()));
const firstMs = median(first.map((s) => s.ms));
row("synth all stacks, first run after npm ci", `${(firstMs / 1000).toFixed(2)} s`, "<= 3 s", firstMs <= 3000);
const cold = repeat(runs, () => (clearCache(), synth()));
const coldMs = median(cold.map((s) => s.ms));
row("synth, no transpile cache at all (npm ci --ignore-scripts)", `${(coldMs / 1000).toFixed(2)} s`, "", undefined);
const synths = repeat(runs, () => synth());
const synthMs = median(synths.map((s) => s.ms));
const rssMB = median(synths.map((s) => s.rssMB));
row("synth all stacks (process start to exit)", `${(synthMs / 1000).toFixed(2)} s`, "<= 3 s", synthMs <= 3000);
row("synth peak RSS", `${rssMB.toFixed(0)} MB`, "<= 400 MB", rssMB <= 400);
for (const [stack, n] of Object.entries(synths[0].resources)) row(`resources in ${stack}`, String(n), "");

// Dojo scale: the same synth with 500 warm lab slots must cost <= 1 s more and add no resources.
const scaleConfig = path.join(os.tmpdir(), `fawkes-bench-500-slots-${process.pid}.yaml`);
fs.writeFileSync(scaleConfig, "dojo:\n  belts:\n" + ["white", "yellow", "green", "brown", "black"].map((b) => `    ${b}: { slots: 100 }\n`).join(""));
const scaled = repeat(runs, () => synth(scaleConfig));
fs.rmSync(scaleConfig, { force: true });
const extraMs = median(scaled.map((s) => s.ms)) - synthMs;
const sameCount = Object.entries(scaled[0].resources).every(([k, n]) => synths[0].resources[k] === n);
row("dojo: 500 lab slots, extra synth time", `${(extraMs / 1000).toFixed(2)} s`, "<= 1 s", extraMs <= 1000);
row("dojo: 500 lab slots, extra resources", sameCount ? "0" : "changed", "0", sameCount);

// The type-check `npm run typecheck` runs: TypeScript 7 (native). TypeScript 5 stays for its compiler API (the manifest tests).
const tsc = path.join(root, "node_modules", "tsc-native", "bin", "tsc");
const buildInfo = path.join(root, "node_modules", ".cache", "fawkes", "tsconfig.tsbuildinfo");
const tscMs = median(repeat(runs, () => (fs.rmSync(buildInfo, { force: true }), timed(process.execPath, [tsc, "--noEmit"]).ms)));
row("tsc --noEmit (cold, no incremental cache)", `${(tscMs / 1000).toFixed(2)} s`, "<= 5 s", tscMs <= 5000);

const jest = path.join(root, "node_modules", "jest", "bin", "jest.js");
const testMs = median(repeat(runs, () => timed(process.execPath, [jest, "--silent"]).ms));
row("test suite (jest)", `${(testMs / 1000).toFixed(1)} s`, "<= 30 s", testMs <= 30000);

const widths = [0, 1, 2, 3].map((i) => Math.max(...[["measure", "median of " + runs, "budget", ""], ...rows].map((r) => r[i].length)));
const line = (r) => "| " + r.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
console.log(line(["measure", "median of " + runs, "budget", ""]));
console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
rows.forEach((r) => console.log(line(r)));
console.log(`\n${os.cpus().length} cores, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
process.exitCode = rows.some((r) => r[3] === "OVER") ? 1 : 0;
