import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { PlatformContext } from "../../context";
import { ingressFor, manifestsRelease, platformRelease, releaseValues, renderYaml, type Values } from "../../helm";
import { issuerReach } from "../../in-cluster-issuer";
import { DASHBOARD_FOLDER_ANNOTATION, DASHBOARD_LABEL, DATASOURCE_LABEL, DATASOURCE_UIDS } from "../../monitoring";
import { platformNamespace } from "../../namespace";
import type { Component, ComponentInfo, ComponentOutput, Installed } from "../../platform";
import { generatedSecret } from "../../secrets";
// Quantity arithmetic shared with Backstage (a candidate for constructs/).
import { sumRequests, type PodGroup } from "../../sizes";
import { alertmanagerConfig, mattermostWebhookSecret, MATTERMOST_WEBHOOK_SECRET, platformAlertsRelease } from "./alerting";
import { PLATFORM_DASHBOARD_FOLDER, PLATFORM_DASHBOARD_PROVIDER, PROMETHEUS_DATASOURCE, upstreamDashboardValues } from "./dashboards";
import { alloyConfig, alloyValues, OTLP_PORTS } from "./collector";
import { installLoki, LOKI_RELEASE } from "./logs";
import { monitorManifest } from "./monitors";
import { installTempo, TEMPO_RELEASE } from "./traces";

export { MATTERMOST_WEBHOOK_SECRET } from "./alerting";
export { UPSTREAM_DASHBOARDS } from "./dashboards";
export { alloyConfig, LOG_LABELS, streamLabels } from "./collector";

export interface ObservabilityProps {
  /**
   * DNS label Grafana is served under: `grafana` gives https://grafana.<domain>.
   * @default "grafana"
   */
  readonly subdomain?: string;
  /**
   * Break-glass: keep Grafana's login form (the generated `admin`, secret `grafana-admin`) while SSO is
   * on, for when the identity provider is down. Without identity the login form is always on.
   * @default false - with identity installed, only SSO signs in
   */
  readonly breakGlass?: boolean;
}

/**
 * Grafana's role from the `groups` claim (JMESPath): platform admins administer the organisation,
 * developers edit dashboards, everyone else signed in views.
 */
export const GRAFANA_ROLE_PATH = "contains(groups[*], 'platform-admins') && 'Admin' || contains(groups[*], 'developers') && 'Editor' || 'Viewer'";

/** Release name: also the prefix of the chart's Services (`<name>-prometheus`, `<name>-alertmanager`). */
const STACK_RELEASE = "kube-prometheus-stack";
const GRAFANA_RELEASE = "grafana";
const ALLOY_RELEASE = "alloy";
const ADMIN_SECRET = "grafana-admin";
/** Where Grafana's pods mount the local CA (a laptop), for generic OAuth's `tls_client_ca`. */
const GRAFANA_CA_DIR = "/etc/grafana/fawkes-ca";
/**
 * node-exporter needs the host's network, PID namespace and filesystem, which only a "privileged"
 * namespace admits; it gets its own so everything else keeps the "restricted" level.
 */
const NODE_EXPORTER_NAMESPACE = "node-exporter";
/** Folder of the Kubernetes dashboards kube-prometheus-stack ships. */
const CLUSTER_DASHBOARD_FOLDER = "Kubernetes";
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Metrics, alerts and dashboards for the whole platform: kube-prometheus-stack (Prometheus Operator,
 * Prometheus, Alertmanager, exporters, default rules and dashboards) and Grafana behind the platform
 * ingress. Prometheus selects every monitor and rule in the cluster; components installed before
 * this one get their monitors rendered here. Alertmanager routes warnings to a Mattermost webhook.
 */
export class ObservabilityComponent implements Component {
  readonly id = "observability";
  readonly needs = ["ingress", "tls"];
  readonly uses = ["identity"];
  readonly info: ComponentInfo;
  private readonly subdomain: string;
  private readonly breakGlass: boolean;

  constructor(props: ObservabilityProps = {}) {
    if (props.subdomain !== undefined && !DNS_LABEL.test(props.subdomain)) {
      throw new Error(`ObservabilityProps.subdomain must be a DNS label (a-z, 0-9, "-"), got "${props.subdomain}"`);
    }
    this.subdomain = props.subdomain ?? "grafana";
    this.breakGlass = props.breakGlass ?? false;
    this.info = {
      title: "Prometheus and Grafana",
      description: "Metrics, alerting and dashboards for the platform and its workloads",
      subdomain: this.subdomain,
      docs: "https://prometheus-operator.dev/docs/getting-started/introduction/",
      lifecycle: "production",
    };
  }

  install(root: Construct, ctx: PlatformContext, deps: Installed): ComponentOutput {
    const ns = platformNamespace(root, ctx, this.id);
    const hostNs = platformNamespace(new Construct(root, "NodeExporter"), ctx, NODE_EXPORTER_NAMESPACE, "privileged");
    const pool = ctx.nodePools.workloads;
    const placement = { nodeSelector: pool.nodeSelector, tolerations: pool.tolerations };
    const prometheusUrl = `http://${STACK_RELEASE}-prometheus.${this.id}.svc:9090`;
    const alertmanagerUrl = `http://${STACK_RELEASE}-alertmanager.${this.id}.svc:9093`;

    const webhook = mattermostWebhookSecret(root, "MattermostWebhook", this.id, [ns]);
    const stackValues = releaseValues(ctx, this.id, {
      prometheus: {
        prometheusSpec: {
          // The platform contract (PlatformServices.monitoring): every monitor, rule and probe in
          // the cluster is selected, with no release label to remember.
          serviceMonitorSelectorNilUsesHelmValues: false,
          podMonitorSelectorNilUsesHelmValues: false,
          ruleSelectorNilUsesHelmValues: false,
          probeSelectorNilUsesHelmValues: false,
          scrapeConfigSelectorNilUsesHelmValues: false,
          // Tempo's metrics generator writes service-graph and span metrics here.
          enableRemoteWriteReceiver: true,
          storageSpec: { volumeClaimTemplate: { spec: { storageClassName: ctx.storageClass, accessModes: ["ReadWriteOnce"] } } },
          ...placement,
        },
      },
      alertmanager: {
        // dora is installed after observability: its relay's URL is known by convention (dora/relay.ts).
        config: alertmanagerConfig(deps.isEnabled("dora") ? "http://fawkes-events.dora.svc:8081/alertmanager" : undefined),
        alertmanagerSpec: {
          // Mounted at /etc/alertmanager/secrets/<name>/, where the mattermost receiver reads its URL.
          secrets: [MATTERMOST_WEBHOOK_SECRET],
          storage: { volumeClaimTemplate: { spec: { storageClassName: ctx.storageClass, accessModes: ["ReadWriteOnce"] } } },
          ...placement,
        },
      },
      prometheusOperator: { ...placement, admissionWebhooks: { patch: placement } },
      grafana: {
        // The default dashboards are labelled for Grafana's sidecar and filed in one folder.
        sidecar: { dashboards: { annotations: { [DASHBOARD_FOLDER_ANNOTATION]: CLUSTER_DASHBOARD_FOLDER } } },
      },
      "prometheus-node-exporter": { namespaceOverride: NODE_EXPORTER_NAMESPACE },
    });
    const stack = platformRelease(root, "Release", ctx, {
      chart: "kube-prometheus-stack",
      name: STACK_RELEASE,
      namespace: ns.metadata.name,
      createNamespace: false,
      dependsOn: [ns, hostNs, webhook],
      timeoutMinutes: 15,
      values: [renderYaml(stackValues)],
    });

    // Metrics endpoints of components installed before this one: their charts could not create
    // monitors before the CRDs existed, so they are rendered here, after the CRDs.
    const targets = deps.entries().flatMap(([, out]) => out.monitors ?? []);
    const monitors =
      targets.length > 0
        ? manifestsRelease(root, "Monitors", ctx, {
            name: "platform-monitors",
            namespace: this.id,
            dependsOn: [stack],
            manifests: targets.map((t) => monitorManifest(t, this.id)),
          })
        : undefined;
    // Every enabled component's alerts, linked to their runbooks (constructs/runbooks.ts), after the CRDs.
    const alerts = platformAlertsRelease(root, ctx, deps, this.id, [stack]);

    // Logs and traces: the stores, then the collector that feeds them; only this namespace reaches the stores.
    const logs = installLoki(root, ctx, this.id, [ns]);
    const traces = installTempo(root, ctx, this.id, prometheusUrl, [ns]);
    const alloyFile = `${this.id}-alloy`;
    const collectorValues = releaseValues(
      ctx,
      alloyFile,
      alloyValues(alloyConfig({ lokiPushUrl: `${logs.url}/loki/api/v1/push`, tempoOtlpGrpc: traces.otlpGrpc })),
    );
    const collector = platformRelease(root, "Alloy", ctx, {
      chart: "alloy",
      name: ALLOY_RELEASE,
      namespace: ns.metadata.name,
      createNamespace: false,
      dependsOn: [ns, logs.release, traces.release],
      values: [renderYaml(collectorValues)],
    });
    const storesPolicy = manifestsRelease(root, "StoresPolicy", ctx, {
      name: "observability-stores-policy",
      namespace: this.id,
      dependsOn: [ns],
      manifests: storesNetworkPolicies(this.id),
    });
    const otlpEndpoint = `http://${ALLOY_RELEASE}.${this.id}.svc:${OTLP_PORTS.http}`;

    const ingress = ingressFor(this.subdomain, ctx, deps);
    const url = `https://${ingress.host}`;
    const admin = generatedSecret(root, "AdminSecret", {
      component: this.id,
      namespace: this.id,
      name: ADMIN_SECRET,
      passwordKeys: ["admin-password"],
      literals: { "admin-user": "admin" },
      description: "Grafana admin password (user admin)",
      dependsOn: [ns],
    });
    const sso = this.grafanaSso(root, deps, url, [ns]);
    const enabled = new Set(deps.catalog().map((c) => c.id));
    const grafanaFile = `${this.id}-grafana`;
    const grafanaValues = releaseValues(ctx, grafanaFile, {
      admin: { existingSecret: ADMIN_SECRET, userKey: "admin-user", passwordKey: "admin-password" },
      ingress: {
        enabled: true,
        // The chart's ingressClassName key is commented out upstream: the class goes by the
        // annotation Traefik also honours.
        annotations: { ...ingress.annotations, "kubernetes.io/ingress.class": ingress.className },
        hosts: [ingress.host],
        path: "/",
        pathType: "Prefix",
        tls: [{ secretName: ingress.tlsSecret, hosts: [ingress.host] }],
      },
      // Links in alerts and shared URLs use the public address.
      env: { GF_SERVER_ROOT_URL: url },
      ...sso.values,
      datasources: {
        "datasources.yaml": {
          apiVersion: 1,
          datasources: [
            {
              name: PROMETHEUS_DATASOURCE.name,
              uid: PROMETHEUS_DATASOURCE.uid,
              type: "prometheus",
              access: "proxy",
              url: prometheusUrl,
              isDefault: true,
              jsonData: { httpMethod: "POST", timeInterval: "30s" },
            },
            ...logsAndTracesDatasources(logs.url, traces.url),
            {
              name: "Alertmanager",
              uid: "alertmanager",
              type: "alertmanager",
              access: "proxy",
              url: alertmanagerUrl,
              jsonData: { implementation: "prometheus", handleGrafanaManagedAlerts: false },
            },
          ],
        },
      },
      sidecar: {
        dashboards: {
          enabled: true,
          label: Object.keys(DASHBOARD_LABEL)[0],
          labelValue: Object.values(DASHBOARD_LABEL)[0],
          searchNamespace: "ALL",
          folderAnnotation: DASHBOARD_FOLDER_ANNOTATION,
          provider: { foldersFromFilesStructure: true, allowUiUpdates: false },
          ...sso.dashboardsSidecar,
        },
        // Datasources other components ship (DevLake's MySQL) as labelled Secrets: read when Grafana
        // starts (no reload API without basic auth), so their owner restarts Grafana once.
        datasources: {
          enabled: true,
          label: Object.keys(DATASOURCE_LABEL)[0],
          labelValue: Object.values(DATASOURCE_LABEL)[0],
          searchNamespace: "ALL",
          resource: "secret",
          initDatasources: true,
          skipReload: true,
        },
      },
      dashboardProviders: {
        "dashboardproviders.yaml": {
          apiVersion: 1,
          providers: [
            {
              name: PLATFORM_DASHBOARD_PROVIDER,
              orgId: 1,
              folder: PLATFORM_DASHBOARD_FOLDER,
              type: "file",
              disableDeletion: true,
              editable: false,
              options: { path: `/var/lib/grafana/dashboards/${PLATFORM_DASHBOARD_PROVIDER}` },
            },
          ],
        },
      },
      // Upstream dashboards only for the components that are switched on.
      dashboards: { [PLATFORM_DASHBOARD_PROVIDER]: upstreamDashboardValues(enabled) },
      serviceMonitor: { enabled: true },
      ...placement,
    });
    const grafana = platformRelease(root, "Grafana", ctx, {
      chart: "grafana",
      name: GRAFANA_RELEASE,
      namespace: ns.metadata.name,
      createNamespace: false,
      // After the stack: its ServiceMonitor needs the CRDs. Not after the ingress or the issuers: its
      // Ingress names the class (an annotation Traefik reads when it runs) and cert-manager issues the
      // certificate from the annotation whenever both are up; nothing is called at install time.
      dependsOn: [ns, admin.secret, stack, ...sso.ready],
      values: [renderYaml(grafanaValues)],
    });

    return {
      ready: [stack, grafana, alerts, logs.release, traces.release, collector, storesPolicy, ...(monitors ? [monitors] : [])],
      endpoints: { grafana: url },
      adminSecrets: [admin.location],
      services: {
        monitoring: { namespace: this.id, prometheusUrl, grafanaUrl: url, lokiUrl: logs.url, tempoUrl: traces.url, otlpEndpoint, crds: [stack] },
      },
      requests: sumRequests([
        ...podGroups(stackValues, grafanaValues),
        ...logs.pods,
        ...traces.pods,
        // The collector runs on every node; one pod is on the workloads pool per node, counted once
        // here (the per-node DaemonSet budget covers the others).
        { resources: (collectorValues.alloy as Values | undefined)?.resources },
      ]),
    };
  }

  /**
   * Grafana's values for single sign-on when the identity service is offered (none otherwise): generic
   * OAuth against the issuer, roles from the groups claim, and no other way in (no login form, no basic
   * auth, no anonymous access) unless `breakGlass` keeps the login form for the generated admin.
   */
  private grafanaSso(
    root: Construct,
    deps: Installed,
    url: string,
    after: ITerraformDependable[],
  ): { values: Values; dashboardsSidecar: Values; ready: ITerraformDependable[] } {
    const identity = deps.maybe("identity");
    if (!identity) return { values: {}, dashboardsSidecar: {}, ready: [] };
    const client = identity.registerClient(root, {
      component: this.id,
      namespace: deps.namespaceOf(this.id),
      redirectUris: [`${url}/login/generic_oauth`],
      // Grafana sends a code challenge (use_pkce): Keycloak may require one.
      pkce: true,
      roles: { "platform-admins": "platform-admins", developers: "developers" },
      scopes: ["groups"],
    });
    // Keycloak's endpoints under the issuer (Grafana's generic OAuth does no discovery).
    const oidc = `${client.issuer}/protocol/openid-connect`;
    const groups = client.groupsClaim;
    // Grafana calls the token and userinfo endpoints itself: on a laptop, through a host alias to the
    // ingress, trusting the local CA from a ConfigMap of its namespace.
    const reach = issuerReach(deps, client.issuer);
    const ca = reach.ca?.bundle(root, this.id, after);
    return {
      ready: [...client.ready, ...(ca?.ready ?? [])],
      values: {
        "grafana.ini": {
          auth: {
            disable_login_form: !this.breakGlass,
            // Back to Grafana's root: the post-logout URI the client registers is exactly `<url>/`.
            signout_redirect_url: `${oidc}/logout?client_id=${client.clientId}&post_logout_redirect_uri=${encodeURIComponent(`${url}/`)}`,
          },
          "auth.basic": { enabled: false },
          "auth.anonymous": { enabled: false },
          "auth.generic_oauth": {
            enabled: true,
            name: "Fawkes SSO",
            client_id: client.clientId,
            scopes: "openid profile email groups",
            auth_url: `${oidc}/auth`,
            token_url: `${oidc}/token`,
            api_url: `${oidc}/userinfo`,
            use_pkce: true,
            login_attribute_path: "preferred_username",
            groups_attribute_path: groups,
            role_attribute_path: GRAFANA_ROLE_PATH.replace(/groups\[/g, `${groups}[`),
            // A user the path gives no valid role is refused instead of becoming a Viewer by default.
            role_attribute_strict: true,
            allow_assign_grafana_admin: false,
            allow_sign_up: true,
            ...(ca ? { tls_client_ca: `${GRAFANA_CA_DIR}/${ca.configMap.key}` } : {}),
          },
        },
        // The client secret from the identity service's secret, never through the values.
        envValueFrom: { GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET: { secretKeyRef: { name: client.secret.name, key: client.secret.key } } },
        ...(reach.hostAliases.length ? { hostAliases: reach.hostAliases } : {}),
        ...(ca ? { extraConfigmapMounts: [{ name: "fawkes-ca", mountPath: GRAFANA_CA_DIR, configMap: ca.configMap.name, readOnly: true }] } : {}),
      },
      // With basic auth off the sidecar cannot call the reload API; the file provider rescans on its own.
      dashboardsSidecar: { skipReload: true },
    };
  }
}

/** Long-running pods on the workloads pool, read back from the rendered values. */
function podGroups(stack: Values, grafana: Values): PodGroup[] {
  const at = (v: Values, ...path: string[]) => path.reduce<Values>((o, k) => (o[k] ?? {}) as Values, v);
  const prometheus = at(stack, "prometheus", "prometheusSpec");
  const alertmanager = at(stack, "alertmanager", "alertmanagerSpec");
  const replicas = grafana.replicas;
  return [
    { resources: prometheus.resources, replicas: prometheus.replicas },
    { resources: alertmanager.resources, replicas: alertmanager.replicas },
    { resources: at(stack, "prometheusOperator").resources },
    { resources: grafana.resources, replicas },
    // The dashboard sidecar runs in every Grafana pod.
    { resources: at(grafana, "sidecar").resources, replicas },
  ];
}

/**
 * Grafana's Loki and Tempo datasources with their correlations, by fixed uid: a log line's
 * `trace_id` (structured metadata) opens the trace in Tempo; a span opens its service's logs around
 * it (traces-to-logs), its request metrics (traces-to-metrics), and the service map reads Tempo's
 * service-graph metrics from Prometheus.
 */
function logsAndTracesDatasources(lokiUrl: string, tempoUrl: string): Values[] {
  // Span resource attributes to log labels: the SDK's service and environment, the namespace Alloy adds.
  const serviceTags = [
    { key: "service.name", value: "service" },
    { key: "deployment.environment", value: "env" },
    { key: "k8s.namespace.name", value: "namespace" },
  ];
  return [
    {
      name: "Loki",
      uid: DATASOURCE_UIDS.loki,
      type: "loki",
      access: "proxy",
      url: lokiUrl,
      jsonData: {
        maxLines: 1000,
        derivedFields: [
          {
            name: "trace_id",
            matcherType: "label",
            matcherRegex: "trace_id",
            datasourceUid: DATASOURCE_UIDS.tempo,
            url: "${__value.raw}",
            urlDisplayLabel: "View trace",
          },
        ],
      },
    },
    {
      name: "Tempo",
      uid: DATASOURCE_UIDS.tempo,
      type: "tempo",
      access: "proxy",
      url: tempoUrl,
      jsonData: {
        tracesToLogsV2: {
          datasourceUid: DATASOURCE_UIDS.loki,
          spanStartTimeShift: "-5m",
          spanEndTimeShift: "5m",
          filterByTraceID: true,
          filterBySpanID: false,
          tags: serviceTags,
        },
        tracesToMetrics: {
          datasourceUid: DATASOURCE_UIDS.prometheus,
          spanStartTimeShift: "-5m",
          spanEndTimeShift: "5m",
          tags: [{ key: "service.name", value: "service" }],
          queries: [{ name: "Request rate", query: "sum(rate(traces_spanmetrics_calls_total{$__tags}[5m]))" }],
        },
        serviceMap: { datasourceUid: DATASOURCE_UIDS.prometheus },
        nodeGraph: { enabled: true },
        lokiSearch: { datasourceUid: DATASOURCE_UIDS.loki },
      },
    },
  ];
}

/**
 * Single-tenant stores, so the network is their authentication: Loki and Tempo admit only pods of the
 * observability namespace (Alloy writes, Grafana reads, Prometheus scrapes). Workloads send traces to
 * Alloy's OTLP ports, which stay open to every namespace.
 */
function storesNetworkPolicies(namespace: string): Values[] {
  return [LOKI_RELEASE, TEMPO_RELEASE].map((name) => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: `${name}-same-namespace`, namespace, labels: { "app.kubernetes.io/part-of": "fawkes" } },
    spec: {
      podSelector: { matchLabels: { "app.kubernetes.io/name": name } },
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ podSelector: {} }] }],
    },
  }));
}
