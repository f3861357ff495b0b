/**
 * A rough estimate of how long `cdktf deploy` takes on an empty account: the longest path through the
 * synthesized stack's dependency graph (`depends_on` plus the references Terraform infers from
 * `${type.name...}` expressions, provider blocks included), each resource weighted by a typical
 * create time. Terraform runs independent resources in parallel (10 at a time), so the critical path
 * is what bounds an apply; it is an estimate from published typical times, not a measurement.
 */

/** Typical create times in seconds, per resource type (clouds' documented or commonly observed times). */
export const CREATE_SECONDS: Readonly<Record<string, number>> = {
  // AWS
  aws_eks_cluster: 600,
  aws_eks_node_group: 240,
  aws_eks_addon: 60,
  aws_db_instance: 480, // Multi-AZ: MULTI_AZ_DB_SECONDS
  aws_nat_gateway: 120,
  aws_route53_zone: 45,
  aws_kms_key: 15,
  aws_iam_role: 5,
  // Azure
  azurerm_kubernetes_cluster: 480,
  azurerm_kubernetes_cluster_node_pool: 240,
  azurerm_postgresql_flexible_server: 480, // zone-redundant HA: HA_FLEXIBLE_SERVER_SECONDS
  azurerm_key_vault: 180,
  azurerm_private_endpoint: 60,
  azurerm_private_dns_zone: 45,
  azurerm_log_analytics_workspace: 60,
  azurerm_storage_account: 45,
  // GCP
  google_container_cluster: 600,
  google_container_node_pool: 240,
  google_sql_database_instance: 720,
  google_service_networking_connection: 90,
  google_compute_router_nat: 60,
  google_project_service: 30,
  google_kms_key_ring: 10,
  google_dns_managed_zone: 15,
};
/** Anything not in the table: most API objects are created in seconds. */
export const DEFAULT_SECONDS = 10;
export const MULTI_AZ_DB_SECONDS = 900;
export const HA_FLEXIBLE_SERVER_SECONDS = 900;
/** A `fawkes-manifests` release without a Job: custom resources, nothing for Helm to wait on. */
export const MANIFESTS_SECONDS = 15;

/** One resource or data source in the graph. */
export interface GraphNode {
  readonly seconds: number;
  /** Addresses this one waits for. */
  readonly deps: readonly string[];
}

export interface CriticalPath {
  readonly seconds: number;
  /** Addresses from the first resource to the last. */
  readonly path: string[];
}

/**
 * When each node is done if everything starts as soon as what it waits for is done: its own time
 * plus the latest finish among its dependencies, and which dependency that was. Throws on a cycle.
 */
export function finishTimes(graph: ReadonlyMap<string, GraphNode>): Map<string, { seconds: number; via?: string }> {
  const finish = new Map<string, { seconds: number; via?: string }>();
  const visiting = new Set<string>();
  const visit = (address: string): number => {
    const done = finish.get(address);
    if (done) return done.seconds;
    if (visiting.has(address)) throw new Error(`finishTimes: dependency cycle through ${address}`);
    visiting.add(address);
    let best = 0;
    let via: string | undefined;
    // Unknown addresses (outputs, modules) add nothing.
    for (const dep of graph.get(address)!.deps) {
      if (!graph.has(dep) || dep === address) continue;
      const t = visit(dep);
      if (via === undefined || t > best) [best, via] = [t, dep];
    }
    visiting.delete(address);
    const seconds = best + graph.get(address)!.seconds;
    finish.set(address, { seconds, via });
    return seconds;
  };
  for (const address of graph.keys()) visit(address);
  return finish;
}

/** The longest (heaviest) path through a DAG: what bounds the apply, however parallel the rest. */
export function longestPath(graph: ReadonlyMap<string, GraphNode>): CriticalPath {
  const finish = finishTimes(graph);
  let end: string | undefined;
  for (const [address, { seconds }] of finish) if (end === undefined || seconds > finish.get(end)!.seconds) end = address;
  const path: string[] = [];
  for (let at = end; at !== undefined; at = finish.get(at)!.via) path.unshift(at);
  return { seconds: end === undefined ? 0 : finish.get(end)!.seconds, path };
}

/** Every string in a value, for reference scans. */
function* stringsIn(v: unknown): Generator<string> {
  if (typeof v === "string") yield v;
  else if (v && typeof v === "object") for (const x of Object.values(v)) yield* stringsIn(x);
}

const REFERENCE = /\b(?:data\.)?[a-z][a-z0-9_]*\.[A-Za-z_][A-Za-z0-9_-]*/g;

/** Addresses (of `known`) that the expressions in `v` refer to. */
function referencesIn(v: unknown, known: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  for (const s of stringsIn(v)) {
    if (!s.includes("${")) continue;
    for (const m of s.match(REFERENCE) ?? []) if (known.has(m)) out.add(m);
  }
  return [...out];
}

/** Create time of one resource, from its type and, where it matters, its settings. */
export function createSeconds(type: string, body: any): number {
  // A sleep with only a destroy_duration is created at once.
  if (type === "time_sleep") return durationSeconds(body.create_duration) ?? 0;
  if (type === "aws_db_instance" && body.multi_az === true) return MULTI_AZ_DB_SECONDS;
  if (type === "azurerm_postgresql_flexible_server" && body.high_availability) return HA_FLEXIBLE_SERVER_SECONDS;
  if (type === "helm_release") {
    const local = typeof body.chart === "string" && body.chart.includes("/Chart-fawkes-manifests/");
    const values = (body.values ?? []).join("\n");
    // Helm waits for pods and Jobs, not for custom resources: a release of CRs is applied in seconds.
    if (local && !/^\s*kind: Job\s*$/m.test(values)) return MANIFESTS_SECONDS;
    // A chart typically becomes ready in a fifth of the timeout it is given.
    return Math.round((body.timeout ?? 300) / 5);
  }
  return CREATE_SECONDS[type] ?? DEFAULT_SECONDS;
}

/** "90s", "5m", "1m30s" as seconds. */
function durationSeconds(d: unknown): number | undefined {
  if (typeof d !== "string") return undefined;
  const parts = [...d.matchAll(/(\d+(?:\.\d+)?)(h|m|s)/g)];
  if (parts.length === 0) return undefined;
  return parts.reduce((n, [, v, unit]) => n + Number(v) * (unit === "h" ? 3600 : unit === "m" ? 60 : 1), 0);
}

/** The dependency graph of a synthesized stack (cdk.tf.json): resources and data sources. */
export function applyGraph(tf: any): Map<string, GraphNode> {
  const bodies = new Map<string, { type: string; body: any; data: boolean }>();
  for (const [type, byName] of Object.entries<Record<string, any>>(tf.resource ?? {})) {
    for (const [name, body] of Object.entries(byName)) bodies.set(`${type}.${name}`, { type, body, data: false });
  }
  for (const [type, byName] of Object.entries<Record<string, any>>(tf.data ?? {})) {
    for (const [name, body] of Object.entries(byName)) bodies.set(`data.${type}.${name}`, { type, body, data: true });
  }
  const known = new Set(bodies.keys());
  // A resource also waits for whatever its provider's configuration refers to (the cluster endpoint).
  const providerRefs = new Map<string, string[]>();
  for (const [name, configs] of Object.entries<any[]>(tf.provider ?? {})) {
    for (const config of configs) providerRefs.set(config.alias ? `${name}.${config.alias}` : name, referencesIn(config, known));
  }
  const graph = new Map<string, GraphNode>();
  for (const [address, { type, body, data }] of bodies) {
    const provider = typeof body.provider === "string" ? body.provider : type.split("_")[0];
    const { depends_on: dependsOn, ...rest } = body;
    const deps = new Set<string>([...((dependsOn as string[] | undefined) ?? []), ...referencesIn(rest, known), ...(providerRefs.get(provider) ?? [])]);
    deps.delete(address);
    graph.set(address, { seconds: data ? 0 : createSeconds(type, body), deps: [...deps] });
  }
  return graph;
}

/** The estimated critical path of applying a synthesized stack. */
export function estimateApply(tf: any): CriticalPath {
  return longestPath(applyGraph(tf));
}

/**
 * A short label for an address on the path: helm releases by release name, other resources by type
 * without the provider prefix (`eks_cluster`).
 */
export function pathLabel(tf: any, address: string): string {
  const [type, name] = address.split(".");
  if (type === "helm_release") return tf.resource?.helm_release?.[name]?.name ?? name;
  return type
    .replace(/^(aws|azurerm|google|kubernetes|random|time)_/, "")
    .replace(/_v1$/, "")
    .replace(/_/g, " ");
}

/** One summary line: `≈ 31 min (critical path: vpc → eks cluster → …)`, listing steps of a minute or more. */
export function describeEstimate(tf: any): string {
  const graph = applyGraph(tf);
  const { seconds, path } = longestPath(graph);
  const steps = path.filter((a) => graph.get(a)!.seconds >= 60).map((a) => pathLabel(tf, a));
  return `estimated apply ≈ ${Math.round(seconds / 60)} min (critical path: ${steps.join(" → ") || "none over a minute"})`;
}
