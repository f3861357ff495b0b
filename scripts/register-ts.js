// Transpile-only TypeScript loader for the cdktf app (no type-checking on synth: `npm run typecheck` does that once).
// Sucrase strips types in a single pass (~10x faster than TypeScript's transpileModule, so a first synth
// on a fresh clone stays within budget), keeps line numbers for stack traces, and the output is
// cached by content hash, so a warm synth transpiles nothing.
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const Module = require("node:module");

const cacheDir = path.join(__dirname, "..", "node_modules", ".cache", "fawkes", "ts");
let sucrase; // loaded on the first cache miss only

function compile(source, filename) {
  const key = crypto.createHash("sha1").update(filename).update("\0").update(source).digest("hex");
  const cached = path.join(cacheDir, `${key}.js`);
  try {
    return fs.readFileSync(cached, "utf8");
  } catch {
    /* miss */
  }
  sucrase ??= require("sucrase");
  const out = sucrase.transform(source, { transforms: ["typescript", "imports"], filePath: filename, production: true }).code;
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    const tmp = `${cached}.${process.pid}`;
    fs.writeFileSync(tmp, out);
    fs.renameSync(tmp, cached); // atomic: parallel runs never read half a file
  } catch {
    /* a read-only tree still works, just slower */
  }
  return out;
}

Module._extensions[".ts"] = function loadTs(module, filename) {
  module._compile(compile(fs.readFileSync(filename, "utf8"), filename), filename);
};

/** Fills the cache for these files ahead of time (scripts/warm-cache.js, after npm ci). */
module.exports.warm = function warm(files) {
  for (const file of files) compile(fs.readFileSync(file, "utf8"), file);
};
