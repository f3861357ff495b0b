import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { DataAzurermDnsZone } from "@cdktf/provider-azurerm/lib/data-azurerm-dns-zone";
import { DataAzurermResourceGroup } from "@cdktf/provider-azurerm/lib/data-azurerm-resource-group";
import { DnsZone } from "@cdktf/provider-azurerm/lib/dns-zone";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { StorageClassV1 } from "@cdktf/provider-kubernetes/lib/storage-class-v1";
import { StringResource } from "@cdktf/provider-random/lib/string-resource";
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
import { AksControlPlane } from "./cluster";
import { AksData, RBAC_PROPAGATION } from "./data";
import { CLIENT_ID_ANNOTATION, USE_LABEL, workloadIdentity, type RoleGrant } from "./identity";
import { AksNetwork, POD_CIDR, SERVICE_CIDR } from "./network";
import { AksNodePools, SPOT_TOLERATION, systemPool, type AksNodePoolSpec } from "./nodes";
import { AcrRegistry } from "./registry";

export interface AksFoundationProps {
  /** Cluster name and prefix of every resource name, e.g. `fawkes-dev`. */
  readonly name: string;
  /** Azure region, e.g. `westeurope`. */
  readonly location: string;
  /** Platform domain; an Azure DNS zone for it is created unless `dnsZoneResourceGroup` is given. */
  readonly domain: string;
  /** Kubernetes minor version, e.g. "1.33". */
  readonly kubernetesVersion: string;
  /** @default "10.41.0.0/16" */
  readonly vnetCidr?: string;
  /**
   * Networks allowed to reach the API server (and the Key Vault, which Terraform writes to); may hold
   * plan-time tokens such as the deployer's `<address>/32`.
   * @default [] - a private cluster: deploy from inside the VNet (VPN, bastion, CI runner)
   */
  readonly apiAllowedCidrs?: string[];
  /**
   * Private networks (VPN, peered VNets) that reach a private cluster (`apiAllowedCidrs` empty).
   * AKS has no allow-list on the private endpoint, so these do not filter: when any are listed the
   * API server also gets a public DNS name resolving to its private address, which such clients can
   * resolve (the private zone is linked to the cluster's VNet only). Ignored for a public cluster.
   * @default [] - only the VNet (and whatever links the private DNS zone) reaches a private cluster
   */
  readonly apiPrivateCidrs?: string[];
  /** Entra ID groups whose members are cluster admins, besides the deploying identity. @default [] */
  readonly adminGroupObjectIds?: string[];
  readonly nodePools: Record<PoolName, AksNodePoolSpec>;
  /**
   * Resource group of an existing Azure DNS zone named `domain`, used instead of creating one.
   * @default - a zone is created in its own resource group `<name>-dns`
   */
  readonly dnsZoneResourceGroup?: string;
  /**
   * Availability zones for nodes, the standard profile's zone-redundant databases and ZRS storage.
   * @default ["1", "2", "3"] - set [] in a region without zones
   */
  readonly zones?: string[];
  /**
   * Encryption at host for every node (temp disks, caches, disk traffic). Needs the subscription
   * feature `Microsoft.Compute/EncryptionAtHost` registered once.
   * @default true
   */
  readonly encryptionAtHost?: boolean;
  /** Sizes and redundancy. */
  readonly profile: Profile;
  /**
   * Let `cdktf destroy` delete the cluster, databases, vault and storage. Flips only protection:
   * `prevent_destroy`, the CanNotDelete locks, the StorageClass reclaim policy. Key Vault purge
   * protection stays on either way (it cannot be turned off); destroy soft-deletes the vault.
   * @default false - Terraform `prevent_destroy` and Azure CanNotDelete locks on every stateful resource
   */
  readonly allowDestroy?: boolean;
  /** Tags on every Azure resource. @default {} */
  readonly tags?: Record<string, string>;
}

/** Premium SSD with volume expansion; Azure encrypts every managed disk at rest. */
const AKS_STORAGE_CLASS = "fawkes-premium";
/** Entra ID application of the AKS API server: the audience of kubelogin tokens. */
const AKS_SERVER_APP_ID = "6dae42f8-4368-4678-94ff-3960e28e3630";

/**
 * The Azure foundation: VNet, AKS with Entra ID and workload identity, Key Vault, managed
 * PostgreSQL, Blob storage and Azure DNS, as the PlatformContext components install on. One stack,
 * one apply.
 */
export class AksFoundation extends Construct implements PlatformContext {
  readonly cloud = "azure";
  readonly cluster: ClusterAccess;
  readonly domain: string;
  readonly profile: Profile;
  readonly storageClass = AKS_STORAGE_CLASS;
  readonly nodePools: { system: Scheduling; workloads: Scheduling; dojo: Scheduling };
  readonly loadBalancer: LoadBalancerSpec = {
    serviceType: "LoadBalancer",
    // A public Standard Load Balancer. With externalTrafficPolicy Local, Azure probes each node's
    // health-check node port (HTTP /healthz, served by Cilium) and that probe takes precedence over
    // the probe annotations: Traefik's HTTP->HTTPS redirect on :80 never fails a probe, so none is set.
    serviceAnnotations: {},
    externalTrafficPolicy: "Local",
  };
  readonly certificates: CertificateSpec = { kind: "acme" };
  readonly dns: DnsSpec;
  readonly secretStore: SecretStoreSpec;
  readonly registry: RegistryCapability;
  readonly ready: ITerraformDependable[];

  readonly resourceGroup: ResourceGroup;
  readonly network: AksNetwork;
  readonly controlPlane: AksControlPlane;
  readonly nodes: AksNodePools;
  readonly data: AksData;
  readonly acr: AcrRegistry;
  /** Name servers to delegate the domain to (when the zone is created here). */
  readonly nameServers?: string[];
  readonly dnsZoneId: string;

  private readonly props: AksFoundationProps;
  private readonly tags: Record<string, string>;
  private readonly dnsResourceGroupId: string;

  constructor(scope: Construct, id: string, props: AksFoundationProps) {
    super(scope, id);
    validateAksProps(props);
    this.props = props;
    this.domain = props.domain;
    this.profile = props.profile;
    this.tags = props.tags ?? {};
    const keep = !(props.allowDestroy ?? false);
    const zones = props.zones ?? ["1", "2", "3"];
    const tags = this.tags;
    const client = new DataAzurermClientConfig(this, "Client");
    // Globally unique names (vault, storage account, servers) get this; kept in state, so stable.
    const suffix = new StringResource(this, "NameSuffix", { length: 5, special: false, upper: false, numeric: true, lower: true }).result;

    this.resourceGroup = new ResourceGroup(this, "ResourceGroup", {
      name: props.name,
      location: props.location,
      tags,
      lifecycle: { preventDestroy: keep },
    });
    const rg = { resourceGroupName: this.resourceGroup.name, location: this.resourceGroup.location };

    this.network = new AksNetwork(this, "Network", { name: props.name, ...rg, cidr: props.vnetCidr ?? "10.41.0.0/16", tags });
    const poolDefaults = {
      subnetId: this.network.nodes.id,
      kubernetesVersion: props.kubernetesVersion,
      zones,
      hostEncryption: props.encryptionAtHost ?? true,
      tags,
    };
    this.controlPlane = new AksControlPlane(this, "ControlPlane", {
      name: props.name,
      ...rg,
      resourceGroupId: this.resourceGroup.id,
      kubernetesVersion: props.kubernetesVersion,
      vnetId: this.network.vnet.id,
      defaultNodePool: systemPool(props.nodePools.system, poolDefaults),
      apiAllowedCidrs: props.apiAllowedCidrs ?? [],
      apiPrivateCidrs: props.apiPrivateCidrs ?? [],
      adminGroupObjectIds: props.adminGroupObjectIds ?? [],
      tenantId: client.tenantId,
      deployerObjectId: client.objectId,
      standardTier: props.profile === "standard",
      keep,
      logRetentionDays: props.profile === "standard" ? 365 : 90,
      tags,
    });
    const cluster = this.controlPlane.cluster;
    this.nodes = new AksNodePools(this, "Nodes", {
      clusterId: cluster.id,
      pools: { workloads: props.nodePools.workloads, dojo: props.nodePools.dojo },
      defaults: poolDefaults,
    });
    const scheduling = poolScheduling();
    this.nodePools = props.nodePools.dojo.spot
      ? { ...scheduling, dojo: { ...scheduling.dojo, tolerations: [...scheduling.dojo.tolerations, SPOT_TOLERATION] } }
      : scheduling;

    this.data = new AksData(this, "Data", {
      name: props.name,
      suffix,
      ...rg,
      tenantId: client.tenantId,
      deployerObjectId: client.objectId,
      network: this.network,
      logs: this.controlPlane.logs,
      allowedCidrs: props.apiAllowedCidrs ?? [],
      zones,
      profile: props.profile,
      keep,
      tags,
    });

    this.acr = new AcrRegistry(this, "Registry", {
      name: props.name,
      suffix,
      ...rg,
      network: this.network,
      kubeletObjectId: cluster.kubeletIdentity.objectId,
      zones,
      keep,
      tags,
    });
    this.registry = this.acr.capability;

    const kubeConfig = cluster.kubeConfig.get(0);
    this.cluster = {
      name: props.name,
      // The kubeconfig names the private FQDN, which only the cluster's VNet resolves; with private
      // networks configured Terraform may run from one of them, so it uses the public name instead.
      host: this.controlPlane.publicFqdn ? `https://${cluster.fqdn}:443` : kubeConfig.host,
      clusterCaCertificate: Fn.base64decode(kubeConfig.clusterCaCertificate),
      // Entra ID token of the Azure CLI's signed-in identity (local accounts are disabled).
      exec: {
        apiVersion: "client.authentication.k8s.io/v1beta1",
        command: "kubelogin",
        args: ["get-token", "--login", "azurecli", "--server-id", AKS_SERVER_APP_ID],
      },
    };

    // DNS: the zone external-dns writes to, in a resource group of its own, because external-dns
    // needs Reader on the zone's resource group to list zones.
    if (props.dnsZoneResourceGroup) {
      const zone = new DataAzurermDnsZone(this, "Zone", { name: props.domain, resourceGroupName: props.dnsZoneResourceGroup });
      this.dnsZoneId = zone.id;
      this.dnsResourceGroupId = new DataAzurermResourceGroup(this, "ZoneResourceGroup", { name: props.dnsZoneResourceGroup }).id;
    } else {
      const dnsGroup = new ResourceGroup(this, "ZoneResourceGroup", {
        name: `${props.name}-dns`,
        location: props.location,
        tags,
        lifecycle: { preventDestroy: keep },
      });
      const zone = new DnsZone(this, "Zone", { name: props.domain, resourceGroupName: dnsGroup.name, tags, lifecycle: { preventDestroy: keep } });
      this.dnsZoneId = zone.id;
      this.dnsResourceGroupId = dnsGroup.id;
      this.nameServers = zone.nameServers;
    }
    const dnsResourceGroup = props.dnsZoneResourceGroup ?? `${props.name}-dns`;
    this.dns = {
      provider: "azure",
      zone: this.dnsZoneId,
      extraArgs: [`--azure-resource-group=${dnsResourceGroup}`, `--azure-subscription-id=${client.subscriptionId}`],
      // external-dns' Azure provider insists on a config file; this one only turns on workload identity.
      configFile: {
        mountPath: "/etc/kubernetes",
        fileName: "azure.json",
        content: JSON.stringify({
          tenantId: client.tenantId,
          subscriptionId: client.subscriptionId,
          resourceGroup: dnsResourceGroup,
          useWorkloadIdentityExtension: true,
        }),
      },
    };
    this.secretStore = {
      // The controller's own workload identity (its pod carries the label and the webhook's env):
      // see workloadIdentity({ secrets: "read" }).
      provider: { azurekv: { authType: "WorkloadIdentity", vaultUrl: this.data.vault.vaultUri } },
      location: `Azure Key Vault (${props.location})`,
    };

    // Role assignments reach the API server's authorization webhook after a delay (RBAC_PROPAGATION
    // says why a wait and why this long). The assignment does not wait for the cluster, so neither
    // does this: both overlap cluster creation. Replacing the assignment waits again.
    const propagation = new Sleep(this, "AccessPropagation", {
      createDuration: RBAC_PROPAGATION,
      triggers: Object.fromEntries(this.controlPlane.access.map((a, i) => [`assignment${i}`, a.id])),
      dependsOn: this.controlPlane.access,
    });
    const storageClass = new StorageClassV1(this, "StorageClass", {
      // Not marked default: AKS keeps its own `default` class, and two defaults are ambiguous.
      metadata: { name: AKS_STORAGE_CLASS },
      storageProvisioner: "disk.csi.azure.com",
      parameters: { skuName: "Premium_LRS", cachingMode: "ReadOnly" },
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
      reclaimPolicy: keep ? "Retain" : "Delete",
      dependsOn: [propagation, ...Object.values(this.nodes.pools)],
    });
    // Destroy runs in reverse: releases first (their Services' load balancer rules and public IPs,
    // their volumes), then this wait, then node pools, cluster and network. The cloud controller and
    // the disk CSI driver run on the cluster, so they get two minutes to release Azure resources
    // while it still exists; otherwise a subnet or the node resource group can still be in use.
    const teardown = new Sleep(this, "NetworkTeardown", {
      destroyDuration: "120s",
      dependsOn: [this.network.vnet, this.network.nodes, this.network.databases, this.network.privateEndpoints, cluster, ...Object.values(this.nodes.pools)],
    });
    this.ready = [...this.controlPlane.access, propagation, ...Object.values(this.nodes.pools), storageClass, teardown];
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
    const { identity, ready } = workloadIdentity(scope, `Identity-${sa.namespace}-${sa.name}`, {
      name: this.props.name,
      resourceGroupName: this.resourceGroup.name,
      location: this.resourceGroup.location,
      issuer: this.controlPlane.cluster.oidcIssuerUrl,
      sa,
      roles: grants.flatMap((g) => this.rolesFor(g)),
      tags: this.tags,
    });
    return {
      serviceAccountAnnotations: { [CLIENT_ID_ANNOTATION]: identity.clientId },
      podLabels: { [USE_LABEL]: "true" },
      dependsOn: ready,
    };
  }

  private rolesFor(grant: Grant): RoleGrant[] {
    if ("secrets" in grant) return [{ role: "Key Vault Secrets User", scope: this.data.vault.id }];
    if ("dns" in grant) {
      return [
        { role: "DNS Zone Contributor", scope: this.dnsZoneId },
        // external-dns lists the zones of the resource group (ListByResourceGroup).
        { role: "Reader", scope: this.dnsResourceGroupId },
      ];
    }
    if ("registry" in grant) return this.acr.pushRoles();
    const role = grant.access === "readwrite" ? "Storage Blob Data Contributor" : "Storage Blob Data Reader";
    return [{ role, scope: this.data.container(grant.bucket).id }];
  }
}

export function validateAksProps(p: AksFoundationProps): void {
  if (!/^[a-z][a-z0-9-]{0,39}[a-z0-9]$/.test(p.name)) throw new Error(`AksFoundationProps.name must be 2-41 characters of a-z, 0-9, "-", got "${p.name}"`);
  for (const cidr of p.apiAllowedCidrs ?? []) {
    if (cidr.endsWith("/0")) throw new Error(`AksFoundationProps.apiAllowedCidrs must not open the API to the internet, got "${cidr}"`);
  }
  const vnet = p.vnetCidr ?? "10.41.0.0/16";
  if (Number(vnet.split("/")[1]) > 20) throw new Error(`AksFoundationProps.vnetCidr must be a /20 or larger, got "${vnet}"`);
  for (const [what, range] of [
    ["pod", POD_CIDR],
    ["service", SERVICE_CIDR],
  ]) {
    if (overlaps(vnet, range)) throw new Error(`AksFoundationProps.vnetCidr must not overlap the ${what} range ${range}, got "${vnet}"`);
  }
  for (const [pool, spec] of Object.entries(p.nodePools)) {
    if (!(spec.min <= spec.desired && spec.desired <= spec.max)) {
      throw new Error(`AksFoundationProps.nodePools.${pool} must have min <= desired <= max, got ${spec.min}/${spec.desired}/${spec.max}`);
    }
  }
  if (p.nodePools.system.min < 1)
    throw new Error(`AksFoundationProps.nodePools.system.min must be at least 1 (AKS needs a system node), got ${p.nodePools.system.min}`);
  if (p.nodePools.system.spot) throw new Error("AksFoundationProps.nodePools.system.spot must be false: the default node pool cannot use Spot VMs");
  for (const z of p.zones ?? []) if (!/^[1-3]$/.test(z)) throw new Error(`AksFoundationProps.zones must be "1", "2" or "3", got "${z}"`);
  // Zone-redundant HA puts the standby in the second zone: it must differ from the primary (the first).
  const zones = p.zones ?? [];
  if (new Set(zones).size !== zones.length) throw new Error(`AksFoundationProps.zones must be distinct, got ${JSON.stringify(zones)}`);
  for (const cidr of p.apiPrivateCidrs ?? []) {
    if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(cidr)) throw new Error(`AksFoundationProps.apiPrivateCidrs must be IPv4 CIDRs, got "${cidr}"`);
    // A network that overlaps the VNet cannot be peered or routed to it.
    if (overlaps(cidr, vnet)) throw new Error(`AksFoundationProps.apiPrivateCidrs must not overlap vnetCidr ${vnet}, got "${cidr}"`);
  }
}

function overlaps(a: string, b: string): boolean {
  const range = (cidr: string) => {
    const [ip, prefix] = cidr.split("/");
    const start = ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
    const size = 2 ** (32 - Number(prefix));
    const first = Math.floor(start / size) * size;
    return [first, first + size - 1];
  };
  const [a0, a1] = range(a);
  const [b0, b1] = range(b);
  return a0 <= b1 && b0 <= a1;
}
