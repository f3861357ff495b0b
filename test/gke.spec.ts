import { TerraformOutput, Testing } from "cdktf";
import { parse as parseYaml } from "yaml";
import { PLATFORM_WEBHOOKS, WEBHOOK_FIREWALL_PORTS, WEBHOOK_FREE_CHARTS } from "../constructs/foundations/gke/cluster";
import { accountId } from "../constructs/foundations/gke/identity";
import { LOAD_BALANCER_TEARDOWN, validateGkeProps, type GkeFoundationProps } from "../constructs/foundations/gke";
import { GCP_NAME_LIMITS, MAX_PREFIX, NODE_POOL_SUFFIX, bucketName, fitName, sqlInstanceName } from "../constructs/foundations/gke/names";
import { REQUIRED_SERVICES } from "../constructs/foundations/gke/project";
import { FawkesGcpStack } from "../stacks/gcp";
import type { ConfigInput } from "../stacks/config/schema";
import { FRONT_DOOR_ONLY, manifests, release, releaseId, resources, strings, testConfig, values } from "./support";
import { synthesized } from "./synthesized";

function synthGcp(overrides: ConfigInput = {}) {
  const app = Testing.app();
  // The front door only: these tests are about the foundation (components have their own).
  const stack = new FawkesGcpStack(app, "fawkes-gcp", testConfig({ ...overrides, components: { ...FRONT_DOOR_ONLY, ...overrides.components } }));
  return { tf: JSON.parse(Testing.synth(stack, true)), stack };
}

const { tf, stack } = synthGcp();
/** A stack with one database and one bucket requested, as components would. */
const buildData = (profile: "small" | "standard" | "lab" = "small", allowDestroy = false) => {
  const s = new FawkesGcpStack(Testing.app(), "fawkes-gcp", testConfig({ profile, allowDestroy, components: FRONT_DOOR_ONLY }));
  const db = s.foundation.postgres(s, { name: "portal-db", namespace: "portal" });
  const bucket = s.foundation.bucket(s, "files");
  new TerraformOutput(s, "db_password_ref", { value: db.password.key });
  new TerraformOutput(s, "db_host", { value: db.host });
  const out = JSON.parse(Testing.synth(s));
  const sql = resources(out, "google_sql_database_instance").find(([, i]) => i.name.startsWith("fawkes-dev-portal-db-"))![1];
  const gcs = resources(out, "google_storage_bucket").find(([, b]) => b.name.startsWith("fawkes-dev-files-"))![1];
  return { out, db, bucket, sql, gcs };
};
const destroyableData = buildData("small", true);
const destroyable = destroyableData.out;
const one = (type: string, from = tf) => {
  const all = resources(from, type);
  expect(all).toHaveLength(1);
  return all[0][1];
};
const clusterOf = (from: any) => one("google_container_cluster", from);
/** The control plane's resource of a type (the image registry has a key of its own too). */
const ofControlPlane = (type: string, from = tf) => resources(from, type).find(([id]) => id.startsWith("Foundation_ControlPlane_"))![1];
const cluster = clusterOf(tf);
const pools = Object.fromEntries(resources(tf, "google_container_node_pool").map(([, p]) => [p.node_config.labels["fawkes.dev/pool"], p]));

/** Every resource and data source a block points at: explicit depends_on and `${type.name...}` references. */
function edges(body: unknown): string[] {
  const out = new Set<string>((body as any)?.depends_on ?? []);
  for (const [s] of strings(body)) for (const m of s.matchAll(/\$\{(data\.)?([a-z0-9_]+)\.([A-Za-z0-9_-]+)/g)) out.add(`${m[1] ?? ""}${m[2]}.${m[3]}`);
  return [...out];
}

describe("GkeFoundation project", () => {
  const services = resources(tf, "google_project_service").map(([, s]) => s);

  test("the APIs the foundation uses are enabled, and never disabled on destroy", () => {
    const enabled = services.map((s) => s.service);
    for (const api of [
      "container",
      "compute",
      "sqladmin",
      "servicenetworking",
      "secretmanager",
      "dns",
      "iam",
      "iamcredentials",
      "cloudresourcemanager",
      "cloudkms",
    ]) {
      expect(enabled).toContain(`${api}.googleapis.com`);
    }
    expect([...enabled].sort()).toEqual([...REQUIRED_SERVICES].sort());
    for (const s of services) expect(s).toMatchObject({ disable_on_destroy: false, disable_dependent_services: false });
  });

  test("every other Google resource and data source waits for the APIs (directly or through what it references)", () => {
    const bodies = new Map<string, unknown>();
    for (const [type, byName] of Object.entries<any>(tf.resource)) for (const [name, body] of Object.entries(byName)) bodies.set(`${type}.${name}`, body);
    for (const [type, byName] of Object.entries<any>(tf.data ?? {}))
      for (const [name, body] of Object.entries(byName)) bodies.set(`data.${type}.${name}`, body);
    const reaches = (start: string) => {
      const seen = new Set<string>();
      const todo = [start];
      while (todo.length) {
        const node = todo.pop()!;
        if (node.startsWith("google_project_service.")) return true;
        if (seen.has(node)) continue;
        seen.add(node);
        todo.push(...edges(bodies.get(node)));
      }
      return false;
    };
    const google = [...bodies.keys()].filter((k) => /^(data\.)?google_/.test(k) && !k.startsWith("google_project_service."));
    expect(google.length).toBeGreaterThan(20);
    expect(google.filter((k) => !reaches(k))).toEqual([]);
  });
});

describe("GkeFoundation network", () => {
  test("a custom-mode VPC with one subnet: pod and service secondary ranges, Private Google Access", () => {
    expect(one("google_compute_network").auto_create_subnetworks).toBe(false);
    const subnet = one("google_compute_subnetwork");
    expect(subnet).toMatchObject({ ip_cidr_range: "10.42.0.0/20", private_ip_google_access: true });
    expect(subnet.secondary_ip_range).toEqual([
      { range_name: "pods", ip_cidr_range: "10.44.0.0/14" },
      { range_name: "services", ip_cidr_range: "10.48.0.0/20" },
    ]);
    expect(cluster.ip_allocation_policy).toEqual({ cluster_secondary_range_name: "pods", services_secondary_range_name: "services" });
  });

  test("egress through Cloud NAT on a Cloud Router, for the node subnet only", () => {
    const nat = one("google_compute_router_nat");
    expect(nat.router).toMatch(/google_compute_router\.\w+\.name/);
    expect(nat.source_subnetwork_ip_ranges_to_nat).toBe("LIST_OF_SUBNETWORKS");
    expect(nat.subnetwork[0].name).toMatch(/google_compute_subnetwork\.\w+\.id/);
  });
});

describe("GkeFoundation cluster", () => {
  test("nodes are private (no public IPs)", () => {
    expect(cluster.private_cluster_config.enable_private_nodes).toBe(true);
    expect(cluster.private_cluster_config.master_ipv4_cidr_block).toBe("172.16.0.0/28");
  });

  test("workload identity is on, with the project's pool", () => {
    expect(cluster.workload_identity_config).toEqual({ workload_pool: "fawkes-sandbox.svc.id.goog" });
  });

  test("nodes are shielded VMs with secure boot and integrity monitoring", () => {
    expect(cluster.enable_shielded_nodes).toBe(true);
    expect(Object.keys(pools).sort()).toEqual(["dojo", "system", "workloads"]);
    for (const p of Object.values<any>(pools))
      expect(p.node_config.shielded_instance_config).toEqual({ enable_secure_boot: true, enable_integrity_monitoring: true });
  });

  test("Dataplane V2 enforces network policy", () => {
    expect(cluster.datapath_provider).toBe("ADVANCED_DATAPATH");
  });

  test("the cluster follows the configured release channel from the configured version", () => {
    expect(cluster.release_channel).toEqual({ channel: "REGULAR" });
    expect(cluster.min_master_version).toBe(testConfig().kubernetes.version);
    expect(clusterOf(synthGcp({ gcp: { releaseChannel: "STABLE" } }).tf).release_channel).toEqual({ channel: "STABLE" });
    for (const p of Object.values<any>(pools)) expect(p.management).toEqual({ auto_repair: true, auto_upgrade: true });
  });

  test("by default the public endpoint admits only the deployer's address, resolved at plan time", () => {
    expect(cluster.private_cluster_config.enable_private_endpoint).toBe(false);
    const [block] = cluster.master_authorized_networks_config.cidr_blocks;
    // A token Terraform resolves when it plans: it must end up as a plain CIDR in cidr_block.
    expect(block).toEqual({ cidr_block: expect.stringMatching(/^\$\{chomp\(data\.http\.\w+\.response_body\)\}\/32$/), display_name: "allowed-0" });
    expect(cluster.master_authorized_networks_config.gcp_public_cidrs_access_enabled).toBe(false);
    expect(tf.provider.kubernetes[0].host).toMatch(/^https:\/\/\$\{google_container_cluster\.\w+\.endpoint\}$/);
  });

  test("with no public CIDRs the endpoint is private, and only the listed private networks get in", () => {
    // profile lab too: one synth less (the lab profile alone must not drop protection, see below).
    const priv = synthGcp({ profile: "lab", api: { allowedCidrs: [], deployFromInsideNetwork: true, privateCidrs: ["10.8.0.0/16", "192.168.10.0/24"] } });
    expect(clusterOf(priv.tf).deletion_protection).toBe(true);
    const c = clusterOf(priv.tf);
    expect(c.private_cluster_config.enable_private_endpoint).toBe(true);
    expect(c.master_authorized_networks_config).toEqual({
      cidr_blocks: [
        { cidr_block: "10.8.0.0/16", display_name: "private-0" },
        { cidr_block: "192.168.10.0/24", display_name: "private-1" },
      ],
      gcp_public_cidrs_access_enabled: false,
      private_endpoint_enforcement_enabled: true,
    });
    expect(priv.tf.provider.kubernetes[0].host).toMatch(/private_cluster_config\[0\]\.private_endpoint/);
    expect(priv.tf.output.kubeconfig_command.value).toMatch(/ --internal-ip$/);
  });

  test("with a public endpoint, private networks are authorized too (VPN clients use either endpoint)", () => {
    const open = synthGcp({ api: { allowedCidrs: ["203.0.113.0/24"], privateCidrs: ["10.8.0.0/16"] }, gcp: { masterCidr: "172.16.8.16/28" } });
    // The webhook firewall rule follows a configured master range.
    expect(one("google_compute_firewall", open.tf).source_ranges).toEqual(["172.16.8.16/28"]);
    const c = clusterOf(open.tf);
    expect(c.private_cluster_config.enable_private_endpoint).toBe(false);
    expect(c.master_authorized_networks_config).toEqual({
      cidr_blocks: [
        { cidr_block: "203.0.113.0/24", display_name: "allowed-0" },
        { cidr_block: "10.8.0.0/16", display_name: "private-0" },
      ],
      gcp_public_cidrs_access_enabled: false,
    });
    expect(open.tf.provider.kubernetes[0].host).toMatch(/^https:\/\/\$\{google_container_cluster\.\w+\.endpoint\}$/);
    expect(open.tf.output.kubeconfig_command.value).not.toMatch(/--internal-ip/);
  });

  test("Kubernetes secrets are encrypted with a Cloud KMS key that rotates, usable by the GKE service agent", () => {
    expect(cluster.database_encryption.state).toBe("ENCRYPTED");
    const [keyId, key] = resources(tf, "google_kms_crypto_key").find(([id]) => cluster.database_encryption.key_name.includes(id))!;
    expect(key.rotation_period).toBe("7776000s");
    const use = ofControlPlane("google_kms_crypto_key_iam_member");
    expect(use.crypto_key_id).toContain(keyId);
    expect(use.role).toBe("roles/cloudkms.cryptoKeyEncrypterDecrypter");
    expect(use.member).toMatch(/^serviceAccount:service-\$\{data\.google_project\.\w+\.number\}@container-engine-robot\.iam\.gserviceaccount\.com$/);
    expect(cluster.depends_on).toContain(
      `google_kms_crypto_key_iam_member.${resources(tf, "google_kms_crypto_key_iam_member").find(([id]) => id.startsWith("Foundation_ControlPlane_"))![0]}`,
    );
  });

  test("the cluster, its key, the zone and the StorageClass's volumes are protected from destroy unless allowDestroy", () => {
    expect(cluster).toMatchObject({ deletion_protection: true, lifecycle: { prevent_destroy: true } });
    expect(ofControlPlane("google_kms_crypto_key").lifecycle.prevent_destroy).toBe(true);
    expect(one("google_dns_managed_zone")).toMatchObject({ force_destroy: false, lifecycle: { prevent_destroy: true } });
    expect(one("kubernetes_storage_class_v1").reclaim_policy).toBe("Retain");
    expect(clusterOf(destroyable)).toMatchObject({ deletion_protection: false, lifecycle: { prevent_destroy: false } });
    expect(ofControlPlane("google_kms_crypto_key", destroyable).lifecycle.prevent_destroy).toBe(false);
    // external-dns leaves its records behind: a zone with records cannot be deleted otherwise.
    expect(one("google_dns_managed_zone", destroyable)).toMatchObject({ force_destroy: true, lifecycle: { prevent_destroy: false } });
    expect(one("kubernetes_storage_class_v1", destroyable).reclaim_policy).toBe("Delete");
  });

  test("the default node pool is removed, and even while it lives it uses the node service account", () => {
    expect(cluster.remove_default_node_pool).toBe(true);
    expect(cluster.node_config.service_account).toMatch(/google_service_account\.Foundation_NodeIdentity_\w+\.email/);
    expect(cluster.node_config.workload_metadata_config).toEqual({ mode: "GKE_METADATA" });
  });
});

describe("GkeFoundation nodes", () => {
  test("every pool is labelled with its name; only the dojo pool is tainted", () => {
    for (const [name, p] of Object.entries<any>(pools)) expect(p.node_config.labels).toEqual({ "fawkes.dev/pool": name });
    expect(pools.dojo.node_config.taint).toEqual([{ key: "fawkes.dev/pool", value: "dojo", effect: "NO_SCHEDULE" }]);
    expect(pools.system.node_config.taint).toBeUndefined();
    expect(pools.workloads.node_config.taint).toBeUndefined();
  });

  test("the dojo pool autoscales from zero on spot VMs (on-demand when dojoSpot is off)", () => {
    expect(pools.dojo.autoscaling).toMatchObject({ total_min_node_count: 0, total_max_node_count: 5 });
    expect(pools.dojo.initial_node_count).toBe(0);
    expect(pools.dojo.node_config.spot).toBe(true);
    expect(pools.system.node_config.spot).toBe(false);
    const onDemand = resources(synthGcp({ nodePools: { dojoSpot: false } }).tf, "google_container_node_pool").map(([, p]) => p);
    expect(onDemand.every((p) => p.node_config.spot === false)).toBe(true);
  });

  test("pool sizes are totals over the region, as configured", () => {
    expect(pools.system.autoscaling).toMatchObject({ total_min_node_count: 2, total_max_node_count: 3 });
    expect(pools.workloads.autoscaling).toMatchObject({ total_min_node_count: 2, total_max_node_count: 6 });
  });

  test("nodes run as a dedicated service account with the minimal node role, and pods see only the GKE metadata server", () => {
    const [saId, sa] = resources(tf, "google_service_account").find(([id]) => id.startsWith("Foundation_NodeIdentity"))!;
    expect(sa.account_id).toMatch(/^fawkes-dev-nodes-[0-9a-f]{6}$/);
    const roles = resources(tf, "google_project_iam_member")
      .filter(([, m]) => m.member.includes(saId))
      .map(([, m]) => m.role);
    expect(roles).toEqual(["roles/container.defaultNodeServiceAccount"]);
    for (const p of Object.values<any>(pools)) {
      expect(p.node_config.service_account).toBe(`\${google_service_account.${saId}.email}`);
      expect(p.node_config.service_account).not.toMatch(/compute@developer/);
      expect(p.node_config.workload_metadata_config).toEqual({ mode: "GKE_METADATA" });
    }
  });

  test("the foundation is ready when the node pools, NAT and the StorageClass are", () => {
    const ready = stack.foundation.ready.map((r) => (r as any).node.path as string);
    expect(ready).toContain("fawkes-gcp/Foundation/LoadBalancerTeardown");
    for (const pool of ["System", "Workloads", "Dojo"]) expect(ready).toContain(`fawkes-gcp/Foundation/Nodes/${pool}`);
    expect(ready).toContain("fawkes-gcp/Foundation/Network/Nat");
    const sc = one("kubernetes_storage_class_v1");
    expect(sc).toMatchObject({ storage_provisioner: "pd.csi.storage.gke.io", reclaim_policy: "Retain", metadata: { name: stack.foundation.storageClass } });
  });
});

describe("GkeFoundation identity, DNS and secrets", () => {
  test("workload identity: a Google service account per Kubernetes service account, bound by its IAM name", () => {
    const binding = resources(tf, "google_service_account_iam_member")
      .map(([, b]) => b)
      .find((b) => b.member.endsWith("[secrets/external-secrets]"))!;
    expect(binding).toMatchObject({ role: "roles/iam.workloadIdentityUser", member: "serviceAccount:fawkes-sandbox.svc.id.goog[secrets/external-secrets]" });
    expect(binding.depends_on).toContain(`google_container_cluster.${resources(tf, "google_container_cluster")[0][0]}`);
    const sa = values(release(tf, "external-secrets")).serviceAccount;
    expect(sa.annotations["iam.gke.io/gcp-service-account"]).toMatch(/^\$\{google_service_account\.[\w-]+\.email\}$/);
    expect(binding.service_account_id).toBe(sa.annotations["iam.gke.io/gcp-service-account"].replace(".email}", ".name}"));
  });

  test("service account ids fit IAM's 6-30 characters and stay unique per environment", () => {
    const a = accountId("kube-system-cluster-autoscaler", "fawkes-dev/kube-system/cluster-autoscaler");
    expect(a).toMatch(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/);
    expect(accountId("dns-external-dns", "fawkes-prod/dns/external-dns")).not.toBe(accountId("dns-external-dns", "fawkes-dev/dns/external-dns"));
  });

  test("external-dns writes the Cloud DNS zone of the domain, in this project, with dns.admin", () => {
    const zone = one("google_dns_managed_zone");
    expect(zone).toMatchObject({ name: "fawkes-dev", dns_name: "fawkes.example.com.", visibility: "public", dnssec_config: { state: "on" } });
    const v = values(release(tf, "external-dns"));
    expect(v.provider).toEqual({ name: "google" });
    expect(v.extraArgs).toEqual(["--google-project=fawkes-sandbox", "--google-zone-visibility=public", "--zone-id-filter=fawkes-dev"]);
    const dnsSa = resources(tf, "google_service_account").find(([id]) => id.includes("dns-external-dns"))![0];
    const grant = resources(tf, "google_project_iam_member")
      .map(([, m]) => m)
      .find((m) => m.member.includes(dnsSa))!;
    expect(grant).toMatchObject({ project: "fawkes-sandbox", role: "roles/dns.admin" });
  });

  test("the secret store is Secret Manager through the controller's workload identity, no key", () => {
    const store = manifests(release(tf, "cluster-secret-store"))[0];
    expect(store.spec.provider).toEqual({ gcpsm: { projectID: "fawkes-sandbox" } });
    expect(tf.output.secret_store.value).toBe("Google Secret Manager (project fawkes-sandbox)");
  });

  test("helm and kubernetes providers use exec auth (gke-gcloud-auth-plugin), never a token", () => {
    const helm = tf.provider.helm[0].kubernetes;
    expect(helm.exec).toEqual({
      api_version: "client.authentication.k8s.io/v1beta1",
      command: "gke-gcloud-auth-plugin",
      args: ["--use_application_default_credentials"],
    });
    expect(helm.token).toBeUndefined();
    expect(tf.provider.kubernetes[0].exec[0].command).toBe("gke-gcloud-auth-plugin");
    expect(tf.provider.kubernetes[0].cluster_ca_certificate).toMatch(/base64decode\(google_container_cluster\.\w+\.master_auth\[0\]\.cluster_ca_certificate\)/);
    expect(tf.data?.google_client_config).toBeUndefined();
    expect(tf.resource.kubernetes_manifest).toBeUndefined();
  });

  test("no static credentials anywhere: no service account keys, no HMAC keys, no key files", () => {
    expect(tf.resource.google_service_account_key).toBeUndefined();
    expect(tf.resource.google_storage_hmac_key).toBeUndefined();
    expect(tf.provider.google[0].credentials).toBeUndefined();
    expect(tf.provider.google[0].access_token).toBeUndefined();
    const google = Object.entries<any>(tf.resource).filter(([type]) => type.startsWith("google_"));
    expect(JSON.stringify(google)).not.toMatch(/private_key|hmac/i);
    expect(manifests(release(tf, "cluster-secret-store"))[0].spec.provider.gcpsm.auth).toBeUndefined();
  });
});

describe("fawkes-gcp stack", () => {
  test("state stays local unless a bucket is configured; then the gcs backend", () => {
    expect(tf.terraform.backend).toBeUndefined();
    const remote = synthGcp({ gcp: { state: { bucket: "acme-tfstate" } } }).tf;
    expect(remote.terraform.backend.gcs).toEqual({ bucket: "acme-tfstate", prefix: "fawkes/gcp" });
  });

  test("outputs: cluster name, get-credentials command, name servers", () => {
    expect(tf.output.cluster_name.value).toBe("fawkes-dev");
    expect(tf.output.kubeconfig_command.value).toBe("gcloud container clusters get-credentials fawkes-dev --region europe-west1 --project fawkes-sandbox");
    expect(tf.output.name_servers.value).toMatch(/google_dns_managed_zone\.\w+\.name_servers/);
  });

  test("the ingress gets an external passthrough load balancer that keeps client IPs", () => {
    const v = values(release(tf, "traefik"));
    expect(v.service.spec).toEqual({ type: "LoadBalancer", externalTrafficPolicy: "Local" });
    expect(v.service.annotations).toEqual({ "cloud.google.com/l4-rbs": "enabled" });
    expect(stack.foundation.certificates.kind).toBe("acme");
  });

  test("overlapping address ranges fail at synth, naming both", () => {
    const props: GkeFoundationProps = {
      name: "fawkes-dev",
      project: "p",
      region: "europe-west1",
      domain: "x.example.com",
      kubernetesVersion: "1.33",
      profile: "small",
      podsCidr: "10.42.0.0/16",
      nodePools: {
        system: { min: 1, max: 2, desired: 1, machineType: "e2" },
        workloads: { min: 1, max: 2, desired: 1, machineType: "e2" },
        dojo: { min: 0, max: 1, desired: 0, machineType: "e2" },
      },
    };
    expect(() => validateGkeProps(props)).toThrow('GkeFoundationProps.subnetCidr and podsCidr must not overlap, got "10.42.0.0/20" and "10.42.0.0/16"');
    expect(() => validateGkeProps({ ...props, podsCidr: undefined, masterCidr: "172.16.0.0/24" })).toThrow(/masterCidr must be a \/28/);
  });
});

describe("GkeFoundation postgres() and bucket()", () => {
  const { out, db, bucket, sql, gcs } = buildData();
  const portalSecret = () => resources(out, "google_secret_manager_secret").find(([, s]) => s.secret_id === "fawkes-dev-portal-db-db-password")!;

  test("Cloud SQL has a private IP only, inside the VPC, through the private services connection", () => {
    expect(sql.settings.ip_configuration).toMatchObject({ ipv4_enabled: false });
    expect(sql.settings.ip_configuration.private_network).toMatch(/google_compute_network\.\w+\.id/);
    expect(sql.settings.ip_configuration.authorized_networks).toBeUndefined();
    expect(sql.depends_on.some((d: string) => d.startsWith("google_service_networking_connection."))).toBe(true);
    const range = one("google_compute_global_address", out);
    expect(range).toMatchObject({ purpose: "VPC_PEERING", address_type: "INTERNAL", address: "10.50.0.0", prefix_length: 20 });
    expect(out.output.db_host.value).toMatch(/^\$\{google_sql_database_instance\.[\w-]+\.private_ip_address\}$/);
  });

  test("Cloud SQL requires TLS from clients", () => {
    expect(sql.settings.ip_configuration.ssl_mode).toBe("ENCRYPTED_ONLY");
    expect(db.tls).toBe(true);
  });

  test("Cloud SQL is backed up with point-in-time recovery", () => {
    expect(sql.settings.backup_configuration).toMatchObject({ enabled: true, point_in_time_recovery_enabled: true });
    expect(sql.settings.backup_configuration.backup_retention_settings.retained_backups).toBeGreaterThanOrEqual(7);
  });

  test("Cloud SQL is protected twice (Terraform and Cloud SQL's own flag), unless allowDestroy", () => {
    expect(sql).toMatchObject({ deletion_protection: true, lifecycle: { prevent_destroy: true } });
    expect(sql.settings.deletion_protection_enabled).toBe(true);
    const open = destroyableData.sql;
    expect(open).toMatchObject({ deletion_protection: false, lifecycle: { prevent_destroy: false } });
    expect(open.settings.deletion_protection_enabled).toBe(false);
  });

  test("Cloud SQL is highly available (REGIONAL) for the standard profile only", () => {
    expect(sql.settings.availability_type).toBe("ZONAL");
    expect(buildData("standard").sql.settings.availability_type).toBe("REGIONAL");
  });

  test("the password is generated, kept in Secret Manager, and the ref points at the secret", () => {
    const user = resources(out, "google_sql_user").find(([, u]) => u.name === "portal_db")![1];
    expect(user.password).toMatch(/^\$\{random_password\.[\w-]+\.result\}$/);
    const [secretId, secret] = portalSecret();
    expect(secret.secret_id).toBe("fawkes-dev-portal-db-db-password");
    const version = resources(out, "google_secret_manager_secret_version").find(([, v]) => v.secret.includes(secretId))![1];
    expect(version.secret_data).toBe(user.password);
    expect(out.output.db_password_ref.value).toBe(`\${google_secret_manager_secret.${secretId}.secret_id}`);
    expect(db).toMatchObject({ database: "portal_db", username: "portal_db", port: 5432 });
    expect(resources(out, "google_sql_database").filter(([, d]) => d.name === "portal_db")).toHaveLength(1);
  });

  test("external-secrets may read that secret (its own binding), and nothing project-wide", () => {
    const [secretId] = portalSecret();
    const access = resources(out, "google_secret_manager_secret_iam_member")
      .map(([, m]) => m)
      .filter((m) => m.secret_id.includes(secretId));
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({ role: "roles/secretmanager.secretAccessor" });
    expect(access[0].member).toMatch(/google_service_account\.Platform_Secrets_Identity-secrets-external-secrets_\w+\.member/);
    expect(resources(out, "google_project_iam_member").map(([, m]) => m.role)).not.toContain("roles/secretmanager.secretAccessor");
  });

  test("GCS buckets: uniform access, public access prevented, versioned, force-destroyed only with allowDestroy; no S3 API", () => {
    expect(gcs).toMatchObject({ uniform_bucket_level_access: true, public_access_prevention: "enforced", versioning: { enabled: true }, force_destroy: false });
    expect(gcs.lifecycle.prevent_destroy).toBe(true);
    expect(destroyableData.gcs).toMatchObject({ force_destroy: true, lifecycle: { prevent_destroy: false } });
    expect(bucket.s3).toBeUndefined();
  });

  test("a bucket grant is an object role on that bucket only", () => {
    const s = new FawkesGcpStack(Testing.app(), "fawkes-gcp", testConfig({ components: FRONT_DOOR_ONLY }));
    const b = s.foundation.bucket(s, "logs");
    const id = s.foundation.workloadIdentity(s, { namespace: "logs", name: "loki" }, [{ bucket: b, access: "readwrite" }]);
    const o = JSON.parse(Testing.synth(s));
    const grant = one("google_storage_bucket_iam_member", o);
    expect(grant).toMatchObject({ role: "roles/storage.objectAdmin" });
    expect(grant.bucket).toMatch(/google_storage_bucket\.[\w-]+\.name/);
    expect(id.serviceAccountAnnotations["iam.gke.io/gcp-service-account"]).toBeDefined();
    expect(id.podLabels).toEqual({});
  });

  test("no literal password in any Google resource: each one is a generated value", () => {
    const secretFields = /(^|\.)(password|root_password|secret_data)$/;
    const checked: string[] = [];
    for (const [type, byName] of Object.entries<any>(out.resource)) {
      if (!type.startsWith("google_")) continue;
      for (const [s, where] of strings(byName)) {
        if (!secretFields.test(where)) continue;
        checked.push(where);
        expect(s).toMatch(/^\$\{random_password\.[\w-]+\.result\}$/);
      }
    }
    expect(checked.length).toBeGreaterThanOrEqual(2);
  });
});

describe("GkeFoundation webhooks on the private control plane", () => {
  const rule = one("google_compute_firewall");
  const nodeSa = resources(tf, "google_service_account").find(([id]) => id.startsWith("Foundation_NodeIdentity"))![0];

  test("a firewall rule lets the master range reach the nodes on exactly the webhook ports GKE does not open", () => {
    expect(WEBHOOK_FIREWALL_PORTS).toEqual(["9443"]);
    expect(rule).toMatchObject({
      direction: "INGRESS",
      source_ranges: [cluster.private_cluster_config.master_ipv4_cidr_block],
      target_service_accounts: [`\${google_service_account.${nodeSa}.email}`],
      allow: [{ protocol: "tcp", ports: ["9443"] }],
    });
    expect(rule.network).toMatch(/^\$\{google_compute_network\.\w+\.id\}$/);
    expect(rule.source_tags).toBeUndefined();
    // The nodes run as this account, so the rule reaches every pool (and their pods' alias IPs).
    for (const p of Object.values<any>(pools)) expect(p.node_config.service_account).toBe(rule.target_service_accounts[0]);
  });

  test("every chart the platform installs is accounted for, and no release moves a webhook off the listed port", () => {
    const full = synthesized("fawkes-gcp");
    const upstream = resources(full, "helm_release").filter(([, r]) => !String(r.chart).startsWith("./"));
    const known = new Set<string>([...PLATFORM_WEBHOOKS.map((w) => w.chart), ...WEBHOOK_FREE_CHARTS]);
    expect([...new Set(upstream.map(([, r]) => String(r.chart)))].filter((c) => !known.has(c))).toEqual([]);
    // The project's own charts and resources register no webhook either.
    const local = resources(full, "helm_release").filter(([, r]) => String(r.chart).startsWith("./"));
    expect(local.length).toBeGreaterThan(0);
    const kinds = local.flatMap(([, r]) => manifests(r).map((m) => m.kind));
    expect(kinds.filter((k) => /WebhookConfiguration$/.test(k))).toEqual([]);
    expect(Object.keys(full.resource).filter((t) => /webhook_configuration/.test(t))).toEqual([]);
    const get = (v: any, path: string) => path.split(".").reduce((o, k) => o?.[k], v);
    for (const w of PLATFORM_WEBHOOKS) {
      const using = upstream.filter(([, r]) => r.chart === w.chart);
      expect(using.length).toBeGreaterThan(0);
      for (const [, r] of using) {
        const v = Object.assign({}, ...(r.values ?? []).map((y: string) => parseYaml(y) ?? {}));
        expect([undefined, w.port]).toContain(get(v, w.value));
      }
    }
    expect(one("google_compute_firewall", full).allow).toEqual([{ protocol: "tcp", ports: WEBHOOK_FIREWALL_PORTS }]);
  });
});

describe("GkeFoundation destroy", () => {
  const [sleepId, sleep] = resources(tf, "time_sleep").find(([id]) => id.includes("LoadBalancerTeardown"))!;

  test("destroy waits for the load balancers after the releases are gone and before pools, cluster and network go", () => {
    expect(sleep.destroy_duration).toBe(LOAD_BALANCER_TEARDOWN);
    expect(sleep.create_duration).toBeUndefined();
    const [subnetId] = resources(tf, "google_compute_subnetwork")[0];
    const [natId] = resources(tf, "google_compute_router_nat")[0];
    expect(sleep.depends_on).toEqual(expect.arrayContaining([`google_compute_subnetwork.${subnetId}`, `google_compute_router_nat.${natId}`]));
    for (const [id] of resources(tf, "google_container_node_pool")) expect(sleep.depends_on).toContain(`google_container_node_pool.${id}`);
    // Traefik owns the LoadBalancer Service: its release goes first, then the wait.
    for (const name of ["traefik", "cert-manager", "external-dns", "external-secrets"]) {
      expect(release(tf, name).depends_on).toContain(`time_sleep.${sleepId}`);
    }
    expect(releaseId(tf, "traefik")).toMatch(/^helm_release\./);
  });

  test("the private services connection is abandoned on destroy (Cloud SQL holds it for days)", () => {
    expect(one("google_service_networking_connection").deletion_policy).toBe("ABANDON");
  });
});

/** Google's rules for each name the foundation sends, by resource type and field. */
const NAME_RULES: [type: string, field: string, rule: RegExp, max: number][] = [
  ["google_container_cluster", "name", /^[a-z]([a-z0-9-]*[a-z0-9])?$/, GCP_NAME_LIMITS.cluster],
  ["google_container_node_pool", "name_prefix", /^[a-z][a-z0-9-]*$/, GCP_NAME_LIMITS.nodePool - NODE_POOL_SUFFIX],
  ["google_service_account", "account_id", /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 30],
  ["google_sql_database_instance", "name", /^[a-z]([a-z0-9-]*[a-z0-9])?$/, GCP_NAME_LIMITS.sqlInstance],
  ["google_kms_key_ring", "name", /^[a-zA-Z0-9_-]+$/, GCP_NAME_LIMITS.kms],
  ["google_kms_crypto_key", "name", /^[a-zA-Z0-9_-]+$/, GCP_NAME_LIMITS.kms],
  ["google_compute_network", "name", /^[a-z]([a-z0-9-]*[a-z0-9])?$/, GCP_NAME_LIMITS.compute],
  ["google_compute_subnetwork", "name", /^[a-z]([a-z0-9-]*[a-z0-9])?$/, GCP_NAME_LIMITS.compute],
  ["google_compute_router", "name", /^[a-z]([a-z0-9-]*[a-z0-9])?$/, GCP_NAME_LIMITS.compute],
  ["google_compute_router_nat", "name", /^[a-z]([a-z0-9-]*[a-z0-9])?$/, GCP_NAME_LIMITS.compute],
  ["google_compute_firewall", "name", /^[a-z]([a-z0-9-]*[a-z0-9])?$/, GCP_NAME_LIMITS.compute],
  ["google_compute_global_address", "name", /^[a-z]([a-z0-9-]*[a-z0-9])?$/, GCP_NAME_LIMITS.compute],
  ["google_storage_bucket", "name", /^(?!goog)(?!.*g[o0]{2}g[l1]e)[a-z0-9][a-z0-9_.-]{1,61}[a-z0-9]$/, GCP_NAME_LIMITS.bucket],
  ["google_dns_managed_zone", "name", /^[a-z]([a-z0-9-]*[a-z0-9])?$/, GCP_NAME_LIMITS.dnsZone],
  ["google_secret_manager_secret", "secret_id", /^[a-zA-Z0-9_-]+$/, 255],
];

/** Names that break a rule, with the random suffix stood in for by 6 hex digits (what `random_id` gives). */
function badNames(out: any, project: string): string[] {
  const bad: string[] = [];
  for (const [type, field, rule, max] of NAME_RULES) {
    const all = resources(out, type);
    if (type !== "google_kms_crypto_key" && type !== "google_secret_manager_secret") expect(all.length).toBeGreaterThan(0);
    for (const [id, r] of all) {
      const name = String(r[field]).replace(/\$\{random_id\.[\w-]+\.hex\}/g, "a1b2c3");
      const withProject = type === "google_sql_database_instance" ? `${project}:${name}`.length <= GCP_NAME_LIMITS.sqlInstanceWithProject : true;
      if (!rule.test(name) || name.length > max || !withProject) bad.push(`${type}.${id}.${field} = "${name}" (${name.length})`);
    }
  }
  return bad;
}

describe("GCP names at the edges of what the config accepts", () => {
  // 20 + 1 + 20 = 41, with a hyphen exactly where the cluster name is cut (character 33).
  const longName = "abcdefghijklmnopqrst";
  const longEnv = "abcdefghijk-mnopqrst";
  const project = "a-project-of-thirty-characters";
  const build = (name: string, environment: string, gcpProject = "fawkes-sandbox") => {
    // Set after parsing: the foundation must hold up for any two 20-character labels, whatever
    // tighter limit the schema keeps for other clouds.
    const config = { ...testConfig({ gcp: { project: gcpProject }, components: FRONT_DOOR_ONLY }), name, environment };
    const s = new FawkesGcpStack(Testing.app(), "fawkes-gcp", config);
    s.foundation.postgres(s, { name: "a-database-name-of-31-character", namespace: "portal" });
    s.foundation.bucket(s, "files");
    return { out: JSON.parse(Testing.synth(s)), foundation: s.foundation };
  };
  const long = build(longName, longEnv, project);

  test("with a 41-character prefix every name Terraform sends is valid for GCP", () => {
    expect(`${longName}-${longEnv}`).toHaveLength(MAX_PREFIX);
    expect(badNames(long.out, project)).toEqual([]);
  });

  test("the cluster name is cut to 40 with no trailing hyphen, and the outputs and providers use it", () => {
    const name = one("google_container_cluster", long.out).name;
    expect(name).toMatch(/^abcdefghijklmnopqrst-abcdefghijk-[0-9a-f]{6}$/);
    expect(long.foundation.clusterName).toBe(name);
    expect(long.out.output.cluster_name.value).toBe(name);
    expect(long.out.output.kubeconfig_command.value).toContain(`get-credentials ${name} `);
  });

  test("names that fit are left alone (renaming would replace live resources)", () => {
    expect(cluster.name).toBe("fawkes-dev");
    expect(one("google_compute_network").name).toBe("fawkes-dev");
    expect(one("google_dns_managed_zone").name).toBe("fawkes-dev");
    expect(badNames(buildData().out, "fawkes-sandbox")).toEqual([]);
  });

  test("'google' in the name never reaches a bucket name", () => {
    const g = build("google", "dev");
    expect(badNames(g.out, "fawkes-sandbox")).toEqual([]);
    expect(one("google_storage_bucket", g.out).name).toMatch(/^gcp-dev-files-\$\{random_id/);
    expect(bucketName("goog-x", "files", "a1b2c3")).toBe("b-goog-x-files-a1b2c3");
    expect(bucketName("fawkes-g00gle1", "files", "a1b2c3")).toBe("fawkes-gcp1-files-a1b2c3");
  });

  test("cut names stay valid and distinct wherever a hyphen falls", () => {
    for (let at = 1; at < MAX_PREFIX - 1; at++) {
      const prefix = `${"a".repeat(at)}-${"b".repeat(MAX_PREFIX - at - 1)}`;
      for (const [max, rule] of [
        [GCP_NAME_LIMITS.cluster, /^[a-z]([a-z0-9-]*[a-z0-9])?$/],
        [20, /^[a-z]([a-z0-9-]*[a-z0-9])?$/],
      ] as const) {
        const name = fitName(prefix, max);
        expect(name.length).toBeLessThanOrEqual(max);
        expect(name).toMatch(rule);
        expect(fitName(`${prefix.slice(0, -1)}c`, max)).not.toBe(name);
      }
      const sql = sqlInstanceName(prefix, "a-database-name-of-31-character", "a1b2c3", project);
      expect(`${project}:${sql}`.length).toBeLessThanOrEqual(98);
      expect(sql).toMatch(/^[a-z]([a-z0-9-]*[a-z0-9])?$/);
      expect(sqlInstanceName(prefix, "a-database-name-of-31-charactez", "a1b2c3", project)).not.toBe(sql);
      const bucket = bucketName(prefix, "a-long-bucket-name-for-a-component", "a1b2c3");
      expect(bucket.length).toBeLessThanOrEqual(63);
      expect(bucket).toMatch(/^[a-z0-9][a-z0-9-]*[a-z0-9]$/);
      expect(bucket).not.toMatch(/--/);
    }
  });

  test("the foundation takes what the config accepts, and refuses what GCP would not", () => {
    const props: GkeFoundationProps = {
      name: `${longName}-${longEnv}`,
      project: "p",
      region: "europe-west1",
      domain: "x.example.com",
      kubernetesVersion: "1.33",
      profile: "small",
      nodePools: {
        system: { min: 1, max: 2, desired: 1, machineType: "e2" },
        workloads: { min: 1, max: 2, desired: 1, machineType: "e2" },
        dojo: { min: 0, max: 1, desired: 0, machineType: "e2" },
      },
    };
    expect(() => validateGkeProps(props)).not.toThrow();
    expect(() => validateGkeProps({ ...props, name: `${props.name}x` })).toThrow(
      /GkeFoundationProps\.name must be 1-41 characters .*got "abcdefghijklmnopqrst-abcdefghijk-mnopqrstx"/,
    );
    expect(() => validateGkeProps({ ...props, name: "fawkes-" })).toThrow(/GkeFoundationProps\.name must .*got "fawkes-"/);
    const many = Array.from({ length: 51 }, (_, i) => `10.${i}.0.0/16`);
    expect(() => validateGkeProps({ ...props, apiAllowedCidrs: many, apiPrivateCidrs: many })).toThrow(/at most 100 networks together .*got 102/);
    expect(() => validateGkeProps({ ...props, apiPrivateCidrs: ["10.0.0.0/0"] })).toThrow(/GkeFoundationProps\.apiPrivateCidrs must not open/);
  });
});
