// @ts-check
"use strict";
/**
 * The operator's DORA commands, dispatched from scripts/fawkes:
 *   fawkes incident open <service> --title "…" [--severity critical] [--team <team>] [--description "…"]
 *   fawkes incident close <service> <id> [--title "…"]
 *   fawkes dora export --team <team> [--days 90] [--format csv|json] [--db-secret devlake-db]
 *
 * Incidents go through the delivery-events relay (`kubectl exec` into one of its pods, which posts to
 * itself on 127.0.0.1 with the operator token it has mounted): the operator needs `pods/exec` in the
 * dora namespace, and never sees a token. The export reads DevLake's domain tables with the official
 * mysql client in a throwaway pod of the dora namespace (`kubectl run --rm`), credentials from the
 * DevLake database Secret; the four keys and the flow are computed here, by pure functions.
 * No dependencies; kubectl is injected.
 */

const NAMESPACE = "dora";
const RELAY = "deploy/fawkes-events";
/** The same pinned official image as the laptop's MySQL (constructs/foundations/existing-cluster/data.ts). */
const MYSQL_IMAGE = "docker.io/library/mysql:8.4.6";
const SERVICE = /^[a-z][a-z0-9-]{1,29}$/;
/** A team is a DNS label (stacks/config/schema.ts). */
const TEAM = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** The image's `mysql` user: the restricted Pod Security of the dora namespace wants a non-root user. */
const MYSQL_UID = 999;

/**
 * @typedef {{ status: number | null, stdout: string, stderr: string, error?: Error }} SpawnResult
 * @typedef {{ kubectl: (args: string[], input?: string) => SpawnResult, stdout: (s: string) => void, stderr: (s: string) => void, now: () => number }} Io
 *   the subset of scripts/lib/platform.js's Io these commands use (`now`: milliseconds since the epoch)
 */

class UsageError extends Error {}

const USAGE = `usage:
  fawkes incident open <service> --title "…" [--severity <s>] [--team <team>] [--description "…"]
  fawkes incident close <service> <id> [--title "…"]
  fawkes dora export --team <team> [--days 90] [--format csv|json] [--db-secret devlake-db]`;

/**
 * @param {string[]} argv
 * @returns {{ positional: string[], flags: Record<string, string> }}
 */
function parseArgs(argv) {
  /** @type {Record<string, string>} */
  const flags = {};
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-h" || a === "--help") flags.help = "true";
    else if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      if (eq > 0) flags[a.slice(2, eq)] = a.slice(eq + 1);
      else if (i + 1 < argv.length) flags[a.slice(2)] = argv[++i];
      else throw new UsageError(`--${a.slice(2)} needs a value`);
    } else positional.push(a);
  }
  return { positional, flags };
}

/**
 * What runs inside the relay's pod: posts stdin to the relay itself with the mounted operator token.
 * Plain Node (the pod's image), no quotes that a shell would touch: kubectl passes it as one argument.
 */
const IN_POD = `const fs=require("node:fs");const token=fs.readFileSync("/etc/fawkes-events/tokens/operator","utf8").trim();
const body=fs.readFileSync(0,"utf8");
fetch("http://127.0.0.1:8080"+process.argv[1],{method:"POST",headers:{authorization:"Bearer "+token,"content-type":"application/json"},body})
.then(async r=>{process.stdout.write(JSON.stringify({status:r.status,body:await r.text()}));})
.catch(e=>{process.stdout.write(JSON.stringify({status:0,body:String(e)}));});`;

/**
 * The kubectl call that posts `body` to the relay's `route`.
 * @param {string} route
 */
function relayExecArgs(route) {
  return ["-n", NAMESPACE, "exec", "-i", RELAY, "-c", "relay", "--", "node", "-e", IN_POD, route];
}

/**
 * @param {Io} io
 * @param {string} route
 * @param {Record<string, unknown>} body
 * @returns {Record<string, unknown>}
 */
function postToRelay(io, route, body) {
  const r = io.kubectl(relayExecArgs(route), JSON.stringify(body));
  if (r.error) throw new Error(`kubectl could not run: ${r.error.message}`);
  if (r.status !== 0)
    throw new Error(`kubectl exec into ${NAMESPACE}/${RELAY} failed (is the dora component installed, may you exec there?): ${r.stderr.trim()}`);
  /** @type {{ status: number, body: string }} */
  let answer;
  try {
    answer = JSON.parse(r.stdout);
  } catch {
    throw new Error(`the relay's answer is not JSON: ${r.stdout.slice(0, 200)}`);
  }
  let parsed = {};
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    parsed = { error: answer.body };
  }
  if (answer.status < 200 || answer.status >= 300) throw new Error(`the relay answered ${answer.status}: ${/** @type {any} */ (parsed).error ?? answer.body}`);
  return parsed;
}

/**
 * @param {string[]} argv after `incident`
 * @param {Io} io
 */
function incident(argv, io) {
  const { positional, flags } = parseArgs(argv);
  const [action, service, id] = positional;
  if (flags.help || !action) throw new UsageError(USAGE);
  if (!service || !SERVICE.test(service)) throw new UsageError(`incident ${action}: <service> must be a service name, got ${JSON.stringify(service)}`);
  if (action === "open") {
    if (!flags.title) throw new UsageError("incident open: --title is required");
    const out = postToRelay(io, "/incidents", { service, team: flags.team, title: flags.title, severity: flags.severity, description: flags.description });
    io.stdout(`opened incident ${out.id} on ${service}; close it with: fawkes incident close ${service} ${out.id} --title ${JSON.stringify(flags.title)}\n`);
    return 0;
  }
  if (action === "close") {
    if (!id || !/^manual-[0-9]+$/.test(id))
      throw new UsageError(`incident close: <id> must be what "incident open" printed (manual-…), got ${JSON.stringify(id)}`);
    const out = postToRelay(io, "/incidents/close", { service, id, title: flags.title });
    io.stdout(`closed incident ${out.id} on ${service}\n`);
    return 0;
  }
  throw new UsageError(`incident: unknown action ${JSON.stringify(action)}\n${USAGE}`);
}

/** Columns of the export's one result set (every kind fills the ones it has). */
const COLUMNS = ["kind", "id", "service", "at", "until", "result", "environment", "deployment_id", "cycle", "coding", "pickup", "review", "deploy"];

/**
 * The export's SQL: raw rows of the team's DevLake project over the window (deployments, merged
 * changes with their flow times in minutes, incidents with the deployment DevLake blamed and their
 * component, which the relay sets to the service), as one
 * UNION so the client's batch output is one table. Team and days are validated before they get here.
 * @param {{ team: string, days: number }} q
 */
function exportSql({ team, days }) {
  if (!TEAM.test(team)) throw new UsageError(`dora export: --team must be a team name, got ${JSON.stringify(team)}`);
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new UsageError(`dora export: --days must be a whole number from 1 to 3650, got ${days}`);
  const service = (/** @type {string} */ col) => `SUBSTRING_INDEX(TRIM(TRAILING '.git' FROM ${col}), '/', -1)`;
  const since = (/** @type {string} */ col) => `${col} >= NOW() - INTERVAL ${days} DAY`;
  return `SELECT 'deployment' AS kind, cdc.cicd_deployment_id AS id, MAX(${service("cdc.repo_url")}) AS service, MAX(cdc.finished_date) AS at, NULL AS until,
  MAX(cdc.result) AS result, MAX(cdc.environment) AS environment, NULL AS deployment_id, NULL AS cycle, NULL AS coding, NULL AS pickup, NULL AS review, NULL AS deploy
FROM cicd_deployment_commits cdc JOIN project_mapping pm ON cdc.cicd_scope_id = pm.row_id AND pm.\`table\` = 'cicd_scopes'
WHERE pm.project_name = '${team}' AND ${since("cdc.finished_date")}
GROUP BY cdc.cicd_deployment_id
UNION ALL
SELECT 'change', pr.id, COALESCE(IF(c.name LIKE 'fawkes-%', SUBSTRING(c.name, 8), NULL), ${service("r.name")}), pr.merged_date, NULL, pr.status, NULL, NULL,
  prm.pr_cycle_time, prm.pr_coding_time, prm.pr_pickup_time, prm.pr_review_time, prm.pr_deploy_time
FROM pull_requests pr JOIN project_pr_metrics prm ON prm.id = pr.id
LEFT JOIN _tool_webhook_connections c ON pr.base_repo_id = CONCAT('webhook:', c.id)
LEFT JOIN repos r ON r.id = pr.base_repo_id
WHERE prm.project_name = '${team}' AND pr.merged_date IS NOT NULL AND ${since("pr.merged_date")}
UNION ALL
SELECT DISTINCT 'incident', i.id, NULLIF(i.component, ''), i.created_date, i.resolution_date, i.status, NULL, pim.deployment_id, i.lead_time_minutes, NULL, NULL, NULL, NULL
FROM incidents i JOIN project_incident_deployment_relationships pim ON pim.id = i.id
WHERE pim.project_name = '${team}' AND ${since("i.created_date")};
`;
}

/**
 * mysql --batch output: a header line, tab-separated fields, `NULL` for null, `\\t` `\\n` `\\\\` escaped.
 * @param {string} text
 * @returns {Record<string, string | null>[]}
 */
function parseMysqlBatch(text) {
  const lines = text.split("\n").filter((l) => l !== "");
  if (!lines.length) return [];
  const unescape = (/** @type {string} */ v) => v.replace(/\\(.)/g, (_m, c) => ({ t: "\t", n: "\n", 0: "\0", "\\": "\\" })[/** @type {string} */ (c)] ?? c);
  const header = lines[0].split("\t");
  return lines.slice(1).map((l) => {
    const fields = l.split("\t");
    return Object.fromEntries(header.map((h, i) => [h, fields[i] === undefined || fields[i] === "NULL" ? null : unescape(fields[i])]));
  });
}

/** @param {number[]} xs */
function median(xs) {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
/** @param {number[]} xs */
function mean(xs) {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}
/** @param {number | null} v @param {number} digits */
function round(v, digits) {
  return v === null ? null : Math.round(v * 10 ** digits) / 10 ** digits;
}

/**
 * DORA's performance levels, with the same thresholds as the Fawkes overview dashboard.
 * @type {Record<string, (v: number) => string>}
 */
const LEVELS = {
  deploymentFrequency: (perDay) => (perDay >= 1 ? "elite" : perDay * 7 >= 1 ? "high" : perDay * 30 >= 1 ? "medium" : "low"),
  leadTime: (hours) => (hours < 24 ? "elite" : hours < 7 * 24 ? "high" : hours < 30 * 24 ? "medium" : "low"),
  changeFailureRate: (rate) => (rate <= 0.05 ? "elite" : rate <= 0.1 ? "high" : rate <= 0.15 ? "medium" : "low"),
  timeToRestore: (hours) => (hours < 1 ? "elite" : hours < 24 ? "high" : hours < 7 * 24 ? "medium" : "low"),
};

/**
 * @typedef {{ service: string, deployments: number, deploymentsPerWeek: number, deploymentFrequencyLevel: string,
 *   leadTimeHours: number | null, leadTimeLevel: string | null, changeFailureRate: number | null, changeFailureRateLevel: string | null,
 *   timeToRestoreHours: number | null, timeToRestoreLevel: string | null,
 *   codingHours: number | null, pickupHours: number | null, reviewHours: number | null, deployHours: number | null, slowestStage: string | null, changes: number, incidents: number }} ServiceMetrics
 */

/**
 * The four keys and the flow per service and for the whole team (`service: "*"`), from the export's rows.
 * Deployments count when they are successful and in PRODUCTION (what DevLake's DORA counts); change
 * failure rate is the share of those DevLake linked to an incident; lead time is the median cycle time
 * of merged changes; time to restore the median of resolved incidents.
 * @param {Record<string, string | null>[]} rows
 * @param {number} days
 * @returns {ServiceMetrics[]}
 */
function summarize(rows, days) {
  const deployments = rows.filter((r) => r.kind === "deployment" && r.environment === "PRODUCTION" && r.result === "SUCCESS");
  const serviceOfDeployment = new Map(deployments.map((d) => [d.id, d.service]));
  const changes = rows.filter((r) => r.kind === "change");
  const incidents = rows
    .filter((r) => r.kind === "incident")
    .map((r) => /** @type {Record<string, string | null>} */ ({ ...r, service: r.service ?? serviceOfDeployment.get(r.deployment_id) ?? null }));
  const services = [...new Set([...deployments, ...changes, ...incidents].map((r) => r.service).filter((s) => s !== null))].sort();
  /** @param {string | null} v */
  const num = (v) => (v === null || v === "" || Number.isNaN(Number(v)) ? null : Number(v));
  /**
   * @param {string} service
   * @param {(r: Record<string, string | null>) => boolean} inScope
   */
  const metrics = (service, inScope) => {
    const ds = deployments.filter(inScope);
    const cs = changes.filter(inScope);
    const is = incidents.filter(inScope);
    const failed = new Set(is.map((i) => i.deployment_id).filter((d) => d !== null && ds.some((x) => x.id === d)));
    const perDay = ds.length / days;
    const hours = (/** @type {string} */ col) =>
      cs
        .map((c) => num(c[col]))
        .filter((v) => v !== null)
        .map((v) => /** @type {number} */ (v) / 60);
    const lead = median(hours("cycle"));
    const restore = median(
      is
        .filter((i) => i.until !== null)
        .map((i) => num(i.cycle) ?? (Date.parse(/** @type {string} */ (i.until)) - Date.parse(/** @type {string} */ (i.at))) / 60_000)
        .filter((v) => v !== null && !Number.isNaN(v))
        .map((v) => /** @type {number} */ (v) / 60),
    );
    const cfr = ds.length ? failed.size / ds.length : null;
    const stages = /** @type {const} */ (["coding", "pickup", "review", "deploy"]).map((s) => /** @type {[string, number | null]} */ ([s, mean(hours(s))]));
    const slowest = stages.filter(([, v]) => v !== null).sort((a, b) => /** @type {number} */ (b[1]) - /** @type {number} */ (a[1]))[0];
    return {
      service,
      deployments: ds.length,
      deploymentsPerWeek: /** @type {number} */ (round(perDay * 7, 2)),
      deploymentFrequencyLevel: LEVELS.deploymentFrequency(perDay),
      leadTimeHours: round(lead, 1),
      leadTimeLevel: lead === null ? null : LEVELS.leadTime(lead),
      changeFailureRate: round(cfr, 3),
      changeFailureRateLevel: cfr === null ? null : LEVELS.changeFailureRate(cfr),
      timeToRestoreHours: round(restore, 1),
      timeToRestoreLevel: restore === null ? null : LEVELS.timeToRestore(restore),
      codingHours: round(stages[0][1], 1),
      pickupHours: round(stages[1][1], 1),
      reviewHours: round(stages[2][1], 1),
      deployHours: round(stages[3][1], 1),
      slowestStage: slowest ? slowest[0] : null,
      changes: cs.length,
      incidents: is.length,
    };
  };
  return [...services.map((s) => metrics(s, (r) => r.service === s)), metrics("*", () => true)];
}

/**
 * @param {ServiceMetrics[]} metrics
 * @param {{ team: string, days: number, generatedAt: string }} meta
 */
function formatJson(metrics, meta) {
  return JSON.stringify({ ...meta, services: metrics.filter((m) => m.service !== "*"), team_total: metrics.find((m) => m.service === "*") }, null, 2) + "\n";
}

/**
 * RFC 4180 CSV: one row per service and a last row `*` for the whole team.
 * @param {ServiceMetrics[]} metrics
 * @param {{ team: string, days: number }} meta
 */
function formatCsv(metrics, meta) {
  const keys = /** @type {(keyof ServiceMetrics)[]} */ (Object.keys(metrics[0]));
  const cell = (/** @type {unknown} */ v) => {
    const s = v === null || v === undefined ? "" : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [["team", "days", ...keys].join(","), ...metrics.map((m) => [meta.team, meta.days, ...keys.map((k) => m[k])].map(cell).join(","))];
  return lines.join("\r\n") + "\r\n";
}

/**
 * The throwaway mysql client pod: restricted security context, credentials from the DevLake
 * database Secret (keys host, port, username, password, database) written to a defaults file, SQL on stdin.
 * @param {string} secret
 * @param {string} name
 */
function exportPodArgs(secret, name) {
  const env = ["host", "port", "username", "password", "database"].map((k) => ({
    name: `DB_${k.toUpperCase()}`,
    valueFrom: { secretKeyRef: { name: secret, key: k } },
  }));
  const script =
    'umask 077; printf "[client]\\nhost=%s\\nport=%s\\nuser=%s\\npassword=%s\\n" "$DB_HOST" "$DB_PORT" "$DB_USERNAME" "$DB_PASSWORD" > /tmp/my.cnf; ' +
    'exec mysql --defaults-extra-file=/tmp/my.cnf --batch --database="$DB_DATABASE"';
  const overrides = {
    apiVersion: "v1",
    spec: {
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: MYSQL_UID, runAsGroup: MYSQL_UID, seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        {
          name: name,
          image: MYSQL_IMAGE,
          stdin: true,
          stdinOnce: true,
          command: ["sh", "-c", script],
          env,
          resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
        },
      ],
    },
  };
  return ["-n", NAMESPACE, "run", name, "--rm", "-i", "--quiet", "--restart=Never", `--image=${MYSQL_IMAGE}`, `--overrides=${JSON.stringify(overrides)}`];
}

/**
 * @param {string[]} argv after `dora`
 * @param {Io} io
 */
function dora(argv, io) {
  const { positional, flags } = parseArgs(argv);
  if (flags.help || positional[0] !== "export") throw new UsageError(USAGE);
  const team = flags.team;
  if (!team) throw new UsageError("dora export: --team is required");
  const days = Number(flags.days ?? 90);
  const format = flags.format ?? "csv";
  if (format !== "csv" && format !== "json") throw new UsageError(`dora export: --format must be csv or json, got ${JSON.stringify(format)}`);
  const sql = exportSql({ team, days });
  const name = `fawkes-dora-export-${io.now()}`;
  const r = io.kubectl(exportPodArgs(flags["db-secret"] ?? "devlake-db", name), sql);
  if (r.error) throw new Error(`kubectl could not run: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`the export query failed in pod ${NAMESPACE}/${name}: ${r.stderr.trim() || r.stdout.trim()}`);
  const metrics = summarize(parseMysqlBatch(r.stdout), days);
  const meta = { team, days, generatedAt: new Date(io.now()).toISOString() };
  io.stdout(format === "json" ? formatJson(metrics, meta) : formatCsv(metrics, meta));
  return 0;
}

/**
 * `fawkes incident …` and `fawkes dora …`: the exit code.
 * @param {string[]} argv starting with the command (`incident` or `dora`)
 * @param {Io} io
 */
function run(argv, io) {
  try {
    if (argv[0] === "incident") return incident(argv.slice(1), io);
    if (argv[0] === "dora") return dora(argv.slice(1), io);
    throw new UsageError(USAGE);
  } catch (e) {
    io.stderr(`${/** @type {Error} */ (e).message}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}

/** The real Io: kubectl on the operator's kubeconfig. */
function realIo() {
  const { spawnSync } = require("node:child_process");
  return {
    /** @param {string[]} args @param {string} [input] */
    kubectl: (args, input) => spawnSync("kubectl", args, { input, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }),
    stdout: (/** @type {string} */ s) => process.stdout.write(s),
    stderr: (/** @type {string} */ s) => process.stderr.write(s),
    now: () => Date.now(),
  };
}

module.exports = { COLUMNS, LEVELS, MYSQL_IMAGE, exportPodArgs, exportSql, formatCsv, formatJson, parseMysqlBatch, realIo, relayExecArgs, run, summarize };
