import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { RoleBindingV1 } from "@cdktf/provider-kubernetes/lib/role-binding-v1";
import { RoleV1 } from "@cdktf/provider-kubernetes/lib/role-v1";
import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import type { Release } from "@cdktf/provider-helm/lib/release";
import { dependable, Lazy, TerraformOutput, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { PlatformContext } from "../../context";
import { escapeTemplates, ingressFor, manifestsRelease, platformRelease, releaseValues, renderYaml, type Values } from "../../helm";
import { issuerReach } from "../../in-cluster-issuer";
import { monitoringCrds } from "../../monitoring";
import { platformNamespace } from "../../namespace";
import type { Component, ComponentOutput, Installed } from "../../platform";
import { databaseSecret, externalSecret, generatedSecret } from "../../secrets";
import type { GitCredentials, GitCredentialsRequest, GitService, GitWebhookRequest, PublishedRepository, PublishRequest, SecretKeyRef } from "../../services";
import { sumRequests } from "../../sizes";

export interface GitProps {
  /**
   * `gitea`: the built-in Gitea (works with no external account: laptops, the Dojo). `github`: an
   * existing GitHub organisation, through a GitHub App whose credentials are in the cloud secret store.
   * @default "gitea"
   */
  readonly provider?: "gitea" | "github";
  /** Teams (identity groups): each gets its own organisation in Gitea. @default [] */
  readonly teams?: readonly string[];
  /** The GitHub organisation and where its App's credentials live (provider `github` only). */
  readonly github?: { readonly organization: string; readonly app: { readonly key: string } };
}

const NAMESPACE = "git";
const SUBDOMAIN = "git";
/** Owner of the platform's own repositories (`platform-templates`, `pipeline-library`). */
export const PLATFORM_OWNER = "platform";
const ADMIN_SECRET = "gitea-admin";
const ADMIN_USERNAME = "fawkes-admin";
const DB_SECRET = "gitea-db";
/** The OAuth2 source's name in Gitea: it is in the callback URL `/user/oauth2/<name>/callback`. */
export const OAUTH_SOURCE = "fawkes-sso";
/** The chart's HTTP Service for release `gitea` (`<fullname>-http`, port 3000). */
const IN_CLUSTER_URL = `http://gitea-http.${NAMESPACE}.svc.cluster.local:3000`;
const BOOTSTRAP = "git-bootstrap";
const BOOTSTRAP_DIR = path.join(__dirname, "bootstrap");
/** The same pinned image as the Dojo engine (official node image). */
export const BOOTSTRAP_IMAGE = "docker.io/library/node:24.19.0-alpine3.24";
/** Where the GitHub App's credentials are synced for the bootstrap Job (provider `github`). */
const GITHUB_APP_SECRET = "github-app";
/** What the published files and the config may take of a ConfigMap's 1 MiB (the scripts take ~25 KB). */
const CONFIGMAP_BUDGET = 900 * 1024;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const PART_OF = { "app.kubernetes.io/part-of": "fawkes" };

interface CredentialEntry {
  component: string;
  namespace: string;
  name: string;
  access: "read" | "write";
  labels: Record<string, string>;
  literals: Record<string, string>;
}
interface WebhookEntry {
  component: string;
  url: string;
  events: string[];
  signingSecret?: SecretKeyRef;
}

/** Where repositories live: the git service of the golden path (built-in Gitea, or a GitHub organisation). */
export class GitComponent implements Component {
  readonly id = "git";
  // secrets: the database password (and the GitHub App's key) come through external-secrets.
  readonly needs = ["ingress", "tls", "secrets"];
  readonly uses = ["identity", "observability"];
  readonly info: Component["info"];

  private readonly provider: "gitea" | "github";
  private readonly teams: readonly string[];
  private readonly credentials: CredentialEntry[] = [];
  private readonly webhooks: WebhookEntry[] = [];
  private readonly repositories = new Map<string, PublishRequest>();

  constructor(readonly props: GitProps = {}) {
    this.provider = props.provider ?? "gitea";
    this.teams = props.teams ?? [];
    if (this.provider === "github" && !props.github) throw new Error(`GitProps.github must be set when provider is github, got undefined`);
    for (const t of this.teams) {
      if (t === PLATFORM_OWNER) throw new Error(`GitProps.teams must not contain "${PLATFORM_OWNER}" (the platform's own organisation), got "${t}"`);
    }
    this.info =
      this.provider === "github"
        ? {
            title: "GitHub",
            description: `Git service: the GitHub organisation ${props.github!.organization}, through the platform's GitHub App`,
            docs: "https://docs.github.com/en/apps",
            lifecycle: "production",
          }
        : {
            title: "Gitea",
            description: "Git service: every team's repositories, the platform's templates and pipeline library, webhooks to CI",
            subdomain: SUBDOMAIN,
            docs: "https://docs.gitea.com/",
            lifecycle: "production",
          };
  }

  install(root: Construct, ctx: PlatformContext, deps: Installed): ComponentOutput {
    const ns = platformNamespace(root, ctx, NAMESPACE);
    return this.provider === "github" ? this.installGithub(root, ctx, deps, ns) : this.installGitea(root, ctx, deps, ns);
  }

  private installGitea(root: Construct, ctx: PlatformContext, deps: Installed, ns: ITerraformDependable): ComponentOutput {
    const ingress = ingressFor(SUBDOMAIN, ctx, deps);
    const url = `https://${ingress.host}`;

    const db = ctx.postgres(root, { name: "gitea", namespace: NAMESPACE });
    const dbSecret = databaseSecret(root, "DatabaseSecret", ctx, deps, db, { namespace: NAMESPACE, name: DB_SECRET, dependsOn: [ns] });
    const monitored = deps.has("observability");
    const admin = generatedSecret(root, "AdminSecret", {
      component: this.id,
      namespace: NAMESPACE,
      name: ADMIN_SECRET,
      passwordKeys: ["password", ...(monitored ? ["metrics-token"] : [])],
      literals: { username: ADMIN_USERNAME },
      description: `Gitea site administrator (user ${ADMIN_USERNAME}; people sign in with SSO, the bootstrap Job uses this one)`,
      dependsOn: [ns],
    });

    // SSO: Keycloak's groups claim makes platform-admins site admins and puts each team's members in
    // the Owners team of the team's organisation (created by the bootstrap Job, name = team).
    const client = deps.maybe("identity")?.registerClient(root, {
      component: this.id,
      namespace: NAMESPACE,
      redirectUris: [`${url}/user/oauth2/${OAUTH_SOURCE}/callback`],
      roles: Object.fromEntries(["platform-admins", "developers", ...this.teams].map((g) => [g, g])),
      scopes: ["groups"],
      after: [ns],
    });
    // Discovery and token calls leave from the pod: on a laptop through a host alias to the ingress,
    // trusting the local CA (Go reads every file of SSL_CERT_DIR).
    const reach = client ? issuerReach(deps, client.issuer) : undefined;
    const ca = reach?.ca?.bundle(root, NAMESPACE, [ns]);

    const env = (name: string, secret: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });
    const overlay: Values = {
      // Only on a laptop (the issuer's host aliased to the ingress): nothing of it on a cloud.
      ...(reach?.hostAliases.length ? { global: { hostAliases: reach.hostAliases } } : {}),
      ingress: {
        enabled: true,
        className: ingress.className,
        annotations: ingress.annotations,
        hosts: [{ host: ingress.host, paths: [{ path: "/" }] }],
        tls: [{ secretName: ingress.tlsSecret, hosts: [ingress.host] }],
      },
      nodeSelector: ctx.nodePools.workloads.nodeSelector,
      tolerations: ctx.nodePools.workloads.tolerations,
      persistence: { storageClass: ctx.storageClass },
      deployment: {
        // deployment.env reaches the configure-gitea init container too (the OAuth source's secret).
        env: [
          ...(client ? [env("FAWKES_OIDC_CLIENT_SECRET", client.secret.name, client.secret.key)] : []),
          ...(ca ? [{ name: "SSL_CERT_DIR", value: "/etc/ssl/certs:/etc/fawkes/ca" }] : []),
        ],
      },
      ...(ca
        ? {
            extraVolumes: [{ name: "fawkes-ca", configMap: { name: ca.configMap.name } }],
            extraContainerVolumeMounts: [{ name: "fawkes-ca", mountPath: "/etc/fawkes/ca", readOnly: true }],
            extraInitVolumeMounts: [{ name: "fawkes-ca", mountPath: "/etc/fawkes/ca", readOnly: true }],
          }
        : {}),
      gitea: {
        admin: { existingSecret: ADMIN_SECRET, email: `${ADMIN_USERNAME}@noreply.${ctx.domain}` },
        metrics: { enabled: monitored, ...(monitored ? { token: admin.passwords["metrics-token"].result } : {}), serviceMonitor: { enabled: monitored } },
        oauth: client
          ? [
              {
                name: OAUTH_SOURCE,
                provider: "openidConnect",
                key: client.clientId,
                // Expanded by the init script's shell from deployment.env: never in the values.
                secret: "${FAWKES_OIDC_CLIENT_SECRET}",
                autoDiscoverUrl: `${client.issuer}/.well-known/openid-configuration`,
                // One scope string, space-separated: how the authorization request sends it anyway.
                scopes: "profile email groups",
                groupClaimName: client.groupsClaim,
                adminGroup: "platform-admins",
                groupTeamMap: groupTeamMap(this.teams),
              },
            ]
          : [],
        config: {
          server: { DOMAIN: ingress.host, ROOT_URL: `${url}/`, SSH_DOMAIN: ingress.host },
          database: {
            DB_TYPE: "postgres",
            HOST: `${db.host}:${db.port}`,
            NAME: db.database,
            USER: db.username,
            SSL_MODE: db.tls ? "require" : "disable",
          },
          service: client
            ? // People come from SSO only; the site admin keeps basic auth on the API for the Job.
              { DISABLE_REGISTRATION: false, ALLOW_ONLY_EXTERNAL_REGISTRATION: true, ENABLE_PASSWORD_SIGNIN_FORM: false, SHOW_REGISTRATION_BUTTON: false }
            : { DISABLE_REGISTRATION: true },
          ...(client
            ? { oauth2_client: { ENABLE_AUTO_REGISTRATION: true, ACCOUNT_LINKING: "auto", USERNAME: "preferred_username", UPDATE_AVATAR: false } }
            : {}),
        },
        // The password never enters the values: environment-to-ini writes it from the secret.
        additionalConfigFromEnvs: [env("GITEA__DATABASE__PASSWD", DB_SECRET, "password")],
      },
    };
    const merged = releaseValues(ctx, this.id, overlay);
    const release = platformRelease(root, "Release", ctx, {
      chart: "gitea",
      name: "gitea",
      namespace: NAMESPACE,
      createNamespace: false,
      dependsOn: [ns, admin.secret, ...dbSecret.ready, ...(client?.ready ?? []), ...(ca?.ready ?? []), ...(monitored ? monitoringCrds(deps) : [])],
      values: [renderYaml(merged)],
    });

    const job = this.bootstrap(root, ctx, ns, {
      apiUrl: `${IN_CLUSTER_URL}/api/v1`,
      after: [release, admin.secret],
      env: [env("GITEA_ADMIN_USERNAME", ADMIN_SECRET, "username"), env("GITEA_ADMIN_PASSWORD", ADMIN_SECRET, "password")],
      domain: ctx.domain,
    });

    const service: GitService = {
      provider: "gitea",
      url,
      apiUrl: `${url}/api/v1`,
      inClusterUrl: IN_CLUSTER_URL,
      platformOwner: PLATFORM_OWNER,
      ownerOf: (team) => this.checkTeam(team),
      credentialsFor: (scope, request) => this.tokenCredentials(scope, request, job),
      webhook: (scope, request) => this.addWebhook(scope, request, job),
      publishRepository: (_scope, request) => this.publish(request, job, (name, p) => `${url}/${PLATFORM_OWNER}/${name}/src/branch/main/${p}`, url),
    };
    return {
      ready: [release, job],
      endpoints: { git: url },
      adminSecrets: [admin.location],
      services: { git: service },
      requests: sumRequests([{ resources: merged.resources, replicas: merged.replicaCount }]),
    };
  }

  private installGithub(root: Construct, ctx: PlatformContext, deps: Installed, ns: ITerraformDependable): ComponentOutput {
    const github = this.props.github!;
    const org = github.organization;
    const url = "https://github.com";
    // The bootstrap Job's copy of the App's credentials (it publishes the platform's repositories).
    const appSecret = this.appCredentials(root, ctx, deps, { component: "git-bootstrap", namespace: NAMESPACE, name: GITHUB_APP_SECRET, after: [ns] });
    const job = this.bootstrap(root, ctx, ns, {
      apiUrl: "https://api.github.com",
      after: [appSecret, ns],
      env: [
        { name: "GITHUB_APP_ID", valueFrom: { secretKeyRef: { name: GITHUB_APP_SECRET, key: "appId" } } },
        { name: "GITHUB_INSTALLATION_ID", valueFrom: { secretKeyRef: { name: GITHUB_APP_SECRET, key: "installationId" } } },
        { name: "GITHUB_APP_PRIVATE_KEY", valueFrom: { secretKeyRef: { name: GITHUB_APP_SECRET, key: "privateKey" } } },
      ],
      domain: ctx.domain,
      owner: org,
    });
    // GitHub sends one webhook per App, set in the App's settings: the URLs asked for, to set there.
    new TerraformOutput(root, "GithubWebhooks", {
      description: "Set these as the GitHub App's webhook URL (one App, one URL: put a fan-out relay in front if more than one is listed)",
      value: Lazy.listValue({ produce: () => this.webhooks.map((w) => `${w.component}: ${w.url} (${w.events.join(", ")})`) }),
    });
    const service: GitService = {
      provider: "github",
      url,
      apiUrl: "https://api.github.com",
      platformOwner: org,
      ownerOf: (team) => (this.checkTeam(team), org),
      credentialsFor: (scope, request) => {
        const name = credentialName(request);
        const release = this.appCredentials(scope, ctx, deps, { ...request, name });
        return { kind: "githubApp", secret: { namespace: request.namespace, name, key: "privateKey" }, ready: [release] };
      },
      webhook: (_scope, request) => {
        this.webhooks.push({ component: request.component, url: request.url, events: [...request.events] });
      },
      publishRepository: (_scope, request) => this.publish(request, job, (name, p) => `${url}/${org}/${name}/blob/main/${p}`, url, org),
    };
    return { ready: [job], endpoints: { git: `${url}/${org}` }, services: { git: service } };
  }

  /**
   * An ExternalSecret with the App's appId, installationId and privateKey, plus clientId, clientSecret
   * and webhookSecret (Backstage's GitHub integration refuses an App without them), and the request's
   * labels and literals.
   */
  private appCredentials(
    scope: Construct,
    ctx: PlatformContext,
    deps: Installed,
    request: {
      component: string;
      namespace: string;
      name: string;
      secretLabels?: Record<string, string>;
      secretLiterals?: Record<string, string>;
      after?: ITerraformDependable[];
    },
  ): Release {
    const key = this.props.github!.app.key;
    const fields = ["appId", "installationId", "privateKey", "clientId", "clientSecret", "webhookSecret"];
    return manifestsRelease(scope, `GithubApp-${request.component}`, ctx, {
      name: `${request.name}-sync`,
      namespace: request.namespace,
      dependsOn: [...(request.after ?? []), ...deps.ready("secrets")],
      manifests: [
        externalSecret({
          name: request.name,
          namespace: request.namespace,
          store: { kind: "ClusterSecretStore", name: deps.service("secretStoreName") },
          creationPolicy: "Owner",
          template: {
            engineVersion: "v2",
            metadata: { labels: { ...PART_OF, ...(request.secretLabels ?? {}) } },
            data: { ...(request.secretLiterals ?? {}), ...Object.fromEntries(fields.map((f) => [f, `{{ .${f} }}`])) },
          },
          keys: fields.map((f) => ({ secretKey: f, key, property: f })),
        }),
      ],
    });
  }

  /**
   * The bootstrap Job and its config. Requests arrive from components installed later, so the
   * ConfigMap's data and the Job's name (a hash of it: a new config is a new Job) are Lazy values.
   */
  private bootstrap(
    root: Construct,
    ctx: PlatformContext,
    ns: ITerraformDependable,
    props: { apiUrl: string; after: ITerraformDependable[]; env: Values[]; domain: string; owner?: string },
  ): Release {
    const scope = new Construct(root, "Bootstrap");
    const scripts: Record<string, string> = Object.fromEntries(
      ["bootstrap.js", "main.js"].map((f) => [f, fs.readFileSync(path.join(BOOTSTRAP_DIR, f), "utf8")]),
    );
    // Built once, at synth, after every component asked (requests arrive from components installed later).
    let built: { data: Record<string, string>; binaryData: Record<string, string>; staticHash: string } | undefined;
    const data = () => (built ??= this.bootstrapData(scripts, props.domain, props.owner));
    const configMap = new ConfigMapV1(scope, "Config", {
      metadata: { name: BOOTSTRAP, namespace: NAMESPACE, labels: PART_OF },
      data: Lazy.anyValue({
        produce: () => Object.fromEntries(Object.entries(data().data).map(([k, v]) => [k, escapeTemplates(v)])),
      }) as unknown as Record<string, string>,
      binaryData: Lazy.anyValue({ produce: () => data().binaryData }) as unknown as Record<string, string>,
      dependsOn: [ns],
    });
    // Hashed as resolved (Terraform expressions): a token's synth-time text is numbered by creation order.
    // Only config.json holds tokens; the static files (scripts, repository files) are hashed as they are.
    const hash = Lazy.stringValue({
      produce: (context) =>
        createHash("sha256")
          .update(data().staticHash)
          .update(JSON.stringify(context.resolve([data().data["config.json"], props.apiUrl])))
          .digest("hex")
          .slice(0, 10),
    });
    const restricted = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true };
    const pod = {
      metadata: { labels: { "app.kubernetes.io/name": BOOTSTRAP } },
      spec: {
        serviceAccountName: BOOTSTRAP,
        restartPolicy: "Never",
        securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
        nodeSelector: ctx.nodePools.system.nodeSelector,
        tolerations: ctx.nodePools.system.tolerations,
        containers: [
          {
            name: "bootstrap",
            image: BOOTSTRAP_IMAGE,
            command: ["node", "/etc/fawkes/git/main.js"],
            env: [{ name: "CONFIG_DIR", value: "/etc/fawkes/git" }, { name: "GIT_API_URL", value: props.apiUrl }, ...props.env],
            securityContext: restricted,
            resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
            volumeMounts: [{ name: "config", mountPath: "/etc/fawkes/git", readOnly: true }],
          },
        ],
        volumes: [{ name: "config", configMap: { name: BOOTSTRAP } }],
      },
    };
    const labels = { ...PART_OF, "app.kubernetes.io/name": BOOTSTRAP };
    return manifestsRelease(scope, "Job", ctx, {
      name: BOOTSTRAP,
      namespace: NAMESPACE,
      dependsOn: [configMap, ...props.after],
      timeoutMinutes: 20,
      manifests: [
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: BOOTSTRAP, namespace: NAMESPACE, labels: PART_OF } },
        // At install and on every change of the config (a new name: a Job's pod template is immutable).
        {
          apiVersion: "batch/v1",
          kind: "Job",
          metadata: { name: `${BOOTSTRAP}-${hash}`, namespace: NAMESPACE, labels },
          spec: { backoffLimit: 3, activeDeadlineSeconds: 900, template: pod },
        },
        // Hourly the same run: a revoked token is minted again, a hand-edited platform repository restored.
        {
          apiVersion: "batch/v1",
          kind: "CronJob",
          metadata: { name: `${BOOTSTRAP}-reconcile`, namespace: NAMESPACE, labels },
          spec: {
            schedule: "23 * * * *",
            concurrencyPolicy: "Forbid",
            successfulJobsHistoryLimit: 1,
            failedJobsHistoryLimit: 3,
            jobTemplate: { spec: { backoffLimit: 1, activeDeadlineSeconds: 900, template: pod } },
          },
        },
      ],
    });
  }

  /**
   * The Job's ConfigMap data: its scripts, `config.json` (the only part with Terraform expressions:
   * credentials' namespaces, webhook URLs, substitutions) and, as binary data, one static
   * `repo-<name>.json.gz` per published repository (gzip: a fifth of the size in the ConfigMap, the
   * plan and synth); with a hash of the static part.
   */
  private bootstrapData(
    scripts: Record<string, string>,
    domain: string,
    owner?: string,
  ): { data: Record<string, string>; binaryData: Record<string, string>; staticHash: string } {
    const repos = [...this.repositories.values()].sort((a, b) => a.name.localeCompare(b.name));
    const config = {
      provider: this.provider,
      domain,
      platformOwner: owner ?? PLATFORM_OWNER,
      owners: this.provider === "gitea" ? [...this.teams] : [],
      credentials: this.credentials,
      webhooks: this.webhooks,
      repositories: repos.map((r) => ({ name: r.name, file: `repo-${r.name}.json.gz`, substitutions: r.substitutions ?? {} })),
    };
    const files = Object.fromEntries(repos.map((r) => [`repo-${r.name}.json`, JSON.stringify({ name: r.name, description: r.description, files: r.files })]));
    const binaryData = Object.fromEntries(Object.entries(files).map(([k, v]) => [`${k}.gz`, gzipped(v)]));
    const data: Record<string, string> = { ...scripts, "config.json": JSON.stringify(config, null, 2) };
    // One ConfigMap carries everything: the API server refuses one over 1 MiB.
    const size = [...Object.values(data), ...Object.values(binaryData)].reduce((n, v) => n + Buffer.byteLength(v), 0);
    if (size > CONFIGMAP_BUDGET) {
      throw new Error(
        `PublishRequest.files must fit the bootstrap ConfigMap (${CONFIGMAP_BUDGET} bytes with the config), got ${size} bytes (${repos.map((r) => r.name).join(", ")})`,
      );
    }
    const staticHash = createHash("sha256")
      .update(JSON.stringify([scripts, files]))
      .digest("hex");
    return { data, binaryData, staticHash };
  }

  private checkTeam(team: string): string {
    if (!this.teams.includes(team)) throw new Error(`GitService.ownerOf(team) must name a configured team (${this.teams.join(", ") || "none"}), got "${team}"`);
    return team;
  }

  /** Gitea: a Terraform-owned secret the Job fills with a robot's token, and the Job's right to do so. */
  private tokenCredentials(scope: Construct, request: GitCredentialsRequest, job: Release): GitCredentials {
    const name = credentialName(request);
    if (request.access !== "read" && request.access !== "write") {
      throw new Error(`GitCredentialsRequest.access must be read or write, got "${String(request.access)}" (component ${request.component})`);
    }
    if (this.credentials.some((c) => c.namespace === request.namespace && c.name === name)) {
      throw new Error(`GitCredentialsRequest.component must ask once per namespace, got "${request.component}" twice in ${request.namespace}`);
    }
    const root = new Construct(scope, `GitCredentials-${request.component}`);
    const labels = { ...PART_OF, ...(request.secretLabels ?? {}) };
    const secret = new SecretV1(root, "Secret", {
      metadata: { name, namespace: request.namespace, labels },
      data: { ...(request.secretLiterals ?? {}) },
      // The Job writes the token (and keeps the literals): Terraform leaves the data alone.
      lifecycle: { ignoreChanges: ["data"] },
      dependsOn: request.after,
    });
    const rbac = this.secretAccess(root, request.namespace, name, `${BOOTSTRAP}-${request.component}`, ["get", "patch"], request.after);
    this.credentials.push({
      component: request.component,
      namespace: request.namespace,
      name,
      access: request.access,
      labels,
      literals: request.secretLiterals ?? {},
    });
    waitAlso(job, [secret, ...rbac]);
    return { kind: "token", secret: { namespace: request.namespace, name, key: "password" }, ready: [secret, job] };
  }

  private addWebhook(scope: Construct, request: GitWebhookRequest, job: Release): void {
    if (!/^https?:\/\/\S+$/.test(request.url))
      throw new Error(`GitWebhookRequest.url must be an http(s) URL, got "${request.url}" (component ${request.component})`);
    if (request.events.length === 0) throw new Error(`GitWebhookRequest.events must list at least one event, got [] (component ${request.component})`);
    if (this.webhooks.some((w) => w.url === request.url)) throw new Error(`GitWebhookRequest.url must be unique, got "${request.url}" twice`);
    if (request.signingSecret) {
      const s = request.signingSecret;
      const root = new Construct(scope, `GitWebhook-${request.component}`);
      waitAlso(job, this.secretAccess(root, s.namespace, s.name, `${BOOTSTRAP}-hook-${request.component}`, ["get"], request.after));
    }
    waitAlso(job, request.after ?? []);
    this.webhooks.push({ component: request.component, url: request.url, events: [...request.events], signingSecret: request.signingSecret });
  }

  private publish(
    request: PublishRequest,
    job: Release,
    fileUrl: (name: string, p: string) => string,
    base: string,
    owner = PLATFORM_OWNER,
  ): PublishedRepository {
    if (!DNS_LABEL.test(request.name)) throw new Error(`PublishRequest.name must be a DNS label, got "${request.name}"`);
    if (this.repositories.has(request.name)) throw new Error(`PublishRequest.name must be published once, got "${request.name}" twice`);
    this.repositories.set(request.name, request);
    // Checked here too (the Lazy check at synth cannot name the asking component's call).
    const size = [...this.repositories.values()].reduce((n, r) => n + Buffer.byteLength(JSON.stringify(r.files)), 0);
    if (size > CONFIGMAP_BUDGET) {
      throw new Error(
        `PublishRequest.files must fit the bootstrap ConfigMap (${CONFIGMAP_BUDGET} bytes for every repository), got ${size} bytes with "${request.name}"`,
      );
    }
    waitAlso(job, request.after ?? []);
    return { url: `${base}/${owner}/${request.name}`, fileUrl: (p) => fileUrl(request.name, p), ready: [job] };
  }

  /** A Role that lets the bootstrap Job read (and patch) one secret of another namespace. */
  private secretAccess(
    scope: Construct,
    namespace: string,
    secret: string,
    name: string,
    verbs: string[],
    after?: ITerraformDependable[],
  ): ITerraformDependable[] {
    const role = new RoleV1(scope, "Role", {
      metadata: { name, namespace, labels: PART_OF },
      rule: [{ apiGroups: [""], resources: ["secrets"], resourceNames: [secret], verbs }],
      dependsOn: after,
    });
    const binding = new RoleBindingV1(scope, "RoleBinding", {
      metadata: { name, namespace, labels: PART_OF },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
      subject: [{ kind: "ServiceAccount", name: BOOTSTRAP, namespace: NAMESPACE }],
      dependsOn: [role],
    });
    return [role, binding];
  }
}

/** The secret a component's git credential lands in. */
function credentialName(request: GitCredentialsRequest | { component: string }): string {
  if (!DNS_LABEL.test(request.component)) throw new Error(`GitCredentialsRequest.component must be a DNS label, got "${request.component}"`);
  return `${request.component}-git-credentials`;
}

/** Gitea's `--group-team-map`: each team group owns the organisation of the same name. */
export function groupTeamMap(teams: readonly string[]): string {
  return JSON.stringify(Object.fromEntries(teams.map((t) => [t, { [t]: ["Owners"] }])));
}

/** Requests come after the Job is declared: its release waits for what they created too. */
function waitAlso(job: Release, extra: ITerraformDependable[]): void {
  const seen = (added.get(job) ?? added.set(job, new Set()).get(job))!;
  const fresh = extra.filter((d) => !seen.has(d));
  fresh.forEach((d) => seen.add(d));
  // As the constructor does it: a token that resolves to the address, without braces.
  job.dependsOn = [...(job.dependsOn ?? []), ...fresh.map((d) => dependable(d))];
}
const added = new WeakMap<Release, Set<ITerraformDependable>>();

/** Gzip, base64; once per content (every stack of a synth publishes the same files). */
function gzipped(text: string): string {
  let b64 = gzipCache.get(text);
  if (b64 === undefined) {
    b64 = gzipSync(text, { level: 9 }).toString("base64");
    gzipCache.set(text, b64);
  }
  return b64;
}
const gzipCache = new Map<string, string>();
