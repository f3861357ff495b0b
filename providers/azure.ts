import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { TimeProvider } from "@cdktf/provider-time/lib/provider";
import type { Construct } from "constructs";

/**
 * The azurerm provider (Azure CLI or ARM_* credentials, never a secret in code), plus the time
 * provider the AKS foundation uses to wait for role assignments to propagate. azurerm has no
 * default tags: the foundation tags each resource itself (see `azureTags`).
 */
export function azureProviders(scope: Construct, props: { subscriptionId?: string }): AzurermProvider {
  new TimeProvider(scope, "Time");
  return new AzurermProvider(scope, "Azurerm", {
    // Unset: azurerm 4 reads ARM_SUBSCRIPTION_ID (`export ARM_SUBSCRIPTION_ID=$(az account show --query id -o tsv)`).
    subscriptionId: props.subscriptionId,
    // Storage accounts allow no shared keys: Terraform authenticates to storage with Entra ID...
    storageUseAzuread: true,
    features: [
      {
        // ...and never calls the (private) blob/queue endpoints: containers are made through Resource Manager.
        storage: [{ dataPlaneAvailable: false }],
        // Purge protection is always on (it cannot be turned off once set), so Azure refuses every
        // purge: `cdktf destroy` must only soft-delete the vault and its secrets, never purge them,
        // or destroy fails. The vault name carries a random suffix, so a redeploy never collides
        // with the soft-deleted one; a secret re-created in a live vault is recovered, not refused.
        keyVault: [
          {
            purgeSoftDeleteOnDestroy: false,
            purgeSoftDeletedSecretsOnDestroy: false,
            purgeSoftDeletedKeysOnDestroy: false,
            purgeSoftDeletedCertificatesOnDestroy: false,
            recoverSoftDeletedKeyVaults: true,
            recoverSoftDeletedSecrets: true,
          },
        ],
        // Audit logs outlive a destroy: the workspace is soft-deleted (14 days) and a redeploy with the
        // same name, group and region recovers it.
        logAnalyticsWorkspace: [{ permanentlyDeleteOnDestroy: false }],
        resourceGroup: [{ preventDeletionIfContainsResources: true }],
      },
    ],
  });
}

/** Tags on every Azure resource that say what owns it. */
export function azureTags(name: string, environment: string): Record<string, string> {
  return { "fawkes.dev/platform": name, "fawkes.dev/environment": environment, "managed-by": "cdktf" };
}
