// Transpile-only TypeScript loader for the cdktf app (no type-checking on synth: `npm run typecheck` does that once).
// Transpiled files are cached by content hash, so a warm synth does not even load the TypeScript compiler.
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const Module = require("node:module");

const cacheDir = path.join(__dirname, "..", "node_modules", ".cache", "fawkes", "ts");
let ts; // loaded on the first cache miss only
const options = {
  module: 1 /* CommonJS */, target: 9 /* ES2022 */, esModuleInterop: true, isolatedModules: true,
  sourceMap: false, inlineSourceMap: true, inlineSources: false,
};

function compile(source, filename) {
  const key = crypto.createHash("sha1").update(filename).update("\0").update(source).digest("hex");
  const cached = path.join(cacheDir, `${key}.js`);
  try { return fs.readFileSync(cached, "utf8"); } catch { /* miss */ }
  ts ??= require("typescript");
  const out = ts.transpileModule(source, { compilerOptions: options, fileName: filename }).outputText;
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    const tmp = `${cached}.${process.pid}`;
    fs.writeFileSync(tmp, out);
    fs.renameSync(tmp, cached); // atomic: parallel runs never read half a file
  } catch { /* a read-only tree still works, just slower */ }
  return out;
}

Module._extensions[".ts"] = function loadTs(module, filename) {
  module._compile(compile(fs.readFileSync(filename, "utf8"), filename), filename);
};
