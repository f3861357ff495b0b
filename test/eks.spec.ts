import { execFileSync } from "child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { TerraformOutput, Testing } from "cdktf";
import { CLUSTER_AUTOSCALER_TAGS, clusterAutoscalerTag } from "../constructs/foundations/eks/autoscaler";
import { LOAD_BALANCER_CLEANUP } from "../constructs/foundations/eks";
import { awsName } from "../constructs/foundations/eks/names";
import { SCALING_SCRIPT } from "../constructs/foundations/eks/nodes";
import { FawkesAwsStack } from "../stacks/aws";
import { FRONT_DOOR_ONLY, release, releaseId, resources, strings, testConfig, values } from "./support";
import type { ConfigInput } from "../stacks/config/schema";

function synthAws(overrides: ConfigInput = {}) {
  const app = Testing.app();
  // The front door only: these tests are about the foundation (components have their own).
  const stack = new FawkesAwsStack(app, "fawkes-aws", testConfig({ ...overrides, components: { ...FRONT_DOOR_ONLY, ...overrides.components } }));
  return { tf: JSON.parse(Testing.synth(stack)), stack };
}

const { tf } = synthAws();

/** A validated config with the 41-character name (past the schema's PREFIX_MAX, on purpose). */
function withName(overrides: ConfigInput) {
  return { ...testConfig(overrides), ...LONG };
}

/**
 * The edges in one synth: a 41-character prefix (20 + "-" + 20, the longest two name labels make;
 * the config stops at PREFIX_MAX, the foundation takes 41), destroy allowed, private API networks,
 * another Kubernetes minor, and a database and a bucket.
 */
const LONG = { name: "abcdefghijklmnopqrst", environment: "uvwxyzabcdefghijklm1" };
const EDGE_PREFIX = "abcdefghijklmnopqrst-uvwxyzabcdefghijklm1";
const edge = (() => {
  const app = Testing.app();
  const config = withName({
    allowDestroy: true,
    kubernetes: { version: "1.35" },
    api: { allowedCidrs: ["203.0.113.0/24"], privateCidrs: ["10.8.0.0/16", "192.168.10.0/24"] },
    aws: { state: { bucket: "acme-tfstate" } },
    components: FRONT_DOOR_ONLY,
  });
  const stack = new FawkesAwsStack(app, "fawkes-aws", config);
  stack.foundation.postgres(stack, { name: "abcdefghijklmnopqrstuvwxyz01234", namespace: "x" });
  stack.foundation.bucket(stack, "observability-logs");
  return { tf: JSON.parse(Testing.synth(stack)), config };
})();

/** A private API (no public endpoint), an existing hosted zone, destroy protected, the 41-character name. */
const privateApi = (() => {
  const app = Testing.app();
  const stack = new FawkesAwsStack(
    app,
    "fawkes-aws",
    withName({ api: { allowedCidrs: [], deployFromInsideNetwork: true }, aws: { hostedZoneId: "Z0123456789ABC" }, components: FRONT_DOOR_ONLY }),
  );
  stack.foundation.postgres(stack, { name: "abcdefghijklmnopqrstuvwxyz01234", namespace: "x" });
  return { tf: JSON.parse(Testing.synth(stack)) };
})();
const one = (type: string) => {
  const all = resources(tf, type);
  expect(all).toHaveLength(1);
  return all[0][1];
};

describe("EksFoundation network", () => {
  test("three private, three public and three database subnets over three zones", () => {
    const subnets = resources(tf, "aws_subnet").map(([, s]) => s);
    expect(subnets).toHaveLength(9);
    const byRole = (re: RegExp) => subnets.filter((s) => re.test(s.tags.Name));
    expect(byRole(/-private-\d$/).every((s) => s.tags["kubernetes.io/role/internal-elb"] === "1")).toBe(true);
    expect(byRole(/-public-\d$/).every((s) => s.tags["kubernetes.io/role/elb"] === "1" && s.map_public_ip_on_launch === false)).toBe(true);
    expect(new Set(subnets.map((s) => s.availability_zone)).size).toBe(3);
  });

  test("database subnets have no route out of the VPC", () => {
    const dbTables = resources(tf, "aws_route_table").filter(([, t]) => /database/.test(t.tags.Name));
    expect(dbTables).toHaveLength(3);
    for (const [, t] of dbTables) expect(t.route ?? []).toEqual([]);
  });

  test("one NAT gateway for small, one per zone for standard", () => {
    expect(resources(tf, "aws_nat_gateway")).toHaveLength(1);
    expect(resources(synthAws({ profile: "standard" }).tf, "aws_nat_gateway")).toHaveLength(3);
  });
});

describe("EksFoundation cluster", () => {
  const cluster = one("aws_eks_cluster");

  test("secrets are envelope-encrypted with a KMS key that rotates", () => {
    expect(cluster.encryption_config.resources).toEqual(["secrets"]);
    const keyRef = cluster.encryption_config.provider.key_arn;
    const [keyId, key] = resources(tf, "aws_kms_key").find(([id]) => keyRef.includes(id))!;
    expect(keyId).toBeDefined();
    expect(key.enable_key_rotation).toBe(true);
  });

  test("control-plane logs include api, audit and authenticator", () => {
    expect(cluster.enabled_cluster_log_types).toEqual(expect.arrayContaining(["api", "audit", "authenticator"]));
    expect(resources(tf, "aws_cloudwatch_log_group")[0][1].name).toBe("/aws/eks/fawkes-dev/cluster");
  });

  test("with no CIDRs configured the endpoint is private only", () => {
    const c = resources(privateApi.tf, "aws_eks_cluster")[0][1];
    expect(c.vpc_config).toMatchObject({ endpoint_private_access: true, endpoint_public_access: false });
    expect(c.vpc_config.public_access_cidrs).toBeUndefined();
  });

  test("with CIDRs configured the public endpoint admits only those networks", () => {
    const c = resources(edge.tf, "aws_eks_cluster")[0][1];
    expect(c.vpc_config).toMatchObject({ endpoint_public_access: true, public_access_cidrs: ["203.0.113.0/24"] });
  });

  test("access is by access entries, the deployer is admin, no implicit creator admin", () => {
    expect(cluster.access_config).toEqual({ authentication_mode: "API", bootstrap_cluster_creator_admin_permissions: false });
    const assoc = resources(tf, "aws_eks_access_policy_association").map(([, a]) => a);
    expect(assoc[0]).toMatchObject({ access_scope: { type: "cluster" } });
    expect(assoc[0].policy_arn).toMatch(/^arn:\$\{data\.aws_partition\.\w+\.partition\}:eks::aws:cluster-access-policy\/AmazonEKSClusterAdminPolicy$/);
    expect(assoc[0].principal_arn).toMatch(/data\.aws_iam_session_context\.\w+\.issuer_arn/);
  });

  test("the cluster is protected from destroy unless allowDestroy, whatever the profile", () => {
    expect(cluster.deletion_protection).toBe(true);
    expect(cluster.lifecycle.prevent_destroy).toBe(true);
    expect(resources(privateApi.tf, "aws_eks_cluster")[0][1].deletion_protection).toBe(true);
    const destroyable = resources(edge.tf, "aws_eks_cluster")[0][1];
    expect(destroyable.deletion_protection).toBe(false);
    expect(destroyable.lifecycle.prevent_destroy).toBe(false);
  });

  test("an OIDC provider exists for workload identity (IRSA)", () => {
    expect(one("aws_iam_openid_connect_provider").client_id_list).toEqual(["sts.amazonaws.com"]);
  });
});

describe("EksFoundation nodes", () => {
  const groups = Object.fromEntries(resources(tf, "aws_eks_node_group").map(([, g]) => [g.labels["fawkes.dev/pool"], g]));
  const templates = resources(tf, "aws_launch_template").map(([, t]) => t);

  test("system, workloads and dojo pools in private subnets", () => {
    expect(Object.keys(groups).sort()).toEqual(["dojo", "system", "workloads"]);
    for (const g of Object.values<any>(groups)) for (const s of g.subnet_ids) expect(s).toMatch(/aws_subnet\.Foundation_Network_Private/);
  });

  test("every launch template requires IMDSv2 with a hop limit of 1 and encrypts its volume", () => {
    expect(templates).toHaveLength(3);
    for (const t of templates) {
      expect(t.metadata_options).toMatchObject({ http_tokens: "required", http_put_response_hop_limit: 1 });
      expect(t.block_device_mappings[0].ebs.encrypted).toBe("true");
    }
  });

  test("the dojo pool is tainted, labelled, scales from zero and may use spot", () => {
    expect(groups.dojo.taint).toEqual([{ key: "fawkes.dev/pool", value: "dojo", effect: "NO_SCHEDULE" }]);
    expect(groups.dojo.scaling_config.min_size).toBe(0);
    expect(groups.dojo.capacity_type).toBe("SPOT");
    expect(groups.dojo.tags["k8s.io/cluster-autoscaler/node-template/taint/fawkes.dev/pool"]).toBe("dojo:NoSchedule");
    expect(groups.system.taint).toBeUndefined();
    expect(release(tf, "cluster-autoscaler")).toBeDefined();
  });
});

describe("EksFoundation data and identity", () => {
  test("the default StorageClass is encrypted gp3 on the EBS CSI driver, which has its own IRSA role", () => {
    const sc = one("kubernetes_storage_class_v1");
    expect(sc.metadata.annotations["storageclass.kubernetes.io/is-default-class"]).toBe("true");
    expect(sc.parameters).toMatchObject({ type: "gp3", encrypted: "true" });
    const ebs = resources(tf, "aws_eks_addon").find(([, a]) => a.addon_name === "aws-ebs-csi-driver")![1];
    expect(ebs.service_account_role_arn).toMatch(/aws_iam_role\.\w+\.arn/);
  });

  test("external-secrets and external-dns get IRSA roles scoped to their service accounts", () => {
    const trusts = Object.values<any>(tf.data.aws_iam_policy_document)
      .flatMap((d) => d.statement)
      .filter((s) => s.actions.includes("sts:AssumeRoleWithWebIdentity"));
    const subjects = trusts.flatMap((s) => s.condition.filter((c: any) => c.variable.endsWith(":sub")).flatMap((c: any) => c.values));
    expect(subjects).toEqual(
      expect.arrayContaining([
        "system:serviceaccount:secrets:external-secrets",
        "system:serviceaccount:dns:external-dns",
        "system:serviceaccount:kube-system:cluster-autoscaler",
      ]),
    );
    expect(values(release(tf, "external-secrets")).serviceAccount.annotations["eks.amazonaws.com/role-arn"]).toMatch(/aws_iam_role/);
  });

  test("the secret store reads AWS Secrets Manager; no static credentials anywhere", () => {
    const store = release(tf, "cluster-secret-store");
    expect(store.values[0]).toMatch(/service: SecretsManager/);
    expect(JSON.stringify(tf)).not.toMatch(/aws_access_key|secret_access_key|AKIA[0-9A-Z]{16}/i);
  });

  test("a Route53 zone is created and kept, or an existing one is used", () => {
    expect(one("aws_route53_zone")).toMatchObject({ name: "fawkes.example.com", lifecycle: { prevent_destroy: true } });
    const existing = privateApi.tf;
    expect(existing.resource.aws_route53_zone).toBeUndefined();
    expect(Object.values<any>(existing.data.aws_route53_zone)[0].zone_id).toBe("Z0123456789ABC");
  });
});

describe("fawkes-aws stack", () => {
  test("state stays local unless a bucket is configured; then S3 with encryption and locking", () => {
    expect(tf.terraform.backend?.s3).toBeUndefined();
    expect(edge.tf.terraform.backend.s3).toEqual({ bucket: "acme-tfstate", key: "fawkes/aws.tfstate", region: "eu-west-1", encrypt: true, use_lockfile: true });
  });

  test("helm and kubernetes providers use exec auth (aws eks get-token), never a token", () => {
    const helm = tf.provider.helm[0].kubernetes;
    expect(helm.exec).toMatchObject({ command: "aws", args: expect.arrayContaining(["eks", "get-token", "--cluster-name", "fawkes-dev"]) });
    expect(helm.token).toBeUndefined();
    expect(tf.provider.kubernetes[0].exec[0].command).toBe("aws");
    expect(tf.resource.kubernetes_manifest).toBeUndefined();
  });

  test("outputs: cluster name, kubeconfig command, domain, where secrets live", () => {
    expect(tf.output.cluster_name.value).toBe("fawkes-dev");
    expect(tf.output.kubeconfig_command.value).toBe("aws eks update-kubeconfig --name fawkes-dev --region eu-west-1");
    expect(tf.output.domain.value).toBe("fawkes.example.com");
    expect(tf.output.secret_store.value).toBe("AWS Secrets Manager (eu-west-1)");
  });
});

describe("EksFoundation postgres() and bucket()", () => {
  const app = Testing.app();
  const stack = new FawkesAwsStack(app, "fawkes-aws", testConfig({ components: FRONT_DOOR_ONLY }));
  const db = stack.foundation.postgres(stack, { name: "portal-db", namespace: "portal" });
  const bucket = stack.foundation.bucket(stack, "files");
  new TerraformOutput(stack, "db_password_ref", { value: db.password.key });
  const out = JSON.parse(Testing.synth(stack));
  const rds = resources(out, "aws_db_instance")[0][1];

  test("RDS PostgreSQL is private, encrypted, backed up, and protected", () => {
    expect(rds).toMatchObject({
      engine: "postgres",
      publicly_accessible: false,
      storage_encrypted: true,
      deletion_protection: true,
      skip_final_snapshot: false,
      lifecycle: { prevent_destroy: true },
    });
    expect(rds.backup_retention_period).toBeGreaterThanOrEqual(7);
    expect(rds.db_subnet_group_name).toMatch(/aws_db_subnet_group/);
    const group = resources(out, "aws_db_subnet_group")[0][1];
    for (const s of group.subnet_ids) expect(s).toMatch(/Network_Database/);
    const ingress = resources(out, "aws_vpc_security_group_ingress_rule")[0][1];
    expect(ingress).toMatchObject({ from_port: 5432, to_port: 5432 });
    expect(ingress.referenced_security_group_id).toMatch(/cluster_security_group_id/);
    expect(ingress.cidr_ipv4).toBeUndefined();
  });

  test("the password is generated (random_password), not RDS-managed: no 7-day rotation behind the clients' back", () => {
    // RDS-managed secrets rotate every 7 days; Backstage, SonarQube and Mattermost read the password once.
    expect(rds.manage_master_user_password).toBeUndefined();
    expect(rds.password).toMatch(/^\$\{random_password\.[\w-]+\.result\}$/);
    const [, pw] = resources(out, "random_password").find(([id]) => rds.password.includes(id))!;
    expect(pw).toMatchObject({ length: 32, special: false });
    expect(db).toMatchObject({ database: "portal_db", username: "portal_db", tls: true });
  });

  test("the password is kept in Secrets Manager under <name>/, encrypted with the data key; the ref points there", () => {
    const [secretId, secret] = resources(out, "aws_secretsmanager_secret")[0];
    expect(secret.name_prefix).toBe("fawkes-dev/postgres/portal-db-");
    const dataKeyId = resources(out, "aws_kms_key").find(([, k]) => /databases/.test(k.description))![0];
    expect(secret.kms_key_id).toBe(`\${aws_kms_key.${dataKeyId}.arn}`);
    const [, version] = resources(out, "aws_secretsmanager_secret_version")[0];
    expect(version.secret_id).toBe(`\${aws_secretsmanager_secret.${secretId}.id}`);
    expect(version.secret_string).toMatch(/^\$\{jsonencode\(\{"username" = "portal_db", "password" = random_password\.[\w-]+\.result\}\)\}$/);
    expect(out.output.db_password_ref.value).toBe(`\${aws_secretsmanager_secret.${secretId}.arn}`);
    expect(db.password.property).toBe("password");
    // external-secrets may read that prefix, and no longer every RDS-managed secret of the account.
    const grants = JSON.stringify(Object.entries<any>(out.data.aws_iam_policy_document).filter(([id]) => /Identity-secrets-external-secrets_Grants/.test(id)));
    expect(grants).toMatch(/secret:fawkes-dev\/\*/);
    expect(grants).not.toMatch(/rds!/);
  });

  test("S3 buckets block public access, encrypt with KMS, version, and refuse plain HTTP", () => {
    expect(resources(out, "aws_s3_bucket_public_access_block")[0][1]).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(resources(out, "aws_s3_bucket_server_side_encryption_configuration")[0][1].rule[0].apply_server_side_encryption_by_default.sse_algorithm).toBe(
      "aws:kms",
    );
    expect(resources(out, "aws_s3_bucket_versioning")[0][1].versioning_configuration.status).toBe("Enabled");
    expect(resources(out, "aws_s3_bucket_policy")[0][1].policy).toMatch(/aws:SecureTransport/);
    expect(resources(out, "aws_s3_bucket")[0][1]).toMatchObject({ force_destroy: false, lifecycle: { prevent_destroy: true } });
    expect(bucket.s3?.pathStyle).toBe(false);
  });
});

describe("EBS CSI driver and the customer-managed data key", () => {
  test("the driver's role may use the data key the StorageClass encrypts with, as AWS documents for CSI", () => {
    const keyRef = one("kubernetes_storage_class_v1").parameters.kmsKeyId;
    expect(keyRef).toMatch(/^\$\{aws_kms_key\.\w+\.arn\}$/);
    const doc = Object.entries<any>(tf.data.aws_iam_policy_document).find(([id]) => /EbsCsiIdentity_Grants/.test(id))![1];
    const grants = doc.statement.find((s: any) => s.actions.includes("kms:CreateGrant"));
    expect(grants).toMatchObject({ actions: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"], resources: [keyRef] });
    expect(grants.condition).toEqual([{ test: "Bool", variable: "kms:GrantIsForAWSResource", values: ["true"] }]);
    const use = doc.statement.find((s: any) => s.actions.includes("kms:Decrypt"));
    expect(use).toMatchObject({ resources: [keyRef] });
    expect(use.actions.sort()).toEqual(["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]);
    // ...and the policy is on the role the add-on uses.
    const ebs = resources(tf, "aws_eks_addon").find(([, a]) => a.addon_name === "aws-ebs-csi-driver")![1];
    const [roleId] = resources(tf, "aws_iam_role").find(([id]) => ebs.service_account_role_arn.includes(id))!;
    const policy = resources(tf, "aws_iam_role_policy").find(([, p]) => p.role.includes(roleId))![1];
    expect(policy.policy).toMatch(/EbsCsiIdentity_Grants\w*\.json/);
  });
});

describe("upgrades: raising kubernetes.version moves nodes, add-ons and the autoscaler", () => {
  const clusterRef = (t: any) => `\${aws_eks_cluster.${resources(t, "aws_eks_cluster")[0][0]}.version}`;
  const addons = Object.fromEntries(resources(tf, "aws_eks_addon").map(([id, a]) => [a.addon_name, { id, ...a }]));
  const groups = resources(tf, "aws_eks_node_group");

  test("every node group runs the cluster's version", () => {
    for (const [, g] of groups) expect(g.version).toBe(clusterRef(tf));
  });

  test("every add-on is pinned to the newest build for the cluster's version", () => {
    expect(Object.keys(addons).sort()).toEqual(["aws-ebs-csi-driver", "coredns", "kube-proxy", "vpc-cni"]);
    for (const a of Object.values<any>(addons)) {
      const [, id] = /^\$\{data\.aws_eks_addon_version\.(\w+)\.version\}$/.exec(a.addon_version)!;
      expect(tf.data.aws_eks_addon_version[id]).toMatchObject({ addon_name: a.addon_name, kubernetes_version: clusterRef(tf), most_recent: true });
    }
  });

  test("order: control plane, then node groups, then every add-on (kube-proxy never newer than the kubelets)", () => {
    const groupIds = groups.map(([id]) => `aws_eks_node_group.${id}`);
    for (const [, g] of groups) expect(g.cluster_name).toMatch(/aws_eks_cluster\.\w+\.name/);
    for (const a of Object.values<any>(addons)) {
      expect(a.cluster_name).toMatch(/aws_eks_cluster\.\w+\.name/);
      expect(a.depends_on).toEqual(expect.arrayContaining(groupIds));
    }
  });

  test("cluster-autoscaler runs the cluster's minor", () => {
    const version = testConfig().kubernetes.version;
    expect(values(release(tf, "cluster-autoscaler")).image.tag).toBe(CLUSTER_AUTOSCALER_TAGS[version]);
    expect(values(release(edge.tf, "cluster-autoscaler")).image.tag).toBe("v1.35.1");
    for (const [minor, tag] of Object.entries(CLUSTER_AUTOSCALER_TAGS)) expect(tag).toMatch(new RegExp(`^v${minor.replace(".", "\\.")}\\.\\d+$`));
    expect(Object.keys(CLUSTER_AUTOSCALER_TAGS)).toEqual(["1.31", "1.32", "1.33", "1.34", "1.35", "1.36", "1.37"]);
  });

  test("a minor with no known cluster-autoscaler fails synth, naming it", () => {
    expect(() => clusterAutoscalerTag("1.30")).toThrow(
      /EksFoundationProps\.kubernetesVersion must be a minor with a known cluster-autoscaler release .*got "1\.30"/,
    );
    expect(() => clusterAutoscalerTag("1.38")).toThrow(/got "1\.38"/);
  });
});

describe("node pool sizes: raising min above the current desired size", () => {
  const groups = resources(tf, "aws_eks_node_group");
  const scaling = resources(tf, "time_static");
  const pools = testConfig().nodePools;

  test("node groups take sizes only at creation; one scaling step per pool applies min/max after that", () => {
    for (const [, g] of groups) expect(g.lifecycle.ignore_changes).toEqual(["scaling_config"]);
    expect(scaling).toHaveLength(3);
    for (const [id, g] of groups) {
      const pool = g.labels["fawkes.dev/pool"] as "system" | "workloads" | "dojo";
      const step = scaling.find(([, d]) => d.triggers.nodegroup === `\${aws_eks_node_group.${id}.node_group_name}`)![1];
      expect(step.triggers).toMatchObject({ min: String(pools[pool].min), max: String(pools[pool].max) });
      const exec = step.provisioner[0]["local-exec"];
      expect(exec.environment).toMatchObject({ MIN: String(pools[pool].min), MAX: String(pools[pool].max), REGION: "eu-west-1" });
      expect(exec.command).toBe(SCALING_SCRIPT);
      expect(exec.command).not.toContain("${");
    }
  });

  /** Runs the scaling step against a fake `aws` that reports min/max/desired and records updates. */
  function runScaling(current: string, min: number, max: number): string {
    const dir = mkdtempSync(join(tmpdir(), "fawkes-scaling-"));
    const log = join(dir, "calls");
    writeFileSync(log, "");
    writeFileSync(join(dir, "aws"), `#!/bin/sh\necho "$*" >> "${log}"\ncase "$2" in describe-nodegroup) printf '${current}\\n';; esac\n`);
    chmodSync(join(dir, "aws"), 0o755);
    const env = { PATH: `${dir}:/usr/bin:/bin`, REGION: "eu-west-1", CLUSTER: "c", NODEGROUP: "g", MIN: String(min), MAX: String(max) };
    execFileSync("/bin/sh", ["-c", SCALING_SCRIPT], { env });
    return readFileSync(log, "utf8");
  }

  test("raising min above desired raises desired with it (no 'desired must be >= min')", () => {
    expect(runScaling("2\t3\t2", 4, 6)).toMatch(/update-nodegroup-config .*--scaling-config minSize=4,maxSize=6,desiredSize=4/);
  });

  test("the autoscaler's desired is kept when it is within the new bounds, and clamped when max drops", () => {
    expect(runScaling("2\t6\t5", 3, 6)).toMatch(/desiredSize=5\b/);
    expect(runScaling("2\t6\t5", 2, 4)).toMatch(/minSize=2,maxSize=4,desiredSize=4/);
  });

  test("nothing to change, no update call", () => {
    expect(runScaling("2\t3\t2", 2, 3)).not.toMatch(/update-nodegroup-config/);
  });
});

describe("destroy (allowDestroy)", () => {
  test("the Route53 zone goes with the records external-dns left, only when destroy is allowed", () => {
    expect(one("aws_route53_zone").force_destroy).toBe(false);
    expect(resources(edge.tf, "aws_route53_zone")[0][1]).toMatchObject({ force_destroy: true, lifecycle: { prevent_destroy: false } });
  });

  test("nothing stateful is left protected", () => {
    const t = edge.tf;
    expect(resources(t, "aws_db_instance")[0][1]).toMatchObject({
      deletion_protection: false,
      skip_final_snapshot: true,
      lifecycle: { prevent_destroy: false },
    });
    expect(resources(t, "aws_s3_bucket")[0][1]).toMatchObject({ force_destroy: true, lifecycle: { prevent_destroy: false } });
    expect(resources(t, "kubernetes_storage_class_v1")[0][1].reclaim_policy).toBe("Delete");
    expect(one("kubernetes_storage_class_v1").reclaim_policy).toBe("Retain");
  });

  test("releases wait on a destroy-time pause that keeps the cluster and network until the NLB is gone", () => {
    const [sleepId, sleep] = resources(tf, "time_sleep")[0];
    expect(sleep.destroy_duration).toBe(LOAD_BALANCER_CLEANUP);
    expect(sleep.create_duration).toBeUndefined();
    const ids = (type: string) => resources(tf, type).map(([id]) => `${type}.${id}`);
    expect(sleep.depends_on).toEqual(
      expect.arrayContaining([
        ...ids("aws_eks_cluster"),
        ...ids("aws_internet_gateway"),
        ...ids("aws_nat_gateway"),
        ...ids("aws_eks_node_group"),
        ...ids("aws_eks_addon"),
        ...resources(tf, "aws_subnet")
          .filter(([, s]) => /-public-/.test(s.tags.Name))
          .map(([id]) => `aws_subnet.${id}`),
      ]),
    );
    // The ingress (Traefik, whose Service owns the NLB) and every other release are destroyed before it.
    for (const [, r] of resources(tf, "helm_release")) expect(r.depends_on).toContain(`time_sleep.${sleepId}`);
    expect(release(tf, "traefik").depends_on).toContain(`time_sleep.${sleepId}`);
    expect(releaseId(tf, "traefik")).toBeDefined();
    expect(tf.provider.time).toBeDefined();
  });
});

describe("private API networks (api.privateCidrs)", () => {
  test("become 443 ingress rules on the control plane's own security group, not the nodes'", () => {
    const [sgId, sg] = resources(edge.tf, "aws_security_group").find(([id]) => /ApiSecurityGroup/.test(id))!;
    const cluster = resources(edge.tf, "aws_eks_cluster")[0][1];
    expect(cluster.vpc_config.security_group_ids).toEqual([`\${aws_security_group.${sgId}.id}`]);
    expect(sg.vpc_id).toMatch(/aws_vpc\.\w+\.id/);
    const rules = resources(edge.tf, "aws_vpc_security_group_ingress_rule")
      .map(([, r]) => r)
      .filter((r) => r.security_group_id === `\${aws_security_group.${sgId}.id}`);
    expect(rules.map((r) => r.cidr_ipv4)).toEqual(["10.8.0.0/16", "192.168.10.0/24"]);
    for (const r of rules) expect(r).toMatchObject({ ip_protocol: "tcp", from_port: 443, to_port: 443 });
    // Without private CIDRs the group is there (cluster security groups cannot change in place), with no rules.
    const defaultSg = resources(tf, "aws_security_group").find(([id]) => /ApiSecurityGroup/.test(id))![0];
    expect(resources(tf, "aws_vpc_security_group_ingress_rule").filter(([, r]) => r.security_group_id.includes(defaultSg))).toEqual([]);
  });
});

describe("AWS names for the longest accepted prefix", () => {
  const t = edge.tf;
  const all = (type: string) => resources(t, type).map(([, r]) => r);
  const validRds = (n: string) => n.length <= 63 && /^[a-z][a-z0-9-]*$/.test(n) && !n.includes("--") && !n.endsWith("-");

  test("the prefix is 41 characters and is the cluster name (EKS: at most 100)", () => {
    expect(EDGE_PREFIX).toHaveLength(41);
    expect(all("aws_eks_cluster")[0].name).toBe(EDGE_PREFIX);
  });

  test("RDS identifier, final snapshot, parameter and subnet groups", () => {
    const kept = resources(privateApi.tf, "aws_db_instance")[0][1];
    for (const n of [all("aws_db_instance")[0].identifier, kept.identifier, kept.final_snapshot_identifier]) expect(validRds(n)).toBe(true);
    expect(kept.final_snapshot_identifier).toMatch(/-final$/);
    // name_prefix + Terraform's 26-digit suffix: must not end with "-" before it, nor hold "--".
    for (const type of ["aws_db_parameter_group", "aws_db_subnet_group"]) {
      const prefix = all(type)[0].name_prefix;
      expect(validRds(prefix.slice(0, -1))).toBe(true);
      expect(prefix.length + 26).toBeLessThanOrEqual(255);
    }
  });

  test("a name cut to fit keeps a hash of the whole: two long names with the same start still differ", () => {
    const a = awsName([EDGE_PREFIX, "abcdefghijklmnopqrstuvwxyz01234"], 63);
    const b = awsName([EDGE_PREFIX, "abcdefghijklmnopqrstuvwxyz56789"], 63);
    expect(a).not.toBe(b);
    for (const n of [a, b]) expect(validRds(n)).toBe(true);
    expect(awsName(["fawkes-dev", "backstage"], 63)).toBe("fawkes-dev-backstage");
    expect(awsName(["a-", "-b"], 63)).toBe("a-b");
  });

  test("IAM roles, node groups, launch templates, buckets, security groups, KMS aliases, log group", () => {
    for (const r of all("aws_iam_role")) {
      if (r.name) expect(r.name.length).toBeLessThanOrEqual(64);
      if (r.name_prefix) expect(r.name_prefix.length).toBeLessThanOrEqual(38);
    }
    for (const g of all("aws_eks_node_group")) expect(g.node_group_name_prefix.length + 26).toBeLessThanOrEqual(63);
    for (const lt of all("aws_launch_template")) expect(lt.name_prefix.length + 26).toBeLessThanOrEqual(128);
    for (const b of all("aws_s3_bucket")) {
      expect(b.bucket_prefix.length).toBeLessThanOrEqual(37);
      expect(b.bucket_prefix).toMatch(/^[a-z][a-z0-9-]*-$/);
      expect(b.bucket_prefix).not.toMatch(/^(xn--|sthree-)|--/);
    }
    for (const sg of all("aws_security_group")) expect(sg.name_prefix.length + 26).toBeLessThanOrEqual(255);
    for (const a of all("aws_kms_alias")) expect(a.name).toMatch(/^alias\/(?!aws\/)[a-zA-Z0-9/_-]{1,250}$/);
    expect(all("aws_cloudwatch_log_group")[0].name).toBe(`/aws/eks/${EDGE_PREFIX}/cluster`);
    for (const s of all("aws_secretsmanager_secret")) expect(s.name_prefix.startsWith(`${EDGE_PREFIX}/`)).toBe(true);
  });

  test("every ARN the foundation builds names the partition, never a literal arn:aws:", () => {
    const literal = [...strings(tf)].filter(([v]) => /arn:aws:/.test(v)).map(([v, where]) => `${where}: ${v}`);
    expect(literal).toEqual([]);
  });

  test("a name the foundation cannot derive AWS names from fails, naming it", () => {
    const config = testConfig({ components: FRONT_DOOR_ONLY });
    expect(() => new FawkesAwsStack(Testing.app(), "x", { ...config, name: "a--b" })).toThrow(
      /EksFoundationProps\.name must be 1-41 characters .*got "a--b-dev"/,
    );
    expect(() => new FawkesAwsStack(Testing.app(), "x", { ...config, name: "a".repeat(30), environment: "b".repeat(20) })).toThrow(
      /EksFoundationProps\.name .*got "a{30}-b{20}"/,
    );
  });
});
