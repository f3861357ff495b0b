import { Testing } from "cdktf";
import { STACKS, type StackName } from "../stacks/app";
import { PREFIX_MAX } from "../stacks/config/schema";
import { FRONT_DOOR_ONLY, testConfig } from "./support";

/**
 * Every name Terraform will send, for names at the edges of what the schema accepts, against the
 * clouds' documented rules. The configs: the longest prefix with a hyphen where the foundations
 * cut names (after 18 characters), and the shortest (1-character parts). Two configs x three
 * stacks keeps this file to a few seconds.
 */
const EDGES = [
  // PREFIX_MAX (41) characters: two full 20-character labels; "-" at index 17
  { name: "k8s-platform-team-a1", environment: "x1-dev-digits-999999".slice(0, PREFIX_MAX - 21) },
  { name: "a", environment: "b" }, // "a-b": shorter than several clouds' minimum length
];

type Rule = { re: RegExp; max?: number; min?: number; not?: RegExp };
const dnsLabel = (max: number): Rule => ({ re: /^[a-z]([-a-z0-9]*[a-z0-9])?$/, max });
/** resource type -> attribute path (dots for nested blocks) -> rule. `_prefix` rules leave room for the random suffix. */
const RULES: Record<string, Record<string, Rule>> = {
  // AWS: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html, RDS/IAM/EKS API references
  aws_s3_bucket: {
    bucket: { re: /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, min: 3, max: 63, not: /\.\.|^xn--|^sthree-|-s3alias$|--ol-s3$/ },
    bucket_prefix: { re: /^[a-z0-9][a-z0-9.-]*$/, max: 37, not: /\.\.|^xn--|^sthree-/ },
  },
  aws_db_instance: { identifier: { re: /^[a-z][a-z0-9-]*[a-z0-9]$/, max: 63, not: /--/ }, identifier_prefix: { re: /^[a-z][a-z0-9-]*$/, max: 36, not: /--/ } },
  aws_db_parameter_group: { name: { re: /^[a-z][a-z0-9-]*[a-z0-9]$/, max: 255, not: /--/ }, name_prefix: { re: /^[a-z][a-z0-9-]*$/, max: 229, not: /--/ } },
  aws_db_subnet_group: { name: { re: /^[a-z0-9_. -]+$/, max: 255 } },
  aws_iam_role: { name: { re: /^[\w+=,.@-]+$/, max: 64 }, name_prefix: { re: /^[\w+=,.@-]+$/, max: 38 } },
  aws_iam_policy: { name: { re: /^[\w+=,.@-]+$/, max: 128 }, name_prefix: { re: /^[\w+=,.@-]+$/, max: 102 } },
  aws_eks_cluster: { name: { re: /^[0-9A-Za-z][A-Za-z0-9_-]*$/, max: 100 } },
  aws_eks_node_group: {
    node_group_name: { re: /^[0-9A-Za-z][A-Za-z0-9_-]*$/, max: 63 },
    node_group_name_prefix: { re: /^[0-9A-Za-z][A-Za-z0-9_-]*$/, max: 37 },
  },
  aws_kms_alias: { name: { re: /^alias\/[a-zA-Z0-9/_-]+$/, max: 256, not: /^alias\/aws\// } },
  aws_security_group: { name: { re: /^[\x20-\x7e]+$/, max: 255 }, name_prefix: { re: /^[\x20-\x7e]+$/, max: 229 } },
  aws_launch_template: { name: { re: /^[a-zA-Z0-9().\/_-]+$/, max: 128 }, name_prefix: { re: /^[a-zA-Z0-9().\/_-]+$/, max: 102 } },
  aws_ecr_repository_creation_template: { prefix: { re: /^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/, min: 2, max: 256 } },
  aws_cloudwatch_log_group: { name: { re: /^[\w\-/.#]+$/, max: 512 } },
  aws_secretsmanager_secret: { name: { re: /^[\w/+=.@-]+$/, max: 512 }, name_prefix: { re: /^[\w/+=.@-]+$/, max: 480 } },
  // Azure: https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules
  azurerm_resource_group: { name: { re: /^[\w.()-]*[\w()-]$/, max: 90 } },
  azurerm_kubernetes_cluster: {
    name: { re: /^[a-zA-Z0-9][a-zA-Z0-9_-]*[a-zA-Z0-9]$/, max: 63 },
    dns_prefix: { re: /^[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]$/, max: 54 },
    "default_node_pool.name": { re: /^[a-z][a-z0-9]*$/, max: 12 },
    "default_node_pool.temporary_name_for_rotation": { re: /^[a-z][a-z0-9]*$/, max: 12 },
  },
  azurerm_kubernetes_cluster_node_pool: { name: { re: /^[a-z][a-z0-9]*$/, max: 12 } },
  azurerm_key_vault: { name: { re: /^[a-zA-Z][a-zA-Z0-9-]*[a-zA-Z0-9]$/, min: 3, max: 24, not: /--/ } },
  azurerm_storage_account: { name: { re: /^[a-z0-9]+$/, min: 3, max: 24 } },
  azurerm_postgresql_flexible_server: { name: { re: /^[a-z0-9][a-z0-9-]*[a-z0-9]$/, min: 3, max: 63 } },
  azurerm_user_assigned_identity: { name: { re: /^[a-zA-Z0-9][a-zA-Z0-9_-]*$/, min: 3, max: 128 } },
  azurerm_federated_identity_credential: { name: { re: /^[a-zA-Z0-9][a-zA-Z0-9_-]*$/, min: 3, max: 120 } },
  azurerm_virtual_network: { name: { re: /^[\w][\w.-]*[\w]$/, min: 2, max: 64 } },
  azurerm_log_analytics_workspace: { name: { re: /^[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]$/, min: 4, max: 63 } },
  azurerm_private_endpoint: { name: { re: /^[\w][\w.-]*[\w]$/, max: 64 } },
  azurerm_management_lock: { name: { re: /^[^<>*%&:\\?/+]+$/, max: 260 } },
  // GCP: resource names are RFC 1035 labels; service accounts 6-30; buckets without "goog"/"google"
  google_container_cluster: { name: dnsLabel(40) },
  google_container_node_pool: { name: dnsLabel(40) },
  google_service_account: { account_id: { re: /^[a-z][-a-z0-9]*[a-z0-9]$/, min: 6, max: 30 } },
  google_sql_database_instance: { name: { ...dnsLabel(98), not: /--/ } },
  google_kms_key_ring: { name: { re: /^[a-zA-Z0-9_-]+$/, max: 63 } },
  google_kms_crypto_key: { name: { re: /^[a-zA-Z0-9_-]+$/, max: 63 } },
  google_compute_network: { name: dnsLabel(63) },
  google_compute_subnetwork: { name: dnsLabel(63) },
  google_compute_router: { name: dnsLabel(63) },
  google_compute_router_nat: { name: dnsLabel(63) },
  google_compute_global_address: { name: dnsLabel(63) },
  google_compute_firewall: { name: dnsLabel(63) },
  google_dns_managed_zone: { name: dnsLabel(63) },
  google_artifact_registry_repository: { repository_id: dnsLabel(63) },
  google_storage_bucket: { name: { re: /^[a-z0-9][a-z0-9._-]*[a-z0-9]$/, min: 3, max: 63, not: /^goog|google/ } },
  google_secret_manager_secret: { secret_id: { re: /^[a-zA-Z0-9_-]+$/, max: 255 } },
  // Helm (release names become label values and Secret names)
  helm_release: { name: { re: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, max: 53 } },
};
/** Kubernetes label values: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set */
const LABEL_VALUE: Rule = { re: /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/, max: 63 };

function at(body: any, keyPath: string): unknown[] {
  let vs: unknown[] = [body];
  for (const k of keyPath.split("."))
    vs = vs
      .flatMap((v: any) => (Array.isArray(v) ? v : [v]))
      .map((v: any) => v?.[k])
      .filter((v) => v !== undefined);
  return vs.flatMap((v) => (Array.isArray(v) ? v : [v]));
}

function broken(value: string, rule: Rule): string | undefined {
  if (value.includes("${")) return undefined; // computed by Terraform: not ours to check
  if (!rule.re.test(value)) return `does not match ${rule.re}`;
  if (rule.max !== undefined && value.length > rule.max) return `is ${value.length} characters, more than ${rule.max}`;
  if (rule.min !== undefined && value.length < rule.min) return `is ${value.length} characters, fewer than ${rule.min}`;
  if (rule.not?.test(value)) return `matches the forbidden ${rule.not}`;
  return undefined;
}

/** Every violation in a synthesized stack, as "type.id.attribute = value: why". */
function violations(tf: any): string[] {
  const out: string[] = [];
  for (const [type, byId] of Object.entries<any>(tf.resource ?? {})) {
    for (const [id, body] of Object.entries<any>(byId)) {
      for (const [attr, rule] of Object.entries(RULES[type] ?? {})) {
        for (const v of at(body, attr)) {
          const why = typeof v === "string" ? broken(v, rule) : undefined;
          if (why) out.push(`${type}.${id}.${attr} = "${v}": ${why}`);
        }
      }
      if (type.startsWith("kubernetes_")) {
        for (const labels of at(body, "metadata.labels")) {
          for (const [k, v] of Object.entries<any>(labels ?? {})) {
            const why = typeof v === "string" ? broken(v, LABEL_VALUE) : undefined;
            if (why) out.push(`${type}.${id}.metadata.labels.${k} = "${v}": ${why}`);
          }
        }
      }
    }
  }
  return out;
}

const CLOUD_STACKS: StackName[] = ["fawkes-aws", "fawkes-azure", "fawkes-gcp"];

describe("names at the edges of the schema are valid cloud names", () => {
  test("the longest edge is as long as the schema allows", () => {
    expect(`${EDGES[0].name}-${EDGES[0].environment}`).toHaveLength(PREFIX_MAX);
    // Each part is a 20-character label at most, so the longest prefix is 41: one more character fails.
    expect(() => testConfig({ ...EDGES[0], environment: `${EDGES[0].environment}9` })).toThrow(/environment: expected a lower-case DNS label of 1-20/);
  });

  // One synth per config and stack; validations are not the point here (other tests run them).
  const results = EDGES.flatMap((edge) =>
    CLOUD_STACKS.map((stack) => {
      const config = testConfig({ ...edge, components: FRONT_DOOR_ONLY });
      const tf = JSON.parse(Testing.synth(new STACKS[stack](Testing.app(), stack, config)));
      return [`${edge.name}-${edge.environment}`, stack, tf] as const;
    }),
  );

  test.each(results.map(([prefix, stack, tf]) => [prefix, stack, tf]))("%s on %s", (_prefix, _stack, tf) => {
    expect(violations(tf)).toEqual([]);
  });

  test("the rules table is used: each checked stack names something it covers", () => {
    for (const [, , tf] of results) expect(Object.keys(tf.resource).filter((t) => RULES[t]).length).toBeGreaterThan(5);
  });

  test("the checker flags what the clouds reject", () => {
    const bad = {
      resource: {
        azurerm_key_vault: { a: { name: "ab--cd" } },
        helm_release: { b: { name: "x".repeat(54) } },
        azurerm_kubernetes_cluster: { c: { name: "ok", dns_prefix: "ok", default_node_pool: [{ name: "system-pool" }] } },
        kubernetes_namespace_v1: { d: { metadata: [{ labels: { team: "-bad" } }] } },
        aws_s3_bucket: { e: { bucket_prefix: "xn--a-" } },
      },
    };
    expect(violations(bad)).toHaveLength(5);
  });
});
