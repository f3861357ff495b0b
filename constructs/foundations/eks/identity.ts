import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import type { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Fn, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { ServiceAccountRef } from "../../context";

export interface PolicyStatement {
  readonly actions: string[];
  readonly resources: string[];
  readonly condition?: { test: string; variable: string; values: string[] }[];
}

/** The cluster's OIDC provider and the AWS partition its ARNs live in (`aws`, `aws-cn`, `aws-us-gov`). */
export interface IrsaIssuer {
  readonly oidc: IamOpenidConnectProvider;
  readonly partition: string;
}

/**
 * An IAM role that exactly one Kubernetes service account can assume through the cluster's OIDC
 * provider (IRSA): no static keys, no sharing of the node role.
 */
export function irsaRole(
  scope: Construct,
  id: string,
  issuer: IrsaIssuer,
  sa: ServiceAccountRef,
  statements: PolicyStatement[],
  /** AWS-managed policies to attach, by name (e.g. "service-role/AmazonEBSCSIDriverPolicy"). */
  managedPolicies: string[] = [],
): { role: IamRole; ready: ITerraformDependable[] } {
  const root = new Construct(scope, id);
  const { oidc, partition } = issuer;
  const issuerHost = Fn.replace(oidc.url, "https://", "");
  const trust = new DataAwsIamPolicyDocument(root, "Trust", {
    statement: [
      {
        effect: "Allow",
        actions: ["sts:AssumeRoleWithWebIdentity"],
        principals: [{ type: "Federated", identifiers: [oidc.arn] }],
        condition: [
          { test: "StringEquals", variable: `${issuerHost}:sub`, values: [`system:serviceaccount:${sa.namespace}:${sa.name}`] },
          { test: "StringEquals", variable: `${issuerHost}:aud`, values: ["sts.amazonaws.com"] },
        ],
      },
    ],
  });
  const grants =
    statements.length > 0
      ? new DataAwsIamPolicyDocument(root, "Grants", {
          statement: statements.map((s) => ({ effect: "Allow", actions: s.actions, resources: s.resources, condition: s.condition })),
        })
      : undefined;
  const role = new IamRole(root, "Role", {
    namePrefix: `${sa.namespace}-${sa.name}-`.slice(0, 38),
    assumeRolePolicy: trust.json,
  });
  const ready: ITerraformDependable[] = [role];
  if (grants) ready.push(new IamRolePolicy(root, "GrantsPolicy", { role: role.id, name: "grants", policy: grants.json }));
  managedPolicies.forEach((policy, i) =>
    ready.push(new IamRolePolicyAttachment(root, `Managed${i}`, { role: role.name, policyArn: `arn:${partition}:iam::aws:policy/${policy}` })),
  );
  return { role, ready };
}
