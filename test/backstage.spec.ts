import { Construct } from "constructs";
import { parseAllDocuments } from "yaml";
import { BackstageComponent } from "../constructs/components/backstage";
import { GITEA_SCAFFOLDER_PACKAGE, GITHUB_SCAFFOLDER_PACKAGE, PLUGIN_PACKAGES, TELEMETRY_PACKAGE } from "../constructs/components/backstage/plugins";
import { fakeGit } from "./fake-git";
import type { Component } from "../constructs/platform";
import type { ClientRequest } from "../constructs/services";
import { fakeObservability, manifests, release, releaseId, resources, synthComponents, synthWith, values } from "./support";

/** The entities Backstage reads from the platform catalog ConfigMap. */
function catalogEntities(tf: any): any[] {
  const [, cm] = resources(tf, "kubernetes_config_map_v1").find(([, c]) => c.metadata.name === "backstage-platform-catalog")!;
  return parseAllDocuments(cm.data["platform.yaml"]).map((d) => d.toJSON());
}

/** A release's values as Helm receives them: after Terraform turns "$${" back into "${". */
const helmValues = (rel: any) => values({ values: rel.values.map((s: string) => s.replace(/\$\$\{/g, "${")) });

/** A component that only shows in the catalog (and offers `services`), like Argo CD or Jenkins for Backstage. */
function fakeTool(id: string, subdomain: string, services: Record<string, unknown> = {}): Component {
  return {
    id,
    needs: [],
    info: { title: id, description: `fake ${id}`, subdomain, docs: `https://docs.example/${id}`, lifecycle: "production" },
    install(scope) {
      new Construct(scope, "Fake");
      return { ready: [], services };
    },
  };
}

/** Stands in for the identity component: Keycloak's realm `fawkes`, recording each client request. */
function fakeIdentity(requests: ClientRequest[]): Component {
  const issuer = "https://sso.fawkes.test/realms/fawkes";
  return fakeTool("identity", "sso", {
    identity: {
      issuer,
      registerClient: (_scope: Construct, request: ClientRequest) => {
        requests.push(request);
        const secret = { namespace: request.namespace, name: `${request.component}-sso-client`, key: "client-secret" };
        return { issuer, clientId: request.component, secret, groupsClaim: "groups", ready: [] };
      },
    },
  });
}

/** Stands in for scanning: SonarQube inside the cluster, tokens in the asker's namespace. */
const fakeScanning = () =>
  fakeTool("scanning", "sonarqube", {
    codeAnalysis: {
      url: "http://sonarqube.scanning:9000",
      tokenFor: (_s: Construct, namespace: string, forComponent: string) => ({
        secret: { namespace, name: `sonarqube-token-${forComponent}`, key: "token" },
        ready: [],
      }),
    },
  });

/** The database secret is named by a reference to the Terraform resource that owns it. */
const DB_SECRET_REF = /^\$\{kubernetes_secret_v1\.\w+\.metadata\[0\]\.name\}$/;

describe("Backstage", () => {
  const { tf, ctx, platform } = synthComponents(["backstage", "argocd"]);
  const rel = release(tf, "backstage");
  const v = helmValues(rel);
  const appConfig = v.upstream.backstage.appConfig;

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
    expect(helmValues(release(withObs, "backstage")).upstream.metrics.serviceMonitor.enabled).toBe(true);
    // No ServiceMonitor unless asked for, observability or not.
    expect(values(release(synthWith([fakeObservability(), new BackstageComponent()]), "backstage")).upstream.metrics.serviceMonitor.enabled).toBe(false);
    expect(
      catalogEntities(tf)
        .flatMap((e) => e.metadata.links ?? [])
        .map((l: any) => l.title),
    ).not.toContain("Grafana dashboards");
  });

  test("the catalog is a mounted ConfigMap read as a file location; no templates without the git service but templatesUrl's", () => {
    const mount = v.upstream.backstage.extraVolumeMounts.find((m: any) => m.name === "platform-catalog");
    expect(v.upstream.backstage.extraVolumes).toContainEqual({ name: "platform-catalog", configMap: { name: "backstage-platform-catalog" } });
    expect(appConfig.catalog.locations[0]).toEqual({
      type: "file",
      target: `${mount.mountPath}/platform.yaml`,
      rules: [{ allow: ["Component", "System", "Group"] }],
    });
    expect(appConfig.catalog.locations).toHaveLength(1);
    expect(appConfig.catalog.rules[0].allow).toContain("Template");
    const custom = helmValues(release(synthWith([new BackstageComponent({ templatesUrl: "https://git.acme.io/templates/all.yaml" })]), "backstage"));
    expect(custom.upstream.backstage.appConfig.catalog.locations[1]).toEqual({
      type: "url",
      target: "https://git.acme.io/templates/all.yaml",
      rules: [{ allow: ["Template", "Location"] }],
    });
    expect(rel.depends_on).toContain(
      `kubernetes_config_map_v1.${resources(tf, "kubernetes_config_map_v1").find(([, c]) => c.metadata.name === "backstage-platform-catalog")![0]}`,
    );
  });

  test("the database comes from ctx.postgres through a synced secret, one schema per plugin; no bundled PostgreSQL", () => {
    expect(ctx.databases).toEqual([{ name: "backstage", namespace: "backstage" }]);
    expect(v.upstream.postgresql.enabled).toBe(false);
    const sync = manifests(release(tf, "backstage-db-sync"))[0];
    expect(sync).toMatchObject({ kind: "ExternalSecret", spec: { target: { name: "backstage-db" }, data: [{ remoteRef: { key: "fake/backstage" } }] } });
    expect(rel.depends_on).toContain(releaseId(tf, "backstage-db-sync"));
    const env = Object.fromEntries(v.upstream.backstage.extraEnvVars.map((e: any) => [e.name, e.valueFrom?.secretKeyRef]));
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
    expect(v.upstream.ingress).toMatchObject({
      enabled: true,
      className: "traefik",
      host: "backstage.fawkes.test",
      tls: { enabled: true, secretName: "backstage-tls" },
    });
    expect(v.upstream.ingress.annotations["cert-manager.io/cluster-issuer"]).toBe("letsencrypt-staging");
    expect(appConfig.app.baseUrl).toBe("https://backstage.fawkes.test");
    expect(appConfig.backend.baseUrl).toBe("https://backstage.fawkes.test");
    expect(platform.outputs.get("backstage")!.endpoints).toEqual({ backstage: "https://backstage.fawkes.test" });
  });

  test("Red Hat Developer Hub 1.10: its chart and community image pinned to a release, on the workloads pool", () => {
    expect(rel).toMatchObject({ chart: "backstage", version: "5.12.10", repository: "https://redhat-developer.github.io/rhdh-chart" });
    expect(v.upstream.backstage.image).toMatchObject({ registry: "quay.io", repository: "rhdh-community/rhdh", tag: expect.stringMatching(/^1\.10\.\d+$/) });
    // No mutable tag anywhere: not the chart's `next-1.10`, nor `latest` (its helm-test pod, the Bitnami database).
    expect(rel.values[0]).not.toMatch(/latest|next-|:next\b/);
    expect(v.test.enabled).toBe(false);
    expect(v.upstream.backstage.nodeSelector).toEqual({ "fawkes.dev/pool": "workloads" });
  });

  test("off OpenShift and without extras: no Route, no Lightspeed sidecar, no chart-generated backend secret; Fawkes' ingress", () => {
    expect(v.route.enabled).toBe(false);
    expect(v.global.lightspeed.enabled).toBe(false);
    expect(v.global.auth.backend.enabled).toBe(false);
    expect(v.upstream.ingress.enabled).toBe(true);
    expect(v.global.host).toBe("backstage.fawkes.test");
    // The chart's own volumes survive Helm's list replacement: the plugin installer needs them.
    expect(v.upstream.backstage.extraVolumes.map((x: any) => x.name)).toEqual(
      expect.arrayContaining(["dynamic-plugins-root", "dynamic-plugins", "temp", "platform-catalog"]),
    );
    expect(v.upstream.backstage.extraVolumeMounts.map((x: any) => x.name)).toEqual(
      expect.arrayContaining(["dynamic-plugins-root", "temp", "platform-catalog"]),
    );
  });

  test("the release is atomic, waits, and is bounded in time; not after Traefik or cert-manager, which it does not call", () => {
    expect(rel).toMatchObject({ atomic: true, wait: true });
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
    expect(v.upstream.backstage.extraEnvVars).toContainEqual({
      name: "BACKSTAGE_API_TOKEN",
      valueFrom: { secretKeyRef: { name: "backstage-secrets", key: "api-token" } },
    });
  });

  test("without identity: guest sign-in as before (on by default, can be switched off), no OIDC, no user sync", () => {
    expect(appConfig.auth.providers).toEqual({ guest: { dangerouslyAllowOutsideDevelopment: true } });
    expect(appConfig.signInPage).toBe("guest");
    expect(v.global.dynamic.plugins.map((p: any) => p.package)).not.toContain(PLUGIN_PACKAGES.keycloak);
    const off = helmValues(release(synthWith([new BackstageComponent({ guestSignIn: false })]), "backstage"));
    expect(off.upstream.backstage.appConfig.auth.providers.guest.dangerouslyAllowOutsideDevelopment).toBe(false);
  });

  test("requests on the workloads pool follow the profile's values", () => {
    expect(platform.outputs.get("backstage")!.requests).toEqual({ cpu: 0.25, memoryGiB: 1 });
    const standard = synthComponents(["backstage"], { profile: "standard" });
    expect(values(release(standard.tf, "backstage")).upstream.backstage.replicas).toBe(2);
    expect(standard.platform.outputs.get("backstage")!.requests).toEqual({ cpu: 1, memoryGiB: 3 });
  });

  test("a templatesUrl that is not https fails at construction, naming the prop and the value", () => {
    expect(() => new BackstageComponent({ templatesUrl: "http://example.com/t.yaml" })).toThrow(
      'BackstageProps.templatesUrl must be an https:// URL of a catalog file, got "http://example.com/t.yaml"',
    );
  });
});

describe("Backstage with the platform's identity and tools", () => {
  const requests: ClientRequest[] = [];
  const tf = synthWith([fakeIdentity(requests), fakeTool("argocd", "argocd"), fakeTool("jenkins", "jenkins"), fakeScanning(), new BackstageComponent()]);
  const rel = release(tf, "backstage");
  const v = helmValues(rel);
  const appConfig = v.upstream.backstage.appConfig;
  const plugins: any[] = v.global.dynamic.plugins;
  const pluginOf = (pkg: string) => plugins.find((p) => p.package === pkg);
  const env = (name: string) => v.upstream.backstage.extraEnvVars.find((e: any) => e.name === name)?.valueFrom.secretKeyRef;

  test("registers one OIDC client with the exact redirect URI of the OIDC handler", () => {
    expect(requests).toEqual([
      { component: "backstage", namespace: "backstage", redirectUris: ["https://backstage.fawkes.test/api/auth/oidc/handler/frame"], readDirectory: true },
    ]);
  });

  test("signs in with OIDC: the identity's issuer, the client id, the secret only by reference", () => {
    expect(appConfig.auth.environment).toBe("production");
    expect(appConfig.auth.providers.oidc.production).toMatchObject({
      metadataUrl: "https://sso.fawkes.test/realms/fawkes/.well-known/openid-configuration",
      clientId: "backstage",
      clientSecret: "${OIDC_CLIENT_SECRET}",
    });
    expect(env("OIDC_CLIENT_SECRET")).toEqual({ name: "backstage-sso-client", key: "client-secret" });
    // Terraform would read ${OIDC_CLIENT_SECRET} as its own interpolation: escaped in the JSON.
    expect(rel.values[0]).toContain("clientSecret: $${OIDC_CLIENT_SECRET}");
    expect(appConfig.signInPage).toBe("oidc");
    const resolvers = appConfig.auth.providers.oidc.production.signIn.resolvers.map((r: any) => r.resolver);
    expect(resolvers).toContain("preferredUsernameMatchingUserEntityName");
  });

  test("guest sign-in is off: no guest provider at all", () => {
    expect(Object.keys(appConfig.auth.providers)).toEqual(["oidc"]);
    expect(rel.values[0]).not.toMatch(/guest|dangerouslyAllow/);
  });

  test("syncs users and groups from Keycloak's realm into the catalog with the same client's credentials", () => {
    expect(pluginOf(PLUGIN_PACKAGES.keycloak)).toMatchObject({
      disabled: false,
      pluginConfig: {
        catalog: {
          providers: {
            keycloakOrg: {
              default: {
                baseUrl: "https://sso.fawkes.test",
                realm: "fawkes",
                loginRealm: "fawkes",
                clientId: "backstage",
                clientSecret: "${OIDC_CLIENT_SECRET}",
              },
            },
          },
        },
      },
    });
  });

  test("Kubernetes, Argo CD, Jenkins, SonarQube and TechDocs plugins are enabled, frontend and backend", () => {
    for (const pkg of Object.values(PLUGIN_PACKAGES)) expect(pluginOf(pkg)).toMatchObject({ disabled: false });
    expect(pluginOf(PLUGIN_PACKAGES.kubernetesBackend).pluginConfig.kubernetes.clusterLocatorMethods[0].clusters[0]).toMatchObject({
      url: "https://kubernetes.default.svc",
      authProvider: "serviceAccount",
      skipTLSVerify: false,
    });
    expect(pluginOf(PLUGIN_PACKAGES.argocdBackend).pluginConfig.argocd.appLocatorMethods[0].instances[0].url).toBe("https://argocd.fawkes.test");
    expect(pluginOf(PLUGIN_PACKAGES.jenkinsBackend).pluginConfig.jenkins.instances[0].baseUrl).toBe("https://jenkins.fawkes.test");
    expect(pluginOf(PLUGIN_PACKAGES.sonarqubeBackend).pluginConfig.sonarqube).toMatchObject({
      baseUrl: "http://sonarqube.scanning:9000",
      externalBaseUrl: "https://sonarqube.fawkes.test",
      apiKey: "${SONARQUBE_TOKEN}",
    });
    expect(pluginOf(PLUGIN_PACKAGES.techdocsBackend).pluginConfig.techdocs).toMatchObject({ builder: "local", generator: { runIn: "local" } });
    for (const pkg of [PLUGIN_PACKAGES.argocd, PLUGIN_PACKAGES.jenkins, PLUGIN_PACKAGES.sonarqube])
      expect(pluginOf(pkg).pluginConfig.dynamicPlugins.frontend).toBeDefined();
  });

  test("Red Hat's telemetry plugin (Segment), on in the image's defaults, is switched off", () => {
    expect(pluginOf(TELEMETRY_PACKAGE)).toEqual({ package: TELEMETRY_PACKAGE, disabled: true });
  });

  test("every plugin is pinned: bundled in the pinned image, or an OCI artifact by digest", () => {
    for (const p of plugins) expect(p.package).toMatch(/^\.\/dynamic-plugins\/dist\/[\w-]+$|^oci:\/\/ghcr\.io\/[\w./-]+@sha256:[0-9a-f]{64}![\w-]+$/);
  });

  test("integration tokens: SonarQube's minted for Backstage; Argo CD's and Jenkins' read from an optional secret", () => {
    expect(env("SONARQUBE_TOKEN")).toEqual({ name: "sonarqube-token-backstage", key: "token" });
    expect(env("ARGOCD_AUTH_TOKEN")).toEqual({ name: "backstage-integrations", key: "argocd-token", optional: true });
    expect(env("JENKINS_API_TOKEN")).toEqual({ name: "backstage-integrations", key: "jenkins-api-token", optional: true });
    expect(appConfig.backend.startup.plugins.jenkins.onPluginBootFailure).toBe("continue");
  });

  test("the Kubernetes plugin reads through Fawkes' service account: read-only, never Secrets or ConfigMaps", () => {
    const [, sa] = resources(tf, "kubernetes_service_account_v1").find(([, a]) => a.metadata.namespace === "backstage")!;
    expect(v.upstream.serviceAccount).toMatchObject({
      create: false,
      name: expect.stringMatching(/^\$\{kubernetes_service_account_v1\.\w+\.metadata\[0\]\.name\}$/),
    });
    expect(sa.metadata.name).toBe("backstage");
    const [, role] = resources(tf, "kubernetes_cluster_role_v1").find(([, r]) => r.metadata.name === "fawkes-backstage-reader")!;
    const granted = role.rule.flatMap((r: any) => r.resources);
    for (const r of role.rule) expect(r.verbs).toEqual(["get", "list", "watch"]);
    expect(granted).not.toContain("secrets");
    expect(granted).not.toContain("configmaps");
    for (const kind of pluginOf(PLUGIN_PACKAGES.kubernetesBackend).pluginConfig.kubernetes.objectTypes) expect(granted).toContain(kind);
    const [, binding] = resources(tf, "kubernetes_cluster_role_binding_v1").find(([, b]) => b.metadata.name === "fawkes-backstage-reader")!;
    expect(binding.subject).toEqual([{ kind: "ServiceAccount", name: expect.stringContaining("kubernetes_service_account_v1"), namespace: "backstage" }]);
  });

  test("the platform catalog still lists every enabled component", () => {
    const names = catalogEntities(tf)
      .filter((e) => e.kind === "Component")
      .map((e) => e.metadata.name);
    expect(names).toEqual(expect.arrayContaining(["ingress", "tls", "secrets", "identity", "argocd", "jenkins", "scanning", "backstage"]));
  });

  test("an issuer that is not a Keycloak realm URL fails synth, naming it", () => {
    const odd: Component = {
      ...fakeIdentity([]),
      install: () => ({ ready: [], services: { identity: { issuer: "https://login.example.com", registerClient: fakeRegister } } }),
    };
    expect(() => synthWith([odd, new BackstageComponent()])).toThrow(
      'IdentityService.issuer must be a Keycloak realm URL https://<host>/realms/<realm>, got "https://login.example.com"',
    );
  });
});

describe("Backstage on the golden path (the git service)", () => {
  const git = fakeGit();
  const tf = synthWith([git, fakeTool("argocd", "argocd"), fakeTool("jenkins", "jenkins"), new BackstageComponent()]);
  const rel = release(tf, "backstage");
  const v = helmValues(rel);
  const appConfig = v.upstream.backstage.appConfig;
  const plugins: any[] = v.global.dynamic.plugins;
  const env = (name: string) => v.upstream.backstage.extraEnvVars.find((e: any) => e.name === name)?.valueFrom.secretKeyRef;

  test("the platform's templates are published to platform/platform-templates, rendered for this platform", () => {
    expect(git.requests.published.map((p) => p.name)).toEqual(["platform-templates", "platform-docs"]);
    const files = git.requests.published[0]!.files;
    expect(Object.keys(files)).toEqual(
      expect.arrayContaining([
        "catalog-info.yaml",
        "templates/http-api/template.yaml",
        "templates/web-service/template.yaml",
        "templates/worker/template.yaml",
      ]),
    );
    expect(git.requests.published[0]!.substitutions).toEqual({ "registry.placeholder.fawkes.invalid": "pull.registry.fake/fawkes" });
    expect(Object.values(files).some((t) => t.includes("pull.registry.fake"))).toBe(false);
    const template = parseAllDocuments(files["templates/http-api/template.yaml"]!)[0]!.toJSON();
    const fetch = template.spec.steps.find((s: any) => s.id === "fetch");
    expect(fetch.input.values.platform).toMatchObject({
      domain: "fawkes.test",
      gitUrl: "https://git.fawkes.test",
      // The pull URL is a Terraform expression on AWS and Azure: the git service's Job writes it in.
      registry: "registry.placeholder.fawkes.invalid",
      argocdUrl: "https://argocd.fawkes.test",
      jenkinsUrl: "https://jenkins.fawkes.test",
    });
  });

  test("the templates repository's catalog-info.yaml is the one templates location; no sample templates", () => {
    // Template locations (the runbooks' location allows Components only: test/runbooks.test.ts).
    const urls = appConfig.catalog.locations.filter((l: any) => l.type === "url" && l.rules[0].allow.includes("Template"));
    expect(urls).toEqual([
      {
        type: "url",
        target: "https://git.fawkes.test/platform/platform-templates/src/branch/main/catalog-info.yaml",
        rules: [{ allow: ["Template", "Location"] }],
      },
    ]);
    expect(JSON.stringify(v)).not.toMatch(/sample-templates|backstage\/backstage\/blob|software-templates/);
  });

  test("the Gitea integration signs in as the write robot, its credential only from the secret, by env var", () => {
    expect(git.requests.credentials).toEqual([expect.objectContaining({ component: "backstage", namespace: "backstage", access: "write" })]);
    expect(appConfig.integrations.gitea).toEqual([
      { host: "git.fawkes.test", baseUrl: "https://git.fawkes.test", username: "${GITEA_USERNAME}", password: "${GITEA_PASSWORD}" },
    ]);
    expect(env("GITEA_USERNAME")).toEqual({ name: "git-backstage", key: "username" });
    expect(env("GITEA_PASSWORD")).toEqual({ name: "git-backstage", key: "password" });
  });

  test("the scaffolder's publish:gitea module is enabled (overridable), publish:github is not", () => {
    expect(plugins.find((p) => p.package === GITEA_SCAFFOLDER_PACKAGE)).toEqual({ package: GITEA_SCAFFOLDER_PACKAGE, disabled: false });
    expect(plugins.find((p) => p.package === GITHUB_SCAFFOLDER_PACKAGE)).toBeUndefined();
    const own = "oci://registry.acme.io/rhdh/gitea@sha256:" + "a".repeat(64) + "!backstage-plugin-scaffolder-backend-module-gitea";
    const custom = helmValues(release(synthWith([fakeGit(), new BackstageComponent({ giteaScaffolderPackage: own })]), "backstage"));
    expect(custom.global.dynamic.plugins.filter((p: any) => /scaffolder-backend-module-gitea/.test(p.package))).toEqual([{ package: own, disabled: false }]);
    expect(() => new BackstageComponent({ giteaScaffolderPackage: "latest" })).toThrow("BackstageProps.giteaScaffolderPackage must be an oci://");
  });

  test("without the git service: no templates published, no integration, no scaffolder module", () => {
    const none = helmValues(release(synthWith([new BackstageComponent()]), "backstage"));
    expect(none.upstream.backstage.appConfig.integrations).toBeUndefined();
    expect(none.global.dynamic.plugins.filter((p: any) => /scaffolder-backend-module/.test(p.package))).toEqual([]);
  });

  test("GitHub: the App's id and key by env var, publish:github bundled in the image enabled", () => {
    const gh = fakeGit("github");
    const hv = helmValues(release(synthWith([gh, new BackstageComponent()]), "backstage"));
    expect(hv.upstream.backstage.appConfig.integrations.github).toEqual([
      {
        host: "github.com",
        apiBaseUrl: "https://api.github.com",
        apps: [
          {
            appId: "${GITHUB_APP_ID}",
            privateKey: "${GITHUB_APP_PRIVATE_KEY}",
            clientId: "${GITHUB_APP_CLIENT_ID}",
            clientSecret: "${GITHUB_APP_CLIENT_SECRET}",
            webhookSecret: "${GITHUB_APP_WEBHOOK_SECRET}",
            allowedInstallationOwners: ["acme"],
          },
        ],
      },
    ]);
    const ghEnv = (name: string) => hv.upstream.backstage.extraEnvVars.find((e: any) => e.name === name)?.valueFrom.secretKeyRef;
    expect(ghEnv("GITHUB_APP_PRIVATE_KEY")).toEqual({ name: "git-backstage", key: "privateKey" });
    expect(ghEnv("GITHUB_APP_WEBHOOK_SECRET")).toEqual({ name: "git-backstage", key: "webhookSecret" });
    expect(hv.global.dynamic.plugins).toContainEqual({ package: GITHUB_SCAFFOLDER_PACKAGE, disabled: false });
    expect(hv.upstream.backstage.appConfig.catalog.locations[1].target).toBe("https://github.com/acme/platform-templates/blob/main/catalog-info.yaml");
  });
});

describe("Backstage with the platform's git service (Gitea)", () => {
  const { tf } = synthComponents(["backstage", "git"]);
  const rel = release(tf, "backstage");
  const v = helmValues(rel);
  const appConfig = v.upstream.backstage.appConfig;

  test("the published templates repository is the templates location, read through the Gitea integration", () => {
    expect(appConfig.catalog.locations.filter((l: any) => l.type === "url").map((l: any) => l.target)).toEqual([
      "https://git.fawkes.test/platform/platform-templates/src/branch/main/catalog-info.yaml",
      "https://git.fawkes.test/platform/platform-docs/src/branch/main/catalog-info.yaml",
    ]);
    expect(appConfig.integrations.gitea).toEqual([
      expect.objectContaining({ host: "git.fawkes.test", username: "${GITEA_USERNAME}", password: "${GITEA_PASSWORD}" }),
    ]);
    const secretName = v.upstream.backstage.extraEnvVars.find((e: any) => e.name === "GITEA_PASSWORD").valueFrom.secretKeyRef.name;
    expect(resources(tf, "kubernetes_secret_v1").filter(([, r]) => r.metadata.name === secretName && r.metadata.namespace === "backstage")).toHaveLength(1);
    expect(v.global.dynamic.plugins).toContainEqual({ package: GITEA_SCAFFOLDER_PACKAGE, disabled: false });
  });
});

const fakeRegister = (_s: Construct, r: ClientRequest) => ({
  issuer: "https://login.example.com",
  clientId: r.component,
  secret: { namespace: r.namespace, name: "x", key: "y" },
  groupsClaim: "groups",
  ready: [],
});
