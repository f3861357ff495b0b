import { KubernetesCluster, type KubernetesClusterDefaultNodePool } from "@cdktf/provider-azurerm/lib/kubernetes-cluster";
import { LogAnalyticsWorkspace } from "@cdktf/provider-azurerm/lib/log-analytics-workspace";
import { ManagementLock } from "@cdktf/provider-azurerm/lib/management-lock";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { DNS_SERVICE_IP, POD_CIDR, SERVICE_CIDR } from "./network";

/** Control-plane logs shipped to Log Analytics; `kube-audit`, `kube-apiserver` and `guard` (Entra ID authn) are the security minimum. */
export const CONTROL_PLANE_LOGS = ["kube-apiserver", "kube-audit", "guard", "kube-controller-manager", "cluster-autoscaler"];

export interface AksControlPlaneProps {
  readonly name: string;
  readonly resourceGroupName: string;
  readonly location: string;
  readonly kubernetesVersion: string;
  readonly vnetId: string;
  readonly defaultNodePool: KubernetesClusterDefaultNodePool;
  /** Networks allowed to reach the API server. Empty: a private cluster (no public endpoint at all). */
  readonly apiAllowedCidrs: string[];
  /** Entra ID groups whose members are cluster admins. */
  readonly adminGroupObjectIds: string[];
  readonly tenantId: string;
  /** Object id of the identity running `cdktf deploy`. */
  readonly deployerObjectId: string;
  readonly standardTier: boolean;
  readonly keep: boolean;
  readonly logRetentionDays: number;
  readonly tags: Record<string, string>;
}

/**
 * The AKS control plane: Entra ID authentication with Azure RBAC authorization and no local
 * accounts, OIDC issuer + workload identity, Azure CNI overlay with the Cilium dataplane (network
 * policy enforced), the API server limited to configured networks (or private), and audit logs in
 * Log Analytics.
 */
export class AksControlPlane extends Construct {
  readonly cluster: KubernetesCluster;
  readonly logs: LogAnalyticsWorkspace;
  /** Access for the deploying identity: helm and kubernetes resources must wait for it. */
  readonly access: ITerraformDependable[] = [];

  constructor(scope: Construct, id: string, props: AksControlPlaneProps) {
    super(scope, id);
    const { name, resourceGroupName, location, tags } = props;

    this.logs = new LogAnalyticsWorkspace(this, "Logs", {
      name,
      resourceGroupName,
      location,
      sku: "PerGB2018",
      retentionInDays: props.logRetentionDays,
      tags,
    });

    // A user-assigned control-plane identity, so its rights on the VNet exist before the cluster does.
    const identity = new UserAssignedIdentity(this, "Identity", { name: `${name}-cluster`, resourceGroupName, location, tags });
    const network = new RoleAssignment(this, "IdentityNetwork", {
      scope: props.vnetId,
      roleDefinitionName: "Network Contributor",
      principalId: identity.principalId,
      principalType: "ServicePrincipal",
    });

    const isPublic = props.apiAllowedCidrs.length > 0;
    this.cluster = new KubernetesCluster(this, "Cluster", {
      name,
      resourceGroupName,
      location,
      dnsPrefix: name,
      nodeResourceGroup: `${name}-nodes`,
      kubernetesVersion: props.kubernetesVersion,
      skuTier: props.standardTier ? "Standard" : "Free",
      automaticUpgradeChannel: "patch",
      nodeOsUpgradeChannel: "NodeImage",
      identity: { type: "UserAssigned", identityIds: [identity.id] },
      defaultNodePool: props.defaultNodePool,
      // Identity: Entra ID sign-in, Azure RBAC for authorization, no static admin credentials.
      localAccountDisabled: true,
      roleBasedAccessControlEnabled: true,
      azureActiveDirectoryRoleBasedAccessControl: {
        azureRbacEnabled: true,
        tenantId: props.tenantId,
        adminGroupObjectIds: props.adminGroupObjectIds,
      },
      oidcIssuerEnabled: true,
      workloadIdentityEnabled: true,
      networkProfile: {
        networkPlugin: "azure",
        networkPluginMode: "overlay",
        networkDataPlane: "cilium",
        networkPolicy: "cilium",
        loadBalancerSku: "standard",
        outboundType: "loadBalancer",
        podCidr: POD_CIDR,
        serviceCidr: SERVICE_CIDR,
        dnsServiceIp: DNS_SERVICE_IP,
      },
      // Never 0.0.0.0/0: without configured CIDRs the API server has no public endpoint at all.
      apiServerAccessProfile: isPublic ? { authorizedIpRanges: props.apiAllowedCidrs } : undefined,
      privateClusterEnabled: !isPublic,
      privateDnsZoneId: isPublic ? undefined : "System",
      privateClusterPublicFqdnEnabled: isPublic ? undefined : false,
      autoScalerProfile: {
        balanceSimilarNodeGroups: true,
        expander: "least-waste",
        // Scale the dojo pool back to zero soon after labs are released.
        scaleDownUnneeded: "10m",
        skipNodesWithSystemPods: false,
      },
      tags,
      lifecycle: {
        preventDestroy: props.keep,
        // The autoscaler owns the node count after the first apply.
        ignoreChanges: ["default_node_pool[0].node_count"],
      },
      dependsOn: [network],
    });

    new MonitorDiagnosticSetting(this, "Diagnostics", {
      name: "fawkes-audit",
      targetResourceId: this.cluster.id,
      logAnalyticsWorkspaceId: this.logs.id,
      enabledLog: CONTROL_PLANE_LOGS.map((category) => ({ category })),
    });

    // The identity running `cdktf deploy` becomes cluster admin through Azure RBAC, so the helm and
    // kubernetes providers (kubelogin, same identity) work in the same apply.
    this.access.push(
      new RoleAssignment(this, "DeployerAdmin", {
        scope: this.cluster.id,
        roleDefinitionName: "Azure Kubernetes Service RBAC Cluster Admin",
        principalId: props.deployerObjectId,
      }),
    );
    // Admin groups are bound to cluster-admin by AKS; they also need to fetch a kubeconfig.
    props.adminGroupObjectIds.forEach((principalId, i) =>
      new RoleAssignment(this, `AdminGroup${i}User`, {
        scope: this.cluster.id,
        roleDefinitionName: "Azure Kubernetes Service Cluster User Role",
        principalId,
        principalType: "Group",
      }),
    );

    if (props.keep) {
      // Azure's own guard against deletion, besides Terraform's prevent_destroy (which a state edit bypasses).
      new ManagementLock(this, "Lock", { name: "fawkes-keep", scope: this.cluster.id, lockLevel: "CanNotDelete", notes: "Fawkes: remove to destroy the cluster (profile lab skips this lock)" });
    }
  }
}
