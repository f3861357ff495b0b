import { TerraformOutput, Testing } from "cdktf";
import { RBAC_PROPAGATION } from "../constructs/foundations/aks/data";
import { Construct } from "constructs";
import { COMPONENT_IDS } from "../stacks/components";
import { validateAksProps, type AksFoundationProps } from "../constructs/foundations/aks";
import { parseConfig } from "../stacks/config/load";
import { FawkesAzureStack } from "../stacks/azure";
import type { ConfigInput, FawkesConfig } from "../stacks/config/schema";
import { manifests, release, resources, strings, testConfig, values } from "./support";

const FRONT_DOOR = ["ingress", "tls", "dns", "secrets"];
/** The front door only: these tests are about the foundation, not other components. */
const frontDoorOnly = Object.fromEntries(COMPONENT_IDS.filter((id) => !FRONT_DOOR.includes(id)).map((id) => [id, false]));

/**
 * The Azure stack, plus a database, a bucket and an identity asked for directly (as a component would).
 * `patch` edits the parsed config, to reach the foundation with what the schema may reject.
 */
function synthAzure(overrides: ConfigInput = {}, patch: (c: FawkesConfig) => FawkesConfig = (c) => c, longNames = false) {
  const app = Testing.app();
  const stack = new FawkesAzureStack(app, "fawkes-azure", patch(testConfig({ ...overrides, components: { ...frontDoorOnly, ...overrides.components } })));
  const probe = new Construct(stack, "Probe");
  const db = stack.foundation.postgres(probe, { name: "portal-db", namespace: "portal" });
  // The longest database name postgres() accepts, so derived server names reach their limit; with a
  // 41-character prefix its "-" falls at the server name's cut (56).
  if (longNames) stack.foundation.postgres(new Construct(stack, "LongProbe"), { name: "long-database-name-of-32-chars-x", namespace: "portal" });
  const bucket = stack.foundation.bucket(probe, "portal-files");
  const identity = stack.foundation.workloadIdentity(probe, { namespace: "portal", name: "portal-app" }, [
    { bucket, access: "readwrite" },
    { secrets: "read" },
  ]);
  new TerraformOutput(stack, "probe_password_key", { value: db.password.key });
  new TerraformOutput(stack, "probe_host", { value: db.host });
  new TerraformOutput(stack, "probe_client_id", { value: identity.serviceAccountAnnotations["azure.workload.identity/client-id"] });
  return { tf: JSON.parse(Testing.synth(stack)), stack, db, bucket, identity };
}

const base = synthAzure();
const { tf } = base;
const standard = synthAzure({
  profile: "standard",
  api: { allowedCidrs: ["203.0.113.0/24", "198.51.100.7/32", "198.51.100.8/31"] },
  nodePools: { dojoSpot: false },
  azure: {
    adminGroupObjectIds: ["0b5a3c7e-8f41-4d2a-9c6b-2e7f1a9d3b55"],
    dnsZoneResourceGroup: "dns-zones",
    encryptionAtHost: false,
    state: { storageAccount: "acmetfstate", resourceGroup: "tfstate" },
  },
});
const lab = synthAzure({ profile: "lab", allowDestroy: true, azure: { zones: [] } });
/** A private cluster reached from a VPN. */
const privateNet = synthAzure({ api: { allowedCidrs: [], deployFromInsideNetwork: true, privateCidrs: ["192.168.10.0/24"] } });
/** A private cluster deployed from inside its VNet, in a region (or choice) of one zone. */
const inVnet = synthAzure({ profile: "standard", api: { allowedCidrs: [], deployFromInsideNetwork: true }, azure: { zones: ["2"] } });

const all = (out: any, type: string) => resources(out, type).map(([, r]) => r);
const one = (out: any, type: string) => {
  const found = all(out, type);
  expect(found).toHaveLength(1);
  return found[0];
};
const cluster = (out: any) => one(out, "azurerm_kubernetes_cluster");
const pool = (out: any, name: string) => all(out, "azurerm_kubernetes_cluster_node_pool").find((p) => p.name === name);
const probeServer = (out: any) => all(out, "azurerm_postgresql_flexible_server").find((s) => /portal-db/.test(s.name));
const roleOn = (out: any, role: string) => all(out, "azurerm_role_assignment").filter((r) => r.role_definition_name === role);

describe("AksFoundation network", () => {
  test("nodes, databases and private endpoints each have a subnet; the database subnet is delegated to Flexible Server", () => {
    const subnets = Object.fromEntries(all(tf, "azurerm_subnet").map((s) => [s.name, s]));
    expect(Object.keys(subnets).sort()).toEqual(["databases", "nodes", "private-endpoints"]);
    expect(subnets.nodes.address_prefixes).toEqual(["10.41.0.0/20"]);
    expect(subnets.databases.delegation[0].service_delegation.name).toBe("Microsoft.DBforPostgreSQL/flexibleServers");
    expect(subnets.nodes.delegation).toBeUndefined();
  });

  test("Azure CNI overlay with the Cilium dataplane, which enforces network policy", () => {
    expect(cluster(tf).network_profile).toMatchObject({
      network_plugin: "azure",
      network_plugin_mode: "overlay",
      network_data_plane: "cilium",
      network_policy: "cilium",
    });
  });
});

describe("AksFoundation cluster", () => {
  test("OIDC issuer and workload identity are on", () => {
    expect(cluster(tf)).toMatchObject({ oidc_issuer_enabled: true, workload_identity_enabled: true });
  });

  test("local accounts are disabled: no static admin credentials exist", () => {
    expect(cluster(tf).local_account_disabled).toBe(true);
  });

  test("Entra ID authentication with Azure RBAC; admin groups come from the config", () => {
    expect(cluster(tf).role_based_access_control_enabled).toBe(true);
    expect(cluster(tf).azure_active_directory_role_based_access_control).toMatchObject({ azure_rbac_enabled: true, admin_group_object_ids: [] });
    expect(cluster(standard.tf).azure_active_directory_role_based_access_control.admin_group_object_ids).toEqual(["0b5a3c7e-8f41-4d2a-9c6b-2e7f1a9d3b55"]);
    expect(roleOn(standard.tf, "Azure Kubernetes Service Cluster User Role")[0]).toMatchObject({
      principal_id: "0b5a3c7e-8f41-4d2a-9c6b-2e7f1a9d3b55",
      principal_type: "Group",
    });
  });

  test("the deployer is cluster admin through Azure RBAC, and releases wait for the role to propagate", () => {
    const [admin] = roleOn(tf, "Azure Kubernetes Service RBAC Cluster Admin");
    expect(admin.principal_id).toMatch(/data\.azurerm_client_config\.\w+\.object_id/);
    const [sleepId] = resources(tf, "time_sleep").find(([, s]) => s.depends_on.some((d: string) => /DeployerAdmin/.test(d)))!;
    expect(release(tf, "traefik").depends_on).toContain(`time_sleep.${sleepId}`);
  });

  // Defect 6: Azure documents up to 10 minutes (Key Vault, Azure RBAC) and 5 (AKS) before a role
  // assignment takes effect; 90 s gave the first namespace or secret write a 403.
  test("every wait for a role assignment lasts at least Azure's documented 5 minutes, and re-runs when the assignment is replaced", () => {
    const seconds = (d: string) => Number(/^(\d+)s$/.exec(d)![1]);
    expect(seconds(RBAC_PROPAGATION)).toBeGreaterThanOrEqual(300);
    const waits = resources(tf, "time_sleep").filter(([, s]) => (s.depends_on ?? []).some((d: string) => /^azurerm_role_assignment\./.test(d)));
    expect(waits.map(([id]) => id).sort()).toEqual([expect.stringMatching(/AccessPropagation/), expect.stringMatching(/VaultAccessPropagation/)]);
    for (const [, wait] of waits) {
      expect(seconds(wait.create_duration)).toBeGreaterThanOrEqual(300);
      expect(Object.values(wait.triggers)).toEqual([expect.stringMatching(/^\$\{azurerm_role_assignment\.\w+\.id\}$/)]);
    }
  });

  test("the cluster-admin wait overlaps cluster creation: the role is on the platform's resource group, not on the cluster", () => {
    const [admin] = roleOn(tf, "Azure Kubernetes Service RBAC Cluster Admin");
    expect(admin.scope).toMatch(/^\$\{azurerm_resource_group\.Foundation_ResourceGroup_\w+\.id\}$/);
    expect(JSON.stringify(admin)).not.toMatch(/azurerm_kubernetes_cluster\./);
    const [, wait] = resources(tf, "time_sleep").find(([id]) => /Foundation_AccessPropagation/.test(id))!;
    expect(JSON.stringify(wait)).not.toMatch(/azurerm_kubernetes_cluster/);
  });

  test("with no public CIDRs the cluster is private", () => {
    expect(cluster(privateNet.tf)).toMatchObject({ private_cluster_enabled: true, private_dns_zone_id: "System" });
    expect(cluster(privateNet.tf).api_server_access_profile).toBeUndefined();
    expect(one(privateNet.tf, "azurerm_key_vault")).toMatchObject({ public_network_access_enabled: false });
    expect(one(privateNet.tf, "azurerm_key_vault").network_acls.ip_rules).toBeUndefined();
  });

  test("api.privateCidrs (VPN, peering): the private API server gets a public name, which Terraform and the kubeconfig use", () => {
    // AKS has no allow-list on the private endpoint; such clients lack only DNS for its private zone.
    expect(cluster(privateNet.tf).private_cluster_public_fqdn_enabled).toBe(true);
    expect(privateNet.tf.provider.helm[0].kubernetes.host).toMatch(/^https:\/\/\$\{azurerm_kubernetes_cluster\.\w+\.fqdn\}:443$/);
    expect(privateNet.tf.provider.kubernetes[0].host).toBe(privateNet.tf.provider.helm[0].kubernetes.host);
    expect(privateNet.tf.output.kubeconfig_command.value).toMatch(/az aks get-credentials .* --public-fqdn &&/);
    // Without private networks nothing is published, and the kubeconfig's (private) host is used.
    expect(cluster(inVnet.tf).private_cluster_public_fqdn_enabled).toBe(false);
    expect(inVnet.tf.provider.helm[0].kubernetes.host).toMatch(/kube_config\[0\]\.host/);
    expect(inVnet.tf.output.kubeconfig_command.value).not.toMatch(/public-fqdn/);
    // A public cluster has no private endpoint: the setting is not sent.
    expect(cluster(tf).private_cluster_public_fqdn_enabled).toBeUndefined();
  });

  test("with CIDRs configured the API server admits only those networks (/32 and /31 as given)", () => {
    expect(cluster(standard.tf)).toMatchObject({
      private_cluster_enabled: false,
      api_server_access_profile: { authorized_ip_ranges: ["203.0.113.0/24", "198.51.100.7/32", "198.51.100.8/31"] },
    });
    expect(standard.stack.node.metadata.filter((m) => m.type === "@cdktf/warn")).toEqual([]);
  });

  test("by default (deployer) the API server admits the deploying machine's address as a /32", () => {
    expect(cluster(tf).api_server_access_profile.authorized_ip_ranges).toEqual(["${chomp(data.http.DeployerAddress.response_body)}/32"]);
  });

  test("kube-audit, kube-apiserver and guard logs go to Log Analytics", () => {
    const setting = all(tf, "azurerm_monitor_diagnostic_setting").find((d) => /azurerm_kubernetes_cluster/.test(d.target_resource_id));
    expect(setting.enabled_log.map((l: any) => l.category)).toEqual(expect.arrayContaining(["kube-audit", "kube-apiserver", "guard"]));
    expect(setting.log_analytics_workspace_id).toMatch(/azurerm_log_analytics_workspace/);
  });

  test("the cluster is protected from destroy (prevent_destroy and a CanNotDelete lock) unless allowDestroy", () => {
    expect(cluster(tf).lifecycle.prevent_destroy).toBe(true);
    const locks = all(tf, "azurerm_management_lock");
    expect(locks.find((l) => /azurerm_kubernetes_cluster/.test(l.scope))).toMatchObject({ lock_level: "CanNotDelete" });
    expect(cluster(lab.tf).lifecycle.prevent_destroy).toBe(false);
    expect(all(lab.tf, "azurerm_management_lock")).toEqual([]);
  });
});

describe("AksFoundation nodes", () => {
  test("system is the default pool, labelled, and not reserved for critical add-ons (platform pods run there)", () => {
    expect(cluster(tf).default_node_pool).toMatchObject({ name: "system", node_labels: { "fawkes.dev/pool": "system" }, only_critical_addons_enabled: false });
  });

  test("every pool is labelled with its name, autoscaled, and encrypts at host", () => {
    const pools = [cluster(tf).default_node_pool, pool(tf, "workloads"), pool(tf, "dojo")];
    for (const p of pools)
      expect(p).toMatchObject({
        node_labels: expect.objectContaining({ "fawkes.dev/pool": p.name }),
        auto_scaling_enabled: true,
        host_encryption_enabled: true,
      });
    expect(pool(standard.tf, "workloads").host_encryption_enabled).toBe(false);
  });

  test("the dojo pool is tainted, labelled, scales from zero and uses Spot VMs; its pods tolerate both taints", () => {
    const dojo = pool(tf, "dojo");
    expect(dojo).toMatchObject({ min_count: 0, priority: "Spot", eviction_policy: "Delete", node_labels: { "fawkes.dev/pool": "dojo" } });
    expect(dojo.node_taints).toEqual(["fawkes.dev/pool=dojo:NoSchedule", "kubernetes.azure.com/scalesetpriority=spot:NoSchedule"]);
    expect(base.stack.foundation.nodePools.dojo.tolerations.map((t) => t.key)).toEqual(["fawkes.dev/pool", "kubernetes.azure.com/scalesetpriority"]);
    expect(pool(tf, "workloads").node_taints).toBeUndefined();
  });

  test("without dojoSpot the dojo pool is Regular, still tainted", () => {
    const dojo = pool(standard.tf, "dojo");
    expect(dojo).toMatchObject({ priority: "Regular", node_taints: ["fawkes.dev/pool=dojo:NoSchedule"] });
    expect(dojo.eviction_policy).toBeUndefined();
    expect(standard.stack.foundation.nodePools.dojo.tolerations).toHaveLength(1);
  });
});

describe("AksFoundation secret store", () => {
  test("Key Vault uses RBAC authorization, and purge protection and 90-day soft delete whatever allowDestroy says", () => {
    // Purge protection cannot be turned off once on, and retention is fixed at creation: allowDestroy
    // flipping them would fail the deploy that sets it.
    expect(one(tf, "azurerm_key_vault")).toMatchObject({
      rbac_authorization_enabled: true,
      purge_protection_enabled: true,
      soft_delete_retention_days: 90,
      lifecycle: { prevent_destroy: true },
    });
    expect(one(tf, "azurerm_key_vault").access_policy).toBeUndefined();
    expect(one(lab.tf, "azurerm_key_vault")).toMatchObject({
      purge_protection_enabled: true,
      soft_delete_retention_days: 90,
      lifecycle: { prevent_destroy: false },
    });
  });

  test("Key Vault is reached through a private endpoint; its public endpoint is off, or admits only the configured networks", () => {
    expect(one(privateNet.tf, "azurerm_key_vault")).toMatchObject({ public_network_access_enabled: false, network_acls: { default_action: "Deny" } });
    // Key Vault refuses /31 and /32 prefixes: bare addresses instead.
    expect(one(standard.tf, "azurerm_key_vault")).toMatchObject({
      public_network_access_enabled: true,
      network_acls: { default_action: "Deny", bypass: "None", ip_rules: ["203.0.113.0/24", "198.51.100.7", "198.51.100.8", "198.51.100.9"] },
    });
    const endpoint = all(tf, "azurerm_private_endpoint").find((e) => e.private_service_connection.subresource_names[0] === "vault");
    expect(endpoint.private_service_connection.private_connection_resource_id).toMatch(/azurerm_key_vault\./);
    expect(endpoint.subnet_id).toMatch(/Network_PrivateEndpoints/);
  });

  test("with deployer, the vault admits the deploying machine's bare address: Terraform strips the /32 at plan time", () => {
    const [rule] = one(tf, "azurerm_key_vault").network_acls.ip_rules;
    expect(one(tf, "azurerm_key_vault").network_acls.ip_rules).toHaveLength(1);
    expect(rule).toBe('${replace("${chomp(data.http.DeployerAddress.response_body)}/32", "/32", "")}');
  });

  test("external-secrets reads Key Vault with workload identity; its identity may only read secrets", () => {
    expect(manifests(release(tf, "cluster-secret-store"))[0].spec.provider).toEqual({
      azurekv: { authType: "WorkloadIdentity", vaultUrl: expect.stringMatching(/azurerm_key_vault\.\w+\.vault_uri/) },
    });
    const eso = values(release(tf, "external-secrets"));
    expect(eso.serviceAccount.annotations["azure.workload.identity/client-id"]).toMatch(/azurerm_user_assigned_identity\.[\w-]+\.client_id/);
    expect(eso.podLabels).toEqual({ "azure.workload.identity/use": "true" });
    const reader = roleOn(tf, "Key Vault Secrets User").find((r) => /Secrets_Identity/.test(r.principal_id));
    expect(reader.scope).toMatch(/azurerm_key_vault\.\w+\.id/);
  });
});

describe("AksFoundation postgres()", () => {
  test("Flexible Server is private: in the delegated subnet, named in a private zone, no public access", () => {
    const server = probeServer(tf);
    expect(server).toMatchObject({ public_network_access_enabled: false, version: "17" });
    expect(server.delegated_subnet_id).toMatch(/azurerm_subnet\.Foundation_Network_Databases/);
    expect(server.private_dns_zone_id).toMatch(/azurerm_private_dns_zone\.\w+\.id/);
    const zone = all(tf, "azurerm_private_dns_zone").find((z) => z.name.endsWith(".postgres.database.azure.com"));
    expect(zone.name).toBe("fawkes-dev.private.postgres.database.azure.com");
  });

  test("backups are kept 7 days or more, geo-redundant for standard", () => {
    expect(probeServer(tf).backup_retention_days).toBeGreaterThanOrEqual(7);
    expect(probeServer(tf).geo_redundant_backup_enabled).toBe(false);
    expect(probeServer(standard.tf)).toMatchObject({ backup_retention_days: 14, geo_redundant_backup_enabled: true });
  });

  test("high availability for the standard profile only: zone-redundant across the configured zones", () => {
    expect(probeServer(tf).high_availability).toBeUndefined();
    expect(probeServer(lab.tf).high_availability).toBeUndefined();
    expect(probeServer(standard.tf)).toMatchObject({
      sku_name: expect.stringMatching(/^GP_/),
      high_availability: { mode: "ZoneRedundant", standby_availability_zone: "2" },
    });
  });

  test("clients must use TLS 1.2 or newer", () => {
    const config = Object.fromEntries(all(tf, "azurerm_postgresql_flexible_server_configuration").map((c) => [c.name, c.value]));
    expect(config).toMatchObject({ require_secure_transport: "on", ssl_min_protocol_version: "TLSv1.2" });
    expect(base.db.tls).toBe(true);
  });

  test("the database is created; the password is generated and stored in Key Vault, where the ref points", () => {
    expect(one(tf, "azurerm_postgresql_flexible_server_database")).toMatchObject({ name: "portal_db", charset: "UTF8" });
    const server = probeServer(tf);
    expect(server.administrator_password).toMatch(/^\$\{random_password\.[\w-]+\.result\}$/);
    const secret = one(tf, "azurerm_key_vault_secret");
    expect(secret).toMatchObject({ name: "postgres-portal-db", value: server.administrator_password });
    expect(secret.key_vault_id).toMatch(/azurerm_key_vault\.\w+\.id/);
    expect(tf.output.probe_password_key.value).toMatch(/azurerm_key_vault_secret\.[\w-]+\.name/);
    expect(base.db).toMatchObject({ database: "portal_db", username: "portal_db", port: 5432 });
    expect(tf.output.probe_host.value).toMatch(/azurerm_postgresql_flexible_server\.[\w-]+\.fqdn/);
  });

  test("the password is written only after the deployer's Key Vault role has propagated and the private endpoint exists", () => {
    const deps = one(tf, "azurerm_key_vault_secret").depends_on.join(" ");
    expect(deps).toMatch(/time_sleep\.Foundation_Data_VaultAccessPropagation/);
    expect(deps).toMatch(/azurerm_private_endpoint\.Foundation_Data_VaultEndpoint/);
    expect(roleOn(tf, "Key Vault Secrets Officer")[0].principal_id).toMatch(/azurerm_client_config\.\w+\.object_id/);
  });

  test("servers and databases are protected from destroy unless allowDestroy", () => {
    expect(probeServer(tf).lifecycle.prevent_destroy).toBe(true);
    expect(one(tf, "azurerm_postgresql_flexible_server_database").lifecycle.prevent_destroy).toBe(true);
    expect(all(tf, "azurerm_management_lock").some((l) => /azurerm_postgresql_flexible_server/.test(l.scope))).toBe(true);
    expect(probeServer(lab.tf).lifecycle.prevent_destroy).toBe(false);
  });
});

describe("AksFoundation bucket()", () => {
  test("the storage account is HTTPS/TLS 1.2 only, has no shared keys, no public blobs and no public network access", () => {
    expect(one(tf, "azurerm_storage_account")).toMatchObject({
      https_traffic_only_enabled: true,
      min_tls_version: "TLS1_2",
      allow_nested_items_to_be_public: false,
      shared_access_key_enabled: false,
      public_network_access_enabled: false,
      network_rules: { default_action: "Deny" },
      lifecycle: { prevent_destroy: true },
    });
    const endpoint = all(tf, "azurerm_private_endpoint").find((e) => e.private_service_connection.subresource_names[0] === "blob");
    expect(endpoint.private_service_connection.private_connection_resource_id).toMatch(/azurerm_storage_account\./);
  });

  test("Terraform makes containers through Resource Manager and never needs the blob endpoint or a key", () => {
    const container = one(tf, "azurerm_storage_container");
    expect(container).toMatchObject({ name: "portal-files", container_access_type: "private" });
    expect(container.storage_account_id).toMatch(/azurerm_storage_account\.[\w-]+\.id/);
    expect(container.storage_account_name).toBeUndefined();
    expect(tf.provider.azurerm[0]).toMatchObject({
      storage_use_azuread: true,
      features: [expect.objectContaining({ storage: [{ data_plane_available: false }] })],
    });
  });

  test("buckets are no S3 endpoint; the storage account is protected unless allowDestroy", () => {
    expect(base.bucket.s3).toBeUndefined();
    expect(all(tf, "azurerm_management_lock").some((l) => /azurerm_storage_account/.test(l.scope))).toBe(true);
    expect(one(lab.tf, "azurerm_storage_account").lifecycle.prevent_destroy).toBe(false);
  });
});

describe("AksFoundation workloadIdentity()", () => {
  const credentials = all(tf, "azurerm_federated_identity_credential");

  test("each service account gets its own identity, federated to exactly system:serviceaccount:<ns>:<sa>", () => {
    expect(credentials.map((c) => c.subject).sort()).toEqual([
      "system:serviceaccount:dns:external-dns",
      "system:serviceaccount:portal:portal-app",
      "system:serviceaccount:secrets:external-secrets",
    ]);
    for (const c of credentials) {
      expect(c.audience).toEqual(["api://AzureADTokenExchange"]);
      expect(c.issuer).toMatch(/azurerm_kubernetes_cluster\.\w+\.oidc_issuer_url/);
    }
  });

  test("returns the client-id annotation and the pod label the AKS webhook acts on", () => {
    expect(tf.output.probe_client_id.value).toMatch(/azurerm_user_assigned_identity\.Probe_Identity-portal-portal-app_Identity_\w+\.client_id/);
    expect(base.identity.podLabels).toEqual({ "azure.workload.identity/use": "true" });
  });

  test("grants become role assignments on exactly the granted resource", () => {
    const mine = (r: any) => /Probe_Identity-portal-portal-app/.test(r.principal_id);
    expect(roleOn(tf, "Storage Blob Data Contributor").filter(mine)[0].scope).toMatch(/azurerm_storage_container\.[\w-]+\.id/);
    expect(roleOn(tf, "Key Vault Secrets User").filter(mine)[0].scope).toMatch(/azurerm_key_vault\.\w+\.id/);
    const dns = all(tf, "azurerm_role_assignment").filter((r) => /Dns_Identity/.test(r.principal_id));
    expect(dns.map((r) => r.role_definition_name).sort()).toEqual(["DNS Zone Contributor", "Reader"]);
    expect(dns.find((r) => r.role_definition_name === "DNS Zone Contributor").scope).toMatch(/azurerm_dns_zone\./);
    expect(dns.find((r) => r.role_definition_name === "Reader").scope).toMatch(/azurerm_resource_group\.Foundation_ZoneResourceGroup/);
  });
});

describe("AksFoundation DNS", () => {
  test("an Azure DNS zone is created in its own resource group and kept; name servers are an output", () => {
    expect(one(tf, "azurerm_dns_zone")).toMatchObject({ name: "fawkes.example.com", lifecycle: { prevent_destroy: true } });
    expect(tf.output.name_servers.value).toMatch(/azurerm_dns_zone\.\w+\.name_servers/);
  });

  test("an existing zone is used when its resource group is configured", () => {
    expect(standard.tf.resource.azurerm_dns_zone).toBeUndefined();
    expect(Object.values<any>(standard.tf.data.azurerm_dns_zone)[0]).toMatchObject({ name: "fawkes.example.com", resource_group_name: "dns-zones" });
    expect(standard.tf.output.name_servers).toBeUndefined();
  });

  test("external-dns uses the azure provider with workload identity from a mounted azure.json", () => {
    const v = values(release(tf, "external-dns"));
    expect(v.provider).toEqual({ name: "azure" });
    expect(v.extraArgs).toContain("--azure-resource-group=fawkes-dev-dns");
    expect(v.extraVolumeMounts).toEqual([{ name: "provider-config", mountPath: "/etc/kubernetes", readOnly: true }]);
    const config = all(tf, "kubernetes_secret_v1").find((s) => s.metadata.name === "external-dns-provider");
    expect(JSON.parse(config.data["azure.json"])).toMatchObject({ useWorkloadIdentityExtension: true, resourceGroup: "fawkes-dev-dns" });
    expect(v.extraVolumes[0].secret.secretName).toMatch(/kubernetes_secret_v1\.\w+\.metadata\[0\]\.name/);
  });
});

describe("fawkes-azure stack", () => {
  test("helm and kubernetes providers use exec auth (kubelogin), never a token or client certificate", () => {
    const helm = tf.provider.helm[0].kubernetes;
    expect(helm.exec).toEqual({
      api_version: "client.authentication.k8s.io/v1beta1",
      command: "kubelogin",
      args: ["get-token", "--login", "azurecli", "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630"],
    });
    expect(helm.token ?? helm.client_certificate ?? helm.client_key).toBeUndefined();
    expect(tf.provider.kubernetes[0].exec[0].command).toBe("kubelogin");
    expect(tf.resource.kubernetes_manifest).toBeUndefined();
  });

  test("no static credentials or literal passwords anywhere", () => {
    expect(JSON.stringify(tf)).not.toMatch(/"(client_secret|client_key|client_certificate|access_key|sas_token|token)":|kube_admin_config/);
    const passwords = [...strings(tf.resource)].filter(([, where]) => /password$/i.test(where));
    expect(passwords.length).toBeGreaterThan(0);
    for (const [value] of passwords) expect(value).toMatch(/^\$\{random_password\.[\w-]+\.result\}$/);
    for (const [, r] of resources(tf, "helm_release")) expect((r.values ?? []).join("\n")).not.toMatch(/password:\s*["']?\w/i);
  });

  test("state stays local unless a storage account is configured; then azurerm with Entra ID auth", () => {
    expect(tf.terraform.backend).toBeUndefined();
    expect(standard.tf.terraform.backend.azurerm).toEqual({
      resource_group_name: "tfstate",
      storage_account_name: "acmetfstate",
      container_name: "tfstate",
      key: "fawkes/azure.tfstate",
      use_azuread_auth: true,
    });
  });

  test("outputs: cluster name, kubeconfig command, domain, where secrets live", () => {
    expect(tf.output.cluster_name.value).toBe("fawkes-dev");
    expect(tf.output.kubeconfig_command.value).toBe(
      "az aks get-credentials --resource-group fawkes-dev --name fawkes-dev && kubelogin convert-kubeconfig -l azurecli",
    );
    expect(tf.output.secret_store.value).toBe("Azure Key Vault (westeurope)");
  });

  test("the ingress gets a public Standard Load Balancer that keeps client IPs", () => {
    const v = values(release(tf, "traefik"));
    expect(v.service.spec).toEqual({ type: "LoadBalancer", externalTrafficPolicy: "Local" });
    expect(cluster(tf).network_profile.load_balancer_sku).toBe("standard");
  });
});

describe("AksFoundation validation and config", () => {
  const props = (over: Partial<AksFoundationProps> = {}): AksFoundationProps => ({
    name: "fawkes-dev",
    location: "westeurope",
    domain: "fawkes.example.com",
    kubernetesVersion: "1.33",
    profile: "small",
    nodePools: {
      system: { min: 2, max: 3, desired: 2, vmSize: "Standard_D4s_v5" },
      workloads: { min: 2, max: 6, desired: 3, vmSize: "Standard_D4s_v5" },
      dojo: { min: 0, max: 5, desired: 0, vmSize: "Standard_D4s_v5", spot: true },
    },
    ...over,
  });

  test("fails fast on a VNet that overlaps the pod or service ranges, naming prop and value", () => {
    expect(() => validateAksProps(props({ vnetCidr: "10.244.0.0/16" }))).toThrow(
      'AksFoundationProps.vnetCidr must not overlap the pod range 10.244.0.0/16, got "10.244.0.0/16"',
    );
    expect(() => validateAksProps(props({ vnetCidr: "10.41.0.0/24" }))).toThrow(/must be a \/20 or larger/);
  });

  test("fails fast on a system pool that cannot host the cluster", () => {
    const system = { min: 0, max: 3, desired: 0, vmSize: "x" };
    expect(() => validateAksProps(props({ nodePools: { ...props().nodePools, system } }))).toThrow(/system\.min must be at least 1/);
    expect(() => validateAksProps(props({ name: "Bad_Name" }))).toThrow('AksFoundationProps.name must be 2-41 characters of a-z, 0-9, "-", got "Bad_Name"');
  });

  test("fails fast on repeated zones (the HA standby would land in the primary's zone) and on private networks that overlap the VNet", () => {
    expect(() => validateAksProps(props({ zones: ["1", "1"] }))).toThrow('AksFoundationProps.zones must be distinct, got ["1","1"]');
    expect(() => validateAksProps(props({ apiPrivateCidrs: ["10.41.8.0/24"] }))).toThrow(
      'AksFoundationProps.apiPrivateCidrs must not overlap vnetCidr 10.41.0.0/16, got "10.41.8.0/24"',
    );
    expect(() => validateAksProps(props({ zones: ["3", "1"], apiPrivateCidrs: ["192.168.0.0/16"] }))).not.toThrow();
  });

  test("azure.zones and azure.encryptionAtHost default to three zones and on, and are validated", () => {
    const config = parseConfig({}, "f.yaml");
    expect(config.azure).toMatchObject({ zones: ["1", "2", "3"], encryptionAtHost: true });
    expect(parseConfig({ azure: { zones: [] } }, "f.yaml").azure.zones).toEqual([]);
    expect(() => parseConfig({ azure: { zones: ["4"] } }, "f.yaml")).toThrow(/f\.yaml: azure\.zones\.0: expected one of "1"\|"2"\|"3"/);
    expect(() => parseConfig({ azure: { encryptionAtHost: "yes" } }, "f.yaml")).toThrow(/azure\.encryptionAtHost: expected boolean/);
  });

  test("with azure.zones empty (a region without zones), nodes and databases are not pinned to zones", () => {
    expect(cluster(lab.tf).default_node_pool.zones).toBeUndefined();
    expect(probeServer(lab.tf).zone).toBeUndefined();
  });
});

describe("AksFoundation destroy (allowDestroy)", () => {
  test("allowDestroy drops the CanNotDelete locks and prevent_destroy everywhere", () => {
    expect(all(tf, "azurerm_management_lock").length).toBeGreaterThanOrEqual(4);
    expect(all(lab.tf, "azurerm_management_lock")).toEqual([]);
    for (const [type, byId] of Object.entries<any>(lab.tf.resource)) {
      for (const [id, r] of Object.entries<any>(byId)) expect([`${type}.${id}`, r.lifecycle?.prevent_destroy ?? false]).toEqual([`${type}.${id}`, false]);
    }
  });

  test("destroy soft-deletes the vault and its secrets and never purges (purge protection would refuse it)", () => {
    const features = tf.provider.azurerm[0].features[0];
    expect(features.key_vault[0]).toMatchObject({
      purge_soft_delete_on_destroy: false,
      purge_soft_deleted_secrets_on_destroy: false,
      purge_soft_deleted_keys_on_destroy: false,
      purge_soft_deleted_certificates_on_destroy: false,
    });
    // The soft-deleted vault keeps its name for 90 days: the next deploy's vault must not reuse it.
    expect(one(tf, "azurerm_key_vault").name).toMatch(/-\$\{random_string\.\w+\.result\}$/);
    // Audit logs outlive a destroy (soft delete, recovered by a redeploy).
    expect(features.log_analytics_workspace[0]).toEqual({ permanently_delete_on_destroy: false });
  });

  test("releases are destroyed, then a 2-minute wait, before node pools, cluster and network go", () => {
    const [id, teardown] = resources(tf, "time_sleep").find(([sid]) => /NetworkTeardown/.test(sid))!;
    expect(teardown.destroy_duration).toBe("120s");
    expect(teardown.create_duration).toBeUndefined();
    const deps = teardown.depends_on.join(" ");
    for (const what of [
      /azurerm_virtual_network\./,
      /azurerm_subnet\.\w+Nodes/,
      /azurerm_subnet\.\w+Databases/,
      /azurerm_subnet\.\w+PrivateEndpoints/,
      /azurerm_kubernetes_cluster\./,
      /azurerm_kubernetes_cluster_node_pool\.\w+Workloads/,
    ]) {
      expect(deps).toMatch(what);
    }
    // Every release depends on it (through ctx.ready), so Terraform destroys them first.
    for (const [rid, r] of resources(tf, "helm_release")) expect([rid, r.depends_on ?? []]).toEqual([rid, expect.arrayContaining([`time_sleep.${id}`])]);
  });

  test("the StorageClass deletes volumes with their claims only when allowDestroy", () => {
    const reclaim = (out: any) => all(out, "kubernetes_storage_class_v1").find((c) => c.metadata.name === "fawkes-premium").reclaim_policy;
    expect(reclaim(tf)).toBe("Retain");
    expect(reclaim(lab.tf)).toBe("Delete");
  });
});

/**
 * Azure's documented naming rules (learn.microsoft.com, "Naming rules and restrictions for Azure
 * resources"), per resource type and attribute, as a second statement of them independent of the code.
 */
const AZURE_NAME_RULES: Record<string, Record<string, RegExp>> = {
  azurerm_resource_group: { name: /^[\w().-]{0,89}[\w()-]$/ },
  azurerm_kubernetes_cluster: {
    name: /^[a-zA-Z0-9][\w-]{0,61}[a-zA-Z0-9]$/,
    dns_prefix: /^[a-zA-Z0-9][a-zA-Z0-9-]{0,52}[a-zA-Z0-9]$/,
    node_resource_group: /^[\w().-]{0,79}[\w()-]$/,
    "default_node_pool.name": /^[a-z][a-z0-9]{0,11}$/,
    "default_node_pool.temporary_name_for_rotation": /^[a-z][a-z0-9]{0,11}$/,
  },
  azurerm_kubernetes_cluster_node_pool: { name: /^[a-z][a-z0-9]{0,11}$/, temporary_name_for_rotation: /^[a-z][a-z0-9]{0,11}$/ },
  azurerm_key_vault: { name: /^(?!.*--)[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/ },
  azurerm_key_vault_secret: { name: /^[a-zA-Z0-9-]{1,127}$/ },
  azurerm_storage_account: { name: /^[a-z0-9]{3,24}$/ },
  azurerm_postgresql_flexible_server: { name: /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/ },
  azurerm_log_analytics_workspace: { name: /^[a-zA-Z0-9][a-zA-Z0-9-]{2,61}[a-zA-Z0-9]$/ },
  azurerm_user_assigned_identity: { name: /^[a-zA-Z0-9][\w-]{2,127}$/ },
  azurerm_federated_identity_credential: { name: /^[a-zA-Z0-9][\w-]{2,119}$/ },
  azurerm_virtual_network: { name: /^[a-zA-Z0-9][\w.-]{0,62}\w$/ },
  azurerm_subnet: { name: /^[a-zA-Z0-9][\w.-]{0,78}\w$/ },
  azurerm_private_endpoint: { name: /^[a-zA-Z0-9][\w.-]{0,62}\w$/ },
  azurerm_private_dns_zone_virtual_network_link: { name: /^[a-zA-Z0-9][\w.-]{0,78}\w$/ },
  azurerm_private_dns_zone: { name: /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/ },
  azurerm_management_lock: { name: /^[^<>*%&:\\?.+/]{1,90}$/ },
};

describe("Azure names, for every name and environment the config accepts", () => {
  /** The random suffix as Azure sees it: 5 lower-case alphanumerics. */
  const resolve = (v: string) => v.replace(/\$\{random_string\.\w+\.result\}/g, "x9z0q");
  const at = (r: any, path: string) => path.split(".").reduce((o, k) => (Array.isArray(o) ? o[0] : o)?.[k], r);
  const edges: [string, (c: FawkesConfig) => FawkesConfig][] = [
    // 41 characters (two 20-character labels), with a "-" right where the Key Vault name is cut (18).
    ["a 41-character prefix, hyphens at the cuts", (c) => ({ ...c, name: "abcdefghijklmnopq-rs", environment: "uvwxyzabcdefghijklmn" })],
    ["the shortest prefix", (c) => ({ ...c, name: "a", environment: "b" })],
    // Reached past the schema: the foundation must not depend on it forbidding "--".
    ["a double hyphen", (c) => ({ ...c, name: "ab--cd", environment: "x-y" })],
  ];

  const synthesized = new Map<string, any>();
  const synthEdge = (what: string, patch: (c: FawkesConfig) => FawkesConfig) => {
    if (!synthesized.has(what)) synthesized.set(what, synthAzure({}, patch, true).tf);
    return synthesized.get(what);
  };

  test.each(edges)("%s: every name sent to Azure follows Azure's rules", (what, patch) => {
    const out = synthEdge(what, patch);
    const bad: string[] = [];
    let checked = 0;
    for (const [type, rules] of Object.entries(AZURE_NAME_RULES)) {
      for (const [id, r] of Object.entries<any>(out.resource[type] ?? {})) {
        for (const [path, rule] of Object.entries(rules)) {
          const value = at(r, path);
          if (typeof value !== "string") continue;
          checked++;
          if (!rule.test(resolve(value))) bad.push(`${type}.${id}.${path} = "${resolve(value)}"`);
        }
      }
    }
    expect(bad).toEqual([]);
    expect(checked).toBeGreaterThan(30);
  });

  test("the 41-character prefix keeps names distinct and recognisable where they are cut", () => {
    const out = synthEdge(...edges[0]);
    expect(resolve(one(out, "azurerm_key_vault").name)).toBe("abcdefghijklmnopq-x9z0q");
    expect(resolve(one(out, "azurerm_storage_account").name)).toBe("abcdefghijklmnopqrsx9z0q");
    const servers = all(out, "azurerm_postgresql_flexible_server")
      .map((s) => resolve(s.name))
      .sort();
    expect(servers).toEqual(["abcdefghijklmnopq-rs-uvwxyzabcdefghijklmn-long-database-x9z0q", "abcdefghijklmnopq-rs-uvwxyzabcdefghijklmn-portal-db-x9z0q"]);
  });
});

describe("AksFoundation zones", () => {
  test("zone-redundant HA puts the standby in another zone than the primary", () => {
    const server = probeServer(standard.tf);
    expect(server.zone).toBe("1");
    expect(server.high_availability.standby_availability_zone).not.toBe(server.zone);
  });

  test("one zone: HA in the same zone, nodes pinned to it", () => {
    expect(probeServer(inVnet.tf)).toMatchObject({ zone: "2", high_availability: { mode: "SameZone" } });
    expect(cluster(inVnet.tf).default_node_pool.zones).toEqual(["2"]);
  });
});
