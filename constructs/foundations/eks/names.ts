import { createHash } from "crypto";

/**
 * Names sent to AWS, derived so they stay valid for every accepted `name`: most AWS names (RDS
 * identifiers, parameter groups, snapshots) must start with a letter, have no `--` and no trailing
 * hyphen, and have a length limit. `awsName` joins parts with "-" and collapses repeated hyphens;
 * a name over `max` is cut and ends in 6 hex characters of a hash of the whole name, so two long
 * names that share a beginning still differ.
 */
export function awsName(parts: string[], max: number): string {
  const joined = parts
    .join("-")
    .replace(/-{2,}/g, "-")
    .replace(/^-+|-+$/g, "");
  if (joined.length <= max) return joined;
  const hash = createHash("sha256").update(joined).digest("hex").slice(0, 6);
  return `${joined.slice(0, max - hash.length - 1).replace(/-+$/, "")}-${hash}`;
}

/** AWS length limits Fawkes derives names against (from each service's API reference). */
export const AWS_NAME_LIMITS = {
  /** RDS DB instance identifier, and the final snapshot identifier we derive. */
  rdsIdentifier: 63,
  /** IAM role `name_prefix`: 64 minus the 26 characters of Terraform's unique suffix. */
  iamRolePrefix: 38,
  /** S3 `bucket_prefix`: 63 minus the 26-character suffix. */
  s3BucketPrefix: 37,
} as const;
