/**
 * "Dojo progress": a Grafana dashboard over the metrics the validator pushes (engine/metrics.js),
 * one group per learner and belt, and the pool metrics the reconciler pushes. Series of one learner
 * are matched on `learner_id` (the Keycloak id, or the name without identity) and `learner`: both
 * are constant within a group, so a renamed learner stays one row and groups from before
 * learner_id still match one-to-one.
 */
import { BELTS } from "./engine/slot";
import { dashboardJson } from "../../monitoring";

export const DASHBOARD_TITLE = "Dojo progress";
export const DASHBOARD_UID = "fawkes-dojo-progress";

const DS = { type: "prometheus", uid: "${datasource}" };
const SEL = 'belt=~"$belt", learner=~"$learner"';
/** Belt colours, in belt order. */
const COLORS: Record<string, string> = { white: "#d8d9da", yellow: "yellow", green: "green", brown: "#8a5a2b", black: "#202226" };

function target(expr: string, legendFormat = "", refId = "A", extra: Record<string, unknown> = {}) {
  return { datasource: DS, expr, legendFormat, refId, ...extra };
}

const beltColors = BELTS.map((b) => ({
  matcher: { id: "byName", options: b },
  properties: [{ id: "color", value: { mode: "fixed", fixedColor: COLORS[b] } }],
}));
const table = (
  fields: Record<string, string>,
  hide: string[] = ["Time", "__name__", "job", "instance", "container", "endpoint", "namespace", "pod", "service", "learner_id"],
) => [
  { id: "labelsToFields", options: {} },
  { id: "organize", options: { excludeByName: Object.fromEntries(hide.map((h) => [h, true])), renameByName: fields } },
];

/** The dashboard JSON (Grafana schema 39): completion by belt, time to complete, failing checks, earned belts, the pool. */
export function progressDashboard(): string {
  const panels = [
    {
      type: "bargauge",
      title: "Completion by belt",
      description: "Average share of a belt's modules completed, over learners who started it",
      datasource: DS,
      gridPos: { h: 8, w: 8, x: 0, y: 0 },
      targets: [target(`avg by (belt) (dojo_belt_completion_ratio{${SEL}})`, "{{belt}}", "A", { instant: true })],
      options: { orientation: "horizontal", displayMode: "gradient", reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false } },
      fieldConfig: { defaults: { unit: "percentunit", min: 0, max: 1 }, overrides: beltColors },
    },
    {
      type: "bargauge",
      title: "Belts earned",
      description: "Learners who passed every module of the belt",
      datasource: DS,
      gridPos: { h: 8, w: 8, x: 8, y: 0 },
      targets: [target(`count by (belt) (dojo_belt_earned{${SEL}} == 1)`, "{{belt}}", "A", { instant: true })],
      options: { orientation: "horizontal", displayMode: "basic", reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false } },
      fieldConfig: { defaults: { unit: "short", min: 0 }, overrides: beltColors },
    },
    {
      type: "bargauge",
      title: "Median time to earn a belt",
      description: "From the first claim of a belt's lab to the last module passing",
      datasource: DS,
      gridPos: { h: 8, w: 8, x: 16, y: 0 },
      targets: [
        target(
          `quantile by (belt) (0.5, dojo_belt_earned_timestamp_seconds{${SEL}} - on (learner_id, learner, belt) group_left dojo_belt_started_timestamp_seconds{${SEL}})`,
          "{{belt}}",
          "A",
          { instant: true },
        ),
      ],
      options: { orientation: "horizontal", displayMode: "basic", reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false } },
      fieldConfig: { defaults: { unit: "s" }, overrides: beltColors },
    },
    {
      type: "table",
      title: "Earned belts",
      datasource: DS,
      gridPos: { h: 8, w: 8, x: 0, y: 8 },
      targets: [target(`dojo_belt_earned_timestamp_seconds{${SEL}} * 1000`, "", "A", { instant: true, format: "table" })],
      transformations: table({ learner: "Learner", belt: "Belt", Value: "Earned" }),
      fieldConfig: { defaults: {}, overrides: [{ matcher: { id: "byName", options: "Earned" }, properties: [{ id: "unit", value: "dateTimeAsIso" }] }] },
    },
    {
      type: "table",
      title: "Progress by learner",
      datasource: DS,
      gridPos: { h: 8, w: 16, x: 8, y: 8 },
      targets: [target(`dojo_belt_completion_ratio{${SEL}}`, "", "A", { instant: true, format: "table" })],
      transformations: table({ learner: "Learner", belt: "Belt", Value: "Completed" }),
      fieldConfig: {
        defaults: {},
        overrides: [
          {
            matcher: { id: "byName", options: "Completed" },
            properties: [
              { id: "unit", value: "percentunit" },
              { id: "custom.cellOptions", value: { type: "gauge", mode: "basic" } },
              { id: "max", value: 1 },
            ],
          },
        ],
      },
    },
    {
      type: "table",
      title: "Time to complete each module",
      description: "From the first claim of the belt's lab to the module's first pass",
      datasource: DS,
      gridPos: { h: 9, w: 12, x: 0, y: 16 },
      targets: [
        target(
          `dojo_module_completed_timestamp_seconds{${SEL}} - on (learner_id, learner, belt) group_left dojo_belt_started_timestamp_seconds{${SEL}}`,
          "",
          "A",
          {
            instant: true,
            format: "table",
          },
        ),
      ],
      transformations: table({ learner: "Learner", belt: "Belt", module: "Module", Value: "Time to complete" }),
      fieldConfig: { defaults: {}, overrides: [{ matcher: { id: "byName", options: "Time to complete" }, properties: [{ id: "unit", value: "s" }] }] },
    },
    {
      type: "table",
      title: "Failing checks",
      description: "Checks that failed at the learner's last validation (scripts/dojo validate <slot> shows why)",
      datasource: DS,
      gridPos: { h: 9, w: 12, x: 12, y: 16 },
      targets: [target(`dojo_check_passed{${SEL}} == 0`, "", "A", { instant: true, format: "table" })],
      transformations: table({ learner: "Learner", belt: "Belt", module: "Module", check: "Check" }, [
        "Time",
        "__name__",
        "learner_id",
        "job",
        "instance",
        "Value",
        "container",
        "endpoint",
        "namespace",
        "pod",
        "service",
      ]),
    },
    {
      type: "timeseries",
      title: "Lab slots by state",
      datasource: DS,
      gridPos: { h: 8, w: 16, x: 0, y: 25 },
      targets: [target(`sum by (belt, state) (dojo_slots{belt=~"$belt"})`, "{{belt}} {{state}}")],
      fieldConfig: { defaults: { unit: "short", custom: { fillOpacity: 10, stacking: { mode: "normal" } } }, overrides: [] },
      options: { legend: { displayMode: "table", placement: "right", calcs: ["lastNotNull"] }, tooltip: { mode: "multi", sort: "desc" } },
    },
    {
      type: "stat",
      title: "Since the pool was last reconciled",
      datasource: DS,
      gridPos: { h: 8, w: 8, x: 16, y: 25 },
      targets: [target("time() - max(dojo_reconcile_last_success_timestamp_seconds)", "", "A", { instant: true })],
      options: { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, colorMode: "background", textMode: "value" },
      fieldConfig: {
        defaults: {
          unit: "s",
          thresholds: {
            mode: "absolute",
            steps: [
              { color: "green", value: null },
              { color: "orange", value: 300 },
              { color: "red", value: 900 },
            ],
          },
        },
        overrides: [],
      },
    },
  ].map((p, i) => ({ id: i + 1, ...p }));

  const variable = (name: string, label: string, metricLabel: string) => ({
    name,
    label,
    type: "query",
    datasource: DS,
    query: { query: `label_values(dojo_belt_completion_ratio, ${metricLabel})`, refId: name },
    definition: `label_values(dojo_belt_completion_ratio, ${metricLabel})`,
    refresh: 2,
    includeAll: true,
    multi: true,
    allValue: ".*",
    current: { selected: true, text: ["All"], value: ["$__all"] },
    sort: 1,
  });

  return dashboardJson({
    uid: DASHBOARD_UID,
    title: DASHBOARD_TITLE,
    description: "The Dojo: belt completion, time to complete, failing checks and earned belts, from the lab validator.",
    tags: ["fawkes", "dojo", "learning"],
    refresh: "1m",
    from: "now-30d",
    variables: [variable("belt", "Belt", "belt"), variable("learner", "Learner", "learner")],
    panels,
  });
}
