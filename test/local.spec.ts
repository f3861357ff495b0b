import * as fs from "node:fs";
import * as path from "node:path";
import { TerraformOutput, Testing } from "cdktf";
import { parse as parseYaml } from "yaml";
import { CHARTS } from "../constructs/catalog";
import { COMPONENT_IDS } from "../stacks/components";
import { ExistingClusterFoundation, LOCAL_POSTGRES_IMAGE } from "../constructs/foundations/existing-cluster";
import { poolAffinity } from "../constructs/helm";
import type { Component } from "../constructs/platform";
import { parseConfig } from "../stacks/config/load";
import type { ConfigInput, FawkesConfig } from "../stacks/config/schema";
import { FawkesLocalStack, LOCAL_CA_SECRET, LOCAL_HEAVY_COMPONENTS, localComponentSwitches } from "../stacks/local";
import { manifests, release, releaseId, resources, strings, testConfig, testStack, values } from "./support";
import { synthesized } from "./synthesized";

/** The local stack, optionally with one database asked for directly (no component needed). */
function synthLocal(overrides: ConfigInput = {}, database = true) {
  const app = Testing.app();
  const stack = new FawkesLocalStack(app, "fawkes-local", testConfig(overrides));
  const db = database ? stack.foundation.postgres(stack, { name: "portal-db", namespace: "portal" }) : undefined;
  if (db) new TerraformOutput(stack, "db_password_ref", { value: db.password });
  return { tf: JSON.parse(Testing.synth(stack, true)), stack, db };
}

const { tf, stack, db } = synthLocal();

describe("fawkes-local cluster access", () => {
  test("helm and kubernetes reach the cluster through the kubeconfig path and context: no exec, no token, no host", () => {
    const helm = tf.provider.helm[0].kubernetes;
    const k8s = tf.provider.kubernetes[0];
    for (const p of [helm, k8s]) {
      expect(p).toMatchObject({ config_path: "~/.kube/config", config_context: "kind-fawkes" });
      expect(p.exec).toBeUndefined();
      expect(p.token).toBeUndefined();
      expect(p.host).toBeUndefined();
    }
    const other = synthLocal({ local: { kubeconfig: "/tmp/k3d.yaml", context: "k3d-fawkes" } }, false).tf;
    expect(other.provider.kubernetes[0]).toMatchObject({ config_path: "/tmp/k3d.yaml", config_context: "k3d-fawkes" });
  });

  test("no cloud provider and no cloud resource in the stack; state stays in a local file", () => {
    // tls: the local CA is made in Terraform (it only computes; no API, no account).
    expect(Object.keys(tf.provider).sort()).toEqual(["helm", "kubernetes", "random", "tls"]);
    const types = [...Object.keys(tf.resource), ...Object.keys(tf.data ?? {})];
    expect(types.filter((t) => /^(aws|azurerm|azuread|google)_/.test(t))).toEqual([]);
    expect(Object.keys(tf.terraform.backend ?? {}).filter((b) => b !== "local")).toEqual([]);
    expect(tf.resource.kubernetes_manifest).toBeUndefined();
  });
});

describe("ExistingClusterFoundation postgres()", () => {
  const cluster = manifests(release(tf, "postgres-portal-db"))[0];

  test("renders a CloudNativePG Cluster in the data namespace, in a release that waits for the operator", () => {
    expect(cluster).toMatchObject({ apiVersion: "postgresql.cnpg.io/v1", kind: "Cluster", metadata: { name: "portal-db", namespace: "fawkes-data" } });
    expect(release(tf, "postgres-portal-db").depends_on).toContain(releaseId(tf, "cnpg"));
    expect(release(tf, "cnpg")).toMatchObject({ ...CHARTS["cloudnative-pg"], namespace: expect.stringContaining("Operator_Namespace") });
    expect(values(release(tf, "cnpg")).crds.create).toBe(true);
  });

  test("one database owned by one user, PostgreSQL 17 pinned by digest, no superuser over the network", () => {
    expect(cluster.spec.bootstrap).toEqual({ initdb: { database: "portal_db", owner: "portal_db" } });
    expect(cluster.spec.imageName).toBe(LOCAL_POSTGRES_IMAGE);
    expect(LOCAL_POSTGRES_IMAGE).toMatch(/postgresql:17\.\d+-.*@sha256:[0-9a-f]{64}$/);
    expect(cluster.spec.enableSuperuserAccess).toBe(false);
  });

  test("clients must use TLS: plain connections are rejected and the ref asks for TLS", () => {
    expect(cluster.spec.postgresql.pg_hba).toContain("hostnossl all all all reject");
    expect(db!.tls).toBe(true);
  });

  test("storage on the configured StorageClass (kind's standard by default), one instance; standard runs two", () => {
    expect(cluster.spec.storage).toMatchObject({ storageClass: "standard", size: "5Gi" });
    expect(cluster.spec.instances).toBe(1);
    const k3d = manifests(release(synthLocal({ local: { storageClass: "local-path" }, profile: "standard" }).tf, "postgres-portal-db"))[0];
    expect(k3d.spec.storage.storageClass).toBe("local-path");
    expect(k3d.spec.instances).toBe(2);
  });

  test("the ref points at the read-write service and at the password CloudNativePG generates", () => {
    expect(db).toMatchObject({ host: "portal-db-rw.fawkes-data.svc", port: 5432, database: "portal_db", username: "portal_db" });
    expect(tf.output.db_password_ref.value).toEqual({ key: "portal-db-app", property: "password" });
    expect(cluster.spec.bootstrap.initdb.secret).toBeUndefined();
  });

  test("databases are protected from destroy and from helm uninstall, unless allowDestroy", () => {
    const rel = release(tf, "postgres-portal-db");
    expect(rel.lifecycle).toEqual({ prevent_destroy: true });
    expect(cluster.metadata.annotations).toEqual({ "helm.sh/resource-policy": "keep" });
    const lab = release(synthLocal({ allowDestroy: true }).tf, "postgres-portal-db");
    expect(lab.lifecycle).toEqual({ prevent_destroy: false });
    expect(manifests(lab)[0].metadata.annotations).toEqual({});
  });

  test("a database name that is not a short DNS label, or asked for twice, fails naming it", () => {
    expect(() => stack.foundation.postgres(stack, { name: "Portal_DB", namespace: "x" })).toThrow(
      'DatabaseRequest.name must be a DNS label of at most 40 characters starting with a letter (it names the in-cluster database), got "Portal_DB"',
    );
    expect(() => stack.foundation.postgres(stack, { name: "portal-db", namespace: "x" })).toThrow(
      'DatabaseRequest.name must be unique on a platform, got "portal-db" twice (postgres, then postgres)',
    );
  });
});

describe("ExistingClusterFoundation secret store", () => {
  test("external-secrets reads the data namespace through the kubernetes provider, verifying the API server's CA", () => {
    const store = manifests(release(tf, "cluster-secret-store"))[0];
    expect(store.spec.provider).toEqual({
      kubernetes: {
        remoteNamespace: "fawkes-data",
        server: { url: "https://kubernetes.default.svc", caProvider: { type: "ConfigMap", name: "kube-root-ca.crt", key: "ca.crt", namespace: "fawkes-data" } },
        auth: { serviceAccount: { name: "fawkes-secret-store", namespace: "fawkes-data" } },
      },
    });
  });

  test("the store's account may only get the databases' app secrets in the data namespace", () => {
    const roles = resources(tf, "kubernetes_role_v1")
      .map(([, r]) => r)
      .filter((r) => r.metadata.name === "fawkes-secret-store");
    expect(roles).toHaveLength(1);
    expect(roles[0].metadata.namespace).toMatch(/kubernetes_namespace_v1\.Foundation_Data_Namespace/);
    expect(roles[0].rule).toEqual([{ api_groups: [""], resources: ["secrets"], verbs: ["get"], resource_names: expect.arrayContaining(["portal-db-app"]) }]);
    // Exactly the app secrets of the databases in this stack (components ask for theirs too).
    const clusters = resources(tf, "helm_release")
      .filter(([, r]) => r.name.startsWith("postgres-"))
      .map(([, r]) => `${manifests(r)[0].metadata.name}-app`);
    expect([...roles[0].rule[0].resource_names].sort()).toEqual(clusters.sort());
    const [binding] = resources(tf, "kubernetes_role_binding_v1")
      .map(([, b]) => b)
      .filter((b) => b.metadata.namespace === roles[0].metadata.namespace);
    expect(binding.subject).toEqual([
      {
        kind: "ServiceAccount",
        name: expect.stringMatching(/kubernetes_service_account_v1\.Foundation_Data_StoreAccount/),
        namespace: roles[0].metadata.namespace,
      },
    ]);
    expect(binding.role_ref).toMatchObject({ kind: "Role" });
    // Nothing cluster-wide for the store's account (Backstage's read-only ClusterRole is not its).
    const clusterWide = resources(tf, "kubernetes_cluster_role_binding_v1").filter(([, b]) =>
      JSON.stringify(b.subject).includes("Foundation_Data_StoreAccount"),
    );
    expect(clusterWide).toEqual([]);
  });

  test("with no database the role names a secret that never exists (an empty list would mean every secret)", () => {
    const bare = testStack();
    new ExistingClusterFoundation(bare, "Foundation", { name: "fawkes-dev", context: "kind-fawkes", domain: "localtest.me", profile: "small" });
    const none = JSON.parse(Testing.synth(bare));
    expect(resources(none, "kubernetes_role_v1")[0][1].rule[0].resource_names).toEqual(["fawkes-no-database"]);
  });

  test("the store's identity exists before external-secrets starts", () => {
    const eso = release(tf, "external-secrets");
    for (const type of ["kubernetes_service_account_v1", "kubernetes_role_v1", "kubernetes_role_binding_v1"]) {
      expect(eso.depends_on).toContain(`${type}.${resources(tf, type)[0][0]}`);
    }
  });
});

describe("ExistingClusterFoundation front door", () => {
  test("TLS from the local CA issuer; the CA secret the outputs point at is the one the tls component renders", () => {
    const objs = manifests(release(tf, "cluster-issuers"));
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(["ClusterIssuer/fawkes-ca"]);
    // The CA is Terraform's (tls provider), so its certificate is a value other namespaces can copy.
    const [[, ca]] = resources(tf, "kubernetes_secret_v1").filter(([, r]) => r.metadata.name === LOCAL_CA_SECRET.name);
    expect(objs[0].spec.ca.secretName).toBe(LOCAL_CA_SECRET.name);
    expect(ca.metadata.namespace).toMatch(/kubernetes_namespace_v1\.Platform_Tls_Namespace_\w+\.metadata\[0\]\.name/);
    expect(ca.data).toEqual({
      "ca.crt": expect.stringMatching(/^\$\{tls_self_signed_cert\.\w+\.cert_pem\}$/),
      "tls.crt": expect.stringMatching(/^\$\{tls_self_signed_cert\.\w+\.cert_pem\}$/),
      "tls.key": expect.stringMatching(/^\$\{tls_private_key\.\w+\.private_key_pem\}$/),
    });
    const [[, cert]] = resources(tf, "tls_self_signed_cert");
    expect(cert).toMatchObject({ is_ca_certificate: true, allowed_uses: expect.arrayContaining(["cert_signing"]) });
    expect(tf.output.ca_certificate.value).toBe(
      "kubectl --context kind-fawkes -n tls get secret fawkes-ca -o jsonpath='{.data.ca\\.crt}' | base64 --decode > fawkes-ca.crt",
    );
  });

  test("the ingress uses the node ports from the config with NodePort, and none with LoadBalancer", () => {
    const custom = values(release(synthLocal({ local: { httpNodePort: 31080, httpsNodePort: 31443 } }, false).tf, "traefik"));
    expect(custom.service.spec.type).toBe("NodePort");
    expect(custom.ports.web.nodePort).toBe(31080);
    expect(custom.ports.websecure.nodePort).toBe(31443);
    expect(values(release(tf, "traefik")).ports.websecure.nodePort).toBe(30443);
    const k3d = values(release(synthLocal({ local: { ingressService: "LoadBalancer" } }, false).tf, "traefik"));
    expect(k3d.service.spec.type).toBe("LoadBalancer");
    expect(k3d.ports.web.nodePort).toBeUndefined();
  });

  test("scripts/kind-config.yaml maps the default node ports to the host's 80 and 443, on loopback only", () => {
    const kind = parseYaml(fs.readFileSync(path.join(__dirname, "..", "scripts", "kind-config.yaml"), "utf8"));
    const { local } = testConfig();
    expect(kind.nodes[0].extraPortMappings).toEqual([
      { containerPort: local.httpNodePort, hostPort: 80, listenAddress: "127.0.0.1", protocol: "TCP" },
      { containerPort: local.httpsNodePort, hostPort: 443, listenAddress: "127.0.0.1", protocol: "TCP" },
    ]);
    expect(`kind-${kind.name}`).toBe(local.context);
  });

  test("UIs are served on localtest.me and no external-dns is installed", () => {
    expect(tf.output.domain.value).toBe("localtest.me");
    for (const url of Object.values<string>(tf.output.urls.value)) expect(url).toMatch(/^https:\/\/[a-z0-9-]+\.localtest\.me$/);
    expect(resources(tf, "helm_release").map(([, r]) => r.name)).not.toContain("external-dns");
  });
});

describe("ExistingClusterFoundation placement, identity and buckets", () => {
  const f = stack.foundation as ExistingClusterFoundation;

  test("platform pods schedule anywhere; lab pods keep the dojo toleration but select no node", () => {
    expect(f.nodePools.system).toEqual({ nodeSelector: {}, tolerations: [] });
    expect(f.nodePools.workloads).toEqual({ nodeSelector: {}, tolerations: [] });
    expect(f.nodePools.dojo.nodeSelector).toEqual({});
    expect(f.nodePools.dojo.tolerations).toEqual([{ key: "fawkes.dev/pool", operator: "Equal", value: "dojo", effect: "NoSchedule" }]);
  });

  test("an empty pool gives no node affinity (an empty nodeSelectorTerm would match no node)", () => {
    expect(poolAffinity(f.nodePools.system)).toEqual({});
    expect(values(release(tf, "cert-manager")).affinity).toEqual({});
  });

  test("no cloud identity and no object store: empty annotations, buckets without s3", () => {
    expect(f.workloadIdentity(stack, { namespace: "a", name: "b" }, [{ secrets: "read" }])).toEqual({
      serviceAccountAnnotations: {},
      podLabels: {},
      dependsOn: [],
    });
    const bucket = f.bucket(stack, "files");
    expect(bucket.s3).toBeUndefined();
    expect(bucket.name).toBe("files");
  });

  test("bad props fail at construction, naming the prop and the value", () => {
    const make = (props: Partial<ConstructorParameters<typeof ExistingClusterFoundation>[2]>) => () =>
      new ExistingClusterFoundation(Testing.app(), "F", { name: "fawkes-dev", context: "kind-fawkes", domain: "localtest.me", profile: "small", ...props });
    expect(make({ nodePorts: { http: 30080, https: 30080 } })).toThrow(
      "ExistingClusterFoundationProps.nodePorts.http and .https must differ, got 30080 for both",
    );
    expect(make({ nodePorts: { http: 80, https: 30443 } })).toThrow(
      "ExistingClusterFoundationProps.nodePorts.http must be a node port from 30000 to 32767, got 80",
    );
    expect(make({ context: " " })).toThrow('ExistingClusterFoundationProps.context must name a kubeconfig context (e.g. "kind-fawkes"), got " "');
  });
});

describe("fawkes-local components", () => {
  const fake = (id: string, needs: string[] = []): Component => ({
    id,
    needs,
    info: { title: id, description: id, docs: "", lifecycle: "production" },
    install: () => ({ ready: [] }),
  });
  const fakes = [fake("ingress"), fake("scanning"), fake("report", ["scanning"]), fake("portal")];
  const withSwitches = (global: Record<string, boolean>, local: Record<string, boolean>): FawkesConfig => {
    const base = testConfig();
    return { ...base, components: global, local: { ...base.local, components: local } };
  };

  test("heavy components, and what needs them, are off by default on a laptop", () => {
    expect(localComponentSwitches(withSwitches({}, {}), fakes, ["scanning"])).toEqual({ scanning: false, report: false });
  });

  test("local.components turns a heavy component back on, and has the last word over the global switches", () => {
    expect(localComponentSwitches(withSwitches({ portal: false }, { scanning: true }), fakes, ["scanning"])).toEqual({ portal: false, scanning: true });
    expect(localComponentSwitches(withSwitches({ portal: false }, { portal: true }), fakes, ["scanning"])).toMatchObject({ portal: true });
  });

  test("the stack applies the laptop defaults to the registered heavy components", () => {
    const heavy = LOCAL_HEAVY_COMPONENTS.filter((id) => (COMPONENT_IDS as readonly string[]).includes(id));
    const installed: string[] = tf.output.components.value;
    for (const id of heavy) expect(installed).not.toContain(id);
    expect(tf.output.laptop_defaults_off.value).toEqual(expect.arrayContaining(heavy));
    if (heavy.length > 0) {
      const on = synthLocal({ local: { components: { [heavy[0]]: true } } }, false).tf;
      expect(on.output.components.value).toContain(heavy[0]);
    }
  });
});

describe("fawkes-local outputs and secrets", () => {
  test("no literal password anywhere: only generated values, references and templates", () => {
    // Every value under a password key is a generated value (random_password) or a template external-secrets fills in.
    const offenders = [...strings(tf)].filter(([s, where]) => /(^|[-_.])password$/i.test(where.split(".").pop()!) && !/^\$\{random_password\.|^\{\{/.test(s));
    expect(offenders).toEqual([]);
    expect(JSON.stringify(manifests(release(tf, "postgres-portal-db")))).not.toMatch(/password/i);
  });

  test("outputs name the context, how to trust the CA, and what the laptop needs", () => {
    expect(tf.output.kube_context.value).toBe("kind-fawkes");
    expect(tf.output.trust_ca.value).toBe("scripts/trust-local-ca.sh kind-fawkes");
    expect(fs.existsSync(path.join(__dirname, "..", "scripts", "trust-local-ca.sh"))).toBe(true);
    // One more small database instance adds its requests (100m, 256Mi) to the sizing output.
    const without = synthLocal({}, false).tf.output.requests.value;
    expect(tf.output.requests.value.cpu).toBeCloseTo(without.cpu + 0.1, 3);
    expect(tf.output.requests.value.memoryGiB).toBeCloseTo(without.memoryGiB + 0.25, 3);
    expect(stack.foundation.requests().cpu).toBeGreaterThanOrEqual(0.05 + 0.1);
  });
});

describe("config: local section", () => {
  test("defaults fit kind: context kind-fawkes, NodePort 30080/30443, StorageClass standard, localtest.me", () => {
    expect(testConfig().local).toMatchObject({
      kubeconfig: "~/.kube/config",
      context: "kind-fawkes",
      domain: "localtest.me",
      ingressService: "NodePort",
      httpNodePort: 30080,
      httpsNodePort: 30443,
      storageClass: "standard",
      components: {},
    });
  });

  test.each([
    [
      { local: { storageClass: "Local_Path" } },
      'fawkes.yaml: local.storageClass: expected a StorageClass name such as standard or local-path, got "Local_Path"',
    ],
    [{ local: { httpNodePort: 80 } }, "fawkes.yaml: local.httpNodePort: expected"],
    [{ local: { components: { nope: true } } }, "fawkes.yaml: local.components.nope: unknown component; expected one of"],
  ])("rejects %j naming the key", (input, message) => {
    expect(() => parseConfig(input, "fawkes.yaml")).toThrow(message);
  });
});

describe("fawkes-local: pods reach the issuer at the URL browsers use", () => {
  // Every UI (scanning included) with identity on, from this run's cache; a cloud for contrast.
  const local = synthesized("fawkes-local-all");
  const aws = synthesized("fawkes-aws");
  const ISSUER_HOST = "sso.localtest.me";
  const [[ingressId, ingress]] = resources(local, "kubernetes_service_v1").filter(([, r]) => r.metadata.name === "traefik-in-cluster");
  const alias = [{ ip: `\${kubernetes_service_v1.${ingressId}.spec[0].cluster_ip}`, hostnames: [ISSUER_HOST] }];
  const caPem = expect.stringMatching(/^\$\{tls_self_signed_cert\.\w+\.cert_pem\}$/);
  /** The local CA's ConfigMap in a namespace, which the release waits for. */
  const caConfigMap = (namespace: string, rel: any) => {
    const found = resources(local, "kubernetes_config_map_v1").filter(([, r]) => r.metadata.name === "fawkes-ca" && r.metadata.namespace === namespace);
    expect(found).toHaveLength(1);
    expect(found[0][1].data).toEqual({ "ca.crt": caPem });
    expect(rel.depends_on).toContain(`kubernetes_config_map_v1.${found[0][0]}`);
  };
  const argocd = values(release(local, "argocd"));
  const grafana = values(release(local, "grafana"));
  const jenkins = values(release(local, "jenkins"));
  const backstage = values(release(local, "backstage")).upstream.backstage;
  const samlJob = manifests(release(local, "sonarqube-saml")).find((m) => m.kind === "Job");

  test("a ClusterIP Service of Traefik's pods gives the ingress an address inside the cluster", () => {
    expect(ingress.spec).toMatchObject({ type: "ClusterIP", selector: { "app.kubernetes.io/name": "traefik" } });
    expect(ingress.spec.port).toContainEqual(expect.objectContaining({ port: 443, target_port: "websecure" }));
  });

  test("every pod that calls the issuer aliases its host to the ingress", () => {
    // Those that call the git service at its public URL alias its host too (one entry per address).
    const withGit = [{ ip: alias[0].ip, hostnames: expect.arrayContaining([ISSUER_HOST]) }];
    expect(argocd.global.hostAliases).toEqual(withGit);
    expect(grafana.hostAliases).toEqual(alias);
    expect(jenkins.controller.hostAliases).toEqual(withGit);
    expect(backstage.hostAliases).toEqual(withGit);
    for (const a of [argocd.global.hostAliases, backstage.hostAliases]) expect(a[0].hostnames).toContain("git.localtest.me");
    expect(samlJob.spec.template.spec.hostAliases).toEqual(alias);
    // Gitea's OAuth2 source discovers the issuer from the pod (the init container too: the same global value).
    expect(values(release(local, "gitea")).global.hostAliases).toEqual(alias);
    // oauth2-proxy in front of DevLake's UI discovers the issuer and redeems codes from its pod.
    expect(values(release(local, "dora-oauth2-proxy")).hostAliases).toEqual(alias);
  });

  test("Argo CD trusts the local CA for the issuer, inline and JSON-quoted (a multi-line PEM would break the YAML)", () => {
    const oidc = parseYaml(argocd.configs.cm["oidc.config"]);
    expect(oidc.rootCA).toMatch(/^\$\{jsonencode\(tls_self_signed_cert\.\w+\.cert_pem\)\}$/);
    // And for the git service it clones from (argocd-tls-certs-cm, by host).
    expect(argocd.configs.tls.certificates["git.localtest.me"]).toMatch(/^\$\{jsonencode\(tls_self_signed_cert\.\w+\.cert_pem\)\}$/);
  });

  test("Grafana trusts the local CA for generic OAuth from a ConfigMap of its namespace", () => {
    const mount = grafana.extraConfigmapMounts.find((m: any) => m.configMap === "fawkes-ca");
    expect(grafana["grafana.ini"]["auth.generic_oauth"].tls_client_ca).toBe(`${mount.mountPath}/ca.crt`);
    caConfigMap("observability", release(local, "grafana"));
  });

  test("Backstage trusts the local CA through NODE_EXTRA_CA_CERTS", () => {
    const env = backstage.extraEnvVars.find((e: any) => e.name === "NODE_EXTRA_CA_CERTS");
    const volume = backstage.extraVolumes.find((v: any) => v.configMap?.name === "fawkes-ca");
    const mount = backstage.extraVolumeMounts.find((m: any) => m.name === volume.name);
    expect(env.value).toBe(`${mount.mountPath}/ca.crt`);
    caConfigMap("backstage", release(local, "backstage"));
  });

  test("Gitea trusts the local CA for its OAuth2 source: SSL_CERT_DIR adds the mounted ConfigMap, in the init containers too", () => {
    const gitea = values(release(local, "gitea"));
    const volume = gitea.extraVolumes.find((v: any) => v.configMap?.name === "fawkes-ca");
    const mount = gitea.extraContainerVolumeMounts.find((m: any) => m.name === volume.name);
    expect(gitea.extraInitVolumeMounts).toContainEqual(mount);
    const env = gitea.deployment.env.find((e: any) => e.name === "SSL_CERT_DIR");
    expect(env.value.split(":")).toEqual(["/etc/ssl/certs", mount.mountPath]);
    caConfigMap("git", release(local, "gitea"));
  });

  test("DevLake's oauth2-proxy trusts the local CA for the issuer: provider-ca-file on the mounted ConfigMap", () => {
    const proxy = values(release(local, "dora-oauth2-proxy"));
    const volume = proxy.extraVolumes.find((v: any) => v.configMap?.name === "fawkes-ca");
    const mount = proxy.extraVolumeMounts.find((m: any) => m.name === volume.name);
    expect(proxy.extraArgs["provider-ca-file"]).toBe(`${mount.mountPath}/ca.crt`);
    caConfigMap("dora", release(local, "dora-oauth2-proxy"));
  });

  test("the SonarQube SAML Job fetches the descriptor with curl --cacert on the local CA", () => {
    const pod = samlJob.spec.template.spec;
    const [container] = pod.containers;
    const caFile = container.env.find((e: any) => e.name === "CA_FILE").value;
    const mount = container.volumeMounts.find((m: any) => pod.volumes.some((v: any) => v.name === m.name && v.configMap?.name === "fawkes-ca"));
    expect(caFile).toBe(`${mount.mountPath}/ca.crt`);
    expect(container.command.join(" ")).toContain('curl -fsS --cacert "$CA_FILE" "$DESCRIPTOR"');
    caConfigMap("scanning", release(local, "sonarqube-saml"));
  });

  test("Jenkins' JVM trusts the local CA: a trust store built at start from the JDK's CAs plus the local CA", () => {
    const init = jenkins.controller.customInitContainers;
    expect(init).toHaveLength(1);
    expect(init[0].image).toBe(`docker.io/jenkins/jenkins:${jenkins.controller.image.tag}`);
    const script = init[0].command.join(" ");
    expect(script).toMatch(/keytool .*-importkeystore .*-srckeystore "\$JAVA_HOME\/lib\/security\/cacerts"/);
    expect(script).toMatch(/keytool .*-importcert .*-file \/var\/run\/fawkes-ca\/ca\.crt/);
    expect(jenkins.controller.javaOpts).toContain("-Djavax.net.ssl.trustStore=/var/jenkins_truststore/cacerts.p12 -Djavax.net.ssl.trustStoreType=PKCS12");
    expect(jenkins.persistence.volumes).toEqual(expect.arrayContaining([{ name: "fawkes-ca", configMap: { name: "fawkes-ca" } }]));
    expect(jenkins.persistence.mounts).toEqual([{ name: "local-truststore", mountPath: "/var/jenkins_truststore", readOnly: true }]);
    const ca = resources(local, "kubernetes_config_map_v1").find(([, r]) => r.metadata.name === "fawkes-ca" && r.metadata.namespace === "jenkins");
    expect(ca?.[1].data["ca.crt"]).toMatch(/tls_self_signed_cert\./);
  });

  test("on a cloud (public DNS, Let's Encrypt) none of this is rendered", () => {
    // The pipeline library the git service publishes is code, the same on every foundation (its
    // build pod reads the local reach from Jenkins' variables, checked below, and trusts the
    // cluster's own CA for the Kubernetes API): it is left out of the scan, the rest is scanned.
    const library = (tf: any) => resources(tf, "kubernetes_config_map_v1").find(([, r]) => r.metadata.name === "git-bootstrap")![1].binary_data;
    const shipped = "repo-pipeline-library.json.gz";
    expect(library(aws)[shipped]).toBe(library(local)[shipped]);
    const scanned = structuredClone(aws);
    delete library(scanned)[shipped];
    const text = JSON.stringify(scanned);
    expect(text).not.toMatch(/hostAliases|traefik-in-cluster|rootCA|tls_client_ca|NODE_EXTRA_CA_CERTS|javax\.net\.ssl\.trustStore|local-ca-truststore/);
    const jenkinsEnv = Object.fromEntries(
      parseYaml(values(release(aws, "jenkins")).controller.JCasC.configScripts.environment).jenkins.globalNodeProperties[0].envVars.env.map((e: any) => [
        e.key,
        e.value,
      ]),
    );
    expect(jenkinsEnv.FAWKES_BUILDER_HOST_ALIASES).toBe("[]");
    expect(jenkinsEnv.FAWKES_BUILDER_CA_CONFIGMAP).toBeUndefined();
    const job = manifests(release(aws, "sonarqube-saml")).find((m) => m.kind === "Job").spec.template.spec;
    expect(job.volumes).toBeUndefined();
    expect(job.containers[0].env.map((e: any) => e.name)).not.toContain("CA_FILE");
    expect(job.containers[0].command.join(" ")).toContain('curl -fsS "$DESCRIPTOR"');
    expect(resources(aws, "tls_self_signed_cert")).toEqual([]);
    expect(resources(aws, "kubernetes_config_map_v1").filter(([, r]) => r.metadata.name === "fawkes-ca")).toEqual([]);
  });
});
