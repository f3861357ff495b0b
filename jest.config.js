/** Tests run on transpiled TypeScript only (ts-jest isolatedModules); `npm run typecheck` type-checks once. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
  moduleFileExtensions: ["ts", "js", "json"],
  cacheDirectory: "<rootDir>/node_modules/.cache/jest",
  testTimeout: 30000,
};
