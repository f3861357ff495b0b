import { parseAllDocuments } from "yaml";
import { BackstageComponent, DEFAULT_TEMPLATES_URL } from "../constructs/components/backstage";
import { fakeObservability, manifests, release, releaseId, resources, synthComponents, synthWith, values } from "./support";

/** The entities Backstage reads from the platform catalog ConfigMap. */
function catalogEntities(tf: any): any[] {
  const [, cm] = resources(tf, "kubernetes_config_map_v1").find(([, c]) => c.metadata.name === "backstage-platform-catalog")!;
  return parseAllDocuments(cm.data["platform.yaml"]).map((d) => d.toJSON());
}

/** A release's values as Helm receives them: after Terraform turns "$${" back into "${". */
const helmValues = (rel: any) => values({ values: rel.values.map((s: string) => s.replace(/\$\$\{/g, "${")) });

/** The database secret is named by a reference to the Terraform resource that owns it. */
const DB_SECRET_REF = /^\$\{kubernetes_secret_v1\.\w+\.metadata\[0\]\.name\}$/;

describe("Backstage", () => {
  const { tf, ctx, platform } = synthComponents(["backstage", "argocd"]);
  const rel = release(tf, "backstage");
  const v = helmValues(rel);
  const appConfig = v.backstage.appConfig;

  test("the catalog lists every enabled component, owned by platform-team in the fawkes system", () => {
    const entities = catalogEntities(tf);
    expect(entities.filter((e) => e.kind === "Component").map((e) => e.metadata.name)).toEqual(platform.installed.map((c) => c.id));
    expect(entities.find((e) => e.kind === "Group")).toMatchObject({ metadata: { name: "platform-team" }, spec: { type: "team" } });
    expect(entities.find((e) => e.kind === "System")).toMatchObject({ metadata: { name: "fawkes" }, spec: { owner: "platform-team" } });
    const argocd = entities.find((e) => e.metadata.name === "argocd");
    expect(argocd.spec).toEqual({ type: "service", lifecycle: "production", owner: "platform-team", system: "fawkes" });
    expect(argocd.metadata.links.map((l: any) => l.url)).toEqual(["https://argocd.fawkes.test", "https://argo-cd.readthedocs.io/en/stable/"]);
  });

  test("a component switched off in the config is left out of the catalog", () => {
    const off = synthComponents(["backstage", "argocd"], { config: { components: { argocd: false } } });
    const names = catalogEntities(off.tf).map((e) => e.metadata.name);
    expect(names).toContain("backstage");
    expect(names).not.toContain("argocd");
  });

  test("with observability enabled every component links to Grafana, and ServiceMonitors follow the metrics prop", () => {
    const withObs = synthWith([fakeObservability(), new BackstageComponent({ metrics: true })]);
    for (const c of catalogEntities(withObs).filter((e) => e.kind === "Component")) {
      // The URL the monitoring service offers (the fake's), not one derived from another component's info.
      expect(c.metadata.links).toContainEqual({ url: "https://dashboards.fawkes.test", title: "Grafana dashboards", icon: "dashboard" });
    }
    expect(helmValues(release(withObs, "backstage")).metrics.serviceMonitor.enabled).toBe(true);
    // The upstream image serves no /metrics: no ServiceMonitor unless asked for, observability or not.
    expect(values(release(synthWith([fakeObservability(), new BackstageComponent()]), "backstage")).metrics.serviceMonitor.enabled).toBe(false);
    expect(
      catalogEntities(tf)
        .flatMap((e) => e.metadata.links ?? [])
        .map((l: any) => l.title),
    ).not.toContain("Grafana dashboards");
  });

  test("the catalog is a mounted ConfigMap read as a file location; templates come from templatesUrl", () => {
    const mount = v.backstage.extraVolumeMounts.find((m: any) => m.name === "platform-catalog");
    expect(v.backstage.extraVolumes).toContainEqual({ name: "platform-catalog", configMap: { name: "backstage-platform-catalog" } });
    expect(appConfig.catalog.locations[0]).toEqual({
      type: "file",
      target: `${mount.mountPath}/platform.yaml`,
      rules: [{ allow: ["Component", "System", "Group"] }],
    });
    expect(appConfig.catalog.locations[1]).toEqual({ type: "url", target: DEFAULT_TEMPLATES_URL, rules: [{ allow: ["Template", "Location"] }] });
    expect(appConfig.catalog.rules[0].allow).toContain("Template");
    const custom = helmValues(release(synthWith([new BackstageComponent({ templatesUrl: "https://git.acme.io/templates/all.yaml" })]), "backstage"));
    expect(custom.backstage.appConfig.catalog.locations[1].target).toBe("https://git.acme.io/templates/all.yaml");
    expect(rel.depends_on).toContain(
      `kubernetes_config_map_v1.${resources(tf, "kubernetes_config_map_v1").find(([, c]) => c.metadata.name === "backstage-platform-catalog")![0]}`,
    );
  });

  test("the database comes from ctx.postgres through a synced secret, one schema per plugin; no bundled PostgreSQL", () => {
    expect(ctx.databases).toEqual([{ name: "backstage", namespace: "backstage" }]);
    expect(v.postgresql.enabled).toBe(false);
    const sync = manifests(release(tf, "backstage-db-sync"))[0];
    expect(sync).toMatchObject({ kind: "ExternalSecret", spec: { target: { name: "backstage-db" }, data: [{ remoteRef: { key: "fake/backstage" } }] } });
    expect(rel.depends_on).toContain(releaseId(tf, "backstage-db-sync"));
    const env = Object.fromEntries(v.backstage.extraEnvVars.map((e: any) => [e.name, e.valueFrom?.secretKeyRef]));
    expect(env).toMatchObject({
      POSTGRES_HOST: { name: expect.stringMatching(DB_SECRET_REF), key: "host" },
      POSTGRES_PORT: { name: expect.stringMatching(DB_SECRET_REF), key: "port" },
      POSTGRES_USER: { name: expect.stringMatching(DB_SECRET_REF), key: "username" },
      POSTGRES_PASSWORD: { name: expect.stringMatching(DB_SECRET_REF), key: "password" },
      POSTGRES_DB: { name: expect.stringMatching(DB_SECRET_REF), key: "database" },
    });
    expect(appConfig.backend.database).toMatchObject({
      client: "pg",
      pluginDivisionMode: "schema",
      connection: { host: "${POSTGRES_HOST}", password: "${POSTGRES_PASSWORD}", database: "${POSTGRES_DB}", ssl: { rejectUnauthorized: false } },
    });
  });

  test("app-config's ${VAR} reach Helm as text: escaped for Terraform in the synthesized JSON", () => {
    expect(rel.values[0]).toContain("$${POSTGRES_HOST}");
    expect(rel.values[0]).not.toMatch(/[^$]\$\{POSTGRES_HOST\}/);
  });

  test("served at https://backstage.<domain> through the platform ingress, TLS by cert-manager", () => {
    expect(v.ingress).toMatchObject({
      enabled: true,
      className: "traefik",
      host: "backstage.fawkes.test",
      tls: { enabled: true, secretName: "backstage-tls" },
    });
    expect(v.ingress.annotations["cert-manager.io/cluster-issuer"]).toBe("letsencrypt-staging");
    expect(appConfig.app.baseUrl).toBe("https://backstage.fawkes.test");
    expect(appConfig.backend.baseUrl).toBe("https://backstage.fawkes.test");
    expect(platform.outputs.get("backstage")!.endpoints).toEqual({ backstage: "https://backstage.fawkes.test" });
  });

  test("runs on the workloads pool, from an image pinned by tag", () => {
    expect(v.backstage.nodeSelector).toEqual({ "fawkes.dev/pool": "workloads" });
    expect(v.backstage.image.tag).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test("the release is atomic, waits, and is bounded in time; not after Traefik or cert-manager, which it does not call", () => {
    expect(rel).toMatchObject({ atomic: true, wait: true, chart: "backstage", version: "2.8.2", repository: "https://backstage.github.io/charts" });
    expect(rel.timeout).toBeGreaterThan(0);
    // Its Ingress names its class, and cert-manager issues the certificate from the annotation whenever it runs.
    for (const name of ["traefik", "cert-manager", "cluster-issuers"]) expect(rel.depends_on).not.toContain(releaseId(tf, name));
  });

  test("the API token and session secret are generated, labelled for scripts/secret, and reported", () => {
    const [, secret] = resources(tf, "kubernetes_secret_v1").find(([, s]) => s.metadata.name === "backstage-secrets")!;
    expect(secret.metadata.labels["fawkes.dev/admin-secret"]).toBe("backstage");
    expect(secret.data["api-token"]).toMatch(/^\$\{random_password\.[\w-]+\.result\}$/);
    expect(secret.data["session-secret"]).toMatch(/^\$\{random_password\.[\w-]+\.result\}$/);
    expect(platform.outputs.get("backstage")!.adminSecrets).toEqual([
      expect.objectContaining({ namespace: "backstage", name: "backstage-secrets", key: "api-token" }),
    ]);
    expect(appConfig.backend.auth.externalAccess).toEqual([{ type: "static", options: { token: "${BACKSTAGE_API_TOKEN}", subject: "fawkes-automation" } }]);
    expect(appConfig.auth.session.secret).toBe("${AUTH_SESSION_SECRET}");
    expect(v.backstage.extraEnvVars).toContainEqual({
      name: "BACKSTAGE_API_TOKEN",
      valueFrom: { secretKeyRef: { name: "backstage-secrets", key: "api-token" } },
    });
  });

  test("guest sign-in is on by default and can be switched off", () => {
    expect(appConfig.auth.providers.guest.dangerouslyAllowOutsideDevelopment).toBe(true);
    const off = helmValues(release(synthWith([new BackstageComponent({ guestSignIn: false })]), "backstage"));
    expect(off.backstage.appConfig.auth.providers.guest.dangerouslyAllowOutsideDevelopment).toBe(false);
  });

  test("requests on the workloads pool follow the profile's values", () => {
    expect(platform.outputs.get("backstage")!.requests).toEqual({ cpu: 0.25, memoryGiB: 0.5 });
    const standard = synthComponents(["backstage"], { profile: "standard" });
    expect(values(release(standard.tf, "backstage")).backstage.replicas).toBe(2);
    expect(standard.platform.outputs.get("backstage")!.requests).toEqual({ cpu: 1, memoryGiB: 2 });
  });

  test("a templatesUrl that is not https fails at construction, naming the prop and the value", () => {
    expect(() => new BackstageComponent({ templatesUrl: "http://example.com/t.yaml" })).toThrow(
      'BackstageProps.templatesUrl must be an https:// URL of a catalog file, got "http://example.com/t.yaml"',
    );
  });
});
