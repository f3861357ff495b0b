import type { ContainerCluster } from "@cdktf/provider-google/lib/container-cluster";
import { ContainerNodePool } from "@cdktf/provider-google/lib/container-node-pool";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { DOJO_TAINT, POOL_LABEL, type PoolName } from "../shared";

export interface GkeNodePoolSpec {
  /** Nodes in the whole pool (all zones), not per zone. */
  readonly min: number;
  readonly max: number;
  readonly desired: number;
  readonly machineType: string;
  /** Spot VMs (only sensible for interruptible pools). @default false */
  readonly spot?: boolean;
}

export interface GkeNodePoolsProps {
  readonly cluster: ContainerCluster;
  readonly region: string;
  readonly serviceAccount: string;
  readonly pools: Record<PoolName, GkeNodePoolSpec>;
  /** Boot disk size of every node. @default 50 */
  readonly diskGiB?: number;
  /** Node identity roles and egress (NAT): pulling images needs both. */
  readonly dependsOn: ITerraformDependable[];
}

/** Zones GKE spreads a regional pool over in most regions; only used to size the first nodes. */
const ZONES = 3;

/**
 * Node pools `system`, `workloads` and `dojo`, autoscaled by GKE itself (no cluster-autoscaler to run).
 * Every node: the dedicated service account, GKE metadata server only (pods cannot reach the node's
 * credentials; they use workload identity), shielded VM with secure boot and integrity monitoring,
 * no public IP (private cluster), auto-repair and auto-upgrade on the release channel.
 * The dojo pool is tainted so only lab workloads land there, and scales from zero.
 */
export class GkeNodePools extends Construct {
  readonly pools: Record<PoolName, ContainerNodePool>;

  constructor(scope: Construct, id: string, props: GkeNodePoolsProps) {
    super(scope, id);
    const pool = (name: PoolName, key: string) => {
      const spec = props.pools[name];
      return new ContainerNodePool(this, key, {
        namePrefix: `${name}-`,
        cluster: props.cluster.id,
        location: props.region,
        initialNodeCount: initialPerZone(spec),
        autoscaling: {
          totalMinNodeCount: spec.min,
          totalMaxNodeCount: spec.max,
          // Spot capacity comes from wherever it is available; platform pools stay balanced over zones.
          locationPolicy: spec.spot ? "ANY" : "BALANCED",
        },
        management: { autoRepair: true, autoUpgrade: true },
        upgradeSettings: { maxSurge: 1, maxUnavailable: 0 },
        nodeConfig: {
          machineType: spec.machineType,
          imageType: "COS_CONTAINERD",
          diskType: "pd-balanced",
          diskSizeGb: props.diskGiB ?? 50,
          spot: spec.spot ?? false,
          serviceAccount: props.serviceAccount,
          // Access is decided by the service account's IAM roles, not by legacy scopes.
          oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
          labels: { [POOL_LABEL]: name },
          taint: name === "dojo" ? [{ key: DOJO_TAINT.key, value: DOJO_TAINT.value, effect: "NO_SCHEDULE" }] : undefined,
          workloadMetadataConfig: { mode: "GKE_METADATA" },
          shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
          metadata: { "disable-legacy-endpoints": "true" },
        },
        // Changing the first size would replace the pool; a new pool comes up before the old one goes.
        lifecycle: { ignoreChanges: ["initial_node_count"], createBeforeDestroy: true },
        dependsOn: props.dependsOn,
      });
    };
    this.pools = { system: pool("system", "System"), workloads: pool("workloads", "Workloads"), dojo: pool("dojo", "Dojo") };
  }
}

/**
 * GKE sizes a new regional pool per zone; the autoscaler owns the size afterwards (the totals are
 * what counts). About `desired` in all, never more than `max`; a short pool grows when pods wait.
 */
function initialPerZone(spec: { desired: number; max: number }): number {
  return Math.min(Math.ceil(spec.desired / ZONES), Math.floor(spec.max / ZONES));
}
