import type { Release } from "@cdktf/provider-helm/lib/release";
import { RoleBindingV1 } from "@cdktf/provider-kubernetes/lib/role-binding-v1";
import { RoleV1 } from "@cdktf/provider-kubernetes/lib/role-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { Lazy, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { DatabaseRef, DatabaseRequest, PlatformContext, Scheduling, SecretStoreSpec } from "../../context";
import { manifestsRelease, mergeValues, platformRelease, profileValues, renderYaml, valuesFile, type Values } from "../../helm";
import { platformNamespace } from "../../namespace";
import { sumRequests, type Requests } from "../../sizes";

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
 * `Cluster` per `postgres(name)` in the `fawkes-data` namespace, and the identity external-secrets
 * uses to read the credentials the operator generates there — only those, nothing else.
 */
export class LocalData extends Construct {
  /** The data namespace and the store's identity: must exist before external-secrets validates the store. */
  readonly ready: ITerraformDependable[];
  readonly secretStore: SecretStoreSpec;
  private readonly appSecrets: string[] = [];
  private readonly databases: { name: string; spec: Values }[] = [];
  private operatorRelease?: Release;
  private operatorValues?: Values;

  /** `ctx` is the foundation being built: its `ready` is still empty here. */
  constructor(scope: Construct, id: string, private readonly ctx: PlatformContext, private readonly props: LocalDataProps) {
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

  /**
   * A CloudNativePG `Cluster` named after the request, with one database owned by one user. The
   * operator generates the password into the `<name>-app` secret; Terraform never sees it.
   */
  postgres(scope: Construct, request: DatabaseRequest): DatabaseRef {
    if (!/^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/.test(request.name)) {
      throw new Error(`DatabaseRequest.name must be a DNS label of at most 40 characters starting with a letter (it names a CloudNativePG Cluster), got "${request.name}"`);
    }
    if (this.databases.some((d) => d.name === request.name)) {
      throw new Error(`DatabaseRequest.name "${request.name}" is asked for twice: every component needs its own database name`);
    }
    const operator = this.operatorRelease;
    if (!operator) throw new Error("LocalData.postgres() needs the operator: call installOperator() first");
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

    const release = manifestsRelease(scope, "Database", this.ctx, {
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
      host: `${request.name}-rw.${DATA_NAMESPACE}.svc`,
      port: 5432,
      database: ident,
      username: ident,
      password: { key: `${request.name}-app`, property: "password" },
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
