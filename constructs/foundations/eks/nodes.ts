import type { EksCluster } from "@cdktf/provider-aws/lib/eks-cluster";
import { EksNodeGroup } from "@cdktf/provider-aws/lib/eks-node-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import type { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Construct } from "constructs";
import { DOJO_TAINT, POOL_LABEL, type PoolName } from "../shared";

export interface NodePoolSpec {
  readonly min: number;
  readonly max: number;
  readonly desired: number;
  readonly instanceTypes: string[];
  /** Spot capacity (only sensible for interruptible pools). @default false */
  readonly spot?: boolean;
}

export interface EksNodePoolsProps {
  readonly cluster: EksCluster;
  readonly subnets: Subnet[];
  readonly pools: Record<PoolName, NodePoolSpec>;
  /** Root volume size of every node. @default 50 */
  readonly diskGiB?: number;
}

const NODE_POLICIES = {
  Worker: "AmazonEKSWorkerNodePolicy",
  Cni: "AmazonEKS_CNI_Policy",
  Registry: "AmazonEC2ContainerRegistryReadOnly",
  // Session Manager instead of SSH keys for node access.
  Ssm: "AmazonSSMManagedInstanceCore",
};

/**
 * Managed node groups `system`, `workloads` and `dojo`. Every node: IMDSv2 only with a hop limit of 1
 * (pods cannot borrow the node's role; they use IRSA), encrypted gp3 root volume, no public IP.
 * The dojo pool is tainted so only lab workloads land there, and scales from zero.
 */
export class EksNodePools extends Construct {
  readonly groups: Record<PoolName, EksNodeGroup>;
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: EksNodePoolsProps) {
    super(scope, id);
    const name = props.cluster.name;
    this.role = new IamRole(this, "Role", {
      namePrefix: "fawkes-node-",
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
    });
    const attachments = Object.entries(NODE_POLICIES).map(
      ([key, policy]) => new IamRolePolicyAttachment(this, `Role${key}`, { role: this.role.name, policyArn: `arn:aws:iam::aws:policy/${policy}` }),
    );

    const group = (pool: PoolName) => {
      const spec = props.pools[pool];
      const template = new LaunchTemplate(this, `${title(pool)}Template`, {
        namePrefix: `${pool}-`,
        updateDefaultVersion: true,
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" },
        blockDeviceMappings: [
          { deviceName: "/dev/xvda", ebs: { volumeSize: props.diskGiB ?? 50, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" } },
        ],
        monitoring: { enabled: true },
        tagSpecifications: [{ resourceType: "instance", tags: { Name: `${name}-${pool}`, [POOL_LABEL]: pool } }],
      });
      return new EksNodeGroup(this, title(pool), {
        clusterName: name,
        nodeGroupNamePrefix: `${pool}-`,
        nodeRoleArn: this.role.arn,
        subnetIds: props.subnets.map((s) => s.id),
        instanceTypes: spec.instanceTypes,
        capacityType: spec.spot ? "SPOT" : "ON_DEMAND",
        scalingConfig: { minSize: spec.min, maxSize: spec.max, desiredSize: spec.desired },
        updateConfig: { maxUnavailable: 1 },
        launchTemplate: { id: template.id, version: template.latestVersion.toString() },
        labels: { [POOL_LABEL]: pool },
        taint: pool === "dojo" ? [{ key: DOJO_TAINT.key, value: DOJO_TAINT.value, effect: "NO_SCHEDULE" }] : undefined,
        tags: {
          // Lets cluster-autoscaler scale this group from zero: it learns labels and taints from these tags.
          [`k8s.io/cluster-autoscaler/node-template/label/${POOL_LABEL}`]: pool,
          ...(pool === "dojo" ? { [`k8s.io/cluster-autoscaler/node-template/taint/${DOJO_TAINT.key}`]: `${DOJO_TAINT.value}:NoSchedule` } : {}),
        },
        // The autoscaler owns the size after the first apply.
        lifecycle: { ignoreChanges: ["scaling_config[0].desired_size"], createBeforeDestroy: true },
        dependsOn: attachments,
      });
    };
    this.groups = { system: group("system"), workloads: group("workloads"), dojo: group("dojo") };
  }
}

function title(s: string): string {
  return s[0].toUpperCase() + s.slice(1);
}
