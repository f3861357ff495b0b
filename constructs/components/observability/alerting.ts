import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import type { ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import type { Values } from "../../helm";

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

/**
 * Alertmanager routing: warning and critical alerts go to Mattermost (a Slack-compatible incoming
 * webhook), the Watchdog heartbeat and the InfoInhibitor helper go nowhere, anything else too.
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
        slack_configs: [{ api_url_file: MATTERMOST_WEBHOOK_FILE, send_resolved: true }],
      },
      ...(deliveryEventsUrl ? [{ name: "fawkes-events", webhook_configs: [{ url: deliveryEventsUrl, send_resolved: true }] }] : []),
    ],
    templates: ["/etc/alertmanager/config/*.tmpl"],
  };
}
