import { DnsManagedZone } from "@cdktf/provider-google/lib/dns-managed-zone";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";
import { StorageBucketIamMember } from "@cdktf/provider-google/lib/storage-bucket-iam-member";
import { StorageClassV1 } from "@cdktf/provider-kubernetes/lib/storage-class-v1";
import { Id } from "@cdktf/provider-random/lib/id";
import { Sleep } from "@cdktf/provider-time/lib/sleep";
import { Fn, type ITerraformDependable } from "cdktf";
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
import { poolScheduling, type PoolName } from "../shared";
import { GkeControlPlane } from "./cluster";
import { GkeData } from "./data";
import { GkeNodeIdentity, WORKLOAD_IDENTITY_ANNOTATION, workloadAccount } from "./identity";
import { GCP_NAME_LIMITS, MAX_PREFIX, fitName } from "./names";
import { GkeNetwork } from "./network";
import { GkeNodePools, type GkeNodePoolSpec } from "./nodes";
import { GkeProject } from "./project";
import { ArtifactRegistry } from "./registry";

export interface GkeFoundationProps {
  /**
   * Prefix of every resource name, e.g. `fawkes-dev` (up to 41 characters); also the cluster's
   * name when it fits GKE's 40 (otherwise a compliant cut, see `clusterName`).
   */
  readonly name: string;
  /** Project to deploy into. */
  readonly project: string;
  readonly region: string;
  /** Platform domain; a Cloud DNS zone for it is created. */
  readonly domain: string;
  /** Kubernetes minor version, e.g. "1.33": the minimum; the release channel upgrades from there. */
  readonly kubernetesVersion: string;
  /** @default "REGULAR" */
  readonly releaseChannel?: "RAPID" | "REGULAR" | "STABLE";
  /** Node subnet. @default "10.42.0.0/20" */
  readonly subnetCidr?: string;
  /** Pod IPs (secondary range). @default "10.44.0.0/14" */
  readonly podsCidr?: string;
  /** Service IPs (secondary range). @default "10.48.0.0/20" */
  readonly servicesCidr?: string;
  /** The control plane's /28. @default "172.16.0.0/28" */
  readonly masterCidr?: string;
  /** Cloud SQL's private addresses (private services access). @default "10.50.0.0/20" */
  readonly privateServicesCidr?: string;
  /**
   * Networks allowed to reach the public API endpoint.
   * @default [] - no public endpoint: deploy from inside the VPC (VPN, bastion, CI runner)
   */
  readonly apiAllowedCidrs?: string[];
  /**
   * Private networks (VPN, peered VPCs, a bastion's subnet) allowed to reach the API: added to the
   * master authorized networks, and with no public endpoint the only ones let in (besides the nodes).
   * @default []
   */
  readonly apiPrivateCidrs?: string[];
  readonly nodePools: Record<PoolName, GkeNodePoolSpec>;
  /** Sizes and redundancy. */
  readonly profile: Profile;
  /**
   * Let `cdktf destroy` delete the cluster, databases, buckets and the DNS zone. Meant for labs and CI.
   * @default false - deletion protection on, and Terraform `prevent_destroy` on every stateful resource
   */
  readonly allowDestroy?: boolean;
}

/** The StorageClass components put their volumes on: pd-balanced through the CSI driver (encrypted at rest by Google). */
const GKE_STORAGE_CLASS = "pd-balanced";

/**
 * How long destroy waits, once the platform's releases are gone, before the node pools, cluster and
 * network go: GKE's service controller deletes the forwarding rule, backend service, health check
 * and firewall rules of Traefik's LoadBalancer asynchronously, and needs the cluster to do it; a
 * forwarding rule left behind keeps the subnet and VPC from being deleted.
 */
export const LOAD_BALANCER_TEARDOWN = "120s";

/**
 * The GCP foundation: VPC, private GKE with workload identity, Cloud SQL, GCS, Cloud DNS and
 * Secret Manager, as the PlatformContext components install on. One stack, one apply.
 */
export class GkeFoundation extends Construct implements PlatformContext {
  readonly cloud = "gcp";
  readonly cluster: ClusterAccess;
  readonly domain: string;
  readonly profile: Profile;
  readonly storageClass = GKE_STORAGE_CLASS;
  readonly nodePools: { system: Scheduling; workloads: Scheduling; dojo: Scheduling } = poolScheduling();
  readonly loadBalancer: LoadBalancerSpec = {
    serviceType: "LoadBalancer",
    serviceAnnotations: {
      // External passthrough Network Load Balancer on a backend service (not the legacy target pool).
      "cloud.google.com/l4-rbs": "enabled",
    },
    externalTrafficPolicy: "Local",
  };
  readonly certificates: CertificateSpec = { kind: "acme" };
  readonly dns: DnsSpec;
  readonly secretStore: SecretStoreSpec;
  readonly registry: RegistryCapability;
  readonly ready: ITerraformDependable[];

  readonly project: GkeProject;
  readonly network: GkeNetwork;
  readonly controlPlane: GkeControlPlane;
  readonly nodes: GkeNodePools;
  readonly zone: DnsManagedZone;
  /** The GKE cluster's name (`name`, cut to 40 characters if longer). */
  readonly clusterName: string;
  /** Holds destroy until the cloud load balancers are gone (see LOAD_BALANCER_TEARDOWN). */
  readonly teardown: Sleep;
  /** Name servers to delegate the domain to. */
  readonly nameServers: string[];

  private readonly props: GkeFoundationProps;
  private readonly keep: boolean;
  private readonly data: GkeData;
  private readonly artifacts: ArtifactRegistry;

  constructor(scope: Construct, id: string, props: GkeFoundationProps) {
    super(scope, id);
    validateGkeProps(props);
    this.props = props;
    this.domain = props.domain;
    this.profile = props.profile;
    this.keep = !(props.allowDestroy ?? false);

    this.project = new GkeProject(this, "Project", { project: props.project });
    const apis = this.project.ready;
    // One random suffix for names that are global (buckets) or are not freed at once (key rings, SQL instances).
    const suffix = new Id(this, "Suffix", { byteLength: 3 }).hex;

    this.network = new GkeNetwork(this, "Network", {
      name: props.name,
      region: props.region,
      subnetCidr: props.subnetCidr ?? "10.42.0.0/20",
      podsCidr: props.podsCidr ?? "10.44.0.0/14",
      servicesCidr: props.servicesCidr ?? "10.48.0.0/20",
      privateServicesCidr: props.privateServicesCidr ?? "10.50.0.0/20",
      dependsOn: apis,
    });
    const nodeIdentity = new GkeNodeIdentity(this, "NodeIdentity", { name: props.name, project: props.project, dependsOn: apis });
    this.controlPlane = new GkeControlPlane(this, "ControlPlane", {
      name: props.name,
      project: props.project,
      projectNumber: this.project.number,
      region: props.region,
      kubernetesVersion: props.kubernetesVersion,
      releaseChannel: props.releaseChannel ?? "REGULAR",
      network: this.network.network,
      subnet: this.network.subnet,
      masterCidr: props.masterCidr ?? "172.16.0.0/28",
      apiAllowedCidrs: props.apiAllowedCidrs ?? [],
      apiPrivateCidrs: props.apiPrivateCidrs ?? [],
      nodeServiceAccount: nodeIdentity.account.email,
      suffix,
      keep: this.keep,
      dependsOn: [...apis, ...nodeIdentity.ready],
    });
    const cluster = this.controlPlane.cluster;
    this.clusterName = this.controlPlane.name;
    this.nodes = new GkeNodePools(this, "Nodes", {
      cluster,
      region: props.region,
      serviceAccount: nodeIdentity.account.email,
      pools: props.nodePools,
      dependsOn: [...nodeIdentity.ready, this.network.nat],
    });

    this.data = new GkeData(this, "Data", {
      name: props.name,
      project: props.project,
      region: props.region,
      network: this.network.network,
      privateServicesRange: this.network.privateServicesRange,
      privateServices: this.network.privateServices,
      dependsOn: apis,
      suffix,
      profile: props.profile,
      keep: this.keep,
    });

    this.artifacts = new ArtifactRegistry(this, "Registry", {
      name: props.name,
      project: props.project,
      projectNumber: this.project.number,
      region: props.region,
      keyRing: this.controlPlane.keyRing,
      nodeMember: nodeIdentity.account.member,
      keep: this.keep,
      dependsOn: apis,
    });
    this.registry = this.artifacts.capability;

    this.cluster = {
      name: this.clusterName,
      // With no public endpoint, the providers talk to the private one (run from inside the VPC).
      host: `https://${this.controlPlane.privateEndpoint ? cluster.privateClusterConfig.privateEndpoint : cluster.endpoint}`,
      clusterCaCertificate: Fn.base64decode(cluster.masterAuth.clusterCaCertificate),
      exec: {
        apiVersion: "client.authentication.k8s.io/v1beta1",
        command: "gke-gcloud-auth-plugin",
        // Application Default Credentials, the identity Terraform's google provider uses too.
        args: ["--use_application_default_credentials"],
      },
    };

    // DNS: the zone external-dns writes to.
    const zoneName = fitName(props.name, GCP_NAME_LIMITS.dnsZone);
    this.zone = new DnsManagedZone(this, "Zone", {
      name: zoneName,
      dnsName: `${props.domain}.`,
      description: `Fawkes platform ${props.name}`,
      visibility: "public",
      dnssecConfig: { state: "on" },
      forceDestroy: !this.keep,
      lifecycle: { preventDestroy: this.keep },
      dependsOn: apis,
    });
    this.nameServers = this.zone.nameServers;
    this.dns = {
      provider: "google",
      zone: zoneName,
      extraArgs: [`--google-project=${props.project}`, "--google-zone-visibility=public", `--zone-id-filter=${zoneName}`],
    };
    this.secretStore = {
      // No auth block: the controller's own Kubernetes service account is bound to a Google service
      // account (workloadIdentity({ secrets: "read" })), and the provider falls back to those
      // credentials from the GKE metadata server. `auth.workloadIdentity` would instead mint tokens
      // for a named service account, which needs token-request RBAC and cluster name/location.
      provider: { gcpsm: { projectID: props.project } },
      location: `Google Secret Manager (project ${props.project})`,
    };

    const pools = Object.values(this.nodes.pools);
    const storageClass = new StorageClassV1(this, "StorageClass", {
      // Not marked default: GKE manages its own default (standard-rwo); components name this one.
      metadata: { name: GKE_STORAGE_CLASS },
      storageProvisioner: "pd.csi.storage.gke.io",
      parameters: { type: "pd-balanced" },
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
      reclaimPolicy: this.keep ? "Retain" : "Delete",
      dependsOn: pools,
    });
    // Every helm release waits for `ready`, so on destroy this is deleted after all of them (and
    // Traefik's Service) and before the pools, cluster, NAT and subnet: its destroy is the wait.
    this.teardown = new Sleep(this, "LoadBalancerTeardown", {
      destroyDuration: LOAD_BALANCER_TEARDOWN,
      dependsOn: [...pools, this.network.nat, this.network.subnet, this.controlPlane.webhookFirewall],
    });
    this.ready = [...pools, this.network.nat, storageClass, this.teardown];
  }

  database(scope: Construct, request: DatabaseEngineRequest): DatabaseRef {
    return this.data.database(scope, request);
  }

  postgres(scope: Construct, request: DatabaseRequest): DatabaseRef {
    return this.database(scope, { ...request, engine: "postgres" });
  }

  bucket(scope: Construct, name: string): BucketRef {
    return this.data.bucket(scope, name);
  }

  workloadIdentity(scope: Construct, sa: ServiceAccountRef, grants: Grant[]): WorkloadIdentity {
    const root = new Construct(scope, `Identity-${sa.namespace}-${sa.name}`);
    const { account, binding } = workloadAccount(root, {
      name: this.props.name,
      workloadPool: this.controlPlane.workloadPool,
      sa,
      dependsOn: [...this.project.ready, this.controlPlane.cluster],
    });
    const ready: ITerraformDependable[] = [account, binding];
    grants.forEach((grant, i) => {
      if ("secrets" in grant) {
        ready.push(...this.data.addSecretReader(root, sa, account.member));
      } else if ("dns" in grant) {
        // external-dns lists the project's zones, then edits records in the one it is filtered to.
        ready.push(new ProjectIamMember(root, `DnsWrite${i}`, { project: this.props.project, role: "roles/dns.admin", member: account.member }), this.zone);
      } else if ("registry" in grant) {
        ready.push(...this.artifacts.pushGrant(root, `RegistryPush${i}`, account.member));
      } else {
        ready.push(
          new StorageBucketIamMember(root, `BucketAccess${i}`, {
            bucket: grant.bucket.name,
            role: grant.access === "readwrite" ? "roles/storage.objectAdmin" : "roles/storage.objectViewer",
            member: account.member,
            dependsOn: grant.bucket.dependsOn,
          }),
        );
      }
    });
    return { serviceAccountAnnotations: { [WORKLOAD_IDENTITY_ANNOTATION]: account.email }, podLabels: {}, dependsOn: ready };
  }
}

export function validateGkeProps(p: GkeFoundationProps): void {
  if (!new RegExp(`^[a-z]([a-z0-9-]{0,${MAX_PREFIX - 2}}[a-z0-9])?$`).test(p.name)) {
    throw new Error(
      `GkeFoundationProps.name must be 1-${MAX_PREFIX} characters of a-z, 0-9, "-", starting with a letter and ending with a letter or digit, got "${p.name}"`,
    );
  }
  for (const key of ["apiAllowedCidrs", "apiPrivateCidrs"] as const) {
    for (const cidr of p[key] ?? []) {
      if (cidr.endsWith("/0")) throw new Error(`GkeFoundationProps.${key} must not open the API to the internet, got "${cidr}"`);
    }
  }
  const authorized = (p.apiAllowedCidrs ?? []).length + (p.apiPrivateCidrs ?? []).length;
  // GKE: up to 100 authorized networks on a private cluster (private nodes), 50 on a public one.
  if (authorized > 100)
    throw new Error(
      `GkeFoundationProps.apiAllowedCidrs and apiPrivateCidrs must list at most 100 networks together (GKE's limit for private clusters), got ${authorized}`,
    );
  for (const [pool, spec] of Object.entries(p.nodePools)) {
    if (!(spec.min <= spec.desired && spec.desired <= spec.max)) {
      throw new Error(`GkeFoundationProps.nodePools.${pool} must have min <= desired <= max, got ${spec.min}/${spec.desired}/${spec.max}`);
    }
  }
  const master = p.masterCidr ?? "172.16.0.0/28";
  if (!master.endsWith("/28")) throw new Error(`GkeFoundationProps.masterCidr must be a /28, got "${master}"`);
  const ranges: [string, string][] = [
    ["subnetCidr", p.subnetCidr ?? "10.42.0.0/20"],
    ["podsCidr", p.podsCidr ?? "10.44.0.0/14"],
    ["servicesCidr", p.servicesCidr ?? "10.48.0.0/20"],
    ["masterCidr", master],
    ["privateServicesCidr", p.privateServicesCidr ?? "10.50.0.0/20"],
  ];
  ranges.forEach(([a, ra], i) =>
    ranges.slice(i + 1).forEach(([b, rb]) => {
      if (overlap(ra, rb)) throw new Error(`GkeFoundationProps.${a} and ${b} must not overlap, got "${ra}" and "${rb}"`);
    }),
  );
}

/** Whether two IPv4 CIDRs share an address. */
function overlap(a: string, b: string): boolean {
  const span = (cidr: string): [number, number] => {
    const [ip, bits] = cidr.split("/");
    const start = ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
    const size = 2 ** (32 - Number(bits));
    const base = Math.floor(start / size) * size;
    return [base, base + size - 1];
  };
  const [a0, a1] = span(a);
  const [b0, b1] = span(b);
  return a0 <= b1 && b0 <= a1;
}
