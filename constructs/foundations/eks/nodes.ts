import type { EksCluster } from "@cdktf/provider-aws/lib/eks-cluster";
import { EksNodeGroup } from "@cdktf/provider-aws/lib/eks-node-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import type { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { StaticResource } from "@cdktf/provider-time/lib/static-resource";
import { Construct } from "constructs";
import { DOJO_TAINT, POOL_LABEL, type PoolName } from "../shared";
import { AWS_NAME_LIMITS, awsName } from "./names";

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
  /** Prefix of resource names (the cluster name, up to 41 characters). */
  readonly name: string;
  readonly region: string;
  /** AWS partition of the managed policy ARNs. */
  readonly partition: string;
  /** Root volume size of every node. @default 50 */
  readonly diskGiB?: number;
}

/**
 * Applies a pool's min/max to its node group and pulls the current desired size into [min, max]
 * (`aws eks update-nodegroup-config`). Plain POSIX sh and the aws CLI, which the deploy already
 * needs for `aws eks get-token`; no `${` (Terraform would interpolate it).
 */
export const SCALING_SCRIPT = [
  "set -eu",
  'current=$(aws eks describe-nodegroup --region "$REGION" --cluster-name "$CLUSTER" --nodegroup-name "$NODEGROUP" --query "nodegroup.scalingConfig.[minSize,maxSize,desiredSize]" --output text)',
  "set -- $current",
  "desired=$3",
  'if [ "$desired" -lt "$MIN" ]; then desired=$MIN; fi',
  'if [ "$desired" -gt "$MAX" ]; then desired=$MAX; fi',
  'if [ "$1 $2 $3" = "$MIN $MAX $desired" ]; then exit 0; fi',
  'aws eks update-nodegroup-config --region "$REGION" --cluster-name "$CLUSTER" --nodegroup-name "$NODEGROUP" --scaling-config "minSize=$MIN,maxSize=$MAX,desiredSize=$desired"',
  'aws eks wait nodegroup-active --region "$REGION" --cluster-name "$CLUSTER" --nodegroup-name "$NODEGROUP"',
].join("\n");

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
      namePrefix: `${awsName([props.name, "node"], AWS_NAME_LIMITS.iamRolePrefix - 1)}-`,
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
    });
    const attachments = Object.entries(NODE_POLICIES).map(
      ([key, policy]) =>
        new IamRolePolicyAttachment(this, `Role${key}`, { role: this.role.name, policyArn: `arn:${props.partition}:iam::aws:policy/${policy}` }),
    );

    const group = (pool: PoolName) => {
      const spec = props.pools[pool];
      const template = new LaunchTemplate(this, `${title(pool)}Template`, {
        // Launch template names are unique per account and region: say whose it is.
        namePrefix: `${props.name}-${pool}-`,
        updateDefaultVersion: true,
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" },
        blockDeviceMappings: [
          { deviceName: "/dev/xvda", ebs: { volumeSize: props.diskGiB ?? 50, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" } },
        ],
        monitoring: { enabled: true },
        tagSpecifications: [{ resourceType: "instance", tags: { Name: `${name}-${pool}`, [POOL_LABEL]: pool } }],
      });
      const nodeGroup = new EksNodeGroup(this, title(pool), {
        clusterName: name,
        nodeGroupNamePrefix: `${pool}-`,
        // The cluster's version: raising kubernetes.version rolls the nodes after the control plane.
        version: props.cluster.version,
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
        // Sizes are set here only at creation. After that the autoscaler owns desired, and the
        // Scaling resource below applies min/max: EKS rejects min > desired, and with desired
        // ignored Terraform would send the stale desired with a raised min ("desired must be >= min").
        lifecycle: { ignoreChanges: ["scaling_config"], createBeforeDestroy: true },
        dependsOn: attachments,
      });
      // time_static as the carrier of the step (replaced, so re-run, when a trigger changes): cdktf's
      // terraform_data would do the same but runs `terraform version` on every synth to check for it.
      new StaticResource(this, `${title(pool)}Scaling`, {
        triggers: { nodegroup: nodeGroup.nodeGroupName, min: String(spec.min), max: String(spec.max) },
        provisioners: [
          {
            type: "local-exec",
            interpreter: ["/bin/sh", "-c"],
            command: SCALING_SCRIPT,
            environment: { REGION: props.region, CLUSTER: name, NODEGROUP: nodeGroup.nodeGroupName, MIN: String(spec.min), MAX: String(spec.max) },
          },
        ],
      });
      return nodeGroup;
    };
    this.groups = { system: group("system"), workloads: group("workloads"), dojo: group("dojo") };
  }
}

function title(s: string): string {
  return s[0].toUpperCase() + s.slice(1);
}
