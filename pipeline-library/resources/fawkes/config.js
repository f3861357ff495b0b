// @ts-check
"use strict";
/**
 * fawkes.yaml, as the pipeline reads it: Jenkins' readYaml hands it over as JSON, this validates the
 * object (errors name the key) and fills the defaults. Per language: the toolchain image, the build
 * and test command (with coverage), and where the coverage report lands for SonarQube.
 */

/** @typedef {"node" | "python" | "go"} Language */
/**
 * @typedef {object} FawkesConfig
 * @property {string} service
 * @property {string} team
 * @property {Language} language
 * @property {{ coverage: number }} quality
 * @property {{ severity: string[], ignoreFile: string }} scan
 * @property {{ staging: { smokePath: string }, production: { promotion: "pull-request" | "auto" } }} deploy
 */

const IMAGES = require("./images.json");

/**
 * What each toolchain runs, and the coverage report it leaves: `npm test` writes coverage/lcov.info
 * (the template's script), pytest's --cov comes from the template's pyproject.toml.
 */
const LANGUAGES = {
  node: {
    build: "npm ci && npm test",
    coverage: "coverage/lcov.info",
    sonar: "sonar.javascript.lcov.reportPaths",
  },
  python: {
    // A virtualenv: the toolchain container is not root, so the system site-packages are read-only.
    build:
      "python -m venv /tmp/venv && /tmp/venv/bin/pip install --no-cache-dir -r requirements.txt && /tmp/venv/bin/python -m pytest --cov-report=xml:coverage.xml",
    coverage: "coverage.xml",
    sonar: "sonar.python.coverage.reportPaths",
  },
  go: {
    // -mod=mod: a repository without go.sum yet (the worker template's) gets it from the module proxy, checked against sum.golang.org.
    build: "go test -mod=mod ./... -coverprofile=coverage.out",
    coverage: "coverage.out",
    sonar: "sonar.go.coverage.reportPaths",
  },
};

const SEVERITIES = ["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"];
const NAME = /^[a-z][a-z0-9-]{1,29}$/;
const TEAM = /^[a-z0-9][a-z0-9-]{0,62}$/;

class ConfigError extends Error {}

/**
 * @param {boolean} ok
 * @param {string} key
 * @param {string} must
 * @param {unknown} got
 */
function check(ok, key, must, got) {
  if (!ok) throw new ConfigError(`fawkes.yaml ${key} must ${must}, got ${JSON.stringify(got)}`);
}

/** @param {unknown} v */
const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * @param {unknown} v
 * @param {string} key
 * @returns {Record<string, any>}
 */
function section(v, key) {
  if (v === undefined || v === null) return {};
  check(isObject(v), key, "be a mapping", v);
  return /** @type {Record<string, any>} */ (v);
}

/**
 * @param {Record<string, any>} obj
 * @param {string} key
 * @param {string[]} known
 */
function noUnknown(obj, key, known) {
  for (const k of Object.keys(obj)) check(known.includes(k), key ? `${key}.${k}` : k, `be one of the known keys (${known.join(", ")})`, k);
}

/**
 * Validates the parsed fawkes.yaml and fills defaults.
 * @param {unknown} raw
 * @returns {FawkesConfig}
 */
function parseConfig(raw) {
  check(isObject(raw), "(the document)", "be a mapping", raw);
  const doc = /** @type {Record<string, any>} */ (raw);
  noUnknown(doc, "", ["service", "team", "language", "quality", "scan", "deploy"]);
  check(typeof doc.service === "string" && NAME.test(doc.service), "service", "match ^[a-z][a-z0-9-]{1,29}$", doc.service);
  check(typeof doc.team === "string" && TEAM.test(doc.team), "team", "be a team name (lowercase letters, digits, -)", doc.team);
  check(Object.keys(LANGUAGES).includes(doc.language), "language", `be one of ${Object.keys(LANGUAGES).join(", ")}`, doc.language);

  const quality = section(doc.quality, "quality");
  noUnknown(quality, "quality", ["coverage"]);
  const coverage = quality.coverage ?? 80;
  check(typeof coverage === "number" && coverage >= 0 && coverage <= 100, "quality.coverage", "be a percentage from 0 to 100", coverage);

  const scan = section(doc.scan, "scan");
  noUnknown(scan, "scan", ["severity", "ignoreFile"]);
  const severity = scan.severity ?? ["HIGH", "CRITICAL"];
  check(
    Array.isArray(severity) && severity.length > 0 && severity.every((s) => SEVERITIES.includes(s)),
    "scan.severity",
    `be a non-empty list of ${SEVERITIES.join(", ")}`,
    severity,
  );
  const ignoreFile = scan.ignoreFile ?? ".trivyignore.yaml";
  check(
    typeof ignoreFile === "string" && ignoreFile.length > 0 && !ignoreFile.startsWith("/") && !ignoreFile.includes(".."),
    "scan.ignoreFile",
    "be a relative path in the repository",
    ignoreFile,
  );

  const deploy = section(doc.deploy, "deploy");
  noUnknown(deploy, "deploy", ["staging", "production"]);
  const staging = section(deploy.staging, "deploy.staging");
  noUnknown(staging, "deploy.staging", ["smokePath"]);
  const smokePath = staging.smokePath ?? "/readyz";
  check(typeof smokePath === "string" && smokePath.startsWith("/"), "deploy.staging.smokePath", 'be a path starting with "/"', smokePath);
  const production = section(deploy.production, "deploy.production");
  noUnknown(production, "deploy.production", ["promotion"]);
  const promotion = production.promotion ?? "pull-request";
  check(promotion === "pull-request" || promotion === "auto", "deploy.production.promotion", 'be "pull-request" or "auto"', promotion);

  return {
    service: doc.service,
    team: doc.team,
    language: doc.language,
    quality: { coverage },
    scan: { severity: [...severity], ignoreFile },
    deploy: { staging: { smokePath }, production: { promotion } },
  };
}

/**
 * How the pipeline builds a language: the toolchain image, the command, the coverage report.
 * @param {Language} language
 */
function toolchain(language) {
  const l = LANGUAGES[language];
  return { image: IMAGES.languages[language], build: l.build, coverageReport: l.coverage, sonarCoverageProperty: l.sonar };
}

module.exports = { parseConfig, toolchain, ConfigError, LANGUAGES, SEVERITIES };
