import type { KubernetesClusterDefaultNodePool } from "@cdktf/provider-azurerm/lib/kubernetes-cluster";
import { KubernetesClusterNodePool } from "@cdktf/provider-azurerm/lib/kubernetes-cluster-node-pool";
import { Construct } from "constructs";
import type { Toleration } from "../../context";
import { DOJO_TAINT, POOL_LABEL, type PoolName } from "../shared";

export interface AksNodePoolSpec {
  readonly min: number;
  readonly max: number;
  readonly desired: number;
  /** VM size, e.g. `Standard_D4s_v5`. */
  readonly vmSize: string;
  /** Spot priority (only sensible for interruptible pools). @default false */
  readonly spot?: boolean;
}

/** Settings every pool shares. */
export interface AksPoolDefaults {
  readonly subnetId: string;
  readonly kubernetesVersion: string;
  /** Availability zones the pool spreads over; empty in a region without zones. */
  readonly zones: string[];
  /** Encrypt temp disks, caches and OS/data disk flows at the VM host. */
  readonly hostEncryption: boolean;
  readonly tags: Record<string, string>;
}

/** The label and taint AKS puts on Spot nodes; pools must declare them (or Terraform sees drift), pods must tolerate them. */
const SPOT_LABEL = "kubernetes.azure.com/scalesetpriority";
export const SPOT_TOLERATION: Toleration = { key: SPOT_LABEL, operator: "Equal", value: "spot", effect: "NoSchedule" };

/** OS of every node: Microsoft's minimal, hardened AKS image. */
const NODE_OS_SKU = "AzureLinux";

/** What every pool shares: size, subnet, version, OS, zones, autoscaling, host encryption, no public IPs. */
function commonPoolSettings(spec: AksNodePoolSpec, d: AksPoolDefaults) {
  return {
    vmSize: spec.vmSize,
    vnetSubnetId: d.subnetId,
    orchestratorVersion: d.kubernetesVersion,
    osSku: NODE_OS_SKU,
    zones: d.zones.length > 0 ? d.zones : undefined,
    autoScalingEnabled: true,
    minCount: spec.min,
    maxCount: spec.max,
    nodeCount: spec.desired,
    hostEncryptionEnabled: d.hostEncryption,
    nodePublicIpEnabled: false,
  } as const;
}

/**
 * The `system` pool: the cluster's default (System-mode) pool, where AKS add-ons and the platform's
 * own controllers run. Not `only_critical_addons`: platform system pods (ingress, cert-manager,
 * external-dns, external-secrets) select it by its `fawkes.dev/pool=system` label.
 */
export function systemPool(spec: AksNodePoolSpec, d: AksPoolDefaults): KubernetesClusterDefaultNodePool {
  return {
    name: "system",
    temporaryNameForRotation: "systemtmp",
    ...commonPoolSettings(spec, d),
    onlyCriticalAddonsEnabled: false,
    nodeLabels: { [POOL_LABEL]: "system" },
    upgradeSettings: { maxSurge: "10%" },
    tags: d.tags,
  };
}

export interface AksNodePoolsProps {
  readonly clusterId: string;
  readonly pools: Record<Exclude<PoolName, "system">, AksNodePoolSpec>;
  readonly defaults: AksPoolDefaults;
}

/**
 * The User-mode pools `workloads` and `dojo`, scaled by AKS's managed cluster autoscaler. The dojo
 * pool is tainted so only lab workloads land there, scales from zero, and may run on Spot VMs.
 */
export class AksNodePools extends Construct {
  readonly pools: Record<Exclude<PoolName, "system">, KubernetesClusterNodePool>;

  constructor(scope: Construct, id: string, props: AksNodePoolsProps) {
    super(scope, id);
    const d = props.defaults;
    const pool = (cid: string, name: Exclude<PoolName, "system">) => {
      const spec = props.pools[name];
      const spot = spec.spot ?? false;
      const taints = name === "dojo" ? [`${DOJO_TAINT.key}=${DOJO_TAINT.value}:${DOJO_TAINT.effect}`] : [];
      if (spot) taints.push(`${SPOT_TOLERATION.key}=${SPOT_TOLERATION.value}:${SPOT_TOLERATION.effect}`);
      return new KubernetesClusterNodePool(this, cid, {
        name,
        kubernetesClusterId: props.clusterId,
        mode: "User",
        ...commonPoolSettings(spec, d),
        nodeLabels: { [POOL_LABEL]: name, ...(spot ? { [SPOT_LABEL]: "spot" } : {}) },
        nodeTaints: taints.length > 0 ? taints : undefined,
        priority: spot ? "Spot" : "Regular",
        evictionPolicy: spot ? "Delete" : undefined,
        // -1: pay up to the on-demand price, so nodes are only evicted for capacity, never for price.
        spotMaxPrice: spot ? -1 : undefined,
        // Spot pools take no surge settings (AKS rejects them).
        upgradeSettings: spot ? undefined : { maxSurge: "10%" },
        temporaryNameForRotation: `${name.slice(0, 8)}tmp`,
        tags: d.tags,
        // The autoscaler owns the node count after the first apply.
        lifecycle: { ignoreChanges: ["node_count"] },
      });
    };
    this.pools = { workloads: pool("Workloads", "workloads"), dojo: pool("Dojo", "dojo") };
  }
}
