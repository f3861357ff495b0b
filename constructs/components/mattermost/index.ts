import { PersistentVolumeClaimV1 } from "@cdktf/provider-kubernetes/lib/persistent-volume-claim-v1";
import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { PlatformContext } from "../../context";
import { ingressFor, manifestsRelease, platformRelease, releaseValues, renderYaml, type Values } from "../../helm";
import { monitoringCrds } from "../../monitoring";
import { platformNamespace } from "../../namespace";
import type { Component, ComponentInfo, ComponentOutput, Installed } from "../../platform";
import { databaseSecret, externalSecret, generatedSecret } from "../../secrets";
// Quantity arithmetic shared with Backstage (a candidate for constructs/).
import { sumRequests } from "../../sizes";
import { adminBootstrapJob } from "./admin";

export interface MattermostProps {
  /**
   * DNS label Mattermost is served under: `chat` gives https://chat.<domain>.
   * @default "mattermost"
   */
  readonly subdomain?: string;
  /**
   * E-mail domains new accounts must be in (`TeamSettings.RestrictCreationToDomains`), e.g.
   * `["example.com"]`; invitations are still needed (the open server is off).
   * @default [] - any address, by invitation only
   */
  readonly signupDomains?: string[];
  /**
   * Where a Mattermost Enterprise license lives in the platform secret store (the license file's
   * text). With it Mattermost runs the Enterprise Edition image and, when the identity component is
   * installed, signs people in with OpenID Connect. Team Edition (no license) has no single sign-on.
   * @default - no license: Team Edition, accounts by invitation only
   */
  readonly license?: { readonly key: string; readonly property?: string };
}

const EMAIL_DOMAIN = /^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** Name of the Mattermost resource: also its Deployment, Service, Ingress and service account. */
const INSTALLATION = "mattermost";
const OPERATOR_NAMESPACE = "mattermost-operator";
const DATABASE_SECRET = "mattermost-database";
const FILES_CLAIM = "mattermost-files";
const ADMIN_SECRET = "mattermost-admin";
const ADMIN_USERNAME = "fawkes-admin";
/** The license synced from the secret store (key `license`), for spec.licenseSecret. */
const LICENSE_SECRET = "mattermost-license";
/** Licensed features (OpenID Connect, SAML) need the Enterprise Edition build; same version as Team Edition's. */
const ENTERPRISE_IMAGE = "mattermost/mattermost-enterprise-edition";
/** The Team Edition image runs as the `mattermost` user (uid and gid 2000). */
const MATTERMOST_UID = 2000;
/** The operator's pods expose controller metrics on this named port (chart args: --metrics-addr=0.0.0.0:8383). */
const OPERATOR_METRICS_PORT = "metrics";
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Mattermost Team Edition through the Mattermost Operator (the mattermost-team-edition chart is no
 * longer supported upstream): PostgreSQL from the foundation, files in the foundation's S3 bucket
 * with workload identity (or on a volume where there is no S3), Boards switched on, served at
 * https://mattermost.<domain> through the platform ingress.
 */
export class MattermostComponent implements Component {
  readonly id = "mattermost";
  readonly needs = ["ingress", "tls", "secrets"];
  readonly uses = ["observability", "identity"];
  readonly info: ComponentInfo;
  private readonly subdomain: string;

  constructor(private readonly props: MattermostProps = {}) {
    if (props.subdomain !== undefined && !DNS_LABEL.test(props.subdomain)) {
      throw new Error(`MattermostProps.subdomain must be a DNS label (a-z, 0-9, "-"), got "${props.subdomain}"`);
    }
    for (const domain of props.signupDomains ?? []) {
      if (!EMAIL_DOMAIN.test(domain)) throw new Error(`MattermostProps.signupDomains must be DNS domains (e.g. "example.com"), got "${domain}"`);
    }
    if (props.license !== undefined && !props.license.key)
      throw new Error(`MattermostProps.license.key must name the license in the secret store, got "${props.license.key}"`);
    this.subdomain = props.subdomain ?? "mattermost";
    this.info = {
      title: "Mattermost",
      description: "Team chat, with Boards for lightweight project tracking; Alertmanager posts alerts here",
      subdomain: this.subdomain,
      docs: "https://docs.mattermost.com/",
      lifecycle: "production",
    };
  }

  install(root: Construct, ctx: PlatformContext, deps: Installed): ComponentOutput {
    const ns = platformNamespace(root, ctx, this.id, "restricted");
    // The operator chart has no securityContext keys, so its pod only passes "baseline".
    const operatorNs = platformNamespace(new Construct(root, "Operator"), ctx, OPERATOR_NAMESPACE, "baseline");
    const operator = platformRelease(root, "OperatorRelease", ctx, {
      chart: "mattermost-operator",
      name: "mattermost-operator",
      namespace: operatorNs.metadata.name,
      createNamespace: false,
      dependsOn: [operatorNs],
      values: [renderYaml(releaseValues(ctx, "mattermost-operator"))],
    });

    const db = ctx.postgres(root, { name: this.id, namespace: this.id });
    // The operator reads one key, DB_CONNECTION_STRING (postgres://, it picks the driver by scheme). No
    // DB_CONNECTION_CHECK_URL: its init container runs as root, which the "restricted" namespace refuses.
    const params = `sslmode=${db.tls ? "require" : "disable"}&connect_timeout=10`;
    const dbSecret = databaseSecret(root, "DatabaseSecret", ctx, deps, db, {
      namespace: this.id,
      name: DATABASE_SECRET,
      dependsOn: [ns],
      template: { DB_CONNECTION_STRING: `postgres://${db.username}:{{ .password | urlquery }}@${db.host}:${db.port}/${db.database}?${params}` },
    });

    const settings = releaseValues(ctx, this.id);
    const files = this.fileStore(root, ctx, ns, settings);

    const ingress = ingressFor(this.subdomain, ctx, deps);
    const url = `https://${ingress.host}`;
    const pool = ctx.nodePools.workloads;
    const signIn = this.signIn(root, ctx, deps, ns, url);
    const env: Record<string, string> = { ...((settings.env ?? {}) as Record<string, string>), ...files.env, ...signIn.env };
    const { spec } = releaseValues(ctx, this.id, {
      spec: {
        ...signIn.spec,
        ingress: { enabled: true, host: ingress.host, tlsSecret: ingress.tlsSecret, ingressClass: ingress.className, annotations: ingress.annotations },
        database: { external: { secret: dbSecret.name } },
        fileStore: files.fileStore,
        scheduling: { nodeSelector: pool.nodeSelector, tolerations: pool.tolerations },
        podTemplate: {
          // What the "restricted" Pod Security level asks of every pod and container.
          securityContext: {
            runAsNonRoot: true,
            runAsUser: MATTERMOST_UID,
            runAsGroup: MATTERMOST_UID,
            fsGroup: MATTERMOST_UID,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containerSecurityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
          extraLabels: files.podLabels,
        },
        ...files.rollout,
        mattermostEnv: [...Object.entries(env).map(([name, value]) => ({ name, value: String(value) })), ...signIn.secretEnv],
      },
    }) as { spec: Values };

    const observed = deps.has("observability");
    const installation = manifestsRelease(root, "Installation", ctx, {
      name: INSTALLATION,
      namespace: this.id,
      // The operator owns the Mattermost CRD; the database secret, files and identity must be there when
      // the server starts; the monitoring CRDs for the PodMonitor. Not Traefik or cert-manager: the
      // operator's Ingress names its class, and the certificate follows its annotation later.
      dependsOn: [operator, ...dbSecret.ready, ns, ...files.dependsOn, ...signIn.ready, ...(observed ? monitoringCrds(deps) : [])],
      manifests: [
        { apiVersion: "installation.mattermost.com/v1beta1", kind: "Mattermost", metadata: { name: INSTALLATION, namespace: this.id }, spec },
        // Team Edition serves no Prometheus metrics (an Enterprise feature): the operator's are scraped.
        ...(observed
          ? [
              {
                apiVersion: "monitoring.coreos.com/v1",
                kind: "PodMonitor",
                metadata: { name: "mattermost-operator", namespace: OPERATOR_NAMESPACE },
                spec: {
                  selector: { matchLabels: { "app.kubernetes.io/name": "mattermost-operator" } },
                  podMetricsEndpoints: [{ port: OPERATOR_METRICS_PORT, path: "/metrics" }],
                },
              },
            ]
          : []),
      ],
    });

    const admin = generatedSecret(root, "AdminSecret", {
      component: this.id,
      namespace: this.id,
      name: ADMIN_SECRET,
      passwordKeys: ["password"],
      literals: { username: ADMIN_USERNAME, email: `${ADMIN_USERNAME}@${ctx.domain}` },
      description: `Mattermost system admin (user ${ADMIN_USERNAME})`,
      dependsOn: [ns],
    });
    const deadlineMinutes = 20;
    const bootstrap = manifestsRelease(root, "AdminBootstrap", ctx, {
      name: "mattermost-admin-bootstrap",
      namespace: this.id,
      // A separate release: if the Job times out, the rollback must not take the installation with it.
      dependsOn: [installation, admin.secret],
      timeoutMinutes: deadlineMinutes + 5,
      manifests: [
        adminBootstrapJob({
          namespace: this.id,
          serverUrl: `http://${INSTALLATION}.${this.id}.svc:8065`,
          secretName: ADMIN_SECRET,
          deadlineSeconds: deadlineMinutes * 60,
        }),
      ],
    });

    const replicas = (spec.replicas as number | undefined) ?? 1;
    return {
      ready: [installation, bootstrap],
      endpoints: { mattermost: url },
      adminSecrets: [admin.location],
      requests: sumRequests([{ resources: (spec.scheduling as Values).resources, replicas }]),
    };
  }

  /**
   * Who may sign in. Always: no open sign-up (invitations only), optionally only from the given
   * e-mail domains. With a license: the Enterprise Edition image, the license synced from the secret
   * store, and, when the identity service is offered, OpenID Connect against its issuer.
   */
  private signIn(root: Construct, ctx: PlatformContext, deps: Installed, ns: ITerraformDependable, url: string): SignIn {
    const env: Record<string, string> = { MM_TEAMSETTINGS_ENABLEOPENSERVER: "false" };
    if (this.props.signupDomains?.length) env.MM_TEAMSETTINGS_RESTRICTCREATIONTODOMAINS = this.props.signupDomains.join(",");
    const license = this.props.license;
    if (!license) return { env, secretEnv: [], spec: {}, ready: [] };

    const scope = new Construct(root, "License");
    const shell = new SecretV1(scope, "Secret", {
      metadata: { name: LICENSE_SECRET, namespace: this.id, labels: { "app.kubernetes.io/part-of": "fawkes" } },
      // external-secrets writes the data: Terraform leaves it alone.
      lifecycle: { ignoreChanges: ["data", "metadata[0].annotations", "metadata[0].labels"] },
      dependsOn: [ns],
    });
    const sync = manifestsRelease(scope, "Sync", ctx, {
      name: `${LICENSE_SECRET}-sync`,
      namespace: this.id,
      dependsOn: [shell, ...deps.ready("secrets")],
      manifests: [
        externalSecret({
          name: LICENSE_SECRET,
          namespace: this.id,
          store: { kind: "ClusterSecretStore", name: deps.service("secretStoreName") },
          creationPolicy: "Merge",
          // The operator reads the key `license` of spec.licenseSecret.
          keys: [{ secretKey: "license", key: license.key, ...(license.property ? { property: license.property } : {}) }],
        }),
      ],
    });
    const spec: Values = { image: ENTERPRISE_IMAGE, licenseSecret: LICENSE_SECRET };
    const ready: ITerraformDependable[] = [shell, sync];

    const client = deps.maybe("identity")?.registerClient(root, {
      component: this.id,
      namespace: deps.namespaceOf(this.id),
      redirectUris: [`${url}/signup/openid/complete`],
    });
    if (!client) return { env, secretEnv: [], spec, ready };
    return {
      env: {
        ...env,
        MM_OPENIDSETTINGS_ENABLE: "true",
        MM_OPENIDSETTINGS_ID: client.clientId,
        MM_OPENIDSETTINGS_DISCOVERYENDPOINT: `${client.issuer}/.well-known/openid-configuration`,
        MM_OPENIDSETTINGS_BUTTONTEXT: "Fawkes SSO",
      },
      // The client secret straight from the identity service's secret, never through the values.
      secretEnv: [{ name: "MM_OPENIDSETTINGS_SECRET", valueFrom: { secretKeyRef: { name: client.secret.name, key: client.secret.key } } }],
      spec,
      ready: [...ready, ...client.ready],
    };
  }

  /**
   * Files in the foundation's bucket when it speaks S3, with the workload identity of the service
   * account the operator requires to exist; otherwise a volume on the platform StorageClass.
   */
  private fileStore(root: Construct, ctx: PlatformContext, ns: ITerraformDependable, settings: Values): FileStore {
    const bucket = ctx.bucket(root, this.id);
    if (bucket.s3) {
      const identity = ctx.workloadIdentity(root, { namespace: this.id, name: INSTALLATION }, [{ bucket, access: "readwrite" }]);
      // With useServiceAccount the operator uses, and never creates, a service account named after the installation.
      const sa = new ServiceAccountV1(root, "ServiceAccount", {
        metadata: {
          name: INSTALLATION,
          namespace: this.id,
          annotations: identity.serviceAccountAnnotations,
          labels: { "app.kubernetes.io/part-of": "fawkes" },
        },
        automountServiceAccountToken: false,
        dependsOn: [ns],
      });
      return {
        fileStore: { external: { url: bucket.s3.endpoint, bucket: bucket.name, useServiceAccount: true } },
        env: { MM_FILESETTINGS_AMAZONS3REGION: bucket.s3.region },
        podLabels: identity.podLabels,
        // The update Job runs the database migration before the Deployment changes; it needs the identity too.
        rollout: { updateJob: { extraLabels: identity.podLabels } },
        dependsOn: [sa, ...bucket.dependsOn, ...identity.dependsOn],
      };
    }
    const claim = new PersistentVolumeClaimV1(root, "Files", {
      metadata: { name: FILES_CLAIM, namespace: this.id, labels: { "app.kubernetes.io/part-of": "fawkes" } },
      spec: {
        storageClassName: ctx.storageClass,
        accessModes: ["ReadWriteOnce"],
        resources: { requests: { storage: String(settings.fileStorageSize ?? "20Gi") } },
      },
      // The volume binds when the first pod mounts it (WaitForFirstConsumer), after this apply step.
      waitUntilBound: false,
      dependsOn: [ns],
    });
    return {
      fileStore: { externalVolume: { volumeClaimName: FILES_CLAIM } },
      env: {},
      podLabels: {},
      // One node can mount the volume at a time: replace the pod instead of rolling, and skip the
      // update Job, which would mount it from another pod; the new server migrates on start.
      rollout: { deploymentTemplate: { deploymentStrategyType: "Recreate" }, updateJob: { disabled: true } },
      dependsOn: [claim, ...bucket.dependsOn],
    };
  }
}

interface SignIn {
  readonly env: Record<string, string>;
  readonly secretEnv: Values[];
  readonly spec: Values;
  readonly ready: ITerraformDependable[];
}

interface FileStore {
  readonly fileStore: Values;
  readonly env: Record<string, string>;
  readonly podLabels: Record<string, string>;
  readonly rollout: Values;
  readonly dependsOn: ITerraformDependable[];
}
