import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { IngressV1 } from "@cdktf/provider-kubernetes/lib/ingress-v1";
import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import { Token, type ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import type { PlatformContext } from "../../context";
import { ingressFor, manifestsRelease, platformRelease, releaseValues, renderYaml, type Values } from "../../helm";
import { issuerReach } from "../../in-cluster-issuer";
import { DASHBOARD_FOLDER_ANNOTATION, DASHBOARD_LABEL, DATASOURCE_LABEL, grafanaDashboard } from "../../monitoring";
import { platformNamespace } from "../../namespace";
import type { Component, ComponentOutput, Installed } from "../../platform";
import { databaseSecret, generatedSecret } from "../../secrets";
import type { SecretKeyRef } from "../../services";
import { addRequests, sumRequests } from "../../sizes";
import { DEVLAKE_DATASOURCE, doraDashboardJson, doraDashboardUrl, DORA_DASHBOARD_UID } from "./dashboards/fawkes-dora";
import { eventsRelay } from "./relay";

export { doraDashboardUrl, DORA_DASHBOARD_UID };

export interface DoraTeam {
  readonly name: string;
  /** Usernames: the org plugin's users of this team. @default [] */
  readonly members?: readonly string[];
}

export interface DoraProps {
  /** Teams: one DevLake project per team. @default [] */
  readonly teams?: readonly (string | DoraTeam)[];
  /** When each team's blueprint collects (cron, UTC). @default - every 4 hours, on the hour */
  readonly collectCron?: string;
}

const NAMESPACE = "dora";
const SUBDOMAIN = "dora";
/** Release name = chart name: the chart's objects are `devlake-lake`, `devlake-ui`. */
const RELEASE = "devlake";
/** DevLake's backend inside the namespace: the config Job calls its own routes, the relay `/rest` (API key). */
export const DEVLAKE_API_URL = `http://${RELEASE}-lake.${NAMESPACE}.svc:8080`;
const DEVLAKE_UI_URL = `http://${RELEASE}-ui.${NAMESPACE}.svc:4000`;
/** The chart reads these two by name (option.connectionSecretName, lake.encryptionSecret.secretName). */
const DB_SECRET = "devlake-mysql-auth";
const ENCRYPTION_SECRET = "devlake-encryption";
const DATASOURCE_SECRET = "devlake-grafana-datasource";
/** Where the config Job keeps the relay's API key (the relay mounts it). */
export const API_KEY_SECRET: SecretKeyRef = { namespace: NAMESPACE, name: "devlake-api-key", key: "api-key" };
const PROXY_SECRET = "dora-oauth2-proxy";
const CONFIG_JOB = "devlake-config";
/** Official Node.js image, pinned: the Dojo engine's tag (the Job needs nothing but Node). */
export const CONFIG_IMAGE = "docker.io/library/node:24.19.0-alpine3.24";
const NODE_UID = 1000;
const CONFIG_DIR = path.join(__dirname, "config");
const CONFIG_FILES = ["main.js", "devlake.js", "grafana.js"];
/** Grafana folder of DevLake's own dashboards and of the overview. */
const DASHBOARD_FOLDER = "Delivery (DORA)";
/** The DevLake release's dashboard image: its /etc/grafana/dashboards is the release's grafana/dashboards. */
const dashboardImage = (tag: string) => `docker.io/apache/devlake-dashboard:${tag}`;
/** Only platform-admins pass the UI's proxy: it holds connections and mints API keys; the metrics are in Grafana. */
const UI_GROUP = "platform-admins";
/** Every 15 minutes: new services (repositories with deploy/) appear in DevLake without anyone opening it. */
const CONFIG_SCHEDULE = "*/15 * * * *";
const CRON = /^(\S+\s+){4}\S+$/;

/**
 * DORA metrics with Apache DevLake: its backend and config UI in namespace `dora`, data in the
 * platform's MySQL (managed on clouds), configured only through its REST API by a Job (on every
 * change and every 15 minutes), its UI behind oauth2-proxy, its dashboards and a Fawkes overview in
 * the platform's Grafana, and the delivery-events relay that feeds it deployments and incidents.
 */
export class DoraComponent implements Component {
  readonly id = "dora";
  // Not observability: Alertmanager reports incidents here (it uses deliveryEvents), and the Grafana
  // side is labelled objects its sidecars load whenever Grafana comes. Not jenkins either: it reports here.
  readonly needs = ["ingress", "tls", "secrets"];
  readonly uses = ["identity", "git"];
  readonly info: Component["info"];
  private readonly teams: DoraTeam[];
  private readonly cron: string;

  constructor(readonly props: DoraProps = {}) {
    this.info = {
      title: "DevLake (DORA metrics)",
      description: "Delivery metrics: the four keys and flow per team and service, from Git, CI, Argo CD and incidents",
      subdomain: SUBDOMAIN,
      docs: "https://devlake.apache.org/docs/Overview/Introduction",
      lifecycle: "experimental",
    };
    this.teams = (props.teams ?? []).map((t) => (typeof t === "string" ? { name: t, members: [] } : { name: t.name, members: [...(t.members ?? [])] }));
    this.cron = props.collectCron ?? "0 */4 * * *";
    if (!CRON.test(this.cron)) throw new Error(`DoraProps.collectCron must be a five-field cron expression, got "${this.cron}"`);
  }

  install(root: Construct, ctx: PlatformContext, deps: Installed): ComponentOutput {
    // Baseline: the config UI's nginx starts as root (the lake pod and the Jobs pass "restricted").
    const ns = platformNamespace(root, ctx, NAMESPACE, "baseline");

    // MySQL: DevLake's dashboards are MySQL SQL. Managed, private, TLS and backed up on clouds.
    const db = ctx.database(root, { name: "devlake", namespace: NAMESPACE, engine: "mysql" });
    // The chart's pods take MYSQL_PASSWORD from this secret (envFrom); the rest is in its ConfigMap.
    const dbSecret = databaseSecret(root, "DatabaseSecret", ctx, deps, db, {
      namespace: NAMESPACE,
      name: DB_SECRET,
      passwordKey: "MYSQL_PASSWORD",
      template: {},
      dependsOn: [ns],
    });
    const datasource = this.datasourceSecret(root, ctx, deps, db, [ns]);

    const encryption = generatedSecret(root, "EncryptionSecret", {
      component: this.id,
      namespace: NAMESPACE,
      name: ENCRYPTION_SECRET,
      passwordKeys: ["ENCRYPTION_SECRET"],
      length: 128,
      description: "DevLake's ENCRYPTION_SECRET (encrypts connection credentials in its database; losing it loses them)",
      dependsOn: [ns],
    });
    // Filled by the config Job (DevLake mints keys through its API only); empty until then.
    const apiKey = new SecretV1(root, "ApiKeySecret", {
      metadata: {
        name: API_KEY_SECRET.name,
        namespace: NAMESPACE,
        labels: { "app.kubernetes.io/part-of": "fawkes" },
        annotations: { "fawkes.dev/description": "DevLake API key of the delivery-events relay (webhook plugin only), minted by the devlake-config Job" },
      },
      lifecycle: { ignoreChanges: ["data"] },
      dependsOn: [ns],
    });

    const pool = ctx.nodePools.workloads;
    const overlay: Values = {
      mysql: {
        externalServer: db.host,
        externalPort: db.port,
        username: db.username,
        database: db.database,
        // Encrypted to the managed server; its CA is the cloud's own, not in the image's roots.
        extraParams: db.tls ? "&tls=skip-verify" : "",
      },
      lake: { encryptionSecret: { secretName: encryption.secret.metadata.name }, nodeSelector: pool.nodeSelector, tolerations: pool.tolerations },
      ui: { nodeSelector: pool.nodeSelector, tolerations: pool.tolerations },
      option: { connectionSecretName: dbSecret.name },
      extraResources: networkPolicies(),
      // The chart refuses to install without a Grafana: the UI's "Dashboards" link goes to the platform's.
      grafana: { external: { url: this.grafanaUrl(ctx, deps) } },
    };
    const values = releaseValues(ctx, this.id, overlay);
    const release = platformRelease(root, "Release", ctx, {
      chart: "devlake",
      name: RELEASE,
      namespace: NAMESPACE,
      createNamespace: false,
      // DevLake migrates its schema at first start: minutes on an empty database.
      timeoutMinutes: 15,
      dependsOn: [ns, encryption.secret, ...dbSecret.ready],
      values: [renderYaml(values)],
    });

    const ui = this.ui(root, ctx, deps, [ns, release]);
    const config = this.configJob(root, ctx, deps, values, datasource.hash, [ns, release, apiKey, ...datasource.ready]);

    grafanaDashboard(root, "OverviewDashboard", {
      namespace: NAMESPACE,
      name: "fawkes-dora-overview",
      folder: DASHBOARD_FOLDER,
      json: doraDashboardJson(),
      dependsOn: [ns],
    });

    const relay = eventsRelay(root, ctx, deps, {
      namespace: NAMESPACE,
      devlakeApiUrl: `${DEVLAKE_API_URL}/rest`,
      apiKey: API_KEY_SECRET,
      after: [ns, release, apiKey],
    });

    const grafanaUrl = deps.has("observability") || deps.catalog().some((c) => c.id === "observability") ? this.grafanaUrl(ctx, deps) : undefined;
    const lake = values.lake as Values;
    const uiValues = values.ui as Values;
    const proxyRequests = ui ? sumRequests([{ resources: ui.values.resources, replicas: ui.values.replicaCount }]) : undefined;
    const own = sumRequests([{ resources: lake.resources }, { resources: uiValues.resources }]);
    return {
      ready: [release, config, ...relay.ready],
      endpoints: {
        ...(ui ? { devlake: ui.url } : {}),
        ...(grafanaUrl ? { "dora-dashboard": doraDashboardUrl(grafanaUrl) } : {}),
      },
      adminSecrets: [encryption.location],
      services: {
        deliveryEvents: { deploymentsUrl: relay.deploymentsUrl, incidentsUrl: relay.incidentsUrl, credentialFor: relay.credentialFor },
      },
      // Not the config Jobs: short runs, every 15 minutes.
      requests: addRequests(own, proxyRequests, relay.requests),
    };
  }

  /** The platform's Grafana, installed or not yet. */
  private grafanaUrl(ctx: PlatformContext, deps: Installed): string {
    return deps.maybe("monitoring")?.grafanaUrl ?? deps.catalog().find((c) => c.id === "observability")?.url ?? `https://grafana.${ctx.domain}`;
  }

  /**
   * The DevLake datasource for the platform's Grafana, as a Secret its sidecar loads (the password is
   * external-secrets' template, never Terraform's). Named "mysql": DevLake's dashboards refer to it so.
   */
  private datasourceSecret(root: Construct, ctx: PlatformContext, deps: Installed, db: ReturnType<PlatformContext["database"]>, after: ITerraformDependable[]) {
    const file = {
      apiVersion: 1,
      datasources: [
        {
          name: DEVLAKE_DATASOURCE.name,
          uid: DEVLAKE_DATASOURCE.uid,
          type: "mysql",
          url: `${db.host}:${db.port}`,
          database: db.database,
          // DevLake's own database user: the foundation makes one user per database (no read-only one yet).
          user: db.username,
          editable: false,
          jsonData: { maxOpenConns: 5, maxIdleConns: 2, connMaxLifetime: 14400, ...(db.tls ? { tlsSkipVerify: true, tlsAuth: false } : {}) },
          secureJsonData: { password: "{{ .password }}" },
        },
      ],
    };
    const yaml = renderYaml(file);
    const secret = databaseSecret(root, "DatasourceSecret", ctx, deps, db, {
      namespace: NAMESPACE,
      name: DATASOURCE_SECRET,
      template: { "devlake-datasource.yaml": yaml },
      labels: { ...DATASOURCE_LABEL },
      dependsOn: after,
    });
    // Grafana reads datasources at start: the config Job restarts it when this changes.
    // Only what is known at synth (a managed server's host is a token whose text is not stable).
    const stable = [DEVLAKE_DATASOURCE.uid, db.port, db.database, db.username, db.tls].map((x) => (Token.isUnresolved(x) ? "?" : String(x)));
    const hash = crypto.createHash("sha256").update(stable.join("/")).digest("hex").slice(0, 16);
    return { ready: secret.ready, hash };
  }

  /**
   * DevLake's config UI at https://dora.<domain> behind oauth2-proxy (OIDC, platform-admins only).
   * Without the identity service nothing is exposed: `kubectl -n dora port-forward svc/devlake-ui 4000`.
   */
  private ui(root: Construct, ctx: PlatformContext, deps: Installed, after: ITerraformDependable[]): { url: string; values: Values } | undefined {
    const identity = deps.maybe("identity");
    if (!identity) return undefined;
    const ingress = ingressFor(SUBDOMAIN, ctx, deps);
    const url = `https://${ingress.host}`;
    const client = identity.registerClient(root, {
      component: this.id,
      namespace: NAMESPACE,
      redirectUris: [`${url}/oauth2/callback`],
      roles: { [UI_GROUP]: UI_GROUP },
      scopes: ["groups"],
      pkce: true,
      after,
    });
    const secret = generatedSecret(root, "ProxySecret", {
      component: this.id,
      namespace: NAMESPACE,
      name: PROXY_SECRET,
      // 32 characters: one of the AES key lengths oauth2-proxy accepts as its cookie secret.
      passwordKeys: ["cookie-secret"],
      length: 32,
      literals: { "client-id": client.clientId },
      description: "oauth2-proxy cookie secret of DevLake's UI",
      dependsOn: after,
    });
    const reach = issuerReach(deps, client.issuer);
    const ca = reach.ca?.bundle(root, NAMESPACE, after);
    const caDir = "/etc/fawkes/ca";
    const pool = ctx.nodePools.workloads;
    const overlay: Values = {
      // Upstream in the chart's config file (its default is file:///dev/null), not a second flag beside it.
      config: { existingSecret: secret.secret.metadata.name, upstreams: [DEVLAKE_UI_URL] },
      extraArgs: {
        provider: "oidc",
        "oidc-issuer-url": client.issuer,
        "oidc-groups-claim": client.groupsClaim,
        "allowed-group": UI_GROUP,
        scope: "openid profile email groups",
        "code-challenge-method": "S256",
        "redirect-url": `${url}/oauth2/callback`,
        "cookie-secure": "true",
        "reverse-proxy": "true",
        "skip-provider-button": "true",
        ...(ca ? { "provider-ca-file": `${caDir}/${ca.configMap.key}` } : {}),
      },
      extraEnv: [{ name: "OAUTH2_PROXY_CLIENT_SECRET", valueFrom: { secretKeyRef: { name: client.secret.name, key: client.secret.key } } }],
      ...(reach.hostAliases.length ? { hostAliases: reach.hostAliases } : {}),
      ...(ca
        ? {
            extraVolumes: [{ name: "fawkes-ca", configMap: { name: ca.configMap.name } }],
            extraVolumeMounts: [{ name: "fawkes-ca", mountPath: caDir, readOnly: true }],
          }
        : {}),
      nodeSelector: pool.nodeSelector,
      tolerations: pool.tolerations,
    };
    const values = releaseValues(ctx, "dora-oauth2-proxy", overlay);
    const proxy = platformRelease(root, "UiProxy", ctx, {
      chart: "oauth2-proxy",
      name: "dora-oauth2-proxy",
      namespace: NAMESPACE,
      createNamespace: false,
      dependsOn: [...after, secret.secret, ...client.ready, ...(ca?.ready ?? [])],
      values: [renderYaml(values)],
    });
    // Our Ingress (not the chart's): the platform's class, issuer annotation and TLS secret.
    new IngressV1(root, "UiIngress", {
      metadata: { name: "devlake", namespace: NAMESPACE, annotations: ingress.annotations, labels: { "app.kubernetes.io/part-of": "fawkes" } },
      spec: {
        ingressClassName: ingress.className,
        tls: [{ hosts: [ingress.host], secretName: ingress.tlsSecret }],
        rule: [
          {
            host: ingress.host,
            http: { path: [{ path: "/", pathType: "Prefix", backend: { service: { name: "dora-oauth2-proxy", port: { number: 80 } } } }] },
          },
        ],
      },
      dependsOn: [proxy],
    });
    return { url, values };
  }

  /**
   * The configuration Job (a hook of its own release: re-run whenever its code or input changes) and
   * the CronJob (every 15 minutes), both `node main.js` from a ConfigMap in the pinned node image.
   * The install Job first copies DevLake's dashboards out of the release's dashboard image.
   */
  private configJob(
    root: Construct,
    ctx: PlatformContext,
    deps: Installed,
    values: Values,
    datasourceHash: string,
    after: ITerraformDependable[],
  ): ITerraformDependable {
    const files = Object.fromEntries(CONFIG_FILES.map((f) => [f, fs.readFileSync(path.join(CONFIG_DIR, f), "utf8")]));
    const configJson = JSON.stringify({ teams: this.teams, cron: this.cron, apiKeyName: "fawkes-relay" }, null, 2);
    const hash = crypto
      .createHash("sha256")
      .update(JSON.stringify([files, configJson]))
      .digest("hex")
      .slice(0, 10);
    const git = deps.maybe("git");
    const gitCreds = git?.credentialsFor(root, { component: this.id, namespace: NAMESPACE, access: "read", after });
    const jenkinsUrl = deps.catalog().find((c) => c.id === "jenkins") ? `http://jenkins.${deps.namespaceOf("jenkins")}.svc:8080/` : undefined;
    // Grafana already runs (installed before): restart it once for the datasource; otherwise it reads it at its first start.
    const observability = deps.maybe("monitoring") ? deps.namespaceOf("observability") : undefined;
    const secretEnv = (name: string, ref: { name: string; key: string }, optional = false) => ({
      name,
      valueFrom: { secretKeyRef: { name: ref.name, key: ref.key, ...(optional ? { optional: true } : {}) } },
    });
    const env: Values[] = [
      { name: "DEVLAKE_URL", value: DEVLAKE_API_URL },
      { name: "DORA_CONFIG", value: "/opt/devlake-config/config.json" },
      { name: "API_KEY_SECRET", value: `${API_KEY_SECRET.namespace}/${API_KEY_SECRET.name}/${API_KEY_SECRET.key}` },
      ...(git && gitCreds?.kind === "token"
        ? [
            { name: "GITEA_API_URL", value: `${(git.inClusterUrl ?? git.url).replace(/\/$/, "")}/api/v1` },
            secretEnv("GITEA_USERNAME", { name: gitCreds.secret.name, key: "username" }),
            secretEnv("GITEA_PASSWORD", { name: gitCreds.secret.name, key: "password" }),
          ]
        : []),
      ...(git && gitCreds?.kind === "githubApp"
        ? [
            secretEnv("GITHUB_APP_ID", { name: gitCreds.secret.name, key: "appId" }),
            secretEnv("GITHUB_INSTALLATION_ID", { name: gitCreds.secret.name, key: "installationId" }),
            secretEnv("GITHUB_PRIVATE_KEY", { name: gitCreds.secret.name, key: "privateKey" }),
          ]
        : []),
      // No Jenkins API token is minted by the platform: put one in dora/devlake-jenkins (username,
      // token) to let DevLake collect builds too; deployments come from the pipeline's records either way.
      ...(jenkinsUrl
        ? [
            { name: "JENKINS_URL", value: jenkinsUrl },
            secretEnv("JENKINS_USERNAME", { name: "devlake-jenkins", key: "username" }, true),
            secretEnv("JENKINS_TOKEN", { name: "devlake-jenkins", key: "token" }, true),
          ]
        : []),
      { name: "DASHBOARD_NAMESPACE", value: NAMESPACE },
      { name: "DASHBOARD_FOLDER", value: DASHBOARD_FOLDER },
      { name: "DASHBOARD_LABEL", value: JSON.stringify(DASHBOARD_LABEL) },
      { name: "DASHBOARD_FOLDER_ANNOTATION", value: DASHBOARD_FOLDER_ANNOTATION },
      ...(observability ? [{ name: "GRAFANA_DEPLOYMENT", value: `${observability}/grafana` }] : []),
      { name: "DATASOURCE_HASH", value: datasourceHash },
    ];
    const pool = ctx.nodePools.workloads;
    const restricted = { allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };
    const resources = { requests: { cpu: "10m", memory: "48Mi" }, limits: { memory: "192Mi" } };
    const podSpec = (dashboards: boolean): Values => ({
      serviceAccountName: CONFIG_JOB,
      restartPolicy: "OnFailure",
      nodeSelector: pool.nodeSelector,
      tolerations: pool.tolerations,
      securityContext: { runAsNonRoot: true, runAsUser: NODE_UID, runAsGroup: NODE_UID, seccompProfile: { type: "RuntimeDefault" } },
      ...(dashboards
        ? {
            initContainers: [
              {
                name: "dashboards",
                image: dashboardImage(String(values.imageTag)),
                command: ["sh", "-c", "cp /etc/grafana/dashboards/*.json /dashboards/"],
                volumeMounts: [{ name: "dashboards", mountPath: "/dashboards" }],
                resources,
                securityContext: restricted,
              },
            ],
          }
        : {}),
      containers: [
        {
          name: "configure",
          image: CONFIG_IMAGE,
          command: ["node", "/opt/devlake-config/main.js", ...(dashboards ? ["--dashboards", "/dashboards"] : [])],
          env,
          volumeMounts: [
            { name: "code", mountPath: "/opt/devlake-config", readOnly: true },
            ...(dashboards ? [{ name: "dashboards", mountPath: "/dashboards" }] : []),
          ],
          resources,
          securityContext: restricted,
        },
      ],
      volumes: [{ name: "code", configMap: { name: CONFIG_JOB } }, ...(dashboards ? [{ name: "dashboards", emptyDir: { sizeLimit: "64Mi" } }] : [])],
    });
    const labels = { "app.kubernetes.io/part-of": "fawkes", "app.kubernetes.io/name": CONFIG_JOB };
    const rbac = (namespace: string, rules: Values[], suffix = "") => [
      { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: `${CONFIG_JOB}${suffix}`, namespace }, rules },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: `${CONFIG_JOB}${suffix}`, namespace },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: `${CONFIG_JOB}${suffix}` },
        subjects: [{ kind: "ServiceAccount", name: CONFIG_JOB, namespace: NAMESPACE }],
      },
    ];
    return manifestsRelease(root, "ConfigJob", ctx, {
      name: CONFIG_JOB,
      namespace: NAMESPACE,
      dependsOn: [...after, ...(gitCreds?.ready ?? [])],
      // DevLake's first start migrates its schema; the Job waits for it (bounded backoff).
      timeoutMinutes: 20,
      manifests: [
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: CONFIG_JOB, namespace: NAMESPACE, labels } },
        {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: CONFIG_JOB, namespace: NAMESPACE, labels, annotations: { "fawkes.dev/content-hash": hash } },
          data: { ...files, "config.json": configJson },
        },
        ...rbac(NAMESPACE, [
          { apiGroups: [""], resources: ["secrets"], resourceNames: [API_KEY_SECRET.name], verbs: ["get", "patch"] },
          // DevLake's dashboards: created once, then replaced when the release's image has new ones.
          { apiGroups: [""], resources: ["configmaps"], verbs: ["create"] },
          { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "update"] },
        ]),
        ...(observability
          ? rbac(observability, [{ apiGroups: ["apps"], resources: ["deployments"], resourceNames: ["grafana"], verbs: ["get", "patch"] }], "-grafana")
          : []),
        {
          apiVersion: "batch/v1",
          kind: "Job",
          metadata: {
            name: CONFIG_JOB,
            namespace: NAMESPACE,
            labels,
            annotations: {
              "helm.sh/hook": "post-install,post-upgrade",
              "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded",
              "fawkes.dev/content-hash": hash,
            },
          },
          spec: { backoffLimit: 3, activeDeadlineSeconds: 1140, template: { metadata: { labels }, spec: podSpec(true) } },
        },
        {
          apiVersion: "batch/v1",
          kind: "CronJob",
          metadata: { name: CONFIG_JOB, namespace: NAMESPACE, labels },
          spec: {
            schedule: CONFIG_SCHEDULE,
            concurrencyPolicy: "Forbid",
            successfulJobsHistoryLimit: 1,
            failedJobsHistoryLimit: 3,
            jobTemplate: { spec: { backoffLimit: 1, activeDeadlineSeconds: 600, template: { metadata: { labels }, spec: podSpec(false) } } },
          },
        },
      ],
    });
  }
}

/**
 * DevLake's backend answers its own routes without authentication (only `/rest` takes an API key),
 * so only pods of its namespace reach it (the UI, the config Job, the relay); the config UI only from
 * its oauth2-proxy. kubectl port-forward does not pass through network policies.
 */
function networkPolicies(): Values[] {
  const policy = (component: string, port: number, from: Values) => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: `${RELEASE}-${component}`, namespace: NAMESPACE, labels: { "app.kubernetes.io/part-of": "fawkes" } },
    spec: {
      podSelector: { matchLabels: { devlakeComponent: component } },
      policyTypes: ["Ingress"],
      ingress: [{ from: [from], ports: [{ protocol: "TCP", port }] }],
    },
  });
  return [policy("lake", 8080, { podSelector: {} }), policy("ui", 4000, { podSelector: { matchLabels: { "app.kubernetes.io/name": "oauth2-proxy" } } })];
}
