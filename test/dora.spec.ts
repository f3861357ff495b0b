import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { CHARTS } from "../constructs/catalog";
import { API_KEY_SECRET, CONFIG_IMAGE, DoraComponent, doraDashboardUrl } from "../constructs/components/dora";
import { DORA_DASHBOARD_UID, KEY_QUERIES, TREND_QUERIES, doraDashboardJson } from "../constructs/components/dora/dashboards/fawkes-dora";
import { addRequests, sumRequests } from "../constructs/sizes";
import { manifests, release, resources, synthComponents, values } from "./support";
import { synthesized } from "./synthesized";

const CONFIG_DIR = path.join(__dirname, "..", "constructs", "components", "dora", "config");
const secretNamed = (tf: any, name: string) => resources(tf, "kubernetes_secret_v1").find(([, s]) => s.metadata.name === name)?.[1];
const teams = [
  { name: "payments", members: ["alice", "bob"] },
  { name: "search", members: [] },
];

describe("DoraComponent: DevLake", () => {
  const { tf, ctx, platform } = synthComponents(["dora", "identity", "observability"], { config: { teams } });
  const devlake = release(tf, "devlake");
  const v = values(devlake);
  const out = platform.outputs.get("dora")!;
  // Without identity and observability, and without teams: one synth for every "other" case.
  const bare = synthComponents(["dora"]);

  test("the chart is pinned, its images are the stable release, its own Grafana and MySQL are off", () => {
    expect(devlake).toMatchObject({ repository: CHARTS.devlake.repository, chart: "devlake", version: CHARTS.devlake.version, namespace: "dora" });
    expect(v.imageTag).toBe("v1.0.3");
    expect(v.imageTag).not.toMatch(/beta|rc/);
    expect(v.lake.image.repository).toBe("docker.io/apache/devlake");
    expect(v.ui.image.repository).toBe("docker.io/apache/devlake-config-ui");
    expect(v.grafana.enabled).toBe(false);
    // The chart fails without one or the other: its UI links to the platform's Grafana.
    expect(v.grafana.external.url).toMatch(/^https:\/\/\S+\.fawkes\.test$/);
    expect(v.ingress.enabled).toBe(false);
  });

  test("its database is the platform's MySQL, the password synced by external-secrets into the chart's secret", () => {
    expect(ctx.databases).toContainEqual({ name: "devlake", namespace: "dora", engine: "mysql" });
    expect(v.mysql).toMatchObject({ useExternal: true, externalPort: 3306, username: "devlake", database: "devlake" });
    expect(v.option.autoCreateSecret).toBe(false);
    const [sync] = manifests(release(tf, "devlake-mysql-auth-sync"));
    expect(sync.spec.data).toEqual([{ secretKey: "MYSQL_PASSWORD", remoteRef: expect.objectContaining({ key: "fake/devlake" }) }]);
    expect(v.option.connectionSecretName).toMatch(/^\$\{kubernetes_secret_v1\.\w+\.metadata\[0\]\.name\}$/);
  });

  test.each(["fawkes-aws", "fawkes-azure", "fawkes-gcp"] as const)("%s: DevLake's MySQL is the cloud's managed server", (stack) => {
    const cloud = synthesized(stack);
    const type = { "fawkes-aws": "aws_db_instance", "fawkes-azure": "azurerm_mysql_flexible_server", "fawkes-gcp": "google_sql_database_instance" }[stack];
    expect(Object.keys(cloud.resource[type] ?? {}).some((k) => k.includes("MySQL-devlake"))).toBe(true);
    // Managed servers require TLS: the DSN asks for it.
    expect(values(release(cloud, "devlake")).mysql.extraParams).toBe("&tls=skip-verify");
  });

  test("no literal password: the encryption secret is generated, the chart's default credentials are gone", () => {
    const text = JSON.stringify(v);
    expect(text).not.toMatch(/merico|"password"|rootPassword/);
    expect(v.lake.encryptionSecret).toMatchObject({ autoCreateSecret: false, secretName: expect.stringMatching(/kubernetes_secret_v1/) });
    const encryption = secretNamed(tf, "devlake-encryption");
    expect(encryption.data.ENCRYPTION_SECRET).toMatch(/^\$\{random_password\.[\w-]+\.result\}$/);
    const [, pw] = resources(tf, "random_password").find(([k]) => k.includes("EncryptionSecret"))!;
    expect(pw).toMatchObject({ length: 128, special: false });
    expect(v.ui.basicAuth.enabled).toBe(false);
  });

  test("the lake pod passes the restricted level; the namespace enforces baseline for the UI's nginx", () => {
    expect(v.lake.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1010 });
    expect(v.lake.containerSecurityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    const [, ns] = resources(tf, "kubernetes_namespace_v1").find(([, n]) => n.metadata.name === "dora")!;
    expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("baseline");
  });

  test("only its own namespace reaches DevLake's unauthenticated backend, only the proxy its UI", () => {
    const [lake, ui] = v.extraResources;
    expect(lake).toMatchObject({
      kind: "NetworkPolicy",
      spec: { podSelector: { matchLabels: { devlakeComponent: "lake" } }, ingress: [{ from: [{ podSelector: {} }], ports: [{ port: 8080 }] }] },
    });
    expect(lake.spec.ingress[0].from[0].namespaceSelector).toBeUndefined();
    expect(ui.spec.ingress[0].from).toEqual([{ podSelector: { matchLabels: { "app.kubernetes.io/name": "oauth2-proxy" } } }]);
  });

  test("its UI is behind oauth2-proxy at https://dora.<domain>, platform-admins only", () => {
    const proxy = release(tf, "dora-oauth2-proxy");
    expect(proxy).toMatchObject({ chart: "oauth2-proxy", version: CHARTS["oauth2-proxy"].version, repository: CHARTS["oauth2-proxy"].repository });
    const p = values(proxy);
    expect(p.config.existingSecret).toMatch(/kubernetes_secret_v1/);
    expect(p.config.requiredSecretKeys).toEqual(["client-id", "cookie-secret"]);
    expect(p.config.upstreams).toEqual(["http://devlake-ui.dora.svc:4000"]);
    expect(p.extraArgs).toMatchObject({
      provider: "oidc",
      "allowed-group": "platform-admins",
      "redirect-url": "https://dora.fawkes.test/oauth2/callback",
      "code-challenge-method": "S256",
    });
    expect(p.extraEnv).toEqual([{ name: "OAUTH2_PROXY_CLIENT_SECRET", valueFrom: { secretKeyRef: expect.objectContaining({ key: expect.any(String) }) } }]);
    const proxySecret = secretNamed(tf, "dora-oauth2-proxy");
    expect(proxySecret.data["cookie-secret"]).toMatch(/random_password/);
    const [, ingress] = resources(tf, "kubernetes_ingress_v1").find(([, i]) => i.metadata.namespace === "dora")!;
    expect(ingress.spec.rule[0]).toMatchObject({ host: "dora.fawkes.test", http: { path: [{ backend: { service: { name: "dora-oauth2-proxy" } } }] } });
    expect(out.endpoints?.devlake).toBe("https://dora.fawkes.test");
  });

  test("without the identity service nothing of DevLake is public", () => {
    expect(() => release(bare.tf, "dora-oauth2-proxy")).toThrow();
    expect(resources(bare.tf, "kubernetes_ingress_v1").filter(([, i]) => i.metadata.namespace === "dora")).toEqual([]);
    expect(bare.platform.outputs.get("dora")!.endpoints?.devlake).toBeUndefined();
  });

  describe("the configuration Job", () => {
    const job = release(tf, "devlake-config");
    const objects = manifests(job);
    const of = (kind: string) => objects.filter((o) => o.kind === kind);

    test("the API key secret exists empty (the Job fills it, Terraform leaves its data alone); the Job may touch only it", () => {
      const key = secretNamed(tf, API_KEY_SECRET.name);
      expect(key.metadata.namespace).toBe("dora");
      expect(key.data).toBeUndefined();
      expect(key.lifecycle.ignore_changes).toEqual(["data"]);
      const role = of("Role").find((r) => r.metadata.namespace === "dora");
      expect(role.rules[0]).toEqual({ apiGroups: [""], resources: ["secrets"], resourceNames: ["devlake-api-key"], verbs: ["get", "patch"] });
      expect(role.rules.every((r: any) => r.resources[0] !== "secrets" || r.resourceNames)).toBe(true);
    });

    test("a hook Job on every change and a CronJob every 15 minutes run the shipped code in the pinned node image", () => {
      const [hook] = of("Job");
      const [cron] = of("CronJob");
      expect(hook.metadata.annotations["helm.sh/hook"]).toBe("post-install,post-upgrade");
      expect(cron.spec).toMatchObject({ schedule: "*/15 * * * *", concurrencyPolicy: "Forbid" });
      const main = hook.spec.template.spec.containers[0];
      expect(main.image).toBe(CONFIG_IMAGE);
      expect(CONFIG_IMAGE).toMatch(/^docker\.io\/library\/node:\d+\.\d+\.\d+-alpine[\d.]+$/);
      expect(main.command).toEqual(["node", "/opt/devlake-config/main.js", "--dashboards", "/dashboards"]);
      expect(cron.spec.jobTemplate.spec.template.spec.containers[0].command).toEqual(["node", "/opt/devlake-config/main.js"]);
      const env = Object.fromEntries(main.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
      expect(env).toMatchObject({ DEVLAKE_URL: "http://devlake-lake.dora.svc:8080", API_KEY_SECRET: "dora/devlake-api-key/api-key" });
      expect(hook.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
      // The ConfigMap holds the files as they are on disk, and the platform's teams.
      const [cm] = of("ConfigMap");
      for (const f of ["main.js", "devlake.js", "grafana.js"])
        expect(cm.data[f]).toBe(fs.readFileSync(path.join(CONFIG_DIR, f), "utf8").replace(/\$\{/g, "$$$${"));
      expect(JSON.parse(cm.data["config.json"])).toEqual({ teams, cron: "0 */4 * * *", apiKeyName: "fawkes-relay" });
    });

    test("the install Job copies DevLake's dashboards from the release's own dashboard image", () => {
      const [hook] = of("Job");
      const [init] = hook.spec.template.spec.initContainers;
      expect(init.image).toBe(`docker.io/apache/devlake-dashboard:${v.imageTag}`);
      expect(init.command.join(" ")).toContain("/etc/grafana/dashboards/");
    });

    test("a change of the teams changes the release (so the hook runs again)", () => {
      const hash = (t: any) => manifests(release(t, "devlake-config")).find((o) => o.kind === "ConfigMap").metadata.annotations["fawkes.dev/content-hash"];
      expect(hash(bare.tf)).not.toBe(hash(tf));
    });

    test("Grafana is restarted for a new datasource only: the hash ignores synth-time token numbering", () => {
      const envOf = (t: any) => manifests(release(t, "devlake-config")).find((o) => o.kind === "Job").spec.template.spec.containers[0].env;
      const hashOf = (t: any) => envOf(t).find((e: any) => e.name === "DATASOURCE_HASH").value;
      expect(hashOf(bare.tf)).toBe(hashOf(tf));
      expect(envOf(tf).find((e: any) => e.name === "GRAFANA_DEPLOYMENT")?.value).toBe("observability/grafana");
    });

    test("a bad collection schedule fails with the prop's name", () => {
      expect(() => new DoraComponent({ collectCron: "hourly" })).toThrow('DoraProps.collectCron must be a five-field cron expression, got "hourly"');
    });
  });

  describe("what Grafana shows", () => {
    test("the DevLake datasource is a Secret Grafana's sidecar loads, its password from external-secrets' template", () => {
      expect(secretNamed(tf, "devlake-grafana-datasource").metadata.labels).toMatchObject({ grafana_datasource: "1" });
      const [sync] = manifests(release(tf, "devlake-grafana-datasource-sync"));
      const file = parseYaml(sync.spec.target.template.data["devlake-datasource.yaml"]);
      expect(file.datasources[0]).toMatchObject({
        name: "mysql",
        uid: "devlake-mysql",
        type: "mysql",
        database: "devlake",
        user: "devlake",
        secureJsonData: { password: "{{ .password }}" },
      });
      const grafana = values(release(tf, "grafana"));
      expect(grafana.sidecar.datasources).toMatchObject({
        enabled: true,
        label: "grafana_datasource",
        labelValue: "1",
        searchNamespace: "ALL",
        initDatasources: true,
      });
    });

    test("the Fawkes overview is a sidecar dashboard with the window, team and service variables", () => {
      const [, cm] = resources(tf, "kubernetes_config_map_v1").find(([, c]) => c.metadata.name === "fawkes-dora-overview")!;
      expect(cm.metadata.labels).toMatchObject({ grafana_dashboard: "1" });
      const d = JSON.parse(doraDashboardJson());
      expect(d.uid).toBe(DORA_DASHBOARD_UID);
      expect(d.templating.list.map((x: any) => x.name)).toEqual(["window", "team", "service"]);
      expect(d.templating.list[0].query).toBe("30,60,90");
      const titles = d.panels.map((p: any) => p.title);
      for (const t of ["Deployment frequency", "Lead time for changes", "Change failure rate", "Time to restore", "Pull requests (slowest first)"])
        expect(titles).toContain(t);
      // Every key panel shows a DORA level in the same four words.
      const levels = d.panels.filter((p: any) => / level$/.test(p.title));
      expect(levels).toHaveLength(4);
      for (const p of levels) expect(Object.keys(p.fieldConfig.defaults.mappings[0].options)).toEqual(["elite", "high", "medium", "low"]);
      expect(TREND_QUERIES.flowByTeam).toMatch(/slowest stage/);
      expect(Object.keys(KEY_QUERIES)).toHaveLength(4);
    });

    test("a service's DORA view is a link Backstage can use", () => {
      expect(doraDashboardUrl("https://grafana.fawkes.test/", "orders")).toBe("https://grafana.fawkes.test/d/fawkes-dora?var-service=orders");
      expect(out.endpoints?.["dora-dashboard"]).toMatch(/\/d\/fawkes-dora$/);
    });
  });

  test("it offers the delivery-events service from the relay", () => {
    const events = out.services?.deliveryEvents;
    expect(events?.deploymentsUrl).toMatch(/^http:\/\/fawkes-events\.dora\.svc/);
    expect(events?.incidentsUrl).toMatch(/^http:\/\/fawkes-events\.dora\.svc/);
  });

  test("capacity: it reports the requests of DevLake, its UI, the proxy and the relay for the profile", () => {
    const proxy = values(release(tf, "dora-oauth2-proxy"));
    const relay = manifests(release(tf, "fawkes-events")).find((o) => o.kind === "Deployment");
    const groups = (relay.spec.template.spec.containers as any[]).map((c) => ({ resources: c.resources, replicas: relay.spec.replicas }));
    expect(out.requests).toEqual(
      addRequests(
        sumRequests([{ resources: v.lake.resources }, { resources: v.ui.resources }]),
        sumRequests([{ resources: proxy.resources, replicas: proxy.replicaCount }]),
        sumRequests(groups),
      ),
    );
    expect(v.lake.resources.requests).toEqual({ cpu: "100m", memory: "384Mi" });
  });
});
