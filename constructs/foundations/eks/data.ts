import { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { DbParameterGroup } from "@cdktf/provider-aws/lib/db-parameter-group";
import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group";
import type { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import type { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import type { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { Construct } from "constructs";
import type { BucketRef, DatabaseRef, DatabaseRequest } from "../../context";

export interface EksDataProps {
  readonly name: string;
  readonly vpc: Vpc;
  /** Subnets with no route out of the VPC. */
  readonly subnets: Subnet[];
  /** Security group of the cluster's nodes: the only clients allowed. */
  readonly clientSecurityGroupId: string;
  readonly key: KmsKey;
  readonly profile: "lab" | "small" | "standard";
  readonly keep: boolean;
}

/** RDS instance class per profile. */
export const RDS_INSTANCE_CLASS = { lab: "db.t4g.micro", small: "db.t4g.small", standard: "db.m7g.large" } as const;
export const POSTGRES_MAJOR = "17";

/**
 * Managed data services for components: one RDS PostgreSQL instance per `postgres(name)` and one S3
 * bucket per `bucket(name)`. Private, encrypted with the platform data key, protected from destroy.
 */
export class EksData extends Construct {
  private subnetGroup?: DbSubnetGroup;
  private securityGroup?: SecurityGroup;
  private parameters?: DbParameterGroup;

  constructor(scope: Construct, id: string, private readonly props: EksDataProps) {
    super(scope, id);
  }

  postgres(scope: Construct, request: DatabaseRequest): DatabaseRef {
    const { name, keep, profile } = this.props;
    const ident = request.name.replace(/-/g, "_");
    const db = new DbInstance(scope, "Database", {
      identifier: `${name}-${request.name}`,
      engine: "postgres",
      engineVersion: POSTGRES_MAJOR,
      instanceClass: RDS_INSTANCE_CLASS[profile],
      allocatedStorage: 20,
      maxAllocatedStorage: profile === "standard" ? 500 : 100,
      storageType: "gp3",
      storageEncrypted: true,
      kmsKeyId: this.props.key.arn,
      dbName: ident,
      username: ident,
      // RDS generates the password and keeps it (rotated) in Secrets Manager: it never passes through Terraform.
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: this.props.key.keyId,
      dbSubnetGroupName: this.dbSubnetGroup().name,
      vpcSecurityGroupIds: [this.dbSecurityGroup().id],
      parameterGroupName: this.parameterGroup().name,
      publiclyAccessible: false,
      multiAz: profile === "standard",
      backupRetentionPeriod: profile === "standard" ? 14 : 7,
      copyTagsToSnapshot: true,
      autoMinorVersionUpgrade: true,
      performanceInsightsEnabled: profile === "standard",
      enabledCloudwatchLogsExports: ["postgresql"],
      deletionProtection: keep,
      skipFinalSnapshot: !keep,
      finalSnapshotIdentifier: keep ? `${name}-${request.name}-final` : undefined,
      lifecycle: { preventDestroy: keep },
    });
    return {
      host: db.address,
      port: 5432,
      database: ident,
      username: ident,
      password: { key: db.masterUserSecret.get(0).secretArn, property: "password" },
      tls: true,
      dependsOn: [db],
    };
  }

  bucket(scope: Construct, name: string): BucketRef {
    const { keep } = this.props;
    const bucket = new S3Bucket(scope, "Bucket", {
      bucketPrefix: `${this.props.name}-${name}-`.slice(0, 37),
      forceDestroy: !keep,
      lifecycle: { preventDestroy: keep },
    });
    const ready = [
      bucket,
      new S3BucketPublicAccessBlock(scope, "BucketPublicAccess", {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      }),
      new S3BucketOwnershipControls(scope, "BucketOwnership", { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }),
      new S3BucketServerSideEncryptionConfigurationA(scope, "BucketEncryption", {
        bucket: bucket.id,
        rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: this.props.key.arn }, bucketKeyEnabled: true }],
      }),
      new S3BucketVersioningA(scope, "BucketVersioning", { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }),
      new S3BucketPolicy(scope, "BucketPolicy", {
        bucket: bucket.id,
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "TlsOnly",
              Effect: "Deny",
              Principal: "*",
              Action: "s3:*",
              Resource: [bucket.arn, `${bucket.arn}/*`],
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
          ],
        }),
      }),
    ];
    return { name: bucket.bucket, s3: { endpoint: `s3.${bucket.region}.amazonaws.com`, region: bucket.region, pathStyle: false }, dependsOn: ready };
  }

  private dbSubnetGroup(): DbSubnetGroup {
    this.subnetGroup ??= new DbSubnetGroup(this, "SubnetGroup", { namePrefix: `${this.props.name}-`, subnetIds: this.props.subnets.map((s) => s.id) });
    return this.subnetGroup;
  }

  private dbSecurityGroup(): SecurityGroup {
    if (!this.securityGroup) {
      this.securityGroup = new SecurityGroup(this, "SecurityGroup", {
        namePrefix: `${this.props.name}-db-`,
        description: "PostgreSQL from the cluster's nodes only",
        vpcId: this.props.vpc.id,
      });
      new VpcSecurityGroupIngressRule(this, "FromNodes", {
        securityGroupId: this.securityGroup.id,
        referencedSecurityGroupId: this.props.clientSecurityGroupId,
        ipProtocol: "tcp",
        fromPort: 5432,
        toPort: 5432,
        description: "PostgreSQL from EKS nodes",
      });
    }
    return this.securityGroup;
  }

  private parameterGroup(): DbParameterGroup {
    this.parameters ??= new DbParameterGroup(this, "Parameters", {
      namePrefix: `${this.props.name}-pg${POSTGRES_MAJOR}-`,
      family: `postgres${POSTGRES_MAJOR}`,
      parameter: [
        { name: "rds.force_ssl", value: "1" },
        { name: "log_connections", value: "1" },
      ],
      lifecycle: { createBeforeDestroy: true },
    });
    return this.parameters;
  }
}
