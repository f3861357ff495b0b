import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type {
  BucketRef,
  CertificateSpec,
  ClusterAccess,
  DatabaseEngineRequest,
  DatabaseRef,
  DatabaseRequest,
  DnsSpec,
  Grant,
  LoadBalancerSpec,
  PlatformContext,
  Profile,
  RegistryCapability,
  Scheduling,
  SecretStoreSpec,
  ServiceAccountRef,
  WorkloadIdentity,
} from "../../context";
import { DOJO_TAINT, requestScope } from "../shared";
import { LocalData } from "./data";
import { DEFAULT_NODE_CIDRS, LocalRegistry } from "./registry";
import type { Requests } from "../../sizes";

export { CNPG_NAMESPACE, DATA_NAMESPACE, LOCAL_MYSQL_IMAGE, LOCAL_POSTGRES_IMAGE, SECRET_STORE_ACCOUNT } from "./data";

export interface ExistingClusterFoundationProps {
  /** Name of this platform on the cluster, for outputs, e.g. `fawkes-dev`. */
  readonly name: string;
  /**
   * kubeconfig file of the cluster. A leading `~` is kept as written and expanded by the helm and
   * kubernetes providers when they start, so the synthesized stack works for whoever applies it.
   * @default "~/.kube/config"
   */
  readonly kubeconfig?: string;
  /** kubeconfig context to use, e.g. `kind-fawkes` or `k3d-fawkes`. Never the "current" one implicitly. */
  readonly context: string;
  /** Every UI is served at https://<component>.<domain>; the names must resolve to the ingress without DNS records (e.g. localtest.me). */
  readonly domain: string;
  readonly profile: Profile;
  /**
   * How the ingress controller is exposed: `NodePort` where the cluster has no load balancer (kind:
   * map the node ports to the host's 80/443), `LoadBalancer` where it has one (k3d's servicelb).
   * @default "NodePort"
   */
  readonly ingressService?: "NodePort" | "LoadBalancer";
  /**
   * Node ports of the ingress controller's HTTP and HTTPS ports, with `NodePort`.
   * @default { http: 30080, https: 30443 } - what scripts/kind-config.yaml maps to 80 and 443
   */
  readonly nodePorts?: { readonly http: number; readonly https: number };
  /**
   * The cluster's StorageClass for persistent volumes (its default one, usually).
   * @default "standard" - kind's; k3d's is "local-path"
   */
  readonly storageClass?: string;
  /**
   * Node port of the in-cluster image registry: nodes pull `localhost:<port>/fawkes/<service>`.
   * @default 30500
   */
  readonly registryNodePort?: number;
  /**
   * Networks of the cluster's nodes, which the registry's NetworkPolicy lets in (they pull through the node port).
   * @default ["172.16.0.0/12"] - Docker's bridge networks, where kind and k3d put their nodes
   */
  readonly nodeCidrs?: string[];
  /**
   * Let `cdktf destroy`, or switching a component off, delete its database. Meant for labs and CI.
   * @default false - `prevent_destroy` on each database's release, and `helm.sh/resource-policy: keep` on its Cluster
   */
  readonly allowDestroy?: boolean;
}

/**
 * A platform context for a cluster that already exists — kind or k3d on a laptop, or any cluster
 * the kubeconfig reaches — with no cloud at all: PostgreSQL runs in-cluster under CloudNativePG (MySQL as a StatefulSet of the official image),
 * external-secrets reads the credentials the operator generates from Kubernetes itself, and TLS
 * comes from a local CA the operator trusts once. Names resolve without DNS (localtest.me).
 */
export class ExistingClusterFoundation extends Construct implements PlatformContext {
  readonly cloud = "local";
  readonly cluster: ClusterAccess;
  readonly domain: string;
  readonly profile: Profile;
  readonly storageClass: string;
  /**
   * A laptop cluster has no pool labels: platform pods schedule anywhere. Lab pods keep the dojo
   * toleration (harmless without the taint), so a dojo node tainted by hand still takes them.
   */
  readonly nodePools: { system: Scheduling; workloads: Scheduling; dojo: Scheduling } = {
    system: { nodeSelector: {}, tolerations: [] },
    workloads: { nodeSelector: {}, tolerations: [] },
    dojo: { nodeSelector: {}, tolerations: [{ key: DOJO_TAINT.key, operator: "Equal", value: DOJO_TAINT.value, effect: DOJO_TAINT.effect }] },
  };
  readonly loadBalancer: LoadBalancerSpec;
  /**
   * No DNS provider: names like *.localtest.me already resolve to 127.0.0.1, so external-dns is not
   * installed; inside pods that is the pod itself, so pods that call a platform host need a host alias.
   */
  readonly dns: DnsSpec = { extraArgs: [], loopback: true };
  readonly certificates: CertificateSpec = { kind: "selfSigned" };
  readonly secretStore: SecretStoreSpec;
  /** An in-cluster registry (CNCF Distribution) in the `registry` namespace. */
  readonly registry: RegistryCapability;
  /** The data namespace and the secret store's identity (the first release waits for them). */
  readonly ready: ITerraformDependable[] = [];

  private readonly data: LocalData;

  constructor(scope: Construct, id: string, props: ExistingClusterFoundationProps) {
    super(scope, id);
    validateExistingClusterProps(props);
    this.domain = props.domain;
    this.profile = props.profile;
    this.storageClass = props.storageClass ?? "standard";
    this.cluster = { name: props.name, configPath: props.kubeconfig ?? "~/.kube/config", configContext: props.context };

    const serviceType = props.ingressService ?? "NodePort";
    this.loadBalancer = {
      serviceType,
      nodePorts: serviceType === "NodePort" ? (props.nodePorts ?? { http: 30080, https: 30443 }) : undefined,
      serviceAnnotations: {},
      // One node, or kube-proxy forwarding from the mapped node: no client IPs to keep.
      externalTrafficPolicy: "Cluster",
    };

    this.data = new LocalData(this, "Data", this, {
      profile: props.profile,
      storageClass: this.storageClass,
      system: this.nodePools.system,
      workloads: this.nodePools.workloads,
      keep: !(props.allowDestroy ?? false),
    });
    this.secretStore = this.data.secretStore;
    this.ready.push(...this.data.ready);
    this.data.installOperator();
    this.registry = new LocalRegistry(this, "Registry", this, {
      nodePort: props.registryNodePort ?? 30500,
      nodeCidrs: props.nodeCidrs ?? DEFAULT_NODE_CIDRS,
      storageClass: this.storageClass,
      scheduling: this.nodePools.system,
      keep: !(props.allowDestroy ?? false),
    }).capability;
  }

  /** An in-cluster PostgreSQL (CloudNativePG `Cluster`) or MySQL (official image) in the `fawkes-data` namespace. */
  database(scope: Construct, request: DatabaseEngineRequest): DatabaseRef {
    return this.data.database(scope, request);
  }

  postgres(scope: Construct, request: DatabaseRequest): DatabaseRef {
    return this.database(scope, { ...request, engine: "postgres" });
  }

  /**
   * No object store on a laptop: the bucket has no `s3`, and components fall back to what they do
   * without one (a PersistentVolume, or the feature off). The scope is still claimed, so asking
   * twice for one name fails here as on the clouds.
   */
  bucket(scope: Construct, name: string): BucketRef {
    requestScope(scope, `Bucket-${name}`, `Bucket "${name}"`);
    return { name, dependsOn: [] };
  }

  /** No cloud identity to hand out: service accounts stay as they are. */
  workloadIdentity(_scope: Construct, _sa: ServiceAccountRef, _grants: Grant[]): WorkloadIdentity {
    return { serviceAccountAnnotations: {}, podLabels: {}, dependsOn: [] };
  }

  /** Requests of the foundation's own pods (the operator and every database instance). */
  requests(): Requests {
    return this.data.requests();
  }
}

function validateExistingClusterProps(p: ExistingClusterFoundationProps): void {
  if (!/^[a-z][a-z0-9-]{0,40}$/.test(p.name)) throw new Error(`ExistingClusterFoundationProps.name must be 1-41 characters of a-z, 0-9, "-", got "${p.name}"`);
  if (!p.context.trim()) throw new Error(`ExistingClusterFoundationProps.context must name a kubeconfig context (e.g. "kind-fawkes"), got "${p.context}"`);
  if (p.kubeconfig !== undefined && !p.kubeconfig.trim())
    throw new Error(`ExistingClusterFoundationProps.kubeconfig must be a file path, got "${p.kubeconfig}"`);
  if (p.nodePorts) {
    for (const [key, port] of Object.entries(p.nodePorts)) {
      if (!(Number.isInteger(port) && port >= 30000 && port <= 32767)) {
        throw new Error(`ExistingClusterFoundationProps.nodePorts.${key} must be a node port from 30000 to 32767, got ${port}`);
      }
    }
    if (p.nodePorts.http === p.nodePorts.https)
      throw new Error(`ExistingClusterFoundationProps.nodePorts.http and .https must differ, got ${p.nodePorts.http} for both`);
  }
  const registryPort = p.registryNodePort ?? 30500;
  if (!(Number.isInteger(registryPort) && registryPort >= 30000 && registryPort <= 32767)) {
    throw new Error(`ExistingClusterFoundationProps.registryNodePort must be a node port from 30000 to 32767, got ${registryPort}`);
  }
  const ingressPorts = Object.values(p.nodePorts ?? { http: 30080, https: 30443 });
  if ((p.ingressService ?? "NodePort") === "NodePort" && ingressPorts.includes(registryPort)) {
    throw new Error(`ExistingClusterFoundationProps.registryNodePort must differ from the ingress node ports, got ${registryPort}`);
  }
  for (const cidr of p.nodeCidrs ?? []) {
    if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(cidr)) throw new Error(`ExistingClusterFoundationProps.nodeCidrs must be IPv4 CIDRs, got "${cidr}"`);
  }
  if (p.storageClass !== undefined && !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(p.storageClass)) {
    throw new Error(`ExistingClusterFoundationProps.storageClass must be a StorageClass name, got "${p.storageClass}"`);
  }
}
