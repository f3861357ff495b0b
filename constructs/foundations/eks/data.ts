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
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import type { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import type { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { Password } from "@cdktf/provider-random/lib/password";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import type { BucketRef, DatabaseEngine, DatabaseEngineRequest, DatabaseRef, Profile } from "../../context";
import { DATABASE_PORT, DatabaseNames, requestScope } from "../shared";
import { AWS_NAME_LIMITS, awsName } from "./names";

export interface EksDataProps {
  readonly name: string;
  readonly vpc: Vpc;
  /** Subnets with no route out of the VPC. */
  readonly subnets: Subnet[];
  /** Security group of the cluster's nodes: the only clients allowed. */
  readonly clientSecurityGroupId: string;
  readonly key: KmsKey;
  readonly profile: Profile;
  readonly keep: boolean;
}

/** RDS instance class per profile. */
const RDS_INSTANCE_CLASS = { lab: "db.t4g.micro", small: "db.t4g.small", standard: "db.m7g.large" } as const;
export const POSTGRES_MAJOR = "17";
/** MySQL 8.4, the long-term support line (RDS picks the newest 8.4 minor, and upgrades minors itself). */
export const MYSQL_VERSION = "8.4";

/** What differs between the engines on RDS; everything else (network, key, backups, protection) is shared. */
const ENGINES = {
  postgres: {
    engineVersion: POSTGRES_MAJOR,
    family: `postgres${POSTGRES_MAJOR}`,
    parameterGroupName: `pg${POSTGRES_MAJOR}`,
    parameters: [
      { name: "rds.force_ssl", value: "1" },
      { name: "log_connections", value: "1" },
    ],
    logs: ["postgresql"],
    label: "PostgreSQL",
  },
  mysql: {
    engineVersion: MYSQL_VERSION,
    family: `mysql${MYSQL_VERSION}`,
    parameterGroupName: `mysql${MYSQL_VERSION.replace(".", "")}`,
    // RDS takes MySQL's boolean parameters as 1/0: 1 is ON, plain connections are refused.
    parameters: [{ name: "require_secure_transport", value: "1" }],
    logs: ["error", "slowquery"],
    label: "MySQL",
  },
} as const satisfies Record<DatabaseEngine, unknown>;

/**
 * Managed data services for components: one RDS instance (PostgreSQL or MySQL) per `database()` and
 * one S3 bucket per `bucket(name)`, each under a child scope named after the request. Private,
 * encrypted with the platform data key, protected from destroy.
 * Database passwords are generated here and kept in Secrets Manager under `<name>/`, where
 * external-secrets reads them; they change only when the operator replaces them (no rotation that
 * would leave clients, which read the password at start, with a stale one).
 */
export class EksData extends Construct {
  private subnetGroup?: DbSubnetGroup;
  private securityGroup?: SecurityGroup;
  private readonly parameters = new Map<DatabaseEngine, DbParameterGroup>();
  private readonly ports = new Set<DatabaseEngine>();
  private readonly names = new DatabaseNames();

  constructor(
    scope: Construct,
    id: string,
    private readonly props: EksDataProps,
  ) {
    super(scope, id);
  }

  database(scope: Construct, request: DatabaseEngineRequest): DatabaseRef {
    if (!/^[a-z][a-z0-9-]{0,30}$/.test(request.name)) {
      throw new Error(`DatabaseRequest.name must be 1-31 characters of a-z, 0-9, "-", starting with a letter, got "${request.name}"`);
    }
    const root = this.names.claim(scope, request);
    const { engine } = request;
    const spec = ENGINES[engine];
    const { name, keep, profile } = this.props;
    const ident = request.name.replace(/-/g, "_");
    const identifier = awsName([name, request.name], AWS_NAME_LIMITS.rdsIdentifier);
    // RDS refuses `/`, `"`, `@` and spaces: letters and digits only.
    const password = new Password(root, "Password", { length: 32, special: false, minUpper: 2, minLower: 2, minNumeric: 2 });
    const secret = new SecretsmanagerSecret(root, "PasswordSecret", {
      // Under `<name>/`, the only prefix the external-secrets role may read; a prefix, so a lab
      // destroyed and deployed again does not collide with the secret still in its recovery window.
      namePrefix: `${name}/${engine}/${request.name}-`,
      description: `${spec.label} password of ${identifier} (user ${ident})`,
      kmsKeyId: this.props.key.arn,
    });
    const secretValue = new SecretsmanagerSecretVersion(root, "PasswordValue", {
      secretId: secret.id,
      secretString: Fn.jsonencode({ username: ident, password: password.result }),
    });
    const db = new DbInstance(root, "Instance", {
      identifier,
      engine,
      engineVersion: spec.engineVersion,
      instanceClass: RDS_INSTANCE_CLASS[profile],
      allocatedStorage: 20,
      maxAllocatedStorage: profile === "standard" ? 500 : 100,
      storageType: "gp3",
      storageEncrypted: true,
      kmsKeyId: this.props.key.arn,
      dbName: ident,
      username: ident,
      // Generated above, not RDS-managed: RDS rotates its own secret every 7 days, and Backstage,
      // SonarQube and Mattermost read the password only at start. It is in Terraform state (encrypted).
      // manage_master_user_password is left unset: the provider rejects it next to `password`, even false.
      password: password.result,
      dbSubnetGroupName: this.dbSubnetGroup().name,
      vpcSecurityGroupIds: [this.dbSecurityGroup(engine).id],
      parameterGroupName: this.parameterGroup(engine).name,
      publiclyAccessible: false,
      multiAz: profile === "standard",
      backupRetentionPeriod: profile === "standard" ? 14 : 7,
      copyTagsToSnapshot: true,
      autoMinorVersionUpgrade: true,
      performanceInsightsEnabled: profile === "standard",
      enabledCloudwatchLogsExports: [...spec.logs],
      deletionProtection: keep,
      skipFinalSnapshot: !keep,
      finalSnapshotIdentifier: keep ? `${awsName([name, request.name], AWS_NAME_LIMITS.rdsIdentifier - "-final".length)}-final` : undefined,
      lifecycle: { preventDestroy: keep },
    });
    return {
      engine,
      host: db.address,
      port: DATABASE_PORT[engine],
      database: ident,
      username: ident,
      password: { key: secret.arn, property: "password" },
      tls: true,
      dependsOn: [db, secretValue],
    };
  }

  bucket(parent: Construct, name: string): BucketRef {
    if (!/^[a-z][a-z0-9-]{0,30}$/.test(name))
      throw new Error(`EksData.bucket name must be 1-31 characters of a-z, 0-9, "-", starting with a letter, got "${name}"`);
    const { keep } = this.props;
    const scope = requestScope(parent, `Bucket-${name}`, `Bucket "${name}"`);
    const bucket = new S3Bucket(scope, "Bucket", {
      // Terraform appends 26 digits: the bucket name ends with a digit, within 63.
      bucketPrefix: `${awsName([this.props.name, name], AWS_NAME_LIMITS.s3BucketPrefix - 1)}-`,
      forceDestroy: !keep,
      lifecycle: { preventDestroy: keep },
    });
    const ready = [
      bucket,
      new S3BucketPublicAccessBlock(scope, "PublicAccess", {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      }),
      new S3BucketOwnershipControls(scope, "Ownership", { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }),
      new S3BucketServerSideEncryptionConfigurationA(scope, "Encryption", {
        bucket: bucket.id,
        rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: this.props.key.arn }, bucketKeyEnabled: true }],
      }),
      new S3BucketVersioningA(scope, "Versioning", { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }),
      new S3BucketPolicy(scope, "Policy", {
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
    this.subnetGroup ??= new DbSubnetGroup(this, "SubnetGroup", {
      namePrefix: `${awsName([this.props.name], 200)}-`,
      subnetIds: this.props.subnets.map((s) => s.id),
    });
    return this.subnetGroup;
  }

  /** One security group for every database; each engine's port is opened to the nodes once it is used. */
  private dbSecurityGroup(engine: DatabaseEngine): SecurityGroup {
    // The description is PostgreSQL's, the first engine here: changing it would replace the group.
    this.securityGroup ??= new SecurityGroup(this, "SecurityGroup", {
      namePrefix: `${this.props.name}-db-`,
      description: "PostgreSQL from the cluster's nodes only",
      vpcId: this.props.vpc.id,
    });
    if (!this.ports.has(engine)) {
      this.ports.add(engine);
      const port = DATABASE_PORT[engine];
      new VpcSecurityGroupIngressRule(this, engine === "postgres" ? "FromNodes" : "FromNodesMysql", {
        securityGroupId: this.securityGroup.id,
        referencedSecurityGroupId: this.props.clientSecurityGroupId,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        description: `${ENGINES[engine].label} from EKS nodes`,
      });
    }
    return this.securityGroup;
  }

  /** One parameter group per engine, shared by its instances: TLS required. */
  private parameterGroup(engine: DatabaseEngine): DbParameterGroup {
    let group = this.parameters.get(engine);
    if (!group) {
      const spec = ENGINES[engine];
      group = new DbParameterGroup(this, engine === "postgres" ? "Parameters" : "ParametersMysql", {
        namePrefix: `${awsName([this.props.name, spec.parameterGroupName], 200)}-`,
        family: spec.family,
        parameter: spec.parameters.map((p) => ({ ...p })),
        lifecycle: { createBeforeDestroy: true },
      });
      this.parameters.set(engine, group);
    }
    return group;
  }
}
