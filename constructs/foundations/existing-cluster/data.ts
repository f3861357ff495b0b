import type { Release } from "@cdktf/provider-helm/lib/release";
import { RoleBindingV1 } from "@cdktf/provider-kubernetes/lib/role-binding-v1";
import { RoleV1 } from "@cdktf/provider-kubernetes/lib/role-v1";
import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import { Password } from "@cdktf/provider-random/lib/password";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { Lazy, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { DatabaseEngineRequest, DatabaseRef, PlatformContext, Scheduling, SecretStoreSpec } from "../../context";
import { manifestsRelease, mergeValues, platformRelease, profileValues, renderYaml, valuesFile, type Values } from "../../helm";
import { platformNamespace } from "../../namespace";
import { sumRequests, type Requests } from "../../sizes";
import { DATABASE_PORT, DatabaseNames } from "../shared";

/** Where every in-cluster database and its generated credentials live. */
export const DATA_NAMESPACE = "fawkes-data";
/** The CloudNativePG operator's namespace (the chart's documented default). */
export const CNPG_NAMESPACE = "cnpg-system";
/** The service account the ClusterSecretStore authenticates as (a token requested by external-secrets). */
export const SECRET_STORE_ACCOUNT = "fawkes-secret-store";
/**
 * PostgreSQL 17, the major the cloud foundations run, pinned by tag and digest as listed in
 * CloudNativePG's official image catalog (cloudnative-pg/postgres-containers,
 * Debian/ClusterImageCatalog-bookworm.yaml, 2026-08-17). The operator's own default is 18.
 */
export const LOCAL_POSTGRES_IMAGE =
  "ghcr.io/cloudnative-pg/postgresql:17.11-202608170816-system-bookworm@sha256:d24d5a390d90b20a43ef7036981f5e6c6f78bbd3198a1e2cd99443fbbd14a9b8";
/**
 * MySQL 8.4 (LTS), the line the cloud foundations run: the official image (Docker Hub's `mysql`,
 * built by Docker from Oracle's packages), pinned by tag. Its digest is not pinned: it could not be
 * read where this was written (no registry access); pin `@sha256:` when upgrading.
 */
export const LOCAL_MYSQL_IMAGE = "docker.io/library/mysql:8.4.6";
/** The `mysql` user and group of the official image. */
const MYSQL_UID = 999;
/** A secret name no cluster ever creates: the store's Role names it when there is no database (an empty list would mean "every secret"). */
const NO_DATABASE = "fawkes-no-database";

export interface LocalDataProps {
  readonly profile: PlatformContext["profile"];
  /** StorageClass of the database volumes. */
  readonly storageClass: string;
  /** Where the operator runs. */
  readonly system: Scheduling;
  /** Where database instances run. */
  readonly workloads: Scheduling;
  /** Keep databases on `cdktf destroy` and on helm uninstall. */
  readonly keep: boolean;
}

/**
 * In-cluster data services for an existing cluster: the CloudNativePG operator, one PostgreSQL
 * `Cluster` per postgres `database()` and one MySQL StatefulSet (the official image) per mysql
 * `database()` in the `fawkes-data` namespace, and the identity external-secrets uses to read their
 * `<name>-app` credentials there — only those, nothing else.
 */
export class LocalData extends Construct {
  /** The data namespace and the store's identity: must exist before external-secrets validates the store. */
  readonly ready: ITerraformDependable[];
  readonly secretStore: SecretStoreSpec;
  private readonly appSecrets: string[] = [];
  private readonly databases: { name: string; spec: Values }[] = [];
  private readonly names = new DatabaseNames();
  private operatorRelease?: Release;
  private operatorValues?: Values;

  /** `ctx` is the foundation being built: its `ready` is still empty here. */
  constructor(
    scope: Construct,
    id: string,
    private readonly ctx: PlatformContext,
    private readonly props: LocalDataProps,
  ) {
    super(scope, id);
    // Restricted: CloudNativePG's instance pods run non-root, no privilege escalation, RuntimeDefault seccomp.
    const ns = platformNamespace(this, ctx, DATA_NAMESPACE, "restricted");

    const account = new ServiceAccountV1(this, "StoreAccount", {
      metadata: { name: SECRET_STORE_ACCOUNT, namespace: ns.metadata.name, labels: { "app.kubernetes.io/part-of": "fawkes" } },
      automountServiceAccountToken: false,
    });
    // `get` on the `<cluster>-app` secrets only, by name: the namespace also holds each cluster's CA
    // and replication keys, which no component may read. Names are filled in once every component
    // has asked for its database (synth is after construction).
    const role = new RoleV1(this, "StoreRole", {
      metadata: { name: SECRET_STORE_ACCOUNT, namespace: ns.metadata.name, labels: { "app.kubernetes.io/part-of": "fawkes" } },
      rule: [
        {
          apiGroups: [""],
          resources: ["secrets"],
          verbs: ["get"],
          resourceNames: Lazy.listValue({ produce: () => (this.appSecrets.length ? [...this.appSecrets].sort() : [NO_DATABASE]) }),
        },
      ],
    });
    const binding = new RoleBindingV1(this, "StoreRoleBinding", {
      metadata: { name: SECRET_STORE_ACCOUNT, namespace: ns.metadata.name, labels: { "app.kubernetes.io/part-of": "fawkes" } },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
      subject: [{ kind: "ServiceAccount", name: account.metadata.name, namespace: ns.metadata.name }],
    });
    this.ready = [ns, account, role, binding];

    this.secretStore = {
      provider: {
        kubernetes: {
          remoteNamespace: DATA_NAMESPACE,
          server: {
            url: "https://kubernetes.default.svc",
            // Every namespace has the API server's CA in this ConfigMap (Kubernetes >= 1.21).
            caProvider: { type: "ConfigMap", name: "kube-root-ca.crt", key: "ca.crt", namespace: DATA_NAMESPACE },
          },
          // external-secrets requests a short-lived token for this account (TokenRequest API).
          auth: { serviceAccount: { name: SECRET_STORE_ACCOUNT, namespace: DATA_NAMESPACE } },
        },
      },
      location: `Kubernetes secrets in the ${DATA_NAMESPACE} namespace, generated by CloudNativePG`,
    };
  }

  /**
   * The CloudNativePG operator, owner of the `Cluster` CRD. Called by the foundation once its
   * `ready` is complete, so the operator waits for it like every release.
   */
  installOperator(): Release {
    if (this.operatorRelease) throw new Error("LocalData.installOperator() is called once, by the foundation");
    const root = new Construct(this, "Operator");
    const ns = platformNamespace(root, this.ctx, CNPG_NAMESPACE, "restricted");
    const values = mergeValues(mergeValues(valuesFile("local-cloudnative-pg"), profileValues("local-cloudnative-pg", this.props.profile)), {
      nodeSelector: this.props.system.nodeSelector,
      tolerations: this.props.system.tolerations,
    });
    this.operatorValues = values;
    this.operatorRelease = platformRelease(root, "Release", this.ctx, {
      chart: "cloudnative-pg",
      name: "cnpg",
      namespace: ns.metadata.name,
      createNamespace: false,
      dependsOn: [ns],
      values: [renderYaml(values)],
    });
    return this.operatorRelease;
  }

  database(scope: Construct, request: DatabaseEngineRequest): DatabaseRef {
    if (!/^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/.test(request.name)) {
      throw new Error(
        `DatabaseRequest.name must be a DNS label of at most 40 characters starting with a letter (it names the in-cluster database), got "${request.name}"`,
      );
    }
    const root = this.names.claim(scope, request);
    return request.engine === "mysql" ? this.mysql(root, request) : this.postgres(root, request);
  }

  /**
   * A CloudNativePG `Cluster` named after the request, with one database owned by one user. The
   * operator generates the password into the `<name>-app` secret; Terraform never sees it.
   */
  private postgres(scope: Construct, request: DatabaseEngineRequest): DatabaseRef {
    const operator = this.operatorRelease;
    if (!operator) throw new Error("LocalData.database() needs the operator: call installOperator() first");
    const ident = request.name.replace(/-/g, "_");
    const { nodeSelector, tolerations } = this.props.workloads;
    const spec = mergeValues(mergeValues(valuesFile("local-postgres"), profileValues("local-postgres", this.props.profile)), {
      imageName: LOCAL_POSTGRES_IMAGE,
      enableSuperuserAccess: false,
      bootstrap: { initdb: { database: ident, owner: ident } },
      storage: { storageClass: this.props.storageClass },
      affinity: { ...(Object.keys(nodeSelector).length ? { nodeSelector } : {}), tolerations },
    });
    this.databases.push({ name: request.name, spec });
    this.appSecrets.push(`${request.name}-app`);

    const release = manifestsRelease(scope, "Release", this.ctx, {
      name: `postgres-${request.name}`,
      namespace: DATA_NAMESPACE,
      dependsOn: [operator],
      timeoutMinutes: 10,
      manifests: [
        {
          apiVersion: "postgresql.cnpg.io/v1",
          kind: "Cluster",
          metadata: {
            name: request.name,
            namespace: DATA_NAMESPACE,
            labels: { "app.kubernetes.io/part-of": "fawkes", "fawkes.dev/used-by": request.namespace },
            // Helm leaves a kept object in place when the release goes (the component switched off, a
            // destroy, `helm uninstall`), and adopts it again on the next install of the same release.
            annotations: this.props.keep ? { "helm.sh/resource-policy": "keep" } : {},
          },
          spec,
        },
      ],
    });
    // Terraform refuses `cdktf destroy` and any replacement of the release while it is configured
    // (a release removed from the config is not covered: the keep policy above is).
    release.lifecycle = { preventDestroy: this.props.keep };
    return {
      engine: "postgres",
      host: `${request.name}-rw.${DATA_NAMESPACE}.svc`,
      port: DATABASE_PORT.postgres,
      database: ident,
      username: ident,
      password: { key: `${request.name}-app`, property: "password" },
      tls: true,
      dependsOn: [release],
    };
  }

  /**
   * MySQL as a one-pod StatefulSet of the official image, and a Service, named after the request.
   * The image creates the database and its user on first start from the `<name>-app` secret, which
   * Terraform generates (so the password is in the local state, as on the clouds); root is reachable
   * only through the pod's socket. The server makes its own TLS certificate and refuses plain
   * connections. No operator: one instance whatever the profile, no backups (as for PostgreSQL here).
   */
  private mysql(scope: Construct, request: DatabaseEngineRequest): DatabaseRef {
    const ident = request.name.replace(/-/g, "_");
    const labels = { "app.kubernetes.io/name": "mysql", "app.kubernetes.io/instance": request.name, "app.kubernetes.io/part-of": "fawkes" };
    const password = new Password(scope, "Password", { length: 32, special: false });
    const rootPassword = new Password(scope, "RootPassword", { length: 32, special: false });
    const secretName = `${request.name}-app`;
    const secret = new SecretV1(scope, "Secret", {
      metadata: { name: secretName, namespace: DATA_NAMESPACE, labels },
      data: { username: ident, password: password.result, database: ident },
      dependsOn: this.ready,
    });
    // Not readable by the secret store: only `<name>-app` secrets are (see StoreRole).
    const rootSecret = new SecretV1(scope, "RootSecret", {
      metadata: { name: `${request.name}-root`, namespace: DATA_NAMESPACE, labels },
      data: { password: rootPassword.result },
      dependsOn: this.ready,
    });
    const spec = mergeValues(valuesFile("local-mysql"), profileValues("local-mysql", this.props.profile));
    this.databases.push({ name: request.name, spec: { resources: spec.resources, instances: 1 } });
    this.appSecrets.push(secretName);
    const { nodeSelector, tolerations } = this.props.workloads;
    const env = (name: string, secret: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });
    const release = manifestsRelease(scope, "Release", this.ctx, {
      name: `mysql-${request.name}`,
      namespace: DATA_NAMESPACE,
      dependsOn: [secret, rootSecret],
      timeoutMinutes: 10,
      manifests: [
        {
          apiVersion: "v1",
          kind: "Service",
          metadata: { name: request.name, namespace: DATA_NAMESPACE, labels: { ...labels, "fawkes.dev/used-by": request.namespace } },
          spec: { selector: labels, ports: [{ name: "mysql", port: DATABASE_PORT.mysql, targetPort: "mysql" }] },
        },
        {
          apiVersion: "apps/v1",
          kind: "StatefulSet",
          metadata: {
            name: request.name,
            namespace: DATA_NAMESPACE,
            labels: { ...labels, "fawkes.dev/used-by": request.namespace },
            // As for PostgreSQL's Cluster: helm leaves a kept object (and its volume) in place.
            annotations: this.props.keep ? { "helm.sh/resource-policy": "keep" } : {},
          },
          spec: {
            serviceName: request.name,
            replicas: 1,
            selector: { matchLabels: labels },
            // The volume outlives the StatefulSet: deleting the database never deletes its data.
            persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
            template: {
              metadata: { labels },
              spec: {
                automountServiceAccountToken: false,
                // The namespace is `restricted`: non-root as the image's mysql user, which owns the volume.
                securityContext: {
                  runAsNonRoot: true,
                  runAsUser: MYSQL_UID,
                  runAsGroup: MYSQL_UID,
                  fsGroup: MYSQL_UID,
                  seccompProfile: { type: "RuntimeDefault" },
                },
                ...(Object.keys(nodeSelector).length ? { nodeSelector } : {}),
                tolerations,
                containers: [
                  {
                    name: "mysql",
                    image: LOCAL_MYSQL_IMAGE,
                    args: spec.args,
                    env: [
                      env("MYSQL_DATABASE", secretName, "database"),
                      env("MYSQL_USER", secretName, "username"),
                      env("MYSQL_PASSWORD", secretName, "password"),
                      env("MYSQL_ROOT_PASSWORD", `${request.name}-root`, "password"),
                      { name: "MYSQL_ROOT_HOST", value: "localhost" },
                    ],
                    ports: [{ name: "mysql", containerPort: DATABASE_PORT.mysql }],
                    // The port opens once initialisation is done (it runs with networking off).
                    readinessProbe: { tcpSocket: { port: "mysql" }, periodSeconds: 5, failureThreshold: 3 },
                    livenessProbe: { tcpSocket: { port: "mysql" }, initialDelaySeconds: 120, periodSeconds: 10, failureThreshold: 6 },
                    resources: spec.resources,
                    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                    volumeMounts: [{ name: "data", mountPath: "/var/lib/mysql" }],
                  },
                ],
              },
            },
            volumeClaimTemplates: [
              {
                metadata: { name: "data", labels },
                spec: { accessModes: ["ReadWriteOnce"], storageClassName: this.props.storageClass, resources: { requests: { storage: spec.storage } } },
              },
            ],
          },
        },
      ],
    });
    release.lifecycle = { preventDestroy: this.props.keep };
    return {
      engine: "mysql",
      host: `${request.name}.${DATA_NAMESPACE}.svc`,
      port: DATABASE_PORT.mysql,
      database: ident,
      username: ident,
      password: { key: secretName, property: "password" },
      tls: true,
      dependsOn: [release],
    };
  }

  /** Requests of the operator and every database instance, for the current profile. */
  requests(): Requests {
    const groups = [
      ...(this.operatorValues ? [{ resources: this.operatorValues.resources, replicas: this.operatorValues.replicaCount }] : []),
      ...this.databases.map((d) => ({ resources: d.spec.resources, replicas: d.spec.instances })),
    ];
    return sumRequests(groups);
  }
}
