import { ContainerRegistry } from "@cdktf/provider-azurerm/lib/container-registry";
import { ManagementLock } from "@cdktf/provider-azurerm/lib/management-lock";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { RegistryCapability } from "../../context";
import type { RoleGrant } from "./identity";
import type { AksNetwork } from "./network";

/** Untagged manifests (superseded builds) are deleted after this many days (Premium's retention policy). */
const ACR_UNTAGGED_RETENTION_DAYS = 14;

export interface AcrRegistryProps {
  /** The platform's resource prefix: repositories are `<name>/<service>`. */
  readonly name: string;
  /** Random suffix of the globally unique names. */
  readonly suffix: string;
  readonly resourceGroupName: string;
  readonly location: string;
  readonly network: AksNetwork;
  /** Object id of the kubelet identity, which pulls for every node. */
  readonly kubeletObjectId: string;
  /** Zones of the region: the registry is zone-redundant where there are some. */
  readonly zones: string[];
  readonly keep: boolean;
  readonly tags: Record<string, string>;
}

/**
 * An ACR name: 5-50 letters and digits, globally unique, so the platform's prefix without its hyphens,
 * cut to leave room for the random suffix.
 */
export function acrName(name: string, suffix: string): string {
  return `${name.replace(/[^a-z0-9]/g, "").slice(0, 50 - suffix.length)}${suffix}`;
}

/**
 * A Premium ACR reachable only through a private endpoint in the VNet (public network access off, no
 * admin user, no anonymous pull): nodes pull with the kubelet identity (AcrPull), CI pushes with its
 * workload identity (AcrPush). ACR cannot refuse to overwrite a tag for the whole registry, so
 * Fawkes deploys by digest. Scanning on push is Microsoft Defender for Containers, a subscription
 * setting this stack does not turn on. Images are encrypted at rest by Azure (no customer key).
 */
export class AcrRegistry extends Construct {
  readonly registry: ContainerRegistry;
  readonly capability: RegistryCapability;

  constructor(scope: Construct, id: string, props: AcrRegistryProps) {
    super(scope, id);
    const { name, resourceGroupName, location, tags, keep } = props;
    this.registry = new ContainerRegistry(this, "Registry", {
      name: acrName(name, props.suffix),
      resourceGroupName,
      location,
      sku: "Premium",
      adminEnabled: false,
      anonymousPullEnabled: false,
      publicNetworkAccessEnabled: false,
      // Defender for Containers' scanner is a trusted service: it reads the registry through this bypass.
      networkRuleBypassOption: "AzureServices",
      // No export pipelines: images leave only by pulls through the private endpoint.
      exportPolicyEnabled: false,
      retentionPolicyInDays: ACR_UNTAGGED_RETENTION_DAYS,
      zoneRedundancyEnabled: props.zones.length > 0,
      tags,
      lifecycle: { preventDestroy: keep },
    });
    const endpoint = props.network.privateEndpoint(this, "RegistryEndpoint", {
      resourceId: this.registry.id,
      subresource: "registry",
      zoneName: "privatelink.azurecr.io",
      endpointName: `${name}-registry`,
    });
    const pull = new RoleAssignment(this, "KubeletPull", {
      scope: this.registry.id,
      roleDefinitionName: "AcrPull",
      principalId: props.kubeletObjectId,
      principalType: "ServicePrincipal",
    });
    if (keep) {
      new ManagementLock(this, "Lock", {
        name: "fawkes-keep",
        scope: this.registry.id,
        lockLevel: "CanNotDelete",
        notes: "Fawkes: remove this lock to delete the image registry (allowDestroy: true removes it)",
      });
    }
    const host = this.registry.loginServer;
    const pushUrl = `${host}/${name}`;
    const ready: ITerraformDependable[] = [this.registry, endpoint, pull];
    this.capability = {
      pushUrl,
      pullUrl: pushUrl,
      // kaniko ships docker-credential-acr-env: it exchanges the federated token the workload identity
      // webhook mounts (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE, all injected) for an ACR token.
      dockerConfig: { credHelpers: { [host]: "acr-env" } },
      kanikoFlags: [],
      pushEnv: {},
      scanOnPush: undefined,
      immutableTags: false,
      ready,
    };
  }

  /** What `{ registry: "push" }` grants: AcrPush (push and pull) on this registry only. */
  pushRoles(): RoleGrant[] {
    return [{ role: "AcrPush", scope: this.registry.id }];
  }
}
