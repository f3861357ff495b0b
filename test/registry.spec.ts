import { TerraformOutput, Testing } from "cdktf";
import type { RegistryCapability } from "../constructs/context";
import { acrName } from "../constructs/foundations/aks/registry";
import { ExistingClusterFoundation } from "../constructs/foundations/existing-cluster";
import { LOCAL_REGISTRY_IMAGE, REGISTRY_PUSH_HOST } from "../constructs/foundations/existing-cluster/registry";
import { FawkesAwsStack } from "../stacks/aws";
import { FawkesAzureStack } from "../stacks/azure";
import { configChecks } from "../stacks/config/schema";
import { FawkesGcpStack } from "../stacks/gcp";
import { FRONT_DOOR_ONLY, manifests, release, resources, strings, testConfig, testStack } from "./support";
import { synthesized } from "./synthesized";

/**
 * The image registry of every foundation (ctx.registry) and the `{ registry: "push" }` grant: each
 * cloud stack with the front door only, a CI service account `ci/builder` asking for push, and the
 * capability's URLs as outputs (they hold Terraform references).
 */
const SA = { namespace: "ci", name: "builder" };
type CloudStack = typeof FawkesAwsStack | typeof FawkesAzureStack | typeof FawkesGcpStack;
function synthCloud(Stack: CloudStack, id: string): { tf: any; registry: RegistryCapability } {
  const stack = new Stack(Testing.app(), id, testConfig({ components: FRONT_DOOR_ONLY }));
  stack.foundation.workloadIdentity(stack, SA, [{ registry: "push" }]);
  const registry = stack.foundation.registry;
  new TerraformOutput(stack, "registry_push", { value: registry.pushUrl });
  new TerraformOutput(stack, "registry_pull", { value: registry.pullUrl });
  new TerraformOutput(stack, "registry_docker_config", { value: JSON.stringify(registry.dockerConfig) });
  return { tf: JSON.parse(Testing.synth(stack, true)), registry };
}
const aws = synthCloud(FawkesAwsStack, "fawkes-aws");
const azure = synthCloud(FawkesAzureStack, "fawkes-azure");
const gcp = synthCloud(FawkesGcpStack, "fawkes-gcp");

const only = (tf: any, type: string): any => {
  const found = resources(tf, type);
  expect(found).toHaveLength(1);
  return found[0][1];
};
const output = (tf: any, name: string): string => tf.output[name].value;
/** Resources of the CI identity (the construct `Identity-ci-builder`). */
const ofBuilder = (tf: any, type: string) => resources(tf, type).filter(([id]) => id.startsWith("Identity-ci-builder_"));

describe("registry on AWS (ECR)", () => {
  const { tf } = aws;
  test("repositories are made on push from a template: immutable tags, the data key, untagged images expire after 14 days", () => {
    const template = only(tf, "aws_ecr_repository_creation_template");
    expect(template.prefix).toBe("fawkes-dev");
    expect(template.applied_for).toEqual(["CREATE_ON_PUSH"]);
    expect(template.image_tag_mutability).toBe("IMMUTABLE");
    expect(template.encryption_configuration).toEqual([
      { encryption_type: "KMS", kms_key: expect.stringMatching(/^\$\{aws_kms_key\.Foundation_DataKey_\w+\.arn\}$/) },
    ]);
    const rule = JSON.parse(template.lifecycle_policy).rules[0];
    expect(rule.selection).toMatchObject({ tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 14 });
    expect(rule.action).toEqual({ type: "expire" });
    // A template with a KMS key needs a role ECR assumes, limited to the platform's repositories.
    const role = resources(tf, "aws_iam_role").find(([id]) => template.custom_role_arn.includes(id))![1];
    expect(JSON.parse(role.assume_role_policy).Statement[0].Principal).toEqual({ Service: "ecr.amazonaws.com" });
  });

  test("every push under the prefix is scanned", () => {
    const scanning = only(tf, "aws_ecr_registry_scanning_configuration");
    expect(scanning.rule).toEqual([{ scan_frequency: "SCAN_ON_PUSH", repository_filter: [{ filter: "fawkes-dev/*", filter_type: "WILDCARD" }] }]);
  });

  test("nodes pull with the node role", () => {
    const attached = resources(tf, "aws_iam_role_policy_attachment").filter(([id]) => id.startsWith("Foundation_Nodes_"));
    expect(attached.map(([, a]) => a.policy_arn)).toContainEqual(expect.stringMatching(/:iam::aws:policy\/AmazonEC2ContainerRegistryReadOnly$/));
  });

  test("the push grant: a token, push on the platform's repositories only (creating them on first push), the key", () => {
    const [[, doc]] = resources({ resource: tf.data }, "aws_iam_policy_document").filter(([id]) => id.startsWith("Identity-ci-builder_Grants"));
    const statements: { actions: string[]; resources: string[] }[] = doc.statement;
    expect(statements.find((s) => s.actions.includes("ecr:GetAuthorizationToken"))!.resources).toEqual(["*"]);
    const push = statements.find((s) => s.actions.includes("ecr:PutImage"))!;
    expect(push.actions).toEqual(expect.arrayContaining(["ecr:CreateRepository", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"]));
    expect(push.resources).toEqual([expect.stringMatching(/^arn:\$\{[^}]+\}:ecr:eu-west-1:\$\{[^}]+account_id\}:repository\/fawkes-dev\/\*$/)]);
    // Nothing but the token is granted on "*".
    expect(statements.filter((s) => s.resources.includes("*")).flatMap((s) => s.actions)).toEqual(["ecr:GetAuthorizationToken"]);
    expect(statements.find((s) => s.actions.some((a) => a.startsWith("kms:")))!.resources).toEqual([expect.stringMatching(/aws_kms_key\.Foundation_DataKey_/)]);
  });

  test("URLs and credentials: the account's registry host, the ECR credential helper", () => {
    const host = expect.stringMatching(/^\$\{data\.aws_caller_identity\.\w+\.account_id\}\.dkr\.ecr\.eu-west-1\.amazonaws\.com$/);
    expect(output(tf, "registry_push")).toMatch(/^\$\{data\.aws_caller_identity\.\w+\.account_id\}\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/fawkes-dev$/);
    expect(output(tf, "registry_pull")).toBe(output(tf, "registry_push"));
    const config = JSON.parse(output(tf, "registry_docker_config"));
    expect(Object.keys(config.credHelpers)).toEqual([host]);
    expect(Object.values(config.credHelpers)).toEqual(["ecr-login"]);
    expect(aws.registry).toMatchObject({ immutableTags: true, kanikoFlags: [], scanOnPush: expect.stringContaining("ECR") });
  });
});

describe("registry on Azure (ACR)", () => {
  const { tf } = azure;
  test("Premium, private only, no admin user, no anonymous pull, untagged manifests retained 14 days, kept on destroy", () => {
    const acr = only(tf, "azurerm_container_registry");
    expect(acr).toMatchObject({
      sku: "Premium",
      admin_enabled: false,
      anonymous_pull_enabled: false,
      public_network_access_enabled: false,
      export_policy_enabled: false,
      retention_policy_in_days: 14,
      lifecycle: { prevent_destroy: true },
    });
    expect(acr.name).toMatch(/^fawkesdev\$\{random_string\.Foundation_NameSuffix_\w+\.result\}$/);
    const locks = resources(tf, "azurerm_management_lock").map(([, l]) => l.scope);
    expect(locks).toContainEqual(expect.stringMatching(/^\$\{azurerm_container_registry\./));
  });

  test("reached through a private endpoint whose privatelink zone is linked to the VNet", () => {
    const [[, endpoint]] = resources(tf, "azurerm_private_endpoint").filter(([, e]) =>
      e.private_service_connection.private_connection_resource_id.startsWith("${azurerm_container_registry."),
    );
    expect(endpoint.private_service_connection.subresource_names).toEqual(["registry"]);
    expect(endpoint.subnet_id).toMatch(/azurerm_subnet\.Foundation_Network_PrivateEndpoints_/);
    const zoneRef = endpoint.private_dns_zone_group.private_dns_zone_ids[0];
    const [[zoneId, zone]] = resources(tf, "azurerm_private_dns_zone").filter(([id]) => zoneRef.includes(id));
    expect(zone.name).toBe("privatelink.azurecr.io");
    const links = resources(tf, "azurerm_private_dns_zone_virtual_network_link").filter(([, l]) => l.private_dns_zone_name.includes(zoneId));
    expect(links).toHaveLength(1);
    expect(links[0][1].virtual_network_id).toMatch(/azurerm_virtual_network\.Foundation_Network_Vnet_/);
  });

  test("the kubelet identity pulls (AcrPull), the push grant pushes (AcrPush), both on the registry only", () => {
    const onAcr = resources(tf, "azurerm_role_assignment").filter(([, a]) => a.scope.startsWith("${azurerm_container_registry."));
    const kubelet = onAcr.find(([, a]) => a.principal_id.includes("kubelet_identity"))![1];
    expect(kubelet.role_definition_name).toBe("AcrPull");
    const builder = ofBuilder(tf, "azurerm_role_assignment").map(([, a]) => a);
    expect(builder).toEqual([expect.objectContaining({ role_definition_name: "AcrPush", scope: expect.stringMatching(/^\$\{azurerm_container_registry\./) })]);
  });

  test("URLs and credentials: the login server, the acr-env helper fed by workload identity; tags not immutable", () => {
    expect(output(tf, "registry_push")).toMatch(/^\$\{azurerm_container_registry\.\w+\.login_server\}\/fawkes-dev$/);
    expect(output(tf, "registry_pull")).toBe(output(tf, "registry_push"));
    expect(Object.values(JSON.parse(output(tf, "registry_docker_config")).credHelpers)).toEqual(["acr-env"]);
    expect(azure.registry).toMatchObject({ immutableTags: false, scanOnPush: undefined, pushEnv: {} });
  });

  test("ACR names are 5-50 letters and digits for every accepted prefix", () => {
    for (const name of ["a-b", "k8s-platform-team-a1-x1-dev-digits-999999", "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"]) {
      expect(acrName(name, "x9y8z")).toMatch(/^[a-z0-9]{5,50}$/);
    }
  });
});

describe("registry on GCP (Artifact Registry)", () => {
  const { tf } = gcp;
  test("one Docker repository: immutable tags, its own key in the foundation's ring, scanning inherited, untagged images cleaned up", () => {
    const repo = only(tf, "google_artifact_registry_repository");
    expect(repo).toMatchObject({
      repository_id: "fawkes-dev",
      location: "europe-west1",
      format: "DOCKER",
      docker_config: { immutable_tags: true },
      vulnerability_scanning_config: { enablement_config: "INHERITED" },
      cleanup_policy_dry_run: false,
      cleanup_policies: [{ id: "delete-untagged", action: "DELETE", condition: { tag_state: "UNTAGGED", older_than: "1209600s" } }],
      lifecycle: { prevent_destroy: true },
    });
    const [[keyId, key]] = resources(tf, "google_kms_crypto_key").filter(([id]) => repo.kms_key_name.includes(id));
    expect(key.key_ring).toMatch(/google_kms_key_ring\.Foundation_ControlPlane_KeyRing_/);
    const use = resources(tf, "google_kms_crypto_key_iam_member").find(([, m]) => m.crypto_key_id.includes(keyId))![1];
    expect(use.member).toMatch(/@gcp-sa-artifactregistry\.iam\.gserviceaccount\.com$/);
    // Scanning on push: the Container Scanning API is on.
    const apis = resources(tf, "google_project_service").map(([, s]) => s.service);
    expect(apis).toEqual(expect.arrayContaining(["artifactregistry.googleapis.com", "containerscanning.googleapis.com"]));
  });

  test("the node service account reads, the push grant writes, both on the repository only", () => {
    const members = resources(tf, "google_artifact_registry_repository_iam_member").map(([id, m]) => ({ id, ...m }));
    expect(members.find((m) => m.id.startsWith("Foundation_Registry_NodePull"))).toMatchObject({
      role: "roles/artifactregistry.reader",
      member: expect.stringMatching(/google_service_account\.Foundation_NodeIdentity_Account_/),
    });
    expect(members.filter((m) => m.id.startsWith("Identity-ci-builder_"))).toEqual([
      expect.objectContaining({ role: "roles/artifactregistry.writer", member: expect.stringMatching(/google_service_account\.Identity-ci-builder_Account_/) }),
    ]);
    // Nothing project-wide for the registry.
    expect(resources(tf, "google_project_iam_member").filter(([, m]) => m.role.startsWith("roles/artifactregistry."))).toEqual([]);
  });

  test("URLs and credentials: the regional Docker host, the gcr helper", () => {
    expect(output(tf, "registry_push")).toBe("europe-west1-docker.pkg.dev/fawkes-sandbox/fawkes-dev");
    expect(output(tf, "registry_pull")).toBe(output(tf, "registry_push"));
    expect(JSON.parse(output(tf, "registry_docker_config"))).toEqual({ credHelpers: { "europe-west1-docker.pkg.dev": "gcr" } });
    expect(gcp.registry.immutableTags).toBe(true);
  });
});

describe("no static registry credential on any cloud", () => {
  test.each([
    ["aws", aws.tf],
    ["azure", azure.tf],
    ["gcp", gcp.tf],
  ])("%s: no access keys, users, registry tokens, admin users or service account keys", (_cloud, tf) => {
    const types = Object.keys(tf.resource);
    for (const forbidden of [
      "aws_iam_access_key",
      "aws_iam_user",
      "azurerm_container_registry_token",
      "azurerm_container_registry_scope_map",
      "google_service_account_key",
    ]) {
      expect(types).not.toContain(forbidden);
    }
    for (const [, acr] of resources(tf, "azurerm_container_registry")) expect(acr.admin_enabled).toBe(false);
  });
});

describe("registry on a laptop (in-cluster)", () => {
  const tf = synthesized("fawkes-local");
  const objects = manifests(release(tf, "registry"));
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);

  test("CNCF Distribution, pinned, non-root, on a persistent volume of the cluster's StorageClass, kept on destroy", () => {
    const [set] = byKind("StatefulSet");
    expect(set.metadata).toMatchObject({ name: "registry", namespace: "registry", annotations: { "helm.sh/resource-policy": "keep" } });
    const pod = set.spec.template.spec;
    expect(pod.containers[0].image).toBe(LOCAL_REGISTRY_IMAGE);
    expect(LOCAL_REGISTRY_IMAGE).toMatch(/^docker\.io\/library\/registry:3\.\d+\.\d+$/);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: "data", mountPath: "/var/lib/registry" });
    expect(set.spec.volumeClaimTemplates[0].spec.storageClassName).toBe("standard");
    expect(set.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: "Retain", whenScaled: "Retain" });
    expect(resources(tf, "helm_release").find(([, r]) => r.name === "registry")![1].lifecycle).toEqual({ prevent_destroy: true });
  });

  test("a ClusterIP Service for kaniko's pushes and a NodePort (30500) for the nodes' pulls", () => {
    const services = Object.fromEntries(byKind("Service").map((s) => [s.metadata.name, s.spec]));
    expect(services.registry).toMatchObject({ type: "ClusterIP", ports: [{ port: 5000 }] });
    expect(services["registry-nodeport"]).toMatchObject({ type: "NodePort", ports: [{ port: 5000, nodePort: 30500 }] });
  });

  test("only the jenkins namespace and the nodes get in", () => {
    const [policy] = byKind("NetworkPolicy");
    expect(policy.spec.policyTypes).toEqual(["Ingress"]);
    expect(policy.spec.ingress).toHaveLength(1);
    expect(policy.spec.ingress[0].from).toEqual([
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "jenkins" } } },
      { ipBlock: { cidr: "172.16.0.0/12" } },
    ]);
  });

  test("push by the Service name over plain HTTP, pull through localhost, no credentials", () => {
    const foundation = new ExistingClusterFoundation(testStack(), "Foundation", {
      name: "fawkes-dev",
      context: "kind-fawkes",
      domain: "localtest.me",
      profile: "lab",
      registryNodePort: 31500,
    });
    expect(foundation.registry).toMatchObject({
      pushUrl: "registry.registry.svc.cluster.local:5000/fawkes",
      pullUrl: "localhost:31500/fawkes",
      dockerConfig: {},
      kanikoFlags: [`--insecure-registry=${REGISTRY_PUSH_HOST}`],
      immutableTags: false,
    });
    expect(REGISTRY_PUSH_HOST).toBe("registry.registry.svc.cluster.local:5000");
  });

  test("the node port is a node port, apart from the ingress' ones", () => {
    const make = (props: object) => () =>
      new ExistingClusterFoundation(testStack(), "Foundation", {
        name: "fawkes-dev",
        context: "kind-fawkes",
        domain: "localtest.me",
        profile: "lab",
        ...props,
      });
    expect(make({ registryNodePort: 5000 })).toThrow("ExistingClusterFoundationProps.registryNodePort must be a node port from 30000 to 32767, got 5000");
    expect(make({ registryNodePort: 30443 })).toThrow("ExistingClusterFoundationProps.registryNodePort must differ from the ingress node ports, got 30443");
    expect(make({ registryNodePort: 30443, ingressService: "LoadBalancer" })).not.toThrow();
    expect(() => testConfig({ local: { registryNodePort: 30080 } })).toThrow("local.registryNodePort: expected a node port other than the ingress'");
    expect(configChecks(testConfig({})).map((i) => i.path)).not.toContain("local.registryNodePort");
  });

  test("no registry secret: nothing in the laptop stack names a registry password", () => {
    const found = [...strings(objects)].filter(([s]) => /REGISTRY_(AUTH|HTTP_SECRET)|htpasswd/i.test(s));
    expect(found).toEqual([]);
  });
});
