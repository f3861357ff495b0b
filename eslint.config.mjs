// ESLint (flat config): typescript-eslint's recommended rules plus what reviews here found.
// Formatting is Prettier's job (.prettierrc.json); eslint-config-prettier turns off the rules that
// would fight it. `npm run lint` runs both, with zero warnings allowed. Unused exports in constructs/
// are test/exports.test.ts's job (import-x's no-unused-modules needs the eslintrc file API that
// ESLint 10 removed).
import importX from "eslint-plugin-import-x";
import prettier from "eslint-config-prettier";
import tseslint from "typescript-eslint";

/** Asynchronous code, linted with type information (see tsconfig.lint.json). */
const ASYNC = ["constructs/components/*/engine/**/*.js", "test/dojo-engine.test.ts", "test/dojo-script.test.ts"];

export default tseslint.config(
  // templates/: nunjucks sources of new services (`${{ values.x }}`), linted by their own projects once rendered.
  { ignores: ["cdktf.out/**", "cdktf.out.partial*/**", "node_modules/**", ".gen/**", "coverage/**", "templates/**"] },
  ...tseslint.configs.recommended,
  {
    plugins: { "import-x": importX },
    settings: { "import-x/resolver": { node: { extensions: [".ts", ".js", ".json"] } } },
    rules: {
      // Layering: no import cycles between modules (and so none between top-level folders).
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  {
    files: ASYNC,
    languageOptions: { parserOptions: { project: "./tsconfig.lint.json", tsconfigRootDir: import.meta.dirname } },
    // A promise nobody awaits is an error nobody sees.
    rules: { "@typescript-eslint/no-floating-promises": "error" },
  },
  {
    // CommonJS by design: the cdktf app runner, the bench, the jest transform, the Dojo engine.
    files: ["**/*.js"],
    languageOptions: {
      sourceType: "commonjs",
      globals: { require: "readonly", module: "writable", process: "readonly", __dirname: "readonly", console: "readonly" },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // Tests and the synth summary walk synthesized Terraform JSON, which has no type: `any` is the
    // honest type there.
    files: ["test/**/*.ts", "stacks/apply-time.ts", "stacks/summary.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  prettier,
);
