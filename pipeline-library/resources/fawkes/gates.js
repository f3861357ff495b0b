// @ts-check
"use strict";
/**
 * The pipeline's two gates, decided from the tools' own JSON: Trivy's image report (schema 2) with
 * the service's ignore file, and SonarQube's quality gate plus the coverage measure. Pure functions:
 * the pipeline fetches, these decide, and the jest suite tests them on recorded payloads.
 */

const SEVERITY_ORDER = ["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"];

/**
 * @typedef {object} Finding
 * @property {string} id
 * @property {string} severity
 * @property {string} pkg
 * @property {string} installed
 * @property {string} fixed
 * @property {string} target
 * @property {string} title
 * @property {string} url
 * @property {string} [ignored] Why it does not count (the ignore entry's statement).
 */
/**
 * @typedef {object} GateResult
 * @property {boolean} pass
 * @property {string} summary One paragraph for the build log and the stage's description.
 * @property {Finding[]} findings What blocks the gate (Trivy), or the failing conditions (SonarQube).
 * @property {Finding[]} [ignored] Matches of a valid ignore entry (Trivy).
 * @property {{ id: string, expiredAt: string }[]} [expiredIgnores] Entries past their expired_at, no longer applied.
 */
/**
 * An entry of Trivy's `.trivyignore.yaml` (`vulnerabilities:`), as readYaml turns it into JSON.
 * @typedef {{ id: string, paths?: string[], purls?: string[], statement?: string, expired_at?: string | number | { time: number } }} IgnoreEntry
 */

/**
 * `**` any depth, `*` within one path segment (Trivy's path globs, enough of them).
 * @param {string} glob
 * @param {string} path
 */
function globMatch(glob, path) {
  const re = glob
    .split("**")
    .map((part) =>
      part
        .split("*")
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join("[^/]*"),
    )
    .join(".*");
  return new RegExp(`^${re}$`).test(path);
}

/**
 * When an ignore entry stops applying; Trivy reads `expired_at` as a date (midnight UTC).
 * @param {string | number | { time: number } | undefined} v
 * @returns {number | undefined}
 */
function expiry(v) {
  if (v === undefined || v === null || v === "") return undefined;
  // An unquoted YAML date reaches JSON through Jenkins' readYaml/writeJSON as a java.util.Date bean.
  if (typeof v === "object" && typeof (/** @type {any} */ (v).time) === "number") return /** @type {any} */ (v).time;
  const t = typeof v === "number" ? v : Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(String(v)) ? `${v}T00:00:00Z` : String(v));
  if (Number.isNaN(t)) throw new Error(`IgnoreEntry.expired_at must be a date (YYYY-MM-DD), got ${JSON.stringify(v)}`);
  return t;
}

/**
 * @param {unknown} ignores the parsed ignore file, or its `vulnerabilities` list
 * @returns {IgnoreEntry[]}
 */
function ignoreEntries(ignores) {
  if (ignores === undefined || ignores === null) return [];
  const list = Array.isArray(ignores) ? ignores : (/** @type {any} */ (ignores).vulnerabilities ?? []);
  if (!Array.isArray(list)) throw new Error(`IgnoreFile.vulnerabilities must be a list, got ${JSON.stringify(list)}`);
  for (const e of list) {
    if (!e || typeof e.id !== "string") throw new Error(`IgnoreEntry.id must be a vulnerability id, got ${JSON.stringify(e)}`);
  }
  return list;
}

/**
 * Trivy's image scan gate: fails on any vulnerability at or above a listed severity that no valid
 * ignore entry covers. Expired entries are reported and no longer applied.
 * @param {any} report `trivy image --format json` (SchemaVersion 2)
 * @param {{ severity: string[], ignores?: unknown, now: Date | number }} options
 * @returns {GateResult}
 */
function trivyGate(report, options) {
  if (!report || report.SchemaVersion !== 2) throw new Error(`TrivyReport.SchemaVersion must be 2, got ${JSON.stringify(report?.SchemaVersion)}`);
  const now = typeof options.now === "number" ? options.now : options.now.getTime();
  const severities = new Set(options.severity);
  const entries = ignoreEntries(options.ignores);
  const expiredIgnores = entries
    .filter((e) => (expiry(e.expired_at) ?? Infinity) <= now)
    .map((e) => ({ id: e.id, expiredAt: new Date(/** @type {number} */ (expiry(e.expired_at))).toISOString().slice(0, 10) }));
  const valid = entries.filter((e) => (expiry(e.expired_at) ?? Infinity) > now);

  /** @type {Finding[]} */
  const findings = [];
  /** @type {Finding[]} */
  const ignored = [];
  for (const result of report.Results ?? []) {
    for (const v of result.Vulnerabilities ?? []) {
      if (!severities.has(v.Severity)) continue;
      /** @type {Finding} */
      const f = {
        id: v.VulnerabilityID,
        severity: v.Severity,
        pkg: v.PkgName,
        installed: v.InstalledVersion ?? "",
        fixed: v.FixedVersion ?? "",
        target: result.Target,
        title: v.Title ?? "",
        url: v.PrimaryURL ?? "",
      };
      const purl = v.PkgIdentifier?.PURL;
      const path = v.PkgPath ?? result.Target;
      const entry = valid.find(
        (e) =>
          e.id === v.VulnerabilityID &&
          (!e.paths?.length || e.paths.some((p) => globMatch(p, path) || globMatch(p, result.Target))) &&
          (!e.purls?.length || (purl !== undefined && e.purls.includes(purl))),
      );
      if (entry) ignored.push({ ...f, ignored: entry.statement ?? "ignored" });
      else findings.push(f);
    }
  }
  findings.sort((a, b) => SEVERITY_ORDER.indexOf(b.severity) - SEVERITY_ORDER.indexOf(a.severity) || a.id.localeCompare(b.id));
  const counts = options.severity.map((s) => `${findings.filter((f) => f.severity === s).length} ${s}`).join(", ");
  const pass = findings.length === 0;
  const summary =
    `Trivy: ${pass ? "passed" : "FAILED"} on ${report.ArtifactName ?? "the image"}: ${counts} (threshold ${options.severity.join(", ")})` +
    (ignored.length ? `; ${ignored.length} ignored by the ignore file` : "") +
    (expiredIgnores.length ? `; expired ignores no longer applied: ${expiredIgnores.map((e) => `${e.id} (${e.expiredAt})`).join(", ")}` : "");
  return { pass, summary, findings, ignored, expiredIgnores };
}

/**
 * SonarQube's quality gate and the service's coverage threshold: both must hold.
 * @param {any} projectStatus `api/qualitygates/project_status` answer
 * @param {any} measures `api/measures/component?metricKeys=coverage` answer
 * @param {{ coverage: number }} options
 * @returns {GateResult}
 */
function sonarGate(projectStatus, measures, options) {
  const status = projectStatus?.projectStatus?.status;
  if (typeof status !== "string") throw new Error(`ProjectStatus.projectStatus.status must be set, got ${JSON.stringify(projectStatus)}`);
  /** @type {Finding[]} */
  const findings = (projectStatus.projectStatus.conditions ?? [])
    .filter((/** @type {any} */ c) => c.status === "ERROR")
    .map((/** @type {any} */ c) => ({
      id: c.metricKey,
      severity: "ERROR",
      pkg: "",
      installed: c.actualValue ?? "",
      fixed: `${c.comparator === "LT" ? ">=" : "<="} ${c.errorThreshold}`,
      target: "quality gate",
      title: `${c.metricKey} is ${c.actualValue ?? "missing"} (must be ${c.comparator === "LT" ? "at least" : "at most"} ${c.errorThreshold})`,
      url: "",
    }));
  const gateOk = status === "OK" || status === "WARN";
  const raw = (measures?.component?.measures ?? []).find((/** @type {any} */ m) => m.metric === "coverage")?.value;
  const coverage = raw === undefined ? undefined : Number(raw);
  const coverageOk = coverage !== undefined && !Number.isNaN(coverage) && coverage >= options.coverage;
  if (!coverageOk) {
    findings.push({
      id: "coverage",
      severity: "ERROR",
      pkg: "",
      installed: raw ?? "",
      fixed: `>= ${options.coverage}`,
      target: "fawkes.yaml quality.coverage",
      title:
        coverage === undefined
          ? "no coverage measure: the coverage report did not reach SonarQube"
          : `coverage is ${coverage}% (fawkes.yaml quality.coverage wants at least ${options.coverage}%)`,
      url: "",
    });
  }
  const pass = gateOk && coverageOk;
  const summary =
    `SonarQube: ${pass ? "passed" : "FAILED"}: quality gate ${status}, coverage ${coverage === undefined ? "missing" : `${coverage}%`} (threshold ${options.coverage}%)` +
    (findings.length ? `: ${findings.map((f) => f.title).join("; ")}` : "");
  return { pass, summary, findings };
}

/**
 * The scan report developers read (archived with the build, linked from the service's page).
 * @param {GateResult} gate
 * @param {{ image: string, buildUrl?: string }} context
 */
function trivyMarkdown(gate, context) {
  /** @param {Finding} f */
  const row = (f) =>
    `| ${f.severity} | [${f.id}](${f.url || `https://avd.aquasec.com/nvd/${f.id.toLowerCase()}`}) | ${f.pkg} | ${f.installed} | ${f.fixed || "no fix yet"} | ${f.target} |`;
  const head = "| Severity | Vulnerability | Package | Installed | Fixed in | Target |\n|---|---|---|---|---|---|";
  const lines = [`# Image scan: ${gate.pass ? "passed" : "failed"}`, "", `Image: \`${context.image}\``, "", gate.summary, ""];
  if (gate.findings.length)
    lines.push(
      "## Blocking findings",
      "",
      "Upgrade the package (or the base image) to the fixed version, or, when the risk is accepted, add an entry with `expired_at` to the ignore file.",
      "",
      head,
      ...gate.findings.map(row),
      "",
    );
  if (gate.ignored?.length) lines.push("## Ignored", "", head, ...gate.ignored.map(row), "");
  if (gate.expiredIgnores?.length)
    lines.push("## Expired ignore entries (no longer applied)", "", ...gate.expiredIgnores.map((e) => `- ${e.id}: expired ${e.expiredAt}`), "");
  if (context.buildUrl) lines.push(`Full report: ${context.buildUrl}artifact/trivy-report.json`, "");
  return lines.join("\n");
}

module.exports = { trivyGate, sonarGate, trivyMarkdown, globMatch };
