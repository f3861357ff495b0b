import { createHash } from "node:crypto";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { ServiceAccountIamMember } from "@cdktf/provider-google/lib/service-account-iam-member";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { ServiceAccountRef } from "../../context";

/**
 * What nodes need and nothing more: write logs and metrics (Google's predefined minimal node role),
 * instead of the default compute service account's project-wide Editor.
 */
const NODE_ROLES: Record<string, string> = { DefaultNodeRole: "roles/container.defaultNodeServiceAccount" };

/** The annotation that binds a Kubernetes service account to a Google service account. */
export const WORKLOAD_IDENTITY_ANNOTATION = "iam.gke.io/gcp-service-account";

export interface GkeNodeIdentityProps {
  readonly name: string;
  readonly project: string;
  readonly dependsOn: ITerraformDependable[];
}

/** A dedicated, least-privilege service account for every node. */
export class GkeNodeIdentity extends Construct {
  readonly account: ServiceAccount;
  /** The account and its roles: nodes must not boot before the roles are granted. */
  readonly ready: ITerraformDependable[];

  constructor(scope: Construct, id: string, props: GkeNodeIdentityProps) {
    super(scope, id);
    this.account = new ServiceAccount(this, "Account", {
      accountId: accountId(`${props.name}-nodes`, props.name),
      displayName: `${props.name}: GKE nodes`,
      dependsOn: props.dependsOn,
    });
    this.ready = [
      this.account,
      ...Object.entries(NODE_ROLES).map(([key, role]) => new ProjectIamMember(this, key, { project: props.project, role, member: this.account.member })),
    ];
  }
}

/**
 * A Google service account that exactly one Kubernetes service account may act as (GKE workload
 * identity): no keys, no sharing of the node's identity.
 */
export function workloadAccount(
  scope: Construct,
  props: { name: string; workloadPool: string; sa: ServiceAccountRef; dependsOn: ITerraformDependable[] },
): { account: ServiceAccount; binding: ServiceAccountIamMember } {
  const { sa } = props;
  const account = new ServiceAccount(scope, "Account", {
    accountId: accountId(`${sa.namespace}-${sa.name}`, `${props.name}/${sa.namespace}/${sa.name}`),
    displayName: `${props.name}: ${sa.namespace}/${sa.name}`.slice(0, 100),
    description: `Workload identity of the Kubernetes service account ${sa.namespace}/${sa.name}`,
    dependsOn: props.dependsOn,
  });
  const binding = new ServiceAccountIamMember(scope, "WorkloadIdentityUser", {
    serviceAccountId: account.name,
    role: "roles/iam.workloadIdentityUser",
    member: workloadIdentityMember(props.workloadPool, sa),
    // The pool exists only once the cluster does: binding earlier fails with "identity pool does not exist".
    dependsOn: props.dependsOn,
  });
  return { account, binding };
}

/** IAM's name for a Kubernetes service account of the cluster. */
function workloadIdentityMember(workloadPool: string, sa: ServiceAccountRef): string {
  return `serviceAccount:${workloadPool}[${sa.namespace}/${sa.name}]`;
}

/**
 * A service account id (6-30 characters, a-z0-9-, starting with a letter), readable and unique:
 * the readable part, cut to fit, plus a hash of what makes it unique (environment, namespace, name).
 */
export function accountId(readable: string, unique: string): string {
  const hash = createHash("sha256").update(unique).digest("hex").slice(0, 6);
  const base = readable
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/^[^a-z]+/, "")
    .slice(0, 23)
    .replace(/-+$/, "");
  return `${base || "wi"}-${hash}`;
}
