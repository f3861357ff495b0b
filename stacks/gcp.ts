import { GcsBackend, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { GkeFoundation } from "../constructs/foundations/gke";
import { resourcePrefix } from "../constructs/foundations/shared";
import { gcpProviders } from "../providers/gcp";
import type { FawkesConfig } from "./config/schema";
import { apiAccess, installPlatform } from "./install";

/** `fawkes-gcp`: GKE foundation and the whole platform, in one apply. */
export class FawkesGcpStack extends TerraformStack {
  readonly foundation: GkeFoundation;

  constructor(scope: Construct, id: string, config: FawkesConfig) {
    super(scope, id);
    const gcp = config.gcp;
    const name = resourcePrefix(config.name, config.environment);
    if (gcp.state.bucket) {
      // GCS state locks natively; enable versioning on the bucket to keep state history.
      new GcsBackend(this, { bucket: gcp.state.bucket, prefix: gcp.state.prefix });
    }
    gcpProviders(this, { project: gcp.project, region: gcp.region, name: config.name, environment: config.environment });

    const api = apiAccess(this, config);
    this.foundation = new GkeFoundation(this, "Foundation", {
      name,
      project: gcp.project,
      region: gcp.region,
      domain: config.domain,
      kubernetesVersion: config.kubernetes.version,
      releaseChannel: gcp.releaseChannel,
      subnetCidr: gcp.subnetCidr,
      podsCidr: gcp.podsCidr,
      servicesCidr: gcp.servicesCidr,
      masterCidr: gcp.masterCidr,
      privateServicesCidr: gcp.privateServicesCidr,
      apiAllowedCidrs: api.publicCidrs,
      apiPrivateCidrs: api.privateCidrs,
      profile: config.profile,
      allowDestroy: config.allowDestroy,
      nodePools: {
        system: { ...config.nodePools.system, machineType: gcp.machineTypes.system },
        workloads: { ...config.nodePools.workloads, machineType: gcp.machineTypes.workloads },
        dojo: { ...config.nodePools.dojo, machineType: gcp.machineTypes.dojo, spot: config.nodePools.dojoSpot },
      },
    });
    const privateApi = api.publicCidrs.length === 0;
    installPlatform(this, this.foundation, config);

    const cluster = this.foundation.clusterName;
    new TerraformOutput(this, "cluster_name", { value: cluster });
    new TerraformOutput(this, "kubeconfig_command", {
      value: `gcloud container clusters get-credentials ${cluster} --region ${gcp.region} --project ${gcp.project}${privateApi ? " --internal-ip" : ""}`,
      description: "Adds the cluster to your kubeconfig",
    });
    new TerraformOutput(this, "name_servers", { value: this.foundation.nameServers, description: `Delegate ${config.domain} to these name servers` });
  }
}
