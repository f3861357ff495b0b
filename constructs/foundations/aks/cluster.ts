import { KubernetesCluster, type KubernetesClusterDefaultNodePool } from "@cdktf/provider-azurerm/lib/kubernetes-cluster";
import { LogAnalyticsWorkspace } from "@cdktf/provider-azurerm/lib/log-analytics-workspace";
import { ManagementLock } from "@cdktf/provider-azurerm/lib/management-lock";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { Construct } from "constructs";
import { DNS_SERVICE_IP, POD_CIDR, SERVICE_CIDR } from "./network";

/** Control-plane logs shipped to Log Analytics; `kube-audit`, `kube-apiserver` and `guard` (Entra ID authn) are the security minimum. */
export const CONTROL_PLANE_LOGS = ["kube-apiserver", "kube-audit", "guard", "kube-controller-manager", "cluster-autoscaler"];

export interface AksControlPlaneProps {
  readonly name: string;
  readonly resourceGroupName: string;
  /** The platform's resource group: the deployer's cluster-admin role is assigned on it, before the cluster exists. */
  readonly resourceGroupId: string;
  readonly location: string;
  readonly kubernetesVersion: string;
  readonly vnetId: string;
  readonly defaultNodePool: KubernetesClusterDefaultNodePool;
  /** Networks allowed to reach the API server. Empty: a private cluster (no public endpoint at all). */
  readonly apiAllowedCidrs: string[];
  /**
   * Private networks (VPN, peering) that reach a private cluster. AKS has no allow-list on the
   * private endpoint (routing decides); what they lack is DNS for the private zone, so when any are
   * listed the API server also gets a public DNS name that resolves to its private address.
   */
  readonly apiPrivateCidrs: string[];
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
  readonly access: RoleAssignment[] = [];
  /** A private cluster whose API server also has a public DNS name (resolving to its private address). */
  readonly publicFqdn: boolean;

  constructor(scope: Construct, id: string, props: AksControlPlaneProps) {
    super(scope, id);
    const { name, resourceGroupName, location, tags } = props;

    this.logs = new LogAnalyticsWorkspace(this, "Logs", {
      // Workspace names are 4-63 characters: the prefix alone may be 3 ("a-b").
      name: `${name}-logs`,
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
    this.publicFqdn = !isPublic && props.apiPrivateCidrs.length > 0;
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
      // Clients outside the VNet (VPN, peering) cannot resolve the private zone AKS links only to the
      // cluster's VNet; the public name resolves to the same private address, so routing still decides.
      privateClusterPublicFqdnEnabled: isPublic ? undefined : this.publicFqdn,
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
    // kubernetes providers (kubelogin, same identity) work in the same apply. Assigned on the
    // platform's own resource group (only this cluster lives there) rather than on the cluster, so it
    // exists before the cluster does and its propagation wait runs alongside cluster creation.
    this.access.push(
      new RoleAssignment(this, "DeployerAdmin", {
        scope: props.resourceGroupId,
        roleDefinitionName: "Azure Kubernetes Service RBAC Cluster Admin",
        principalId: props.deployerObjectId,
      }),
    );
    // Admin groups are bound to cluster-admin by AKS; they also need to fetch a kubeconfig.
    props.adminGroupObjectIds.forEach(
      (principalId, i) =>
        new RoleAssignment(this, `AdminGroup${i}User`, {
          scope: this.cluster.id,
          roleDefinitionName: "Azure Kubernetes Service Cluster User Role",
          principalId,
          principalType: "Group",
        }),
    );

    if (props.keep) {
      // Azure's own guard against deletion, besides Terraform's prevent_destroy (which a state edit bypasses).
      new ManagementLock(this, "Lock", {
        name: "fawkes-keep",
        scope: this.cluster.id,
        lockLevel: "CanNotDelete",
        notes: "Fawkes: remove to destroy the cluster (allowDestroy: true removes it)",
      });
    }
  }
}
