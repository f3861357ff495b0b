import { TerraformOutput, Testing } from "cdktf";
import { FawkesAwsStack } from "../stacks/aws";
import { FRONT_DOOR_ONLY, release, resources, testConfig, values } from "./support";
import type { ConfigInput } from "../stacks/config/schema";

function synthAws(overrides: ConfigInput = {}) {
  const app = Testing.app();
  // The front door only: these tests are about the foundation (components have their own).
  const stack = new FawkesAwsStack(app, "fawkes-aws", testConfig({ ...overrides, components: { ...FRONT_DOOR_ONLY, ...overrides.components } }));
  return { tf: JSON.parse(Testing.synth(stack)), stack };
}

const { tf } = synthAws();
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

  test("with no CIDRs configured the endpoint is private only, and synth warns", () => {
    expect(cluster.vpc_config).toMatchObject({ endpoint_private_access: true, endpoint_public_access: false });
    expect(cluster.vpc_config.public_access_cidrs).toBeUndefined();
    const { stack } = synthAws();
    const warnings = stack.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
    expect(warnings.join("\n")).toMatch(/endpoint is private: run `cdktf deploy` from inside the VPC/);
  });

  test("with CIDRs configured the public endpoint admits only those networks", () => {
    const c = resources(synthAws({ api: { allowedCidrs: ["203.0.113.0/24"] } }).tf, "aws_eks_cluster")[0][1];
    expect(c.vpc_config).toMatchObject({ endpoint_public_access: true, public_access_cidrs: ["203.0.113.0/24"] });
  });

  test("access is by access entries, the deployer is admin, no implicit creator admin", () => {
    expect(cluster.access_config).toEqual({ authentication_mode: "API", bootstrap_cluster_creator_admin_permissions: false });
    const assoc = resources(tf, "aws_eks_access_policy_association").map(([, a]) => a);
    expect(assoc[0]).toMatchObject({ policy_arn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", access_scope: { type: "cluster" } });
    expect(assoc[0].principal_arn).toMatch(/data\.aws_iam_session_context\.\w+\.issuer_arn/);
  });

  test("the cluster is protected from destroy unless the profile is lab", () => {
    expect(cluster.deletion_protection).toBe(true);
    expect(cluster.lifecycle.prevent_destroy).toBe(true);
    const lab = resources(synthAws({ profile: "lab" }).tf, "aws_eks_cluster")[0][1];
    expect(lab.deletion_protection).toBe(false);
    expect(lab.lifecycle.prevent_destroy).toBe(false);
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
    const trusts = Object.values<any>(tf.data.aws_iam_policy_document).flatMap((d) => d.statement).filter((s) => s.actions.includes("sts:AssumeRoleWithWebIdentity"));
    const subjects = trusts.flatMap((s) => s.condition.filter((c: any) => c.variable.endsWith(":sub")).flatMap((c: any) => c.values));
    expect(subjects).toEqual(
      expect.arrayContaining(["system:serviceaccount:secrets:external-secrets", "system:serviceaccount:dns:external-dns", "system:serviceaccount:kube-system:cluster-autoscaler"]),
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
    const existing = synthAws({ aws: { hostedZoneId: "Z0123456789ABC" } }).tf;
    expect(existing.resource.aws_route53_zone).toBeUndefined();
    expect(Object.values<any>(existing.data.aws_route53_zone)[0].zone_id).toBe("Z0123456789ABC");
  });
});

describe("fawkes-aws stack", () => {
  test("state stays local unless a bucket is configured; then S3 with encryption and locking", () => {
    expect(tf.terraform.backend?.s3).toBeUndefined();
    const remote = synthAws({ aws: { state: { bucket: "acme-tfstate" } } }).tf;
    expect(remote.terraform.backend.s3).toEqual({ bucket: "acme-tfstate", key: "fawkes/aws.tfstate", region: "eu-west-1", encrypt: true, use_lockfile: true });
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

  test("the password is generated by RDS and kept in Secrets Manager; the ref points there", () => {
    expect(rds.manage_master_user_password).toBe(true);
    expect(rds.password).toBeUndefined();
    expect(out.output.db_password_ref.value).toMatch(/master_user_secret\[0\]\.secret_arn/);
    expect(db).toMatchObject({ database: "portal_db", username: "portal_db", tls: true });
  });

  test("S3 buckets block public access, encrypt with KMS, version, and refuse plain HTTP", () => {
    expect(resources(out, "aws_s3_bucket_public_access_block")[0][1]).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(resources(out, "aws_s3_bucket_server_side_encryption_configuration")[0][1].rule[0].apply_server_side_encryption_by_default.sse_algorithm).toBe("aws:kms");
    expect(resources(out, "aws_s3_bucket_versioning")[0][1].versioning_configuration.status).toBe("Enabled");
    expect(resources(out, "aws_s3_bucket_policy")[0][1].policy).toMatch(/aws:SecureTransport/);
    expect(resources(out, "aws_s3_bucket")[0][1]).toMatchObject({ force_destroy: false, lifecycle: { prevent_destroy: true } });
    expect(bucket.s3?.pathStyle).toBe(false);
  });
});
