import { ClusterRoleBindingV1 } from "@cdktf/provider-kubernetes/lib/cluster-role-binding-v1";
import { ClusterRoleV1 } from "@cdktf/provider-kubernetes/lib/cluster-role-v1";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import type { ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import type { PlatformContext } from "../../context";
import { escapeTemplates, ingressFor, platformRelease, releaseValues, renderYaml, type Values } from "../../helm";
import { issuerReach } from "../../in-cluster-issuer";
import { monitoringCrds } from "../../monitoring";
import { platformNamespace } from "../../namespace";
import type { Component, ComponentOutput, Installed } from "../../platform";
import { databaseSecret, generatedSecret } from "../../secrets";
import type { GitCredentials, GitService, RegisteredClient } from "../../services";
import { templateFiles } from "../../golden-path/templates";
import { entitiesYaml, platformEntities } from "./catalog";
import { dynamicPlugins, type PluginSettings } from "./plugins";
import { sumRequests } from "../../sizes";
import { PLATFORM_DOCS, platformDocsFiles } from "../../runbooks";

/** The git service's repository of the platform's software templates (organisation `platformOwner`). */
/** Stands for `ctx.registry.pullUrl` in the published templates until the git service's Job publishes them. */
const REGISTRY_PLACEHOLDER = "registry.placeholder.fawkes.invalid";
const TEMPLATES_REPOSITORY = "platform-templates";

export interface BackstageProps {
  /**
   * More software templates, besides the platform's own (published to the git service's
   * `platform-templates` repository): an https URL of a catalog file (Template entities, or a
   * Location entity listing them) that Backstage's integrations can read.
   * @default - none: only the platform's templates (never Backstage's samples)
   */
  readonly templatesUrl?: string;
  /**
   * The dynamic plugin with the scaffolder's `publish:gitea` action (RHDH 1.10 does not bundle it),
   * e.g. your own export pinned by digest: `oci://<registry>/<image>@sha256:<hex>!<package>`.
   * @default GITEA_SCAFFOLDER_PACKAGE - the RHDH plugin export overlays' build, by tag
   */
  readonly giteaScaffolderPackage?: string;
  /**
   * Without the identity service only: let anyone who reaches the portal sign in as the guest user
   * (there is no other sign-in then). With identity, sign-in is OIDC and guest is never configured.
   * @default true
   */
  readonly guestSignIn?: boolean;
  /**
   * Scrape RHDH's Prometheus metrics (port 9464, `/metrics`) with the chart's ServiceMonitor, when
   * observability is installed.
   * @default false
   */
  readonly metrics?: boolean;
}

const SUBDOMAIN = "backstage";
const DB_SECRET = "backstage-db";
const APP_SECRET = "backstage-secrets";
const CATALOG_CONFIGMAP = "backstage-platform-catalog";
const CATALOG_DIR = "/etc/fawkes/catalog";
/** Where the portal mounts the local CA (a laptop), for NODE_EXTRA_CA_CERTS. */
const CA_DIR = "/etc/fawkes/ca";
/** Credentials of integrations their tools cannot mint yet (Argo CD, Jenkins): put there by an operator, read if present. */
const INTEGRATIONS_SECRET = "backstage-integrations";
/** The realm the identity service serves the platform from (the issuer is `<base>/realms/<realm>`). */
const KEYCLOAK_ISSUER = /^(https:\/\/[^/\s]+)\/realms\/([\w-]+)\/?$/;
/** The portal's local account in Argo CD (PortalService.argocdAccount). */
const ARGOCD_ACCOUNT = "backstage";
/** Subject of calls made with the generated API token, as Backstage logs and authorizes them. */
const API_TOKEN_SUBJECT = "fawkes-automation";

/**
 * Backstage, the developer portal: its catalog lists the platform itself (every enabled component,
 * with links to its UI, docs and dashboards), its scaffolder offers software templates. Data lives in
 * the platform's managed PostgreSQL, one schema per Backstage plugin.
 */
export class BackstageComponent implements Component {
  readonly id = "backstage";
  readonly needs = ["ingress", "tls", "secrets"];
  // scanning: SonarQube's token (Argo CD and Jenkins are found in the catalog, in any order).
  // git: the templates repository, the integration the scaffolder and catalog read and write with.
  readonly uses = ["observability", "scanning", "identity", "git"];
  readonly info = {
    title: "Backstage",
    description: "Developer portal (Red Hat Developer Hub): the catalog of the platform and its services, software templates and docs",
    subdomain: SUBDOMAIN,
    docs: "https://docs.redhat.com/en/documentation/red_hat_developer_hub/1.10",
    lifecycle: "production",
  } as const;

  constructor(private readonly props: BackstageProps = {}) {
    if (props.templatesUrl !== undefined && !/^https:\/\/[^\s/]+\/\S*$/.test(props.templatesUrl)) {
      throw new Error(`BackstageProps.templatesUrl must be an https:// URL of a catalog file, got "${props.templatesUrl}"`);
    }
    if (props.giteaScaffolderPackage !== undefined && !/^(oci:\/\/\S+!\S+|\.\/dynamic-plugins\/dist\/\S+|@?[\w./-]+@\S+)$/.test(props.giteaScaffolderPackage)) {
      throw new Error(
        `BackstageProps.giteaScaffolderPackage must be an oci://…!<package>, ./dynamic-plugins/dist/… or <npm package>@<version> reference, got "${props.giteaScaffolderPackage}"`,
      );
    }
  }

  install(root: Construct, ctx: PlatformContext, deps: Installed): ComponentOutput {
    const ns = platformNamespace(root, ctx, this.id);
    const ingress = ingressFor(SUBDOMAIN, ctx, deps);
    const url = `https://${ingress.host}`;

    const db = ctx.postgres(root, { name: this.id, namespace: this.id });
    const dbSecret = databaseSecret(root, "DatabaseSecret", ctx, deps, db, { namespace: this.id, name: DB_SECRET, dependsOn: [ns] });

    const secrets = generatedSecret(root, "AppSecret", {
      component: this.id,
      namespace: this.id,
      name: APP_SECRET,
      // argocd-password: the portal's read-only Argo CD account (Argo CD gets only its bcrypt hash).
      passwordKeys: ["api-token", "session-secret", "argocd-password"],
      description: `Backstage API token (Authorization: Bearer, acts as service "${API_TOKEN_SUBJECT}")`,
      dependsOn: [ns],
    });

    const catalog = new ConfigMapV1(root, "PlatformCatalog", {
      metadata: { name: CATALOG_CONFIGMAP, namespace: this.id, labels: { "app.kubernetes.io/part-of": "fawkes" } },
      data: {
        "platform.yaml": escapeTemplates(
          entitiesYaml(
            platformEntities({
              components: deps.catalog(),
              grafanaUrl: deps.maybe("monitoring")?.grafanaUrl,
            }),
          ),
        ),
      },
      dependsOn: [ns],
    });

    // The golden path: the platform's templates published to the git service, and the integration
    // (a robot with write access) the catalog reads them with and the scaffolder publishes with.
    const git = deps.maybe("git");
    const golden = git ? this.goldenPath(root, ctx, deps, git, ns) : undefined;
    const gitReach = git ? issuerReach(deps, git.url) : undefined;

    // Sign-in: one OIDC client of the identity service, also used (client credentials) by the
    // Keycloak org provider that syncs users and groups into the catalog.
    const identity = deps.maybe("identity");
    const client = identity?.registerClient(root, {
      component: this.id,
      namespace: this.id,
      redirectUris: [`${url}/api/auth/oidc/handler/frame`],
      // The Keycloak org provider syncs users and groups with this client's credentials.
      readDirectory: true,
    });
    const keycloak = client ? keycloakOf(client.issuer) : undefined;
    // Sign-in and the catalog sync call the issuer from the pod: on a laptop through a host alias to
    // the ingress, trusting the local CA (Node.js adds NODE_EXTRA_CA_CERTS to its own roots).
    const reach = client ? issuerReach(deps, client.issuer) : undefined;
    // The git service is called at its public URL too (catalog reads, scaffolder pushes): same reach.
    const localCa = reach?.ca ?? gitReach?.ca;
    const ca = localCa?.bundle(root, this.id, [ns]);
    const hostAliases = mergeAliases([...(reach?.hostAliases ?? []), ...(gitReach?.hostAliases ?? [])]);

    // SonarQube mints its token; Argo CD and Jenkins are found in the catalog, their tokens are
    // read from INTEGRATIONS_SECRET when an operator has put them there.
    const analysis = deps.maybe("codeAnalysis");
    const sonarToken = analysis?.tokenFor(root, this.id, this.id, [ns]);
    const catalogUrl = (id: string) => deps.catalog().find((c) => c.id === id)?.url;
    const plugins: PluginSettings = {
      keycloak: keycloak && client ? { ...keycloak, clientId: client.clientId } : undefined,
      argocdUrl: catalogUrl("argocd"),
      jenkinsUrl: catalogUrl("jenkins"),
      sonarqube: analysis ? { url: analysis.url, externalUrl: catalogUrl("scanning") } : undefined,
      scaffolder: git ? { provider: git.provider, giteaPackage: this.props.giteaScaffolderPackage } : undefined,
    };

    const sa = this.kubernetesReader(root, ns);

    const serviceMonitor = (this.props.metrics ?? false) && deps.has("observability");
    const env = (name: string, secret: string, key: string, optional = false) => ({
      name,
      valueFrom: { secretKeyRef: { name: secret, key, ...(optional ? { optional: true } : {}) } },
    });
    // The file's lists, to append to (an overlay replaces a list).
    const base = releaseValues(ctx, this.id).upstream as Values;
    const chartVolumes = (key: string) => ((base.backstage as Values)[key] as Values[] | undefined) ?? [];
    const overlay: Values = {
      // global.host: the chart's own hostname helper (used in its default URLs) says the same as the Ingress.
      global: { host: ingress.host, dynamic: { plugins: dynamicPlugins(plugins) } },
      upstream: {
        serviceAccount: { create: false, name: sa.metadata.name },
        ingress: {
          enabled: true,
          className: ingress.className,
          annotations: ingress.annotations,
          host: ingress.host,
          tls: { enabled: true, secretName: ingress.tlsSecret },
        },
        backstage: {
          nodeSelector: ctx.nodePools.workloads.nodeSelector,
          tolerations: ctx.nodePools.workloads.tolerations,
          extraEnvVars: [
            env("POSTGRES_HOST", dbSecret.name, "host"),
            env("POSTGRES_PORT", dbSecret.name, "port"),
            env("POSTGRES_USER", dbSecret.name, "username"),
            env("POSTGRES_PASSWORD", dbSecret.name, "password"),
            env("POSTGRES_DB", dbSecret.name, "database"),
            env("BACKSTAGE_API_TOKEN", APP_SECRET, "api-token"),
            env("AUTH_SESSION_SECRET", APP_SECRET, "session-secret"),
            ...(client ? [env("OIDC_CLIENT_SECRET", client.secret.name, client.secret.key)] : []),
            ...(ca ? [{ name: "NODE_EXTRA_CA_CERTS", value: `${CA_DIR}/${ca.configMap.key}` }] : []),
            ...(sonarToken ? [env("SONARQUBE_TOKEN", sonarToken.secret.name, sonarToken.secret.key)] : []),
            ...(golden?.env.map((e) => env(e.name, golden.credentials.secret.name, e.key)) ?? []),
            ...(plugins.argocdUrl
              ? [
                  env("ARGOCD_AUTH_TOKEN", INTEGRATIONS_SECRET, "argocd-token", true),
                  { name: "ARGOCD_USERNAME", value: ARGOCD_ACCOUNT },
                  env("ARGOCD_PASSWORD", APP_SECRET, "argocd-password"),
                ]
              : []),
            ...(plugins.jenkinsUrl
              ? [
                  env("JENKINS_USERNAME", INTEGRATIONS_SECRET, "jenkins-username", true),
                  env("JENKINS_API_TOKEN", INTEGRATIONS_SECRET, "jenkins-api-token", true),
                ]
              : []),
          ],
          // The chart's volumes (restated in helm-values/backstage.yaml: Helm replaces lists), then the
          // catalog, mounted as a directory (no subPath): ConfigMap updates reach the pod, and the
          // catalog re-reads file locations on its own refresh loop.
          extraVolumes: [
            ...chartVolumes("extraVolumes"),
            { name: "platform-catalog", configMap: { name: CATALOG_CONFIGMAP } },
            ...(ca ? [{ name: "fawkes-ca", configMap: { name: ca.configMap.name } }] : []),
          ],
          extraVolumeMounts: [
            ...chartVolumes("extraVolumeMounts"),
            { name: "platform-catalog", mountPath: CATALOG_DIR, readOnly: true },
            ...(ca ? [{ name: "fawkes-ca", mountPath: CA_DIR, readOnly: true }] : []),
          ],
          ...(hostAliases.length ? { hostAliases } : {}),
          appConfig: this.appConfig(url, db.tls, client, golden),
        },
        metrics: { serviceMonitor: { enabled: serviceMonitor } },
      },
    };
    const merged = releaseValues(ctx, this.id, overlay);

    const release = platformRelease(root, "Release", ctx, {
      chart: "backstage",
      name: "backstage",
      namespace: ns.metadata.name,
      createNamespace: false,
      // Its database and secrets, its sign-in client and tokens, the monitoring CRDs if its
      // ServiceMonitor is on. Not Traefik or cert-manager: the Ingress names its class, and the
      // certificate follows its annotation later.
      dependsOn: [
        ns,
        sa,
        ...dbSecret.ready,
        secrets.secret,
        catalog,
        ...(client?.ready ?? []),
        ...(ca?.ready ?? []),
        ...(sonarToken?.ready ?? []),
        ...(golden?.ready ?? []),
        ...(serviceMonitor ? monitoringCrds(deps) : []),
      ],
      values: [renderYaml(merged)],
    });

    const backstage = (merged.upstream as Values).backstage as Values;
    return {
      ready: [release],
      endpoints: { backstage: url },
      adminSecrets: [secrets.location],
      requests: sumRequests([{ resources: backstage.resources, replicas: backstage.replicas }]),
      services: { portal: { argocdAccount: { username: ARGOCD_ACCOUNT, passwordBcryptHash: secrets.passwords["argocd-password"]!.bcryptHash } } },
    };
  }

  /**
   * The platform's software templates, rendered for this platform (constructs/golden-path) and
   * published to the git service's `platform-templates` repository, registered by its root
   * `catalog-info.yaml` (a Location listing them); and the git integration, as a robot with write
   * access (the scaffolder creates each service's repository in its team's organisation).
   */
  private goldenPath(root: Construct, ctx: PlatformContext, deps: Installed, git: GitService, ns: ITerraformDependable): GoldenPath {
    const ingress = deps.service("ingress");
    const catalogUrl = (id: string) => deps.catalog().find((c) => c.id === id)?.url;
    const files = templateFiles({
      domain: ctx.domain,
      gitUrl: git.url,
      // Replaced by the publishing Job: the pull URL is a Terraform expression on AWS and Azure, and
      // static files keep synth fast (no token inside ~200 KB of templates).
      registry: REGISTRY_PLACEHOLDER,
      ingressClassName: ingress.className,
      clusterIssuer: deps.service("clusterIssuer"),
      ingressAnnotations: ingress.annotations,
      jenkinsUrl: catalogUrl("jenkins"),
      argocdUrl: catalogUrl("argocd"),
      sonarqubeUrl: catalogUrl("scanning"),
      grafanaUrl: deps.maybe("monitoring")?.grafanaUrl,
      // Where services send traces, and whether their page links the DORA dashboard (Troubleshoot links).
      otlpEndpoint: deps.maybe("monitoring")?.otlpEndpoint,
      dora: deps.has("dora") || deps.catalog().some((c) => c.id === "dora"),
    });
    const published = git.publishRepository(root, {
      name: TEMPLATES_REPOSITORY,
      description: "Fawkes golden-path software templates (published by the platform: changes here are overwritten)",
      files,
      substitutions: { [REGISTRY_PLACEHOLDER]: ctx.registry.pullUrl },
    });
    // The platform's runbooks (docs/runbooks/) as the Component `platform-docs`, read by TechDocs.
    const docs = git.publishRepository(root, {
      name: PLATFORM_DOCS,
      description: "Fawkes platform runbooks (published by the platform: changes here are overwritten)",
      files: platformDocsFiles(),
    });
    const credentials = git.credentialsFor(root, { component: this.id, namespace: this.id, access: "write", after: [ns] });
    const host = new URL(git.url).host;
    if (git.provider === "gitea") {
      if (credentials.kind !== "token") throw new Error(`GitService.credentialsFor must give Gitea a token credential, got kind "${credentials.kind}"`);
      return {
        templatesLocation: published.fileUrl("catalog-info.yaml"),
        docsLocation: docs.fileUrl("catalog-info.yaml"),
        integrations: { gitea: [{ host, baseUrl: git.url, username: "${GITEA_USERNAME}", password: "${GITEA_PASSWORD}" }] },
        env: [
          { name: "GITEA_USERNAME", key: "username" },
          { name: "GITEA_PASSWORD", key: "password" },
        ],
        credentials,
        ready: [...published.ready, ...docs.ready, ...credentials.ready],
      };
    }
    if (credentials.kind !== "githubApp") throw new Error(`GitService.credentialsFor must give GitHub an App credential, got kind "${credentials.kind}"`);
    return {
      templatesLocation: published.fileUrl("catalog-info.yaml"),
      docsLocation: docs.fileUrl("catalog-info.yaml"),
      integrations: {
        github: [
          {
            host,
            apiBaseUrl: git.apiUrl,
            // Installation tokens are minted from the App's id and key; only its organisation's installation.
            // Backstage reads clientId, clientSecret and webhookSecret as required keys of an App.
            apps: [
              {
                appId: "${GITHUB_APP_ID}",
                privateKey: "${GITHUB_APP_PRIVATE_KEY}",
                clientId: "${GITHUB_APP_CLIENT_ID}",
                clientSecret: "${GITHUB_APP_CLIENT_SECRET}",
                webhookSecret: "${GITHUB_APP_WEBHOOK_SECRET}",
                allowedInstallationOwners: [git.platformOwner],
              },
            ],
          },
        ],
      },
      env: [
        { name: "GITHUB_APP_ID", key: "appId" },
        { name: "GITHUB_APP_PRIVATE_KEY", key: "privateKey" },
        { name: "GITHUB_APP_CLIENT_ID", key: "clientId" },
        { name: "GITHUB_APP_CLIENT_SECRET", key: "clientSecret" },
        { name: "GITHUB_APP_WEBHOOK_SECRET", key: "webhookSecret" },
      ],
      credentials,
      ready: [...published.ready, ...docs.ready, ...credentials.ready],
    };
  }

  /**
   * The pod's identity: a service account bound to a cluster-wide read-only role over the kinds the
   * Kubernetes plugin shows (no Secrets, no ConfigMaps). Fawkes owns it, not the chart.
   */
  private kubernetesReader(root: Construct, ns: ITerraformDependable): ServiceAccountV1 {
    const labels = { "app.kubernetes.io/part-of": "fawkes" };
    const sa = new ServiceAccountV1(root, "ServiceAccount", { metadata: { name: "backstage", namespace: this.id, labels }, dependsOn: [ns] });
    const groups: Record<string, string[]> = {
      "": ["pods", "services", "limitranges", "resourcequotas"],
      apps: ["deployments", "replicasets", "statefulsets", "daemonsets"],
      autoscaling: ["horizontalpodautoscalers"],
      batch: ["jobs", "cronjobs"],
      "networking.k8s.io": ["ingresses"],
      "metrics.k8s.io": ["pods"],
    };
    const role = new ClusterRoleV1(root, "KubernetesReader", {
      metadata: { name: "fawkes-backstage-reader", labels },
      rule: Object.entries(groups).map(([group, resources]) => ({ apiGroups: [group], resources, verbs: ["get", "list", "watch"] })),
    });
    new ClusterRoleBindingV1(root, "KubernetesReaderBinding", {
      metadata: { name: "fawkes-backstage-reader", labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
      subject: [{ kind: "ServiceAccount", name: sa.metadata.name, namespace: this.id }],
    });
    return sa;
  }

  /** The Fawkes part of app-config: URLs, database, sign-in, API token and catalog locations. */
  private appConfig(url: string, tls: boolean, client?: RegisteredClient, golden?: GoldenPath): Values {
    return {
      app: { baseUrl: url },
      backend: {
        baseUrl: url,
        // The frontend is served by the backend, from the same origin.
        cors: { origin: url },
        database: {
          client: "pg",
          // One database, one schema per plugin: the default ("database") mode creates a database per
          // plugin, which needs CREATEDB — a grant managed databases don't give the component's user.
          pluginDivisionMode: "schema",
          connection: {
            host: "${POSTGRES_HOST}",
            port: "${POSTGRES_PORT}",
            user: "${POSTGRES_USER}",
            password: "${POSTGRES_PASSWORD}",
            database: "${POSTGRES_DB}",
            // Encrypted like libpq's sslmode=require: the clouds' database CAs are not in Node's trust store.
            ssl: tls ? { rejectUnauthorized: false } : undefined,
          },
        },
        // Plugin-to-plugin calls need no config (self-signed keys in the database); this static token
        // is for platform automation (CI, scripts) calling Backstage's APIs.
        auth: { externalAccess: [{ type: "static", options: { token: "${BACKSTAGE_API_TOKEN}", subject: API_TOKEN_SUBJECT } }] },
        // An integration without its credentials yet (Argo CD, Jenkins) must not keep the portal down.
        startup: { plugins: Object.fromEntries(["argocd", "jenkins", "sonarqube"].map((p) => [p, { onPluginBootFailure: "continue" }])) },
      },
      auth: {
        environment: "production",
        // The OIDC provider keeps its login state in the session.
        session: { secret: "${AUTH_SESSION_SECRET}" },
        providers: client ? { oidc: { production: this.oidc(client) } } : { guest: { dangerouslyAllowOutsideDevelopment: this.props.guestSignIn ?? true } },
      },
      signInPage: client ? "oidc" : "guest",
      catalog: {
        // Template is allowed everywhere: templates listed by a Location entity are read from their
        // own URLs, where the rules of the templates location below do not apply.
        rules: [{ allow: ["Component", "System", "API", "Resource", "Location", "Template"] }],
        // The whole list (Backstage replaces arrays when it merges config files): whatever locations
        // the image's own app-config lists, e.g. sample templates, are not read.
        locations: [
          { type: "file", target: `${CATALOG_DIR}/platform.yaml`, rules: [{ allow: ["Component", "System", "Group"] }] },
          ...[golden?.templatesLocation, this.props.templatesUrl]
            .filter((target): target is string => target !== undefined)
            .map((target) => ({ type: "url", target, rules: [{ allow: ["Template", "Location"] }] })),
          ...(golden ? [{ type: "url", target: golden.docsLocation, rules: [{ allow: ["Component"] }] }] : []),
        ],
      },
      ...(golden ? { integrations: golden.integrations } : {}),
    };
  }

  /** OIDC sign-in against the identity service; a person signs in as the catalog User synced from Keycloak. */
  private oidc(client: RegisteredClient): Values {
    return {
      metadataUrl: `${client.issuer}/.well-known/openid-configuration`,
      clientId: client.clientId,
      clientSecret: "${OIDC_CLIENT_SECRET}",
      prompt: "auto",
      signIn: {
        // Keycloak's immutable user id first (the org provider records it on each User), then the username.
        resolvers: [{ resolver: "oidcSubClaimMatchingKeycloakUserId" }, { resolver: "preferredUsernameMatchingUserEntityName" }],
      },
    };
  }
}

/** What the golden path adds to the portal: a catalog location, an integration and its credential. */
interface GoldenPath {
  /** The published `catalog-info.yaml` of the templates repository (a Location listing the templates). */
  readonly templatesLocation: string;
  /** The published `catalog-info.yaml` of the runbooks repository (the Component `platform-docs`). */
  readonly docsLocation: string;
  /** app-config `integrations`, credentials from env vars. */
  readonly integrations: Values;
  /** Env vars of the pod from keys of the credential's secret. */
  readonly env: { readonly name: string; readonly key: string }[];
  readonly credentials: GitCredentials;
  readonly ready: ITerraformDependable[];
}

/** Host aliases of one address in one entry (a pod spec takes each IP once). */
function mergeAliases(aliases: readonly { ip: string; hostnames: string[] }[]): { ip: string; hostnames: string[] }[] {
  const byIp = new Map<string, Set<string>>();
  for (const a of aliases) byIp.set(a.ip, new Set([...(byIp.get(a.ip) ?? []), ...a.hostnames]));
  return [...byIp].map(([ip, names]) => ({ ip, hostnames: [...names] }));
}

/** Keycloak's base URL and realm from an issuer `<base>/realms/<realm>`. */
function keycloakOf(issuer: string): { baseUrl: string; realm: string } {
  const m = KEYCLOAK_ISSUER.exec(issuer);
  if (!m) throw new Error(`IdentityService.issuer must be a Keycloak realm URL https://<host>/realms/<realm>, got "${issuer}"`);
  return { baseUrl: m[1]!, realm: m[2]! };
}
