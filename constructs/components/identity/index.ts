import { createHash } from "node:crypto";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import { Password } from "@cdktf/provider-random/lib/password";
import { Lazy, TerraformStack, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { stringify as stringifyYaml } from "yaml";
import type { PlatformContext } from "../../context";
import { escapeTemplates, ingressFor, manifestsRelease, platformRelease, releaseValues, renderYaml } from "../../helm";
import { monitoringCrds } from "../../monitoring";
import { platformNamespace } from "../../namespace";
import type {
  ClientRequest,
  Component,
  ComponentInfo,
  ComponentOutput,
  IdentityService,
  Installed,
  MetricsTarget,
  RegisteredClient,
  SecretLocation,
} from "../../platform";
import { databaseSecret, externalSecret, generatedSecret } from "../../secrets";
import { sumRequests } from "../../sizes";
import { realmJob, type RealmManagement } from "./config-cli";
import {
  ENV,
  GROUPS_CLAIM,
  KNOWN_SCOPES,
  PLATFORM_ADMIN_USERNAME,
  PLATFORM_GROUPS,
  REALM,
  realmDocument,
  type Broker,
  type RealmClient,
  type Team,
} from "./realm";

export { realmDocument } from "./realm";
export { configCliSettings } from "./config-cli";

/** Where the broker's client secret lives in the cloud secret store (an external-secrets remoteRef). */
export interface BrokerSecretRef {
  readonly key: string;
  readonly property?: string;
}

export type BrokerProps = (Broker & { readonly type: "oidc"; readonly clientSecret: BrokerSecretRef }) | (Broker & { readonly type: "saml" });

export interface IdentityProps {
  /**
   * DNS label Keycloak is served under: `login` gives https://login.<domain>.
   * @default "sso"
   */
  readonly subdomain?: string;
  /**
   * Teams: one group each, beside platform-admins, developers and learners.
   * @default [] - the platform groups only
   */
  readonly teams?: readonly Team[];
  /**
   * Corporate identity provider Keycloak brokers to, with group mappings into platform groups.
   * @default - none: local users only (and the generated platform admin)
   */
  readonly broker?: BrokerProps;
  /**
   * What the realm Job may delete: `additive` removes only what Fawkes created and no longer declares;
   * `full` makes the realm document the whole truth for groups, clients and identity providers.
   * @default "additive"
   */
  readonly manage?: RealmManagement;
}

const NAMESPACE = "identity";
/** Release and resource names (the chart's fullnameOverride): the Service is `keycloak-http`. */
const KEYCLOAK = "keycloak";
const DB_SECRET = "keycloak-database";
const ADMIN_SECRET = "keycloak-admin";
const PLATFORM_ADMIN_SECRET = "keycloak-platform-admin";
const CLIENT_SECRETS = "keycloak-realm-clients";
const BROKER_SECRET = "keycloak-broker";
const REALM_CONFIGMAP = "keycloak-realm";
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** Labels of the chart's http Service, for the ServiceMonitor the observability component renders. */
const SERVICE_SELECTOR = { "app.kubernetes.io/name": "keycloakx", "app.kubernetes.io/instance": KEYCLOAK, "app.kubernetes.io/component": "http" };

function validateIdentityProps(p: IdentityProps): void {
  if (p.subdomain !== undefined && !DNS_LABEL.test(p.subdomain)) {
    throw new Error(`IdentityProps.subdomain must be a DNS label (a-z, 0-9, "-"), got "${p.subdomain}"`);
  }
  const seen = new Set<string>(PLATFORM_GROUPS);
  for (const t of p.teams ?? []) {
    if (!DNS_LABEL.test(t.name)) throw new Error(`IdentityProps.teams[].name must be a DNS label, got "${t.name}"`);
    if (seen.has(t.name)) throw new Error(`IdentityProps.teams[].name must be unique and not a platform group, got "${t.name}"`);
    seen.add(t.name);
  }
  const b = p.broker;
  if (b) {
    const url = b.type === "oidc" ? b.issuer : b.metadataUrl;
    if (!/^https:\/\/[^\s/]+/.test(url))
      throw new Error(`IdentityProps.broker.${b.type === "oidc" ? "issuer" : "metadataUrl"} must be an https:// URL, got "${url}"`);
    if (b.type === "oidc" && !b.clientSecret?.key)
      throw new Error(`IdentityProps.broker.clientSecret must name a secret store key, got ${JSON.stringify(b.clientSecret)}`);
    for (const platform of Object.values(b.groupMappings)) {
      if (!seen.has(platform))
        throw new Error(`IdentityProps.broker.groupMappings values must be platform groups or teams (${[...seen].join(", ")}), got "${platform}"`);
    }
  }
}

/**
 * Keycloak, the platform's one identity: every UI signs in through the realm `fawkes` at
 * https://sso.<domain>/realms/fawkes. Its database comes from the foundation; the realm (groups,
 * clients, broker, policies) is applied by keycloak-config-cli from a document built here, and
 * every UI registers its client through the `identity` service.
 */
export class IdentityComponent implements Component {
  readonly id = NAMESPACE;
  readonly needs = ["ingress", "tls", "secrets"];
  readonly info: ComponentInfo;
  private readonly subdomain: string;

  constructor(private readonly props: IdentityProps = {}) {
    validateIdentityProps(props);
    this.subdomain = props.subdomain ?? "sso";
    this.info = {
      title: "Keycloak",
      description: "Single sign-on for every platform UI: groups platform-admins, developers, learners and teams; corporate identity brokered",
      subdomain: this.subdomain,
      docs: "https://www.keycloak.org/documentation",
      lifecycle: "production",
    };
  }

  install(root: Construct, ctx: PlatformContext, deps: Installed): ComponentOutput {
    const ns = platformNamespace(root, ctx, NAMESPACE);
    const ingress = ingressFor(this.subdomain, ctx, deps);
    const url = `https://${ingress.host}`;
    const issuer = `${url}/realms/${REALM}`;

    const db = ctx.database(root, { name: KEYCLOAK, namespace: NAMESPACE, engine: "postgres" });
    const dbSecret = databaseSecret(root, "DatabaseSecret", ctx, deps, db, { namespace: NAMESPACE, name: DB_SECRET, dependsOn: [ns] });
    const admin = generatedSecret(root, "AdminSecret", {
      component: this.id,
      namespace: NAMESPACE,
      name: ADMIN_SECRET,
      passwordKeys: ["password"],
      literals: { username: "admin" },
      description: "Keycloak administrator of the master realm (user admin): break-glass only",
      dependsOn: [ns],
    });

    const observed = deps.has("observability") && deps.maybe("monitoring") !== undefined;
    const pool = ctx.nodePools.workloads;
    const env = [
      { name: "KC_HOSTNAME", value: url },
      // The admin console and the realms answer at the same public URL.
      { name: "KC_HOSTNAME_STRICT", value: "true" },
      // The connection from the synced database secret (the foundation's host, port, database, user).
      ...(["host", "port", "database"] as const).map((key) => ({
        name: `KC_DB_URL_${key.toUpperCase()}`,
        valueFrom: { secretKeyRef: { name: dbSecret.name, key } },
      })),
      { name: "KC_DB_USERNAME", valueFrom: { secretKeyRef: { name: dbSecret.name, key: "username" } } },
      { name: "KC_DB_URL_PROPERTIES", value: db.tls ? "?sslmode=require" : "" },
      { name: "KC_LOG_CONSOLE_OUTPUT", value: "json" },
      // The first start creates this temporary admin in the master realm; it is never re-created.
      { name: "KC_BOOTSTRAP_ADMIN_USERNAME", valueFrom: { secretKeyRef: { name: ADMIN_SECRET, key: "username" } } },
      { name: "KC_BOOTSTRAP_ADMIN_PASSWORD", valueFrom: { secretKeyRef: { name: ADMIN_SECRET, key: "password" } } },
    ];
    const values = releaseValues(ctx, this.id, {
      fullnameOverride: KEYCLOAK,
      // The chart reads extraEnv as a template string.
      extraEnv: stringifyYaml(env, { lineWidth: 0 }),
      // The chart sets KC_DB and the password; the rest comes from the same secret (extraEnv).
      database: { vendor: "postgres", existingSecret: dbSecret.name, existingSecretKey: "password" },
      ingress: {
        enabled: true,
        ingressClassName: ingress.className,
        annotations: ingress.annotations,
        rules: [{ host: ingress.host, paths: [{ path: "/", pathType: "Prefix" }] }],
        tls: [{ hosts: [ingress.host], secretName: ingress.tlsSecret }],
      },
      nodeSelector: pool.nodeSelector,
      tolerations: pool.tolerations,
      serviceMonitor: { enabled: observed },
    });
    const release = platformRelease(root, "Release", ctx, {
      chart: "keycloakx",
      name: KEYCLOAK,
      namespace: NAMESPACE,
      createNamespace: false,
      values: [renderYaml(values)],
      // The first start builds the server and migrates the schema.
      timeoutMinutes: 15,
      // Not Traefik or the ClusterIssuers: the Ingress names its class and the certificate follows its
      // annotation later, and every UI that signs in through Keycloak would wait for them too.
      dependsOn: [ns, admin.secret, ...dbSecret.ready, ...(observed ? monitoringCrds(deps) : [])],
    });

    const realm = new RealmBuilder(root, ctx, deps, {
      issuer,
      teams: this.props.teams ?? [],
      broker: this.props.broker,
      manage: this.props.manage ?? "additive",
      after: [release, admin.secret, ns],
      keycloakUrl: `http://${KEYCLOAK}-http.${NAMESPACE}.svc`,
    });

    const replicas = Number(values.replicas ?? 1);
    const monitors: MetricsTarget[] =
      !observed && deps.isEnabled("observability")
        ? [{ kind: "ServiceMonitor", namespace: NAMESPACE, name: KEYCLOAK, selector: SERVICE_SELECTOR, port: "http-internal", path: "/metrics" }]
        : [];
    return {
      ready: [release, realm.release],
      endpoints: { keycloak: url },
      adminSecrets: [realm.platformAdmin, admin.location],
      services: { identity: realm.service },
      monitors,
      requests: sumRequests([{ resources: values.resources, replicas }]),
    };
  }
}

interface RealmBuilderProps {
  readonly issuer: string;
  readonly teams: readonly Team[];
  readonly broker?: BrokerProps;
  readonly manage: RealmManagement;
  readonly after: ITerraformDependable[];
  readonly keycloakUrl: string;
}

/**
 * The realm document and the Job that applies it. Clients register after identity is installed
 * (the UIs install later), so the document, the client-secret Secret and the Job's hash are cdktf
 * Lazy values: resolved at synth, when every component has registered.
 */
class RealmBuilder {
  readonly release: ITerraformDependable;
  readonly service: IdentityService;
  readonly platformAdmin: SecretLocation;
  private readonly clients = new Map<string, { client: RealmClient; password: Password }>();

  constructor(root: Construct, ctx: PlatformContext, deps: Installed, props: RealmBuilderProps) {
    const scope = new Construct(root, "Realm");
    const groups = new Set<string>([...PLATFORM_GROUPS, ...props.teams.map((t) => t.name)]);
    const document = () =>
      realmDocument({ domain: ctx.domain, teams: props.teams, clients: [...this.clients.values()].map((c) => c.client), broker: props.broker });
    const json = () => JSON.stringify(document(), null, 2);

    const platformAdmin = generatedSecret(scope, "PlatformAdminSecret", {
      component: NAMESPACE,
      namespace: NAMESPACE,
      name: PLATFORM_ADMIN_SECRET,
      passwordKeys: [ENV.platformAdminPassword],
      literals: { username: PLATFORM_ADMIN_USERNAME },
      description: `First platform admin of the realm ${REALM} (user ${PLATFORM_ADMIN_USERNAME}, in platform-admins; the password is temporary)`,
      dependsOn: props.after,
    });
    this.platformAdmin = platformAdmin.location;

    // One Secret the Job reads with envFrom: a key per registered client, filled in at synth.
    const clientSecrets = new SecretV1(scope, "ClientSecrets", {
      metadata: { name: CLIENT_SECRETS, namespace: NAMESPACE, labels: { "app.kubernetes.io/part-of": "fawkes" } },
      data: Lazy.anyValue({
        produce: () => Object.fromEntries([...this.clients.values()].map(({ client, password }) => [ENV.clientSecret(client.component), password.result])),
      }) as unknown as Record<string, string>,
      dependsOn: props.after,
    });
    const configMap = new ConfigMapV1(scope, "Document", {
      metadata: { name: REALM_CONFIGMAP, namespace: NAMESPACE, labels: { "app.kubernetes.io/part-of": "fawkes" } },
      // Escaped for Terraform: `$(env:...)` passes as it is, a `${` from the config would not.
      data: { [`${REALM}.json`]: Lazy.stringValue({ produce: () => escapeTemplates(json()) }) },
      dependsOn: props.after,
    });

    const brokerReady: ITerraformDependable[] = [];
    const envSecrets = [CLIENT_SECRETS, PLATFORM_ADMIN_SECRET];
    if (props.broker?.type === "oidc") {
      brokerReady.push(this.brokerSecret(scope, ctx, deps, props.broker.clientSecret, props.after));
      envSecrets.push(BROKER_SECRET);
    }

    const deadlineMinutes = 15;
    this.release = manifestsRelease(scope, "Job", ctx, {
      name: "keycloak-realm",
      namespace: NAMESPACE,
      // A release of its own: a failed import rolls back this Job, never Keycloak.
      dependsOn: [...props.after, clientSecrets, configMap, platformAdmin.secret, ...brokerReady],
      timeoutMinutes: deadlineMinutes + 5,
      manifests: [
        realmJob({
          namespace: NAMESPACE,
          keycloakUrl: props.keycloakUrl,
          adminSecret: ADMIN_SECRET,
          realmConfigMap: REALM_CONFIGMAP,
          // "sha256-" keeps it a string in YAML whatever the digits.
          realmHash: Lazy.stringValue({ produce: () => `sha256-${createHash("sha256").update(json()).digest("hex").slice(0, 32)}` }),
          envSecrets,
          manage: props.manage,
          deadlineSeconds: deadlineMinutes * 60,
        }),
      ],
    });

    const release = this.release;
    this.service = {
      issuer: props.issuer,
      registerClient: (callerScope: Construct, request: ClientRequest): RegisteredClient => {
        const client = validateClient(request, groups, this.clients);
        const clientRoot = new Construct(callerScope, `SsoClient-${request.component}`);
        const password = new Password(clientRoot, "Secret", { length: 48, special: false });
        const secret = new SecretV1(clientRoot, "ClientSecret", {
          metadata: { name: `${request.component}-sso-client`, namespace: request.namespace, labels: { "app.kubernetes.io/part-of": "fawkes" } },
          data: { "client-id": request.component, "client-secret": password.result, issuer: props.issuer },
          dependsOn: [...(request.after ?? []), ...namespacesNamed(callerScope, request.namespace)],
        });
        this.clients.set(request.component, { client, password });
        return {
          issuer: props.issuer,
          clientId: request.component,
          secret: { namespace: request.namespace, name: `${request.component}-sso-client`, key: "client-secret" },
          groupsClaim: GROUPS_CLAIM,
          ready: [secret, release],
        };
      },
    };
  }

  /** The corporate IdP's client secret, from the cloud secret store (never through Terraform). */
  private brokerSecret(scope: Construct, ctx: PlatformContext, deps: Installed, ref: BrokerSecretRef, after: ITerraformDependable[]): ITerraformDependable {
    return manifestsRelease(scope, "BrokerSecret", ctx, {
      name: "keycloak-broker-sync",
      namespace: NAMESPACE,
      dependsOn: [...after, ...deps.ready("secrets")],
      manifests: [
        externalSecret({
          name: BROKER_SECRET,
          namespace: NAMESPACE,
          store: { kind: "ClusterSecretStore", name: deps.service("secretStoreName") },
          creationPolicy: "Owner",
          keys: [{ secretKey: ENV.brokerClientSecret, key: ref.key, ...(ref.property ? { property: ref.property } : {}) }],
        }),
      ],
    });
  }
}

/** The client as the realm declares it; a bad request fails synth naming the field. */
function validateClient(request: ClientRequest, groups: ReadonlySet<string>, registered: ReadonlyMap<string, unknown>): RealmClient {
  if (!DNS_LABEL.test(request.component)) throw new Error(`ClientRequest.component must be a DNS label, got "${request.component}"`);
  if (registered.has(request.component)) throw new Error(`ClientRequest.component must register once, got "${request.component}" twice`);
  if (request.redirectUris.length === 0) throw new Error(`ClientRequest.redirectUris must list at least one URI, got [] (component ${request.component})`);
  for (const uri of request.redirectUris) {
    // Exact URIs only: a wildcard lets a stolen code be sent anywhere under the host.
    if (!/^https:\/\/[a-z0-9.-]+(:\d+)?\/[^\s*#?]*$/.test(uri)) {
      throw new Error(
        `ClientRequest.redirectUris must be exact https:// URLs without wildcards, query or fragment, got "${uri}" (component ${request.component})`,
      );
    }
  }
  for (const g of Object.keys(request.roles ?? {})) {
    if (!groups.has(g))
      throw new Error(`ClientRequest.roles keys must be platform groups or teams (${[...groups].join(", ")}), got "${g}" (component ${request.component})`);
  }
  for (const s of request.scopes ?? []) {
    if (!KNOWN_SCOPES.includes(s))
      throw new Error(`ClientRequest.scopes must be scopes of the realm (${KNOWN_SCOPES.join(", ")}), got "${s}" (component ${request.component})`);
  }
  return {
    component: request.component,
    protocol: request.protocol ?? "oidc",
    redirectUris: request.redirectUris,
    scopes: request.scopes ?? [],
    pkce: request.pkce ?? false,
    readDirectory: request.readDirectory ?? false,
  };
}

/** The Terraform namespace of that name, if some component made it: the client secret waits for it. */
function namespacesNamed(scope: Construct, name: string): NamespaceV1[] {
  return TerraformStack.of(scope)
    .node.findAll()
    .filter((n): n is NamespaceV1 => n instanceof NamespaceV1 && n.metadataInput?.name === name);
}
