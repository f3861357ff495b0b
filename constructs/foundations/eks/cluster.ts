import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsIamSessionContext } from "@cdktf/provider-aws/lib/data-aws-iam-session-context";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { EksAccessEntry } from "@cdktf/provider-aws/lib/eks-access-entry";
import { EksAccessPolicyAssociation } from "@cdktf/provider-aws/lib/eks-access-policy-association";
import { EksCluster } from "@cdktf/provider-aws/lib/eks-cluster";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import type { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";

/** Control-plane logs shipped to CloudWatch; `api`, `audit`, `authenticator` are the security minimum. */
export const CONTROL_PLANE_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

export interface EksControlPlaneProps {
  readonly name: string;
  readonly kubernetesVersion: string;
  readonly vpcId: string;
  readonly subnets: Subnet[];
  /** Networks allowed to reach the public endpoint. Empty: no public endpoint at all. */
  readonly publicAccessCidrs: string[];
  /** Private networks (VPN, peering) allowed to reach the private endpoint on 443. */
  readonly privateAccessCidrs: string[];
  /** AWS partition of every ARN built here (`aws`, `aws-cn`, `aws-us-gov`). */
  readonly partition: string;
  /** IAM principals (role ARNs) given cluster-admin through access entries, besides the deployer. */
  readonly adminPrincipals: string[];
  readonly keep: boolean;
  readonly logRetentionDays: number;
}

/**
 * The EKS control plane: secrets envelope-encrypted with a rotating KMS key, audit logs on, the API
 * endpoint private unless CIDRs are given, access managed by access entries (no aws-auth ConfigMap),
 * and an OIDC provider for IRSA.
 */
export class EksControlPlane extends Construct {
  readonly cluster: EksCluster;
  readonly secretsKey: KmsKey;
  readonly oidc: IamOpenidConnectProvider;
  /** Access for the deploying identity: helm and kubernetes resources must wait for it. */
  readonly access: ITerraformDependable[] = [];
  readonly accountId: string;
  /** Extra security group on the control plane's network interfaces: private API access, only. */
  readonly apiSecurityGroup: SecurityGroup;

  constructor(scope: Construct, id: string, props: EksControlPlaneProps) {
    super(scope, id);
    const caller = new DataAwsCallerIdentity(this, "Caller");
    this.accountId = caller.accountId;

    this.secretsKey = new KmsKey(this, "SecretsKey", {
      description: `${props.name}: envelope encryption of Kubernetes secrets`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
    });
    new KmsAlias(this, "SecretsKeyAlias", { name: `alias/${props.name}-eks-secrets`, targetKeyId: this.secretsKey.keyId });

    const role = new IamRole(this, "Role", {
      name: `${props.name}-cluster`, // name is at most 41 characters: within IAM's 64
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] }],
      }),
    });
    const policy = new IamRolePolicyAttachment(this, "RolePolicy", {
      role: role.name,
      policyArn: `arn:${props.partition}:iam::aws:policy/AmazonEKSClusterPolicy`,
    });
    // EKS uses the cluster role to encrypt secrets with the key.
    const keyUse = new IamRolePolicy(this, "RoleKeyUse", {
      role: role.id,
      name: "secrets-encryption",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"], Resource: this.secretsKey.arn }],
      }),
    });

    // Created before the cluster so retention applies from the first line (EKS would create it unbounded).
    const logs = new CloudwatchLogGroup(this, "Logs", { name: `/aws/eks/${props.name}/cluster`, retentionInDays: props.logRetentionDays });

    // Its own group, not the cluster security group (which the nodes share): VPN and peered clients
    // reach the API on 443 and nothing on the nodes. Always attached, so adding CIDRs later only
    // adds rules (the cluster's security groups cannot change in place).
    this.apiSecurityGroup = new SecurityGroup(this, "ApiSecurityGroup", {
      namePrefix: `${props.name}-api-`,
      description: "Kubernetes API (private endpoint) from api.privateCidrs",
      vpcId: props.vpcId,
      tags: { Name: `${props.name}-api` },
    });
    props.privateAccessCidrs.forEach(
      (cidr, i) =>
        new VpcSecurityGroupIngressRule(this, `PrivateApiAccess${i}`, {
          securityGroupId: this.apiSecurityGroup.id,
          cidrIpv4: cidr,
          ipProtocol: "tcp",
          fromPort: 443,
          toPort: 443,
          description: "Kubernetes API from a private network (api.privateCidrs)",
        }),
    );

    const publicAccess = props.publicAccessCidrs.length > 0;
    this.cluster = new EksCluster(this, "Cluster", {
      name: props.name,
      version: props.kubernetesVersion,
      roleArn: role.arn,
      vpcConfig: {
        subnetIds: props.subnets.map((s) => s.id),
        securityGroupIds: [this.apiSecurityGroup.id],
        endpointPrivateAccess: true,
        endpointPublicAccess: publicAccess,
        // Never 0.0.0.0/0: without configured CIDRs there is no public endpoint.
        publicAccessCidrs: publicAccess ? props.publicAccessCidrs : undefined,
      },
      encryptionConfig: { resources: ["secrets"], provider: { keyArn: this.secretsKey.arn } },
      enabledClusterLogTypes: CONTROL_PLANE_LOGS,
      accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false },
      upgradePolicy: { supportType: "STANDARD" },
      deletionProtection: props.keep,
      lifecycle: { preventDestroy: props.keep },
      dependsOn: [policy, keyUse, logs],
    });

    this.oidc = new IamOpenidConnectProvider(this, "Oidc", {
      url: this.cluster.identity.get(0).oidc.get(0).issuer,
      clientIdList: ["sts.amazonaws.com"],
    });

    // The identity running `cdktf deploy` (its role, not the session) becomes cluster admin, so the
    // helm and kubernetes providers work in the same apply. Explicit, instead of the creator bootstrap.
    const session = new DataAwsIamSessionContext(this, "Deployer", { arn: caller.arn });
    const admins: Record<string, string> = { Deployer: session.issuerArn };
    props.adminPrincipals.forEach((arn, i) => (admins[`Admin${i}`] = arn));
    for (const [key, principalArn] of Object.entries(admins)) {
      const entry = new EksAccessEntry(this, `${key}Access`, { clusterName: this.cluster.name, principalArn, type: "STANDARD" });
      this.access.push(
        entry,
        new EksAccessPolicyAssociation(this, `${key}AdminPolicy`, {
          clusterName: this.cluster.name,
          principalArn,
          policyArn: `arn:${props.partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`,
          accessScope: { type: "cluster" },
          dependsOn: [entry],
        }),
      );
    }
  }
}
