import { FederatedIdentityCredential } from "@cdktf/provider-azurerm/lib/federated-identity-credential";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { ServiceAccountRef } from "../../context";

/** A built-in Azure role granted on one scope (a vault, a DNS zone, a blob container). */
export interface RoleGrant {
  readonly role: string;
  readonly scope: string;
}

/** The audience AKS workload identity tokens are exchanged for. */
const TOKEN_AUDIENCE = "api://AzureADTokenExchange";

/** Service account annotation and pod label the AKS workload identity webhook acts on. */
export const CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id";
export const USE_LABEL = "azure.workload.identity/use";

export interface WorkloadIdentityProps {
  /** Prefix of the identity's name. */
  readonly name: string;
  readonly resourceGroupName: string;
  readonly location: string;
  /** The cluster's OIDC issuer URL. */
  readonly issuer: string;
  readonly sa: ServiceAccountRef;
  readonly roles: RoleGrant[];
  readonly tags: Record<string, string>;
}

/**
 * A user-assigned managed identity that exactly one Kubernetes service account can use (federated
 * credential on the cluster's OIDC issuer, subject `system:serviceaccount:<ns>:<sa>`), with the
 * given roles: no client secrets, no sharing of the kubelet identity.
 */
export function workloadIdentity(
  scope: Construct,
  id: string,
  props: WorkloadIdentityProps,
): { identity: UserAssignedIdentity; ready: ITerraformDependable[] } {
  const root = new Construct(scope, id);
  const { sa } = props;
  const identity = new UserAssignedIdentity(root, "Identity", {
    name: `${props.name}-${sa.namespace}-${sa.name}`.slice(0, 128),
    resourceGroupName: props.resourceGroupName,
    location: props.location,
    tags: props.tags,
  });
  const credential = new FederatedIdentityCredential(root, "Federation", {
    name: `${sa.namespace}-${sa.name}`.slice(0, 120),
    resourceGroupName: props.resourceGroupName,
    parentId: identity.id,
    issuer: props.issuer,
    subject: `system:serviceaccount:${sa.namespace}:${sa.name}`,
    audience: [TOKEN_AUDIENCE],
  });
  const ready: ITerraformDependable[] = [identity, credential];
  props.roles.forEach((grant, i) =>
    ready.push(
      new RoleAssignment(root, `Role${i}`, {
        scope: grant.scope,
        roleDefinitionName: grant.role,
        principalId: identity.principalId,
        // A new identity may not have replicated in Entra ID yet: the type skips that lookup.
        principalType: "ServicePrincipal",
      }),
    ),
  );
  return { identity, ready };
}
