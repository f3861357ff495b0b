import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import type { Construct } from "constructs";
import type { PlatformContext } from "../../context";
import { escapeTemplates, ingressFor, platformRelease, releaseValues, renderYaml, type Values } from "../../helm";
import { monitoringCrds } from "../../monitoring";
import { platformNamespace } from "../../namespace";
import type { Component, ComponentOutput, Installed } from "../../platform";
import { databaseSecret, generatedSecret } from "../../secrets";
import { entitiesYaml, platformEntities } from "./catalog";
import { sumRequests } from "../../sizes";

/**
 * Backstage's own sample software templates (a Location entity listing them), public on GitHub.
 * Read without a token (GitHub's anonymous rate limit applies): fine to start, replace with your own.
 */
export const DEFAULT_TEMPLATES_URL = "https://github.com/backstage/backstage/blob/master/plugins/scaffolder-backend/sample-templates/remote-templates.yaml";

export interface BackstageProps {
  /**
   * Where Backstage reads software templates: an https URL of a catalog file (Template entities, or a
   * Location entity listing them) that Backstage's integrations can read.
   * @default DEFAULT_TEMPLATES_URL - Backstage's sample templates on GitHub
   */
  readonly templatesUrl?: string;
  /**
   * Let anyone who reaches the portal sign in as the guest user. The upstream image has no other
   * sign-in provider; switch this off once a custom image with GitHub or OIDC sign-in is deployed.
   * @default true
   */
  readonly guestSignIn?: boolean;
  /**
   * Scrape the backend's `/metrics` with the chart's ServiceMonitor (when observability is installed).
   * Only for an image that serves Prometheus metrics on the backend port: the upstream one does not.
   * @default false
   */
  readonly metrics?: boolean;
}

const SUBDOMAIN = "backstage";
const DB_SECRET = "backstage-db";
const APP_SECRET = "backstage-secrets";
const CATALOG_CONFIGMAP = "backstage-platform-catalog";
const CATALOG_DIR = "/etc/fawkes/catalog";
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
  readonly uses = ["observability"];
  readonly info = {
    title: "Backstage",
    description: "Developer portal: the catalog of the platform and its services, software templates and docs",
    subdomain: SUBDOMAIN,
    docs: "https://backstage.io/docs/",
    // The upstream evaluation image, guest sign-in: production once a custom image replaces it.
    lifecycle: "experimental",
  } as const;

  private readonly templatesUrl: string;

  constructor(private readonly props: BackstageProps = {}) {
    this.templatesUrl = props.templatesUrl ?? DEFAULT_TEMPLATES_URL;
    if (!/^https:\/\/[^\s/]+\/\S*$/.test(this.templatesUrl)) {
      throw new Error(`BackstageProps.templatesUrl must be an https:// URL of a catalog file, got "${this.templatesUrl}"`);
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
      passwordKeys: ["api-token", "session-secret"],
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

    const serviceMonitor = (this.props.metrics ?? false) && deps.has("observability");
    const env = (name: string, secret: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });
    const values = releaseValues(ctx, this.id, {
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
        ],
        // Mounted as a directory (no subPath): ConfigMap updates reach the pod, and the catalog
        // re-reads file locations on its own refresh loop.
        extraVolumes: [{ name: "platform-catalog", configMap: { name: CATALOG_CONFIGMAP } }],
        extraVolumeMounts: [{ name: "platform-catalog", mountPath: CATALOG_DIR, readOnly: true }],
        appConfig: this.appConfig(url, db.tls),
      },
      metrics: { serviceMonitor: { enabled: serviceMonitor } },
    });

    const release = platformRelease(root, "Release", ctx, {
      chart: "backstage",
      name: "backstage",
      namespace: ns.metadata.name,
      createNamespace: false,
      // Its database and secrets, the monitoring CRDs if its ServiceMonitor is on. Not Traefik or
      // cert-manager: the Ingress names its class, and the certificate follows its annotation later.
      dependsOn: [ns, ...dbSecret.ready, secrets.secret, catalog, ...(serviceMonitor ? monitoringCrds(deps) : [])],
      values: [renderYaml(values)],
    });

    const backstage = values.backstage as Values;
    return {
      ready: [release],
      endpoints: { backstage: url },
      adminSecrets: [secrets.location],
      requests: sumRequests([{ resources: backstage.resources, replicas: backstage.replicas }]),
    };
  }

  /** The Fawkes part of app-config: URLs, database, sign-in, API token and catalog locations. */
  private appConfig(url: string, tls: boolean): Values {
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
      },
      auth: {
        environment: "production",
        // Sessions are used by some OAuth/OIDC providers once configured.
        session: { secret: "${AUTH_SESSION_SECRET}" },
        providers: { guest: { dangerouslyAllowOutsideDevelopment: this.props.guestSignIn ?? true } },
      },
      catalog: {
        // Template is allowed everywhere: templates listed by a Location entity are read from their
        // own URLs, where the rules of the templates location below do not apply.
        rules: [{ allow: ["Component", "System", "API", "Resource", "Location", "Template"] }],
        locations: [
          { type: "file", target: `${CATALOG_DIR}/platform.yaml`, rules: [{ allow: ["Component", "System", "Group"] }] },
          { type: "url", target: this.templatesUrl, rules: [{ allow: ["Template", "Location"] }] },
        ],
      },
    };
  }
}
