import { createHash } from "node:crypto";

/**
 * The longest prefix (`<name>-<environment>`) the foundation takes: what the config accepts (two
 * DNS labels of up to 20 characters). Every name below stays valid for every such prefix.
 */
export const MAX_PREFIX = 41;

/** Google's limits on the names the foundation sends (characters). */
export const GCP_NAME_LIMITS = {
  /** GKE cluster: 1-40, a letter first, a letter or digit last. */
  cluster: 40,
  /** GKE node pool: 1-40; the provider adds 26 characters to `name_prefix`. */
  nodePool: 40,
  /** Compute resources (network, subnet, router, NAT, firewall, global address): RFC 1035, 1-63. */
  compute: 63,
  /** Cloud DNS managed zone: 1-63, a letter first. */
  dnsZone: 63,
  /** GCS bucket: 3-63, no "goog" prefix, no "google" (or a look-alike) anywhere. */
  bucket: 63,
  /** Cloud SQL instance: `<project>:<instance>` at most 98; Google recommends an instance id of at most 84. */
  sqlInstance: 84,
  sqlInstanceWithProject: 98,
  /** Cloud KMS key ring and key: 1-63 of [a-zA-Z0-9_-]. */
  kms: 63,
} as const;

/** Characters `name_prefix` gets from the provider (a timestamp and a counter). */
export const NODE_POOL_SUFFIX = 26;
/** Characters of the foundation's random suffix (`random_id`, 3 bytes, hex). */
export const RANDOM_SUFFIX = 6;

/**
 * `name` if it fits in `max`; otherwise a readable cut of it (no trailing hyphen) plus a hash of
 * the whole name, so two long names that share a beginning still differ. Names that fit are never
 * changed: renaming a live cluster or network replaces it.
 */
export function fitName(name: string, max: number): string {
  if (name.length <= max) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 6);
  return `${name.slice(0, max - hash.length - 1).replace(/-+$/, "")}-${hash}`;
}

/**
 * A bucket name: `<prefix>-<bucket>-<suffix>` within 63 characters. Bucket names are global and
 * Google refuses ones that begin with "goog" or contain "google" or a look-alike ("g00gle"), so
 * those words become "gcp"; a prefix that still begins with "goog" gets "b-" in front.
 */
export function bucketName(prefix: string, bucket: string, suffix: string): string {
  let readable = `${prefix}-${bucket}`.replace(/g[o0]{2}g[l1]e/g, "gcp");
  if (readable.startsWith("goog")) readable = `b-${readable}`;
  return `${fitName(readable, GCP_NAME_LIMITS.bucket - RANDOM_SUFFIX - 1)}-${suffix}`;
}

/**
 * A Cloud SQL instance name: `<prefix>-<database>-<suffix>`, short enough that `<project>:<name>`
 * fits in 98 characters and the name in the 84 Google recommends.
 */
export function sqlInstanceName(prefix: string, database: string, suffix: string, project: string): string {
  const max = Math.min(GCP_NAME_LIMITS.sqlInstance, GCP_NAME_LIMITS.sqlInstanceWithProject - project.length - 1);
  return `${fitName(`${prefix}-${database}`, max - RANDOM_SUFFIX - 1)}-${suffix}`;
}
