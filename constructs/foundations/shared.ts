import { Construct } from "constructs";
import type { DatabaseEngine, DatabaseEngineRequest, Scheduling } from "../context";

/**
 * Pieces every foundation shares: node pool labels and taints, subnet arithmetic, resource names,
 * and the rules of a database request. Only what is really the same on every cloud lives here.
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

/** Names for cloud resources: `<name>-<environment>`, e.g. `fawkes-dev`. */
export function resourcePrefix(name: string, environment: string): string {
  return `${name}-${environment}`;
}

/** Each engine's port, the same managed or in-cluster. */
export const DATABASE_PORT: Record<DatabaseEngine, number> = { postgres: 5432, mysql: 3306 };
/** First part of a database request's scope id (`Postgres-backstage`, `MySQL-devlake`): part of its Terraform addresses. */
const DATABASE_SCOPE: Record<DatabaseEngine, string> = { postgres: "Postgres", mysql: "MySQL" };
/** RDS limits a MySQL master user name to 16 characters; the same everywhere, so a request works on every foundation. */
const MYSQL_NAME_MAX = 16;

/**
 * A child scope named after a request (`Bucket-loki`), so two requests of one component never
 * collide and addresses say what they are; a second request for the same name fails, saying so.
 */
export function requestScope(scope: Construct, id: string, what: string): Construct {
  if (scope.node.tryFindChild(id)) throw new Error(`${what} is asked for twice under ${scope.node.path}: every request needs its own name`);
  return new Construct(scope, id);
}

/**
 * The database names a foundation has handed out. A name is one database whatever its engine: it
 * names the cloud resources (server, secret), which must not collide.
 */
export class DatabaseNames {
  private readonly taken = new Map<string, DatabaseEngine>();

  /** Checks the request's engine and name, records the name and returns the request's scope. */
  claim(scope: Construct, request: DatabaseEngineRequest): Construct {
    const { name, engine } = request;
    if (!(engine in DATABASE_SCOPE)) throw new Error(`DatabaseRequest.engine must be "postgres" or "mysql", got "${engine}"`);
    if (engine === "mysql" && name.length > MYSQL_NAME_MAX) {
      throw new Error(`DatabaseRequest.name must be at most ${MYSQL_NAME_MAX} characters for mysql (RDS's limit on the user name), got "${name}"`);
    }
    const before = this.taken.get(name);
    if (before) throw new Error(`DatabaseRequest.name must be unique on a platform, got "${name}" twice (${before}, then ${engine})`);
    this.taken.set(name, engine);
    return requestScope(scope, `${DATABASE_SCOPE[engine]}-${name}`, `Database "${name}"`);
  }
}
