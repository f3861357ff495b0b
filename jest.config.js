/** Tests run on transpiled TypeScript only (sucrase, test/transform.js); `npm run typecheck` type-checks once. */
const os = require("node:os");

// Kubernetes support calendars are read on this date, so the suite gives the same answer every day
// (constructs/kubernetes-versions.ts). Move it forward when the calendar table is updated.
process.env.FAWKES_TODAY ??= "2026-12-01";

module.exports = {
  // Jest's default is one worker on a 2-core machine; the suites are CPU-bound and independent.
  maxWorkers: Math.max(2, os.cpus().length - 1),
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": "<rootDir>/test/transform.js" },
  moduleFileExtensions: ["ts", "js", "json"],
  cacheDirectory: "<rootDir>/node_modules/.cache/jest",
  testTimeout: 30000,
  // cdktf's per-token creation stacks are not formatted (stacks/token-traces.ts), as in synth.
  setupFilesAfterEnv: ["<rootDir>/test/setup.ts"],
  // The four stacks, synthesized once per run and shared by the test files that read them.
  globalSetup: "<rootDir>/test/global-setup.ts",
  globalTeardown: "<rootDir>/test/global-teardown.ts",
};
