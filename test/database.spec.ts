import { TerraformOutput, Testing, type TerraformStack } from "cdktf";
import { Construct } from "constructs";
import type { BucketRef, DatabaseRef, PlatformContext } from "../constructs/context";
import { LOCAL_MYSQL_IMAGE } from "../constructs/foundations/existing-cluster";
import { STACKS, type StackName } from "../stacks/app";
import { FRONT_DOOR_ONLY, manifests, release, resources, testConfig } from "./support";

/**
 * A component that asks the context for two databases (one of each engine) and two buckets, the
 * way a component would: only through the context, in its own scope. Installed once per stack.
 */
const DataProbe = {
  id: "data-probe",
  install(scope: Construct, ctx: PlatformContext) {
    const root = new Construct(scope, "DataProbe");
    return {
      notes: ctx.database(root, { name: "notes", namespace: this.id, engine: "postgres" }),
      events: ctx.database(root, { name: "events", namespace: this.id, engine: "mysql" }),
      uploads: ctx.bucket(root, "uploads"),
      exports: ctx.bucket(root, "exports"),
    };
  },
};

interface Probed {
  tf: any;
  stack: TerraformStack & { foundation: PlatformContext };
  refs: { notes: DatabaseRef; events: DatabaseRef; uploads: BucketRef; exports: BucketRef };
}

/** Each stack with the front door only and the probe: one synth per stack for the whole file. */
function probe(name: StackName): Probed {
  const stack = new STACKS[name](Testing.app(), name, testConfig({ components: FRONT_DOOR_ONLY })) as Probed["stack"];
  const asked = DataProbe.install(stack, stack.foundation);
  // Through outputs, so the refs read as Terraform expressions, not tokens (two tokens always differ).
  for (const [key, ref] of Object.entries(asked)) new TerraformOutput(stack, `probe_${key}`, { value: { ...ref, dependsOn: undefined } });
  const tf = JSON.parse(Testing.synth(stack, true));
  const refs = Object.fromEntries(
    Object.entries(asked).map(([key, ref]) => [key, { ...tf.output[`probe_${key}`].value, dependsOn: ref.dependsOn }]),
  ) as Probed["refs"];
  return { tf, stack, refs };
}
const aws = probe("fawkes-aws");
const azure = probe("fawkes-azure");
const gcp = probe("fawkes-gcp");
const local = probe("fawkes-local");

/** Resources of a type whose Terraform address is under the probe's scope for `request` (`Postgres-notes`). */
const under = (tf: any, type: string, scope: string) =>
  resources(tf, type)
    .filter(([id]) => id.startsWith(`DataProbe_${scope}_`))
    .map(([, r]) => r);
const only = (tf: any, type: string, scope: string) => {
  const found = under(tf, type, scope);
  expect(found).toHaveLength(1);
  return found[0];
};
const generated = /^\$\{random_password\.[\w-]+\.result\}$/;

describe.each([
  ["fawkes-aws", aws],
  ["fawkes-azure", azure],
  ["fawkes-gcp", gcp],
  ["fawkes-local", local],
])("%s: database() and bucket() requests", (_name, { refs }) => {
  test("each engine's ref says its engine and port, and requires TLS", () => {
    expect(refs.notes).toMatchObject({ engine: "postgres", port: 5432, database: "notes", username: "notes", tls: true });
    expect(refs.events).toMatchObject({ engine: "mysql", port: 3306, database: "events", username: "events", tls: true });
  });

  test("two databases and two buckets of one component do not collide", () => {
    expect(refs.notes.host).not.toEqual(refs.events.host);
    expect(refs.notes.password).not.toEqual(refs.events.password);
    expect(refs.uploads.name).not.toEqual(refs.exports.name);
  });
});

describe("database() and bucket() requests fail clearly", () => {
  test.each([
    ["fawkes-aws", aws],
    ["fawkes-azure", azure],
    ["fawkes-gcp", gcp],
    ["fawkes-local", local],
  ])("%s: a name asked for twice (whatever the engine), a long MySQL name, a bucket asked for twice", (_name, { stack }) => {
    const scope = new Construct(stack, "Again");
    const ctx = stack.foundation;
    expect(() => ctx.database(scope, { name: "notes", namespace: "x", engine: "mysql" })).toThrow(
      'DatabaseRequest.name must be unique on a platform, got "notes" twice (postgres, then mysql)',
    );
    expect(() => ctx.postgres(scope, { name: "events", namespace: "x" })).toThrow('got "events" twice (mysql, then postgres)');
    expect(() => ctx.database(scope, { name: "a-mysql-name-of-17", namespace: "x", engine: "mysql" })).toThrow(
      'DatabaseRequest.name must be at most 16 characters for mysql (RDS\'s limit on the user name), got "a-mysql-name-of-17"',
    );
    const root = stack.node.findChild("DataProbe");
    expect(() => ctx.bucket(root, "uploads")).toThrow(
      // Azure: one storage account holds every container, so a name is one bucket per platform.
      /Bucket "uploads" is asked for twice under .*DataProbe: every request needs its own name|a bucket named "uploads" exists already/,
    );
  });
});

describe("fawkes-aws: RDS PostgreSQL 17 and MySQL 8.4", () => {
  const { tf } = aws;
  const pg = only(tf, "aws_db_instance", "Postgres-notes");
  const my = only(tf, "aws_db_instance", "MySQL-events");
  const group = (ref: string) => resources(tf, "aws_db_parameter_group").find(([id]) => ref.includes(`.${id}.`))![1];

  test("each request's resources live under its own scope", () => {
    expect(pg).toMatchObject({ engine: "postgres", engine_version: "17", db_name: "notes" });
    expect(my).toMatchObject({ engine: "mysql", engine_version: "8.4", db_name: "events" });
    expect(pg.identifier).not.toEqual(my.identifier);
  });

  test.each([
    ["postgres", pg],
    ["mysql", my],
  ])("%s: private, encrypted with the data key, backed up 7+ days, protected, generated password", (_e, db) => {
    expect(db).toMatchObject({
      publicly_accessible: false,
      storage_encrypted: true,
      deletion_protection: true,
      skip_final_snapshot: false,
      lifecycle: { prevent_destroy: true },
    });
    expect(db.kms_key_id).toMatch(/^\$\{aws_kms_key\.Foundation_DataKey_\w+\.arn\}$/);
    expect(db.backup_retention_period).toBeGreaterThanOrEqual(7);
    expect(db.password).toMatch(generated);
    expect(db.manage_master_user_password).toBeUndefined();
  });

  test("TLS is required by each engine's parameter group", () => {
    expect(group(pg.parameter_group_name)).toMatchObject({ family: "postgres17", parameter: expect.arrayContaining([{ name: "rds.force_ssl", value: "1" }]) });
    expect(group(my.parameter_group_name)).toMatchObject({ family: "mysql8.4", parameter: [{ name: "require_secure_transport", value: "1" }] });
  });

  test("the nodes reach each engine's port, and nothing else does", () => {
    const rules = resources(tf, "aws_vpc_security_group_ingress_rule")
      .map(([, r]) => r)
      .filter((r) => /Foundation_Data_SecurityGroup/.test(r.security_group_id));
    expect(rules.map((r) => r.from_port).sort()).toEqual([3306, 5432]);
    for (const r of rules) expect(r.referenced_security_group_id).toMatch(/aws_eks_cluster\..*cluster_security_group_id/);
  });

  test("each password is in Secrets Manager under the platform prefix, encrypted with the data key", () => {
    expect(only(tf, "aws_secretsmanager_secret", "Postgres-notes").name_prefix).toBe("fawkes-dev/postgres/notes-");
    const secret = only(tf, "aws_secretsmanager_secret", "MySQL-events");
    expect(secret.name_prefix).toBe("fawkes-dev/mysql/events-");
    expect(secret.kms_key_id).toMatch(/aws_kms_key\.Foundation_DataKey_\w+\.arn/);
    expect(aws.refs.events.password).toEqual({
      key: expect.stringMatching(/^\$\{aws_secretsmanager_secret\.DataProbe_MySQL-events_\w+\.arn\}$/),
      property: "password",
    });
  });

  test("two buckets, each private, encrypted with the data key and TLS-only", () => {
    for (const name of ["uploads", "exports"]) {
      expect(only(tf, "aws_s3_bucket", `Bucket-${name}`).bucket_prefix).toBe(`fawkes-dev-${name}-`);
      expect(only(tf, "aws_s3_bucket_public_access_block", `Bucket-${name}`)).toMatchObject({ block_public_acls: true, restrict_public_buckets: true });
      expect(
        only(tf, "aws_s3_bucket_server_side_encryption_configuration", `Bucket-${name}`).rule[0].apply_server_side_encryption_by_default.kms_master_key_id,
      ).toMatch(/Foundation_DataKey/);
      expect(only(tf, "aws_s3_bucket_policy", `Bucket-${name}`).policy).toMatch(/aws:SecureTransport/);
    }
  });
});

describe("fawkes-azure: Flexible Server for PostgreSQL and for MySQL", () => {
  const { tf } = azure;
  const pg = only(tf, "azurerm_postgresql_flexible_server", "Postgres-notes");
  const my = only(tf, "azurerm_mysql_flexible_server", "MySQL-events");
  const subnet = (ref: string) => resources(tf, "azurerm_subnet").find(([id]) => ref.includes(`.${id}.`))![1];

  test("MySQL: private, in its own delegated subnet and private zone, like PostgreSQL", () => {
    expect(my).toMatchObject({ version: "8.4", public_network_access: "Disabled", administrator_login: "events" });
    expect(subnet(my.delegated_subnet_id).delegation[0].service_delegation.name).toBe("Microsoft.DBforMySQL/flexibleServers");
    expect(subnet(pg.delegated_subnet_id).delegation[0].service_delegation.name).toBe("Microsoft.DBforPostgreSQL/flexibleServers");
    const zones = resources(tf, "azurerm_private_dns_zone").map(([, z]) => z.name);
    expect(zones).toEqual(expect.arrayContaining(["fawkes-dev.private.mysql.database.azure.com", "fawkes-dev.private.postgres.database.azure.com"]));
    expect(my.private_dns_zone_id).toMatch(/azurerm_private_dns_zone\.Foundation_Network_MysqlZone_\w+\.id/);
  });

  test.each([
    ["postgres", pg],
    ["mysql", my],
  ])("%s: backed up 7+ days, protected (prevent_destroy and a lock), generated password in Key Vault", (engine, server) => {
    expect(server.backup_retention_days).toBeGreaterThanOrEqual(7);
    expect(server.lifecycle.prevent_destroy).toBe(true);
    expect(server.administrator_password).toMatch(generated);
    const scope = engine === "postgres" ? "Postgres-notes" : "MySQL-events";
    expect(only(tf, "azurerm_management_lock", scope)).toMatchObject({ lock_level: "CanNotDelete" });
    expect(only(tf, "azurerm_key_vault_secret", scope)).toMatchObject({
      name: `${engine}-${engine === "postgres" ? "notes" : "events"}`,
      value: server.administrator_password,
    });
  });

  test("MySQL requires TLS (1.2 or newer), like PostgreSQL", () => {
    const config = Object.fromEntries(under(tf, "azurerm_mysql_flexible_server_configuration", "MySQL-events").map((c) => [c.name, c.value]));
    expect(config).toEqual({ require_secure_transport: "ON", tls_version: "TLSv1.2,TLSv1.3" });
    expect(only(tf, "azurerm_mysql_flexible_database", "MySQL-events")).toMatchObject({
      name: "events",
      charset: "utf8mb4",
      lifecycle: { prevent_destroy: true },
    });
  });

  test("two private Blob containers", () => {
    for (const name of ["uploads", "exports"])
      expect(only(tf, "azurerm_storage_container", `Bucket-${name}`)).toMatchObject({ name, container_access_type: "private" });
  });
});

describe("fawkes-gcp: Cloud SQL for PostgreSQL 17 and MySQL 8.4", () => {
  const { tf } = gcp;
  const pg = only(tf, "google_sql_database_instance", "Postgres-notes");
  const my = only(tf, "google_sql_database_instance", "MySQL-events");

  test.each([
    ["postgres", pg],
    ["mysql", my],
  ])("%s: private IP only, TLS only, backups with point-in-time recovery, protected", (_e, sql) => {
    expect(sql.settings.ip_configuration).toMatchObject({ ipv4_enabled: false, ssl_mode: "ENCRYPTED_ONLY" });
    expect(sql.settings.ip_configuration.private_network).toMatch(/google_compute_network\.\w+\.id/);
    expect(sql.settings.backup_configuration.enabled).toBe(true);
    expect(sql.settings.backup_configuration.backup_retention_settings.retained_backups).toBeGreaterThanOrEqual(7);
    expect(sql).toMatchObject({ deletion_protection: true, lifecycle: { prevent_destroy: true }, settings: { deletion_protection_enabled: true } });
  });

  test("each engine's version, and its way to point-in-time recovery", () => {
    expect(pg.database_version).toBe("POSTGRES_17");
    expect(pg.settings.backup_configuration.point_in_time_recovery_enabled).toBe(true);
    expect(my.database_version).toBe("MYSQL_8_4");
    expect(my.settings.backup_configuration.binary_log_enabled).toBe(true);
    expect(pg.name).not.toEqual(my.name);
  });

  test("each password is generated and kept in its own Secret Manager secret", () => {
    for (const [scope, id] of [
      ["Postgres-notes", "fawkes-dev-notes-db-password"],
      ["MySQL-events", "fawkes-dev-events-db-password"],
    ]) {
      expect(only(tf, "google_sql_user", scope).password).toMatch(generated);
      expect(only(tf, "google_secret_manager_secret", scope)).toMatchObject({ secret_id: id, deletion_protection: true });
    }
  });

  test("two buckets, uniform access and public access prevented", () => {
    for (const name of ["uploads", "exports"]) {
      expect(only(tf, "google_storage_bucket", `Bucket-${name}`)).toMatchObject({ uniform_bucket_level_access: true, public_access_prevention: "enforced" });
    }
  });
});

describe("fawkes-local: CloudNativePG for PostgreSQL, the official mysql image for MySQL", () => {
  const { tf } = local;
  const objects = manifests(release(tf, "mysql-events"));
  const sts = objects.find((o) => o.kind === "StatefulSet");
  const pod = sts.spec.template.spec;

  test("one StatefulSet of the official image (never Bitnami), TLS required, non-root", () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(["Service", "StatefulSet"]);
    expect(pod.containers[0].image).toBe(LOCAL_MYSQL_IMAGE);
    expect(LOCAL_MYSQL_IMAGE).toMatch(/^docker\.io\/library\/mysql:8\.4\.\d+/);
    expect(JSON.stringify(objects)).not.toMatch(/bitnami/i);
    expect(pod.containers[0].args).toContain("--require-secure-transport=ON");
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.containers[0].securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    expect(sts.spec.volumeClaimTemplates[0].spec.storageClassName).toBe("standard");
  });

  test("the password is generated into <name>-app, which the secret store may read; root's stays out of reach", () => {
    const secrets = Object.fromEntries(under(tf, "kubernetes_secret_v1", "MySQL-events").map((s) => [s.metadata.name, s]));
    expect(secrets["events-app"].data).toMatchObject({ username: "events", database: "events", password: expect.stringMatching(generated) });
    expect(secrets["events-root"].data.password).toMatch(generated);
    const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.valueFrom?.secretKeyRef ?? e.value]));
    expect(env).toMatchObject({
      MYSQL_PASSWORD: { name: "events-app", key: "password" },
      MYSQL_ROOT_PASSWORD: { name: "events-root", key: "password" },
      MYSQL_ROOT_HOST: "localhost",
    });
    const [role] = resources(tf, "kubernetes_role_v1")
      .map(([, r]) => r)
      .filter((r) => r.metadata.name === "fawkes-secret-store");
    expect(role.rule[0].resource_names).toEqual(["events-app", "notes-app"]);
    expect(local.refs.events).toMatchObject({ host: "events.fawkes-data.svc", password: { key: "events-app", property: "password" } });
  });

  test("protected like the PostgreSQL cluster: prevent_destroy, and helm keeps the StatefulSet and its volume", () => {
    expect(release(tf, "mysql-events").lifecycle.prevent_destroy).toBe(true);
    expect(release(tf, "postgres-notes").lifecycle.prevent_destroy).toBe(true);
    expect(sts.metadata.annotations).toEqual({ "helm.sh/resource-policy": "keep" });
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: "Retain", whenScaled: "Retain" });
  });

  test("buckets: none on a laptop, each ref without s3", () => {
    expect(local.refs.uploads).toEqual({ name: "uploads", dependsOn: [] });
    expect(local.refs.exports.s3).toBeUndefined();
  });
});
