// Jest transformer: TypeScript → CommonJS with sucrase, transpile-only, the same transform the cdktf
// app uses (scripts/register-ts.js). Types are checked once by `npm run typecheck`. Sucrase keeps
// line numbers, so stack traces point at the source, and it is ~10× faster than ts-jest's
// transpileModule on a cold cache (a fresh clone, CI).
"use strict";
const crypto = require("node:crypto");
const { transform } = require("sucrase");
const { version } = require("sucrase/package.json");

module.exports = {
  process(source, filePath) {
    return { code: transform(source, { transforms: ["typescript", "imports", "jest"], filePath, production: true }).code };
  },
  getCacheKey(source, filePath) {
    return crypto.createHash("sha1").update(version).update("\0").update(filePath).update("\0").update(source).digest("hex");
  },
};
