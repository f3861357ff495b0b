import { EcrRegistryScanningConfiguration } from "@cdktf/provider-aws/lib/ecr-registry-scanning-configuration";
import { EcrRepositoryCreationTemplate } from "@cdktf/provider-aws/lib/ecr-repository-creation-template";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Construct } from "constructs";
import type { RegistryCapability } from "../../context";
import type { PolicyStatement } from "./identity";
import { AWS_NAME_LIMITS, awsName } from "./names";

/** Untagged images (layers of superseded builds) are expired after this many days. */
const UNTAGGED_EXPIRY_DAYS = 14;

export interface EcrRegistryProps {
  /** The platform's resource prefix: every repository is `<name>/<service>`. */
  readonly name: string;
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  /** Encrypts every image of the platform. */
  readonly key: KmsKey;
}

/** The ECR lifecycle policy of every repository: untagged images go after UNTAGGED_EXPIRY_DAYS. */
function ecrLifecyclePolicy(): string {
  return JSON.stringify({
    rules: [
      {
        rulePriority: 1,
        description: `Expire untagged images after ${UNTAGGED_EXPIRY_DAYS} days`,
        selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: UNTAGGED_EXPIRY_DAYS },
        action: { type: "expire" },
      },
    ],
  });
}

/**
 * ECR for the platform's services: no repository is made here. The pipeline pushes
 * `<host>/<name>/<service>:<commit>` and ECR creates the repository on that first push from the
 * creation template (immutable tags, the platform's KMS key, the lifecycle policy), so a new
 * service needs no Terraform run. Every push under the prefix is scanned (basic scanning).
 */
export class EcrRegistry extends Construct {
  readonly capability: RegistryCapability;
  readonly host: string;
  /** ARN pattern of the platform's repositories. */
  readonly repositories: string;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: EcrRegistryProps,
  ) {
    super(scope, id);
    const { name, region, accountId, partition, key } = props;
    this.host = `${accountId}.dkr.ecr.${region}.amazonaws.com`;
    this.repositories = `arn:${partition}:ecr:${region}:${accountId}:repository/${name}/*`;

    // A template with a KMS key needs a role ECR assumes to create the repository and its key grant
    // (the service-linked role cannot use customer keys).
    const role = new IamRole(this, "TemplateRole", {
      namePrefix: `${awsName([name, "ecr-create"], AWS_NAME_LIMITS.iamRolePrefix - 1)}-`,
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "ecr.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
    });
    const rolePolicy = new IamRolePolicy(this, "TemplateRolePolicy", {
      role: role.id,
      name: "create-repositories",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: ["ecr:CreateRepository", "ecr:TagResource", "ecr:PutLifecyclePolicy"], Resource: this.repositories },
          { Effect: "Allow", Action: ["kms:CreateGrant", "kms:RetireGrant", "kms:DescribeKey"], Resource: key.arn },
        ],
      }),
    });
    const template = new EcrRepositoryCreationTemplate(this, "Template", {
      prefix: name,
      description: `Fawkes ${name}: repositories the pipeline pushes to`,
      appliedFor: ["CREATE_ON_PUSH"],
      imageTagMutability: "IMMUTABLE",
      encryptionConfiguration: [{ encryptionType: "KMS", kmsKey: key.arn }],
      lifecyclePolicy: ecrLifecyclePolicy(),
      customRoleArn: role.arn,
      resourceTags: { "fawkes.dev/platform": name },
      dependsOn: [rolePolicy],
    });
    // The scanning configuration is the registry's (one per account and region): this one scans the
    // platform's repositories on push. Another platform in the same account and region would replace
    // it; give such platforms one account each, or manage the rule outside this stack.
    const scanning = new EcrRegistryScanningConfiguration(this, "Scanning", {
      scanType: "BASIC",
      rule: [{ scanFrequency: "SCAN_ON_PUSH", repositoryFilter: [{ filter: `${name}/*`, filterType: "WILDCARD" }] }],
    });

    const pushUrl = `${this.host}/${name}`;
    this.capability = {
      pushUrl,
      pullUrl: pushUrl,
      // kaniko ships docker-credential-ecr-login: it trades the pod's IRSA credentials for a token.
      dockerConfig: { credHelpers: { [this.host]: "ecr-login" } },
      kanikoFlags: [],
      pushEnv: {},
      scanOnPush: "ECR basic scanning on push (operating-system packages)",
      immutableTags: true,
      ready: [template, scanning],
    };
  }

  /** What `{ registry: "push" }` grants: a token, and push and pull on the platform's repositories only. */
  pushStatements(): PolicyStatement[] {
    return [
      // The token call has no resource-level permissions.
      { actions: ["ecr:GetAuthorizationToken"], resources: ["*"] },
      {
        actions: [
          // The first push of a service creates its repository from the template (tagged by it).
          "ecr:CreateRepository",
          "ecr:TagResource",
          "ecr:DescribeRepositories",
          "ecr:BatchCheckLayerAvailability",
          "ecr:BatchGetImage",
          "ecr:GetDownloadUrlForLayer",
          "ecr:DescribeImages",
          "ecr:InitiateLayerUpload",
          "ecr:UploadLayerPart",
          "ecr:CompleteLayerUpload",
          "ecr:PutImage",
        ],
        resources: [this.repositories],
      },
      { actions: ["kms:GenerateDataKey", "kms:Decrypt", "kms:DescribeKey"], resources: [this.props.key.arn] },
    ];
  }
}
