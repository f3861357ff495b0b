import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import type { ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import { manifestsRelease, type Values } from "../../helm";
import type { PlatformContext } from "../../context";
import type { Installed } from "../../platform";
import type { Release } from "@cdktf/provider-helm/lib/release";
import { platformAlertsManifest } from "../../runbooks";

/** The Secret holding the Mattermost incoming-webhook URL Alertmanager posts to. */
export const MATTERMOST_WEBHOOK_SECRET = "alertmanager-mattermost-webhook";
const MATTERMOST_WEBHOOK_KEY = "url";
/** Where the Prometheus Operator mounts `alertmanagerSpec.secrets` in the Alertmanager pods. */
const MATTERMOST_WEBHOOK_FILE = `/etc/alertmanager/secrets/${MATTERMOST_WEBHOOK_SECRET}/${MATTERMOST_WEBHOOK_KEY}`;

/**
 * The webhook Secret, created empty: the operator pastes the URL once (see the README), and
 * Terraform never puts it back because it ignores changes to the data. Alertmanager reads the file
 * when it sends, so a pasted URL works without a restart.
 */
export function mattermostWebhookSecret(scope: Construct, id: string, namespace: string, dependsOn: ITerraformDependable[]): SecretV1 {
  return new SecretV1(scope, id, {
    metadata: {
      name: MATTERMOST_WEBHOOK_SECRET,
      namespace,
      labels: { "app.kubernetes.io/part-of": "fawkes" },
      annotations: {
        "fawkes.dev/description": "Mattermost incoming-webhook URL for Alertmanager: paste it once, Terraform leaves it alone",
      },
    },
    data: { [MATTERMOST_WEBHOOK_KEY]: "" },
    lifecycle: { ignoreChanges: ["data"] },
    dependsOn,
  });
}

/** The message's title: status, alert, the component or service it is about, and the count. */
const MATTERMOST_TITLE =
  '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .CommonLabels.alertname }}{{ with .CommonLabels.service }} ({{ . }}){{ end }}';
/** Each alert's summary, then the runbook the alerts share (every Fawkes alert has one: constructs/runbooks.ts). */
const MATTERMOST_TEXT =
  "{{ range .Alerts }}- {{ .Labels.severity }}: {{ .Annotations.summary }}{{ with .Labels.env }} ({{ . }}){{ end }}\n{{ end }}" +
  "{{ if .CommonAnnotations.runbook_url }}:book: [Runbook]({{ .CommonAnnotations.runbook_url }}){{ end }}";

/**
 * Alertmanager routing: warning and critical alerts go to Mattermost (a Slack-compatible incoming
 * webhook) with their runbook link, the Watchdog heartbeat and the InfoInhibitor helper go nowhere,
 * anything else too. Alerts with a `service` label also go to the DORA relay first (`continue`).
 */
export function alertmanagerConfig(deliveryEventsUrl?: string): Values {
  // DORA incidents: alerts of a service also go to the delivery-events relay, then route on as usual.
  const events = deliveryEventsUrl ? [{ receiver: "fawkes-events", matchers: ['service =~ ".+"'], continue: true }] : [];
  return {
    global: { resolve_timeout: "5m" },
    route: {
      receiver: "null",
      group_by: ["namespace", "alertname"],
      group_wait: "30s",
      group_interval: "5m",
      repeat_interval: "12h",
      routes: [
        ...events,
        { receiver: "null", matchers: ['alertname = "Watchdog"'] },
        { receiver: "null", matchers: ['alertname = "InfoInhibitor"'] },
        { receiver: "mattermost", matchers: ['severity =~ "warning|critical"'] },
      ],
    },
    // Same inhibitions as the chart's default: a critical alert silences its warning twin.
    inhibit_rules: [
      { source_matchers: ["severity = critical"], target_matchers: ["severity =~ warning|info"], equal: ["namespace", "alertname"] },
      { source_matchers: ["severity = warning"], target_matchers: ["severity = info"], equal: ["namespace", "alertname"] },
      { source_matchers: ["alertname = InfoInhibitor"], target_matchers: ["severity = info"], equal: ["namespace"] },
      { target_matchers: ["alertname = InfoInhibitor"] },
    ],
    receivers: [
      { name: "null" },
      {
        name: "mattermost",
        // The URL is read from the mounted Secret, never written in the config.
        slack_configs: [{ api_url_file: MATTERMOST_WEBHOOK_FILE, send_resolved: true, title: MATTERMOST_TITLE, text: MATTERMOST_TEXT }],
      },
      ...(deliveryEventsUrl ? [{ name: "fawkes-events", webhook_configs: [{ url: deliveryEventsUrl, send_resolved: true }] }] : []),
    ],
    templates: ["/etc/alertmanager/config/*.tmpl"],
  };
}

/**
 * The platform's own alerts (constructs/runbooks.ts: one group per enabled component, each alert
 * linked to its runbook), installed once the Prometheus Operator's CRDs exist.
 */
export function platformAlertsRelease(scope: Construct, ctx: PlatformContext, deps: Installed, namespace: string, crds: ITerraformDependable[]): Release {
  const enabled = deps.catalog().map((c) => c.id);
  return manifestsRelease(scope, "PlatformAlerts", ctx, {
    name: "platform-alerts",
    namespace,
    dependsOn: crds,
    manifests: [platformAlertsManifest(ctx.domain, enabled, namespace)],
  });
}
