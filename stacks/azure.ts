import { AzurermBackend, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { AksFoundation } from "../constructs/foundations/aks";
import { resourcePrefix } from "../constructs/foundations/shared";
import { azureProviders, azureTags } from "../providers/azure";
import type { FawkesConfig } from "./config/schema";
import { apiAccess, installPlatform } from "./install";

/** `fawkes-azure`: AKS foundation and the whole platform, in one apply. */
export class FawkesAzureStack extends TerraformStack {
  readonly foundation: AksFoundation;

  constructor(scope: Construct, id: string, config: FawkesConfig) {
    super(scope, id);
    const azure = config.azure;
    const name = resourcePrefix(config.name, config.environment);
    if (azure.state.storageAccount) {
      // Entra ID auth to the state container (no account keys); blob leases lock the state.
      new AzurermBackend(this, {
        resourceGroupName: azure.state.resourceGroup,
        storageAccountName: azure.state.storageAccount,
        containerName: azure.state.container,
        key: azure.state.key,
        subscriptionId: azure.subscriptionId,
        useAzureadAuth: true,
      });
    }
    azureProviders(this, { subscriptionId: azure.subscriptionId });

    const api = apiAccess(this, config);
    this.foundation = new AksFoundation(this, "Foundation", {
      name,
      location: azure.location,
      domain: config.domain,
      kubernetesVersion: config.kubernetes.version,
      vnetCidr: azure.vnetCidr,
      apiAllowedCidrs: api.publicCidrs,
      apiPrivateCidrs: api.privateCidrs,
      adminGroupObjectIds: azure.adminGroupObjectIds,
      dnsZoneResourceGroup: azure.dnsZoneResourceGroup,
      zones: azure.zones,
      encryptionAtHost: azure.encryptionAtHost,
      profile: config.profile,
      allowDestroy: config.allowDestroy,
      tags: azureTags(config.name, config.environment),
      nodePools: {
        system: { ...config.nodePools.system, vmSize: azure.vmSizes.system },
        workloads: { ...config.nodePools.workloads, vmSize: azure.vmSizes.workloads },
        dojo: { ...config.nodePools.dojo, vmSize: azure.vmSizes.dojo, spot: config.nodePools.dojoSpot },
      },
    });
    installPlatform(this, this.foundation, config);

    const group = this.foundation.resourceGroup.name;
    new TerraformOutput(this, "cluster_name", { value: name });
    new TerraformOutput(this, "kubeconfig_command", {
      // A private cluster reached over VPN/peering is addressed by its public name (see apiPrivateCidrs).
      value: `az aks get-credentials --resource-group ${name} --name ${name}${this.foundation.controlPlane.publicFqdn ? " --public-fqdn" : ""} && kubelogin convert-kubeconfig -l azurecli`,
      description: "Adds the cluster to your kubeconfig (Entra ID sign-in through kubelogin)",
    });
    new TerraformOutput(this, "resource_group", { value: group, description: "Resource group of the platform's Azure resources" });
    if (this.foundation.nameServers) {
      new TerraformOutput(this, "name_servers", { value: this.foundation.nameServers, description: `Delegate ${config.domain} to these name servers` });
    }
  }
}
