#!/usr/bin/env node
// npm run check:values: an optional check of every helm value key against the upstream charts'
// default values. It needs a sibling checkout of those defaults (../shared/charts and its tool);
// without one it says so and exits 0, so a fresh clone never depends on files outside the repo.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const tool = path.resolve(root, process.env.FAWKES_CHART_DEFAULTS_TOOL || "../shared/tools/check-helm-values.mjs");
if (!fs.existsSync(tool)) {
  process.stdout.write(`check:values: skipped, no upstream chart defaults at ${path.relative(root, tool)} (optional; see README "Development")\n`);
  process.exit(0);
}
const run = (cmd, args, env = {}) => spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } }).status ?? 1;
const synth = run(process.execPath, ["scripts/synth.js"], { FAWKES_SUMMARY: "0" });
if (synth !== 0) process.exit(synth);
process.exit(run(process.execPath, [tool, "cdktf.out"]));
