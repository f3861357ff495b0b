import { S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { EksFoundation } from "../constructs/foundations/eks";
import { resourcePrefix } from "../constructs/foundations/shared";
import { awsProvider } from "../providers/aws";
import type { FawkesConfig } from "./config/schema";
import { apiAccess, installPlatform } from "./install";

/** `fawkes-aws`: EKS foundation and the whole platform, in one apply. */
export class FawkesAwsStack extends TerraformStack {
  readonly foundation: EksFoundation;

  constructor(scope: Construct, id: string, config: FawkesConfig) {
    super(scope, id);
    const aws = config.aws;
    const name = resourcePrefix(config.name, config.environment);
    if (aws.state.bucket) {
      new S3Backend(this, { bucket: aws.state.bucket, key: aws.state.key, region: aws.state.region ?? aws.region, encrypt: true });
      // S3-native state locking (Terraform >= 1.10): no DynamoDB table to manage.
      this.addOverride("terraform.backend.s3.use_lockfile", true);
    }
    awsProvider(this, { region: aws.region, name: config.name, environment: config.environment });

    const api = apiAccess(this, config);
    this.foundation = new EksFoundation(this, "Foundation", {
      name,
      region: aws.region,
      domain: config.domain,
      kubernetesVersion: config.kubernetes.version,
      vpcCidr: aws.vpcCidr,
      apiAllowedCidrs: api.publicCidrs,
      apiPrivateCidrs: api.privateCidrs,
      clusterAdminArns: aws.clusterAdminArns,
      hostedZoneId: aws.hostedZoneId,
      profile: config.profile,
      allowDestroy: config.allowDestroy,
      nodePools: {
        system: { ...config.nodePools.system, instanceTypes: aws.instanceTypes.system },
        workloads: { ...config.nodePools.workloads, instanceTypes: aws.instanceTypes.workloads },
        dojo: { ...config.nodePools.dojo, instanceTypes: aws.instanceTypes.dojo, spot: config.nodePools.dojoSpot },
      },
    });
    installPlatform(this, this.foundation, config);

    new TerraformOutput(this, "cluster_name", { value: name });
    new TerraformOutput(this, "kubeconfig_command", {
      value: `aws eks update-kubeconfig --name ${name} --region ${aws.region}`,
      description: "Adds the cluster to your kubeconfig",
    });
    if (this.foundation.nameServers) {
      new TerraformOutput(this, "name_servers", { value: this.foundation.nameServers, description: `Delegate ${config.domain} to these name servers` });
    }
  }
}
