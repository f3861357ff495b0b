import type { ComputeNetwork } from "@cdktf/provider-google/lib/compute-network";
import type { ComputeGlobalAddress } from "@cdktf/provider-google/lib/compute-global-address";
import { SecretManagerSecret } from "@cdktf/provider-google/lib/secret-manager-secret";
import { SecretManagerSecretIamMember } from "@cdktf/provider-google/lib/secret-manager-secret-iam-member";
import { SecretManagerSecretVersion } from "@cdktf/provider-google/lib/secret-manager-secret-version";
import { SqlDatabase } from "@cdktf/provider-google/lib/sql-database";
import { SqlDatabaseInstance } from "@cdktf/provider-google/lib/sql-database-instance";
import { SqlUser } from "@cdktf/provider-google/lib/sql-user";
import { StorageBucket } from "@cdktf/provider-google/lib/storage-bucket";
import { Password } from "@cdktf/provider-random/lib/password";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { BucketRef, DatabaseEngine, DatabaseEngineRequest, DatabaseRef, Profile, ServiceAccountRef } from "../../context";
import { DATABASE_PORT, DatabaseNames, requestScope } from "../shared";
import { bucketName, sqlInstanceName } from "./names";

export interface GkeDataProps {
  readonly name: string;
  /** Cloud SQL limits `<project>:<instance>` to 98 characters. */
  readonly project: string;
  readonly region: string;
  readonly network: ComputeNetwork;
  /** The private services range Cloud SQL takes its addresses from. */
  readonly privateServicesRange: ComputeGlobalAddress;
  /** The private services connection: Cloud SQL instances are created through it. */
  readonly privateServices: ITerraformDependable;
  /** The project's APIs. */
  readonly dependsOn: ITerraformDependable[];
  /** Random suffix for globally unique or slowly freed names (buckets, SQL instances). */
  readonly suffix: string;
  readonly profile: Profile;
  readonly keep: boolean;
}

/** Cloud SQL machine per profile (Enterprise edition: shared-core for labs, dedicated otherwise). */
const SQL_TIER = { lab: "db-f1-micro", small: "db-custom-1-3840", standard: "db-custom-2-7680" } as const;
const POSTGRES_VERSION = "POSTGRES_17";
/** MySQL 8.4, the long-term support line. */
export const MYSQL_VERSION = "MYSQL_8_4";

/** What differs between the engines on Cloud SQL; everything else (network, TLS, backups, protection) is shared. */
const ENGINES = {
  // Point-in-time recovery: PostgreSQL's own setting; MySQL's is the binary log.
  postgres: { databaseVersion: POSTGRES_VERSION, recovery: { pointInTimeRecoveryEnabled: true }, charset: undefined, collation: undefined },
  mysql: { databaseVersion: MYSQL_VERSION, recovery: { binaryLogEnabled: true }, charset: "utf8mb4", collation: "utf8mb4_0900_ai_ci" },
} as const satisfies Record<DatabaseEngine, unknown>;

interface Reader {
  readonly key: string;
  readonly member: string;
}

/**
 * Managed data services for components: one Cloud SQL instance, PostgreSQL or MySQL, per
 * `database()` (private IP only, TLS required, backups with point-in-time recovery, protected from
 * destroy) and one GCS bucket per `bucket(name)` (uniform access, public access prevented,
 * versioned); each under a child scope named after the request.
 * Database passwords are generated and kept in Secret Manager, where external-secrets reads them.
 */
export class GkeData extends Construct {
  private readonly readers: { reader: Reader; scope: Construct }[] = [];
  private readonly secrets: { key: string; secret: SecretManagerSecret; scope: Construct }[] = [];
  private readonly names = new DatabaseNames();

  constructor(
    scope: Construct,
    id: string,
    private readonly props: GkeDataProps,
  ) {
    super(scope, id);
  }

  database(scope: Construct, request: DatabaseEngineRequest): DatabaseRef {
    if (!/^[a-z][a-z0-9-]{0,30}$/.test(request.name)) {
      throw new Error(`DatabaseRequest.name must be 1-31 characters of a-z, 0-9, "-", starting with a letter, got "${request.name}"`);
    }
    const { name, keep, profile, suffix } = this.props;
    const root = this.names.claim(scope, request);
    const engine = ENGINES[request.engine];
    const ident = request.name.replace(/-/g, "_");
    const instance = new SqlDatabaseInstance(root, "Instance", {
      // Cloud SQL keeps a deleted instance's name for a week: the suffix lets a lab come back sooner.
      name: sqlInstanceName(name, request.name, suffix, this.props.project),
      region: this.props.region,
      databaseVersion: engine.databaseVersion,
      settings: {
        edition: "ENTERPRISE",
        tier: SQL_TIER[profile],
        availabilityType: profile === "standard" ? "REGIONAL" : "ZONAL",
        diskType: "PD_SSD",
        diskSize: profile === "standard" ? 50 : 10,
        diskAutoresize: true,
        diskAutoresizeLimit: profile === "standard" ? 500 : 100,
        ipConfiguration: {
          // A private address in the VPC and none on the internet.
          ipv4Enabled: false,
          privateNetwork: this.props.network.id,
          allocatedIpRange: this.props.privateServicesRange.name,
          sslMode: "ENCRYPTED_ONLY",
        },
        backupConfiguration: {
          enabled: true,
          ...engine.recovery,
          transactionLogRetentionDays: 7,
          startTime: "02:00",
          backupRetentionSettings: { retainedBackups: profile === "standard" ? 14 : 7, retentionUnit: "COUNT" },
        },
        insightsConfig: { queryInsightsEnabled: profile === "standard" },
        // Cloud SQL's own guard (API and console), besides Terraform's.
        deletionProtectionEnabled: keep,
        retainBackupsOnDelete: keep,
      },
      deletionProtection: keep,
      lifecycle: { preventDestroy: keep },
      dependsOn: [...this.props.dependsOn, this.props.privateServices],
    });
    const database = new SqlDatabase(root, "Name", {
      instance: instance.name,
      name: ident,
      charset: engine.charset,
      collation: engine.collation,
      // Dropping a database with live connections fails; the instance's deletion removes it anyway.
      deletionPolicy: "ABANDON",
    });
    const password = new Password(root, "Password", { length: 32, special: false });
    const user = new SqlUser(root, "User", { instance: instance.name, name: ident, password: password.result, deletionPolicy: "ABANDON" });

    // The password goes to Secret Manager, where external-secrets reads it: never to an output.
    const secret = new SecretManagerSecret(root, "Secret", {
      secretId: `${name}-${request.name}-db-password`,
      replication: { auto: {} },
      labels: { "fawkes-database": request.name },
      deletionProtection: keep,
      lifecycle: { preventDestroy: keep },
      dependsOn: this.props.dependsOn,
    });
    const version = new SecretManagerSecretVersion(root, "SecretValue", { secret: secret.id, secretData: password.result });
    const access = this.readers.map(({ reader }) => this.grantRead(root, secret, reader));
    this.secrets.push({ key: request.name, secret, scope: root });

    return {
      engine: request.engine,
      host: instance.privateIpAddress,
      port: DATABASE_PORT[request.engine],
      database: ident,
      username: ident,
      password: { key: secret.secretId },
      tls: true,
      dependsOn: [instance, database, user, version, ...access],
    };
  }

  bucket(parent: Construct, name: string): BucketRef {
    const { keep } = this.props;
    const bucket = new StorageBucket(requestScope(parent, `Bucket-${name}`, `Bucket "${name}"`), "Bucket", {
      name: bucketName(this.props.name, name, this.props.suffix),
      location: this.props.region,
      storageClass: "STANDARD",
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      versioning: { enabled: true },
      forceDestroy: !keep,
      lifecycle: { preventDestroy: keep },
      dependsOn: this.props.dependsOn,
    });
    // No `s3`: GCS speaks S3 only with static HMAC keys, which Fawkes never creates. Components fall
    // back to what they do without an S3 bucket (e.g. a persistent volume).
    return { name: bucket.name, gcs: true, dependsOn: [bucket] };
  }

  /**
   * Lets a workload read every database password, now and later: each secret gets its own IAM
   * binding (no project-wide accessor role), whichever of the two is created first.
   */
  addSecretReader(scope: Construct, sa: ServiceAccountRef, member: string): ITerraformDependable[] {
    const reader = { key: `${sa.namespace}-${sa.name}`, member };
    this.readers.push({ reader, scope });
    return this.secrets.map(({ secret, key }) => new SecretManagerSecretIamMember(scope, `SecretAccess-${key}`, accessorProps(secret, member)));
  }

  private grantRead(scope: Construct, secret: SecretManagerSecret, reader: Reader): SecretManagerSecretIamMember {
    return new SecretManagerSecretIamMember(scope, `Reader-${reader.key}`, accessorProps(secret, reader.member));
  }
}

function accessorProps(secret: SecretManagerSecret, member: string) {
  return { secretId: secret.id, role: "roles/secretmanager.secretAccessor", member };
}
