import type { Scheduling } from "../context";

/**
 * Pieces every foundation shares: node pool labels and taints, subnet arithmetic, sizes by profile.
 * Only what is really the same on every cloud lives here.
 */

/** Node label that names a node's pool; lab pods select `dojo`, platform pods `system`/`workloads`. */
export const POOL_LABEL = "fawkes.dev/pool";
/** The taint that keeps everything but lab workloads off the dojo pool. */
export const DOJO_TAINT = { key: POOL_LABEL, value: "dojo", effect: "NoSchedule" } as const;

export type PoolName = "system" | "workloads" | "dojo";

/** How pods land on each pool, the same on every foundation. */
export function poolScheduling(): { system: Scheduling; workloads: Scheduling; dojo: Scheduling } {
  return {
    system: { nodeSelector: { [POOL_LABEL]: "system" }, tolerations: [] },
    workloads: { nodeSelector: { [POOL_LABEL]: "workloads" }, tolerations: [] },
    dojo: {
      nodeSelector: { [POOL_LABEL]: "dojo" },
      tolerations: [{ key: DOJO_TAINT.key, operator: "Equal", value: DOJO_TAINT.value, effect: DOJO_TAINT.effect }],
    },
  };
}

/** Terraform's cidrsubnet for IPv4, computed at synth so plans show real ranges. */
export function cidrSubnet(cidr: string, newBits: number, index: number): string {
  const [base, prefixText] = cidr.split("/");
  const prefix = Number(prefixText) + newBits;
  if (prefix > 32) throw new Error(`cidrSubnet: ${cidr} has no room for ${newBits} more bits`);
  if (index >= 2 ** newBits) throw new Error(`cidrSubnet: index ${index} does not fit in ${newBits} bits of ${cidr}`);
  const ip = base.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
  const mask = 2 ** (32 - Number(prefixText));
  const start = Math.floor(ip / mask) * mask + index * 2 ** (32 - prefix);
  const octets = [24, 16, 8, 0].map((s) => Math.floor(start / 2 ** s) % 256);
  return `${octets.join(".")}/${prefix}`;
}

/** Stateful resources are protected unless the config explicitly allows destroying them. */
export function protection(allowDestroy: boolean): { keep: boolean } {
  return { keep: !allowDestroy };
}

/** Names for cloud resources: `<name>-<environment>`, e.g. `fawkes-dev`. */
export function resourcePrefix(name: string, environment: string): string {
  return `${name}-${environment}`;
}
