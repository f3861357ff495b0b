#!/usr/bin/env node
// Runs after `npm ci` / `npm install` (package.json "prepare"): transpiles every TypeScript file of
// the app into the loader's cache (scripts/register-ts.js), and validates the Dojo curriculum into its
// cache, so the first `npm run synth` on a fresh clone starts as fast as later ones. Skips quietly if anything is missing: synth transpiles on demand.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const { warm } = require("./register-ts");

function tsFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [p] : [];
  });
}

try {
  warm(["constructs", "stacks", "providers"].flatMap((d) => tsFiles(path.join(root, d))));
  // The Dojo curriculum, parsed and validated into its cache (constructs/components/dojo/curriculum.ts).
  require("../constructs/components/dojo/curriculum.ts").loadCurriculum();
} catch (e) {
  process.stderr.write(`fawkes: caches not warmed (${e.message}); the first synth will fill them\n`);
}
