/**
 * The Fawkes delivery overview: the four keys with their DORA performance level, their trends over
 * 30, 60 or 90 days, a team and a service view, the flow of a change (coding, pickup, review, deploy)
 * with the slowest stage per team, and the pull requests behind it. SQL over DevLake's domain layer
 * (MySQL): `cicd_deployment_commits`, `project_mapping`, `incidents`,
 * `project_incident_deployment_relationships`, `project_pr_metrics`, `pull_requests`, `repos`, `projects`.
 */

/** Grafana uid of the overview (links from Backstage and alerts). */
export const DORA_DASHBOARD_UID = "fawkes-dora";
/** The DevLake datasource's name: DevLake's own dashboards refer to it by this name. */
export const DEVLAKE_DATASOURCE = { name: "mysql", uid: "devlake-mysql" } as const;

/** The overview, filtered to one service (Backstage's link on a service page). */
export function doraDashboardUrl(grafanaUrl: string, service?: string): string {
  const base = `${grafanaUrl.replace(/\/$/, "")}/d/${DORA_DASHBOARD_UID}`;
  return service ? `${base}?var-service=${encodeURIComponent(service)}` : base;
}

const ds = { type: "mysql", uid: DEVLAKE_DATASOURCE.uid };
/** "All" is this sentinel, so an empty list never makes `IN ()` invalid. */
const ALL = "__all";

/** A repository URL or name's last path segment, without `.git`: the service. */
const serviceOf = (col: string) => `SUBSTRING_INDEX(TRIM(TRAILING '.git' FROM ${col}), '/', -1)`;
const inService = (col: string) => `('${ALL}' IN ($service) OR ${serviceOf(col)} IN ($service))`;
const inTeam = (col: string) => `('${ALL}' IN ($team) OR ${col} IN ($team))`;
const inWindow = (col: string) => `${col} >= NOW() - INTERVAL $window DAY`;

/** Successful production deployments of the selected teams and services, one row per deployment. */
const PRODUCTION_DEPLOYMENTS = `SELECT cdc.cicd_deployment_id AS deployment_id, MAX(cdc.finished_date) AS finished_date, MAX(pm.project_name) AS team
  FROM cicd_deployment_commits cdc
  JOIN project_mapping pm ON cdc.cicd_scope_id = pm.row_id AND pm.\`table\` = 'cicd_scopes'
  WHERE cdc.result = 'SUCCESS' AND cdc.environment = 'PRODUCTION'
    AND ${inTeam("pm.project_name")} AND ${inService("cdc.repo_url")} AND ${inWindow("cdc.finished_date")}
  GROUP BY cdc.cicd_deployment_id`;

/** Merged pull requests of the selected teams and services with their flow times (minutes). */
const MERGED_PRS = `SELECT pr.id, pr.title, pr.url, pr.author_name, pr.merged_date, prm.project_name AS team, ${serviceOf("r.name")} AS service,
    prm.pr_coding_time, prm.pr_pickup_time, prm.pr_review_time, prm.pr_deploy_time, prm.pr_cycle_time
  FROM pull_requests pr
  JOIN project_pr_metrics prm ON prm.id = pr.id
  JOIN repos r ON r.id = pr.base_repo_id
  WHERE pr.merged_date IS NOT NULL AND ${inTeam("prm.project_name")} AND ${inService("r.name")} AND ${inWindow("pr.merged_date")}`;

/** Incidents of the selected teams, with the deployment that caused them. */
const INCIDENTS = `SELECT DISTINCT i.id, i.created_date, i.resolution_date, i.lead_time_minutes, pim.deployment_id
  FROM incidents i
  JOIN project_incident_deployment_relationships pim ON pim.id = i.id
  WHERE ${inTeam("pim.project_name")} AND ${inWindow("i.created_date")}`;

/** The median of `col` over `from` (MySQL 8 has no MEDIAN: the largest value at or under the 50th percent rank). */
const median = (col: string, from: string) =>
  `SELECT MAX(v) AS median FROM (SELECT ${col} AS v, PERCENT_RANK() OVER (ORDER BY ${col}) AS r FROM (${from}) m WHERE ${col} IS NOT NULL) ranked WHERE r <= 0.5`;

/**
 * The four keys and their levels (DORA's State of DevOps thresholds): each query returns `value`
 * and `level` (elite, high, medium, low).
 */
export const KEY_QUERIES = {
  deploymentFrequency: `SELECT ROUND(COUNT(*) / ($window / 7), 2) AS value,
  CASE WHEN COUNT(*) / $window >= 1 THEN 'elite' WHEN COUNT(*) / ($window / 7) >= 1 THEN 'high' WHEN COUNT(*) / ($window / 30) >= 1 THEN 'medium' ELSE 'low' END AS level
FROM (${PRODUCTION_DEPLOYMENTS}) d`,
  leadTime: `SELECT ROUND(median / 60, 1) AS value,
  CASE WHEN median IS NULL THEN NULL WHEN median < 24 * 60 THEN 'elite' WHEN median < 7 * 24 * 60 THEN 'high' WHEN median < 30 * 24 * 60 THEN 'medium' ELSE 'low' END AS level
FROM (${median("pr_cycle_time", MERGED_PRS)}) lt`,
  changeFailureRate: `SELECT ROUND(100 * SUM(failed) / COUNT(*), 1) AS value,
  CASE WHEN COUNT(*) = 0 THEN NULL WHEN SUM(failed) / COUNT(*) <= 0.05 THEN 'elite' WHEN SUM(failed) / COUNT(*) <= 0.10 THEN 'high' WHEN SUM(failed) / COUNT(*) <= 0.15 THEN 'medium' ELSE 'low' END AS level
FROM (SELECT d.deployment_id, MAX(CASE WHEN inc.id IS NULL THEN 0 ELSE 1 END) AS failed FROM (${PRODUCTION_DEPLOYMENTS}) d LEFT JOIN (${INCIDENTS}) inc ON inc.deployment_id = d.deployment_id GROUP BY d.deployment_id) f`,
  timeToRestore: `SELECT ROUND(median / 60, 1) AS value,
  CASE WHEN median IS NULL THEN NULL WHEN median < 60 THEN 'elite' WHEN median < 24 * 60 THEN 'high' WHEN median < 7 * 24 * 60 THEN 'medium' ELSE 'low' END AS level
FROM (${median("lead_time_minutes", INCIDENTS)}) ttr`,
} as const;

const week = (col: string) => `DATE(DATE_SUB(${col}, INTERVAL WEEKDAY(${col}) DAY))`;

/** Weekly trends over the window and the per-team and flow tables. */
export const TREND_QUERIES = {
  deploymentsPerWeek: `SELECT TIMESTAMP(${week("finished_date")}) AS time, COUNT(*) AS deployments FROM (${PRODUCTION_DEPLOYMENTS}) d GROUP BY 1 ORDER BY 1`,
  leadTimePerWeek: `SELECT TIMESTAMP(${week("merged_date")}) AS time, ROUND(AVG(pr_cycle_time) / 60, 1) AS "lead time (h)" FROM (${MERGED_PRS}) p GROUP BY 1 ORDER BY 1`,
  failureRatePerWeek: `SELECT TIMESTAMP(${week("d.finished_date")}) AS time, ROUND(100 * AVG(CASE WHEN inc.id IS NULL THEN 0 ELSE 1 END), 1) AS "change failure rate (%)"
FROM (${PRODUCTION_DEPLOYMENTS}) d LEFT JOIN (${INCIDENTS}) inc ON inc.deployment_id = d.deployment_id GROUP BY 1 ORDER BY 1`,
  teams: `SELECT p.name AS team,
  (SELECT COUNT(*) FROM (${PRODUCTION_DEPLOYMENTS}) d WHERE d.team = p.name) AS "production deployments",
  (SELECT ROUND(AVG(pr_cycle_time) / 60, 1) FROM (${MERGED_PRS}) m WHERE m.team = p.name) AS "lead time (h, mean)"
FROM projects p WHERE ${inTeam("p.name")} ORDER BY p.name`,
  flowByTeam: `SELECT team,
  ROUND(AVG(pr_coding_time) / 60, 1) AS "coding (h)", ROUND(AVG(pr_pickup_time) / 60, 1) AS "pickup (h)",
  ROUND(AVG(pr_review_time) / 60, 1) AS "review (h)", ROUND(AVG(pr_deploy_time) / 60, 1) AS "deploy (h)",
  CASE GREATEST(COALESCE(AVG(pr_coding_time), 0), COALESCE(AVG(pr_pickup_time), 0), COALESCE(AVG(pr_review_time), 0), COALESCE(AVG(pr_deploy_time), 0))
    WHEN COALESCE(AVG(pr_coding_time), 0) THEN 'coding' WHEN COALESCE(AVG(pr_pickup_time), 0) THEN 'pickup'
    WHEN COALESCE(AVG(pr_review_time), 0) THEN 'review' ELSE 'deploy' END AS "slowest stage"
FROM (${MERGED_PRS}) p GROUP BY team ORDER BY team`,
  pullRequests: `SELECT merged_date AS merged, team, service, title, url, author_name AS author,
  ROUND(pr_coding_time / 60, 1) AS "coding (h)", ROUND(pr_pickup_time / 60, 1) AS "pickup (h)", ROUND(pr_review_time / 60, 1) AS "review (h)",
  ROUND(pr_deploy_time / 60, 1) AS "deploy (h)", ROUND(pr_cycle_time / 60, 1) AS "cycle (h)"
FROM (${MERGED_PRS}) p ORDER BY pr_cycle_time DESC LIMIT 200`,
} as const;

/** Level colours, the same words in every key panel. */
const LEVEL_MAPPINGS = [
  {
    type: "value",
    options: {
      elite: { color: "purple", index: 0, text: "Elite" },
      high: { color: "green", index: 1, text: "High" },
      medium: { color: "yellow", index: 2, text: "Medium" },
      low: { color: "red", index: 3, text: "Low" },
    },
  },
];

type Panel = Record<string, unknown>;
let nextId = 1;
const target = (sql: string, format: "table" | "time_series" = "table") => ({
  refId: "A",
  datasource: ds,
  editorMode: "code",
  format,
  rawQuery: true,
  rawSql: sql,
});
const grid = (x: number, y: number, w: number, h: number) => ({ x, y, w, h });
const row = (title: string, y: number): Panel => ({ id: nextId++, type: "row", title, collapsed: false, gridPos: grid(0, y, 24, 1), panels: [] });

function keyPanel(title: string, description: string, sql: string, unit: string, x: number, y: number): Panel[] {
  return [
    {
      id: nextId++,
      type: "stat",
      title,
      description,
      datasource: ds,
      gridPos: grid(x, y, 6, 4),
      targets: [target(sql)],
      options: { reduceOptions: { calcs: ["lastNotNull"], fields: "/^value$/" }, colorMode: "none", graphMode: "none", textMode: "value" },
      fieldConfig: { defaults: { unit, noValue: "no data yet" }, overrides: [] },
    },
    {
      id: nextId++,
      type: "stat",
      title: `${title}: level`,
      datasource: ds,
      gridPos: grid(x, y + 4, 6, 3),
      targets: [target(sql)],
      options: { reduceOptions: { calcs: ["lastNotNull"], fields: "/^level$/" }, colorMode: "background", graphMode: "none", textMode: "value" },
      fieldConfig: { defaults: { mappings: LEVEL_MAPPINGS, noValue: "-" }, overrides: [] },
    },
  ];
}

function sqlVariable(name: string, label: string, query: string): Record<string, unknown> {
  return {
    name,
    label,
    type: "query",
    datasource: ds,
    query,
    definition: query,
    refresh: 2,
    multi: true,
    includeAll: true,
    allValue: `'${ALL}'`,
    current: { selected: true, text: ["All"], value: ["$__all"] },
    sort: 1,
  };
}

/** The dashboard's JSON (a mysql dashboard: the shared Prometheus envelope does not apply). */
export function doraDashboardJson(): string {
  nextId = 1;
  const panels: Panel[] = [
    row("The four keys (production, selected window)", 0),
    ...keyPanel(
      "Deployment frequency",
      "Successful production deployments per week (pipeline deployment records).",
      KEY_QUERIES.deploymentFrequency,
      "short",
      0,
      1,
    ),
    ...keyPanel("Lead time for changes", "Median hours from first commit to production deployment of merged pull requests.", KEY_QUERIES.leadTime, "h", 6, 1),
    ...keyPanel("Change failure rate", "Share of production deployments that caused an incident.", KEY_QUERIES.changeFailureRate, "percent", 12, 1),
    ...keyPanel("Time to restore", "Median hours from an incident opening to its resolution.", KEY_QUERIES.timeToRestore, "h", 18, 1),
    row("Trends", 8),
    timeseries("Deployments per week", TREND_QUERIES.deploymentsPerWeek, grid(0, 9, 8, 8)),
    timeseries("Lead time per week (h)", TREND_QUERIES.leadTimePerWeek, grid(8, 9, 8, 8)),
    timeseries("Change failure rate per week (%)", TREND_QUERIES.failureRatePerWeek, grid(16, 9, 8, 8)),
    row("Teams", 17),
    table("Teams", TREND_QUERIES.teams, grid(0, 18, 24, 6)),
    row("Flow: where a change waits", 24),
    table("Flow per team (mean hours per stage, slowest highlighted)", TREND_QUERIES.flowByTeam, grid(0, 25, 24, 7), [
      {
        matcher: { id: "byName", options: "slowest stage" },
        properties: [
          { id: "custom.cellOptions", value: { type: "color-background" } },
          { id: "color", value: { mode: "fixed", fixedColor: "orange" } },
        ],
      },
    ]),
    table("Pull requests (slowest first)", TREND_QUERIES.pullRequests, grid(0, 32, 24, 12), [
      {
        matcher: { id: "byName", options: "title" },
        properties: [{ id: "links", value: [{ title: "Open the pull request", url: "${__data.fields.url}", targetBlank: true }] }],
      },
      { matcher: { id: "byName", options: "url" }, properties: [{ id: "custom.hidden", value: true }] },
    ]),
  ];
  return JSON.stringify(
    {
      uid: DORA_DASHBOARD_UID,
      title: "Delivery (DORA) overview",
      description: "The four keys per team and service, their trends and the flow of changes, from DevLake.",
      tags: ["fawkes", "dora", "devlake"],
      editable: false,
      graphTooltip: 1,
      refresh: "15m",
      schemaVersion: 39,
      time: { from: "now-90d", to: "now" },
      timezone: "browser",
      links: [
        {
          type: "dashboards",
          title: "DevLake dashboards",
          tags: [],
          asDropdown: true,
          includeVars: false,
          keepTime: true,
          url: "",
          icon: "external link",
          targetBlank: false,
        },
        { type: "link", title: "DevLake's DORA dashboard", url: "/dashboards?query=DORA", icon: "dashboard", targetBlank: false },
      ],
      templating: {
        list: [
          {
            name: "window",
            label: "Window (days)",
            type: "custom",
            query: "30,60,90",
            current: { selected: true, text: "90", value: "90" },
            options: ["30", "60", "90"].map((v) => ({ selected: v === "90", text: v, value: v })),
          },
          sqlVariable("team", "Team", "SELECT name FROM projects ORDER BY name"),
          sqlVariable(
            "service",
            "Service",
            `SELECT DISTINCT ${serviceOf("cdc.repo_url")} FROM cicd_deployment_commits cdc JOIN project_mapping pm ON cdc.cicd_scope_id = pm.row_id AND pm.\`table\` = 'cicd_scopes' WHERE ${inTeam("pm.project_name")}`,
          ),
        ],
      },
      panels,
    },
    null,
    2,
  );
}

function timeseries(title: string, sql: string, gridPos: Record<string, number>): Panel {
  return {
    id: nextId++,
    type: "timeseries",
    title,
    datasource: ds,
    gridPos,
    targets: [target(sql, "time_series")],
    fieldConfig: { defaults: { custom: { drawStyle: "bars" } }, overrides: [] },
    options: {},
  };
}

function table(title: string, sql: string, gridPos: Record<string, number>, overrides: unknown[] = []): Panel {
  return {
    id: nextId++,
    type: "table",
    title,
    datasource: ds,
    gridPos,
    targets: [target(sql)],
    fieldConfig: { defaults: {}, overrides },
    options: { showHeader: true },
  };
}
