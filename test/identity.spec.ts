import { Testing } from "cdktf";
import { Construct } from "constructs";
import { parse as parseYaml } from "yaml";
import { IdentityComponent, configCliSettings, realmDocument } from "../constructs/components/identity";
import { platformNamespace } from "../constructs/namespace";
import { FawkesPlatform, type Component, type RegisteredClient } from "../constructs/platform";
import { platformComponents } from "../stacks/components";
import { synthesized } from "./synthesized";
import { FakeContext, manifests, release, releaseId, resources, strings, testConfig, testStack, values } from "./support";

/** A UI that registers one client, as argocd or grafana do. */
function registrar(id: string, redirectUris: string[], extra: { pkce?: boolean; protocol?: "oidc" | "saml" } = {}): Component & { got?: RegisteredClient } {
  const c: Component & { got?: RegisteredClient } = {
    id,
    needs: ["identity"],
    info: { title: id, description: id, subdomain: id, docs: "https://example.org", lifecycle: "experimental" },
    install(scope, ctx, deps) {
      platformNamespace(scope, ctx, id);
      c.got = deps.service("identity").registerClient(scope, {
        component: id,
        namespace: deps.namespaceOf(id),
        redirectUris,
        roles: { "platform-admins": "admin" },
        scopes: ["groups"],
        ...extra,
      });
      return { ready: [] };
    },
  };
  return c;
}

const BROKER = {
  type: "oidc" as const,
  issuer: "https://login.corp.example",
  clientId: "fawkes",
  clientSecret: { key: "corp/fawkes-sso", property: "secret" },
  groupsClaim: "roles",
  groupMappings: { "corp-platform": "platform-admins", "corp-payments": "payments" },
};

describe("IdentityComponent", () => {
  // One synth: identity with a team and a broker, and two UIs registering after it.
  const stack = testStack();
  const ctx = new FakeContext();
  const registry = new Map(platformComponents(testConfig()).map((c) => [c.id, c]));
  const alpha = registrar("alpha", ["https://alpha.fawkes.test/auth/callback"], { pkce: true });
  const beta = registrar("beta", ["https://beta.fawkes.test/login/generic_oauth", "https://beta.fawkes.test/other/callback"]);
  const identity = new IdentityComponent({ teams: [{ name: "payments", members: ["alice", "bob"] }], broker: BROKER });
  const platform = new FawkesPlatform(stack, "Platform", {
    context: ctx,
    components: [...["ingress", "tls", "secrets"].map((id) => registry.get(id)!), identity, alpha, beta],
  });
  const tf = JSON.parse(Testing.synth(stack, true));
  const keycloak = release(tf, "keycloak");
  const kv = values(keycloak);
  const realmMap = resources(tf, "kubernetes_config_map_v1").find(([, cm]) => cm.metadata.name === "keycloak-realm")![1];
  const realm = JSON.parse(realmMap.data["fawkes.json"]);
  const job = manifests(release(tf, "keycloak-realm")).find((o) => o.kind === "Job");
  const env = Object.fromEntries(job.spec.template.spec.containers[0].env.filter((e: any) => "value" in e).map((e: any) => [e.name, e.value]));

  test("Keycloak comes from the pinned keycloakx chart, with the quay.io image pinned to 26.x", () => {
    expect(keycloak).toMatchObject({ repository: "https://codecentric.github.io/helm-charts", chart: "keycloakx", version: "7.1.11", namespace: "identity" });
    expect(kv.image.repository).toBe("quay.io/keycloak/keycloak");
    expect(kv.image.tag).toMatch(/^26\.\d+\.\d+$/);
    expect(job.spec.template.spec.containers[0].image).toMatch(/^docker\.io\/adorsys\/keycloak-config-cli:6\.5\.0-26\.5\.\d+$/);
  });

  test("production mode at https://sso.<domain>, issuer without /auth, proxy headers from Traefik, health and metrics on", () => {
    expect(kv.command).toEqual(["/opt/keycloak/bin/kc.sh", "start", "--http-port=8080"]);
    expect(kv.http.relativePath).toBe("/");
    expect(kv.proxy).toMatchObject({ enabled: true, mode: "xforwarded" });
    expect(kv.health.enabled && kv.metrics.enabled).toBe(true);
    expect(kv.extraEnv).toContain("name: KC_HOSTNAME\n  value: https://sso.fawkes.test\n");
    expect(kv.ingress).toMatchObject({
      enabled: true,
      ingressClassName: "traefik",
      rules: [{ host: "sso.fawkes.test" }],
      tls: [{ hosts: ["sso.fawkes.test"], secretName: "sso-tls" }],
    });
    expect(kv.resources.requests).toEqual({ cpu: "250m", memory: "768Mi" });
    expect(platform.outputs.get("identity")!.requests).toEqual({ cpu: 0.25, memoryGiB: 0.75 });
    expect(alpha.got!.issuer).toBe("https://sso.fawkes.test/realms/fawkes");
  });

  test("the database comes from ctx.database, its password through external-secrets", () => {
    expect(ctx.databases).toEqual([{ name: "keycloak", namespace: "identity", engine: "postgres" }]);
    expect(kv.database).toMatchObject({ vendor: "postgres", existingSecretKey: "password" });
    const dbEnv = parseYaml(kv.extraEnv).filter((e: any) => /^KC_DB_(URL_(HOST|PORT|DATABASE)|USERNAME)$/.test(e.name));
    expect(dbEnv.map((e: any) => e.valueFrom.secretKeyRef.key)).toEqual(["host", "port", "database", "username"]);
    const [es] = manifests(release(tf, "keycloak-database-sync"));
    expect(es.spec.target.template.data).toMatchObject({ host: "keycloak.db.fake", port: "5432", database: "keycloak", username: "keycloak" });
    expect(kv.database.existingSecret).toMatch(/^\$\{kubernetes_secret_v1\.\w+\.metadata\[0\]\.name\}$/);
    expect(kv.extraEnv).toContain("?sslmode=require");
    expect(keycloak.depends_on).toContain(releaseId(tf, "keycloak-database-sync"));
  });

  test("admin credentials are generated and labelled for scripts/secret; no literal secret anywhere", () => {
    const labelled = resources(tf, "kubernetes_secret_v1").filter(([, s]) => s.metadata.labels?.["fawkes.dev/admin-secret"] === "identity");
    expect(labelled.map(([, s]) => s.metadata.name).sort()).toEqual(["keycloak-admin", "keycloak-platform-admin"]);
    for (const [, s] of labelled)
      for (const [k, v] of Object.entries<string>(s.data)) if (k !== "username") expect(v).toMatch(/^\$\{random_password\.\w[\w-]*\.result\}$/);
    expect(platform.outputs.get("identity")!.adminSecrets!.map((a) => a.name)).toEqual(["keycloak-platform-admin", "keycloak-admin"]);
    // Every secret in the realm document is a $(env:...) placeholder.
    for (const [v, where] of strings(realm)) if (/secret|value$/i.test(where)) expect(v).toMatch(/^\$\(env:FAWKES_[A-Z_]+\)$/);
    for (const [v] of strings(tf.resource.helm_release)) expect(v).not.toMatch(/password:\s*[A-Za-z0-9]{12,}/);
  });

  test("the realm: platform groups and teams, groups scope without full path, brute force, sessions, audit events, password policy", () => {
    expect(realm.realm).toBe("fawkes");
    expect(realm.groups.map((g: any) => g.name)).toEqual(["platform-admins", "developers", "learners", "payments"]);
    const groups = realm.clientScopes.find((s: any) => s.name === "groups");
    expect(groups.protocolMappers[0]).toMatchObject({
      protocolMapper: "oidc-group-membership-mapper",
      config: { "claim.name": "groups", "full.path": "false" },
    });
    expect(realm).toMatchObject({
      bruteForceProtected: true,
      failureFactor: 5,
      ssoSessionIdleTimeout: 1800,
      ssoSessionMaxLifespan: 36000,
      registrationAllowed: false,
    });
    expect(realm).toMatchObject({ eventsEnabled: true, eventsExpiration: 7776000, adminEventsEnabled: true, attributes: { adminEventsExpiration: "7776000" } });
    expect(realm.passwordPolicy).toMatch(/length\(12\)/);
  });

  test("the document uses only fields of Keycloak's representations (RealmRepresentation, ClientRepresentation, IdentityProviderRepresentation)", () => {
    // The fields Fawkes sets, each checked by hand against Keycloak's Admin REST API reference
    // (RealmRepresentation, ClientRepresentation, IdentityProviderRepresentation): a typo would be
    // ignored by the import, silently, so a new field must be added here on purpose.
    const REALM_FIELDS =
      "accessCodeLifespan accessTokenLifespan adminEventsDetailsEnabled adminEventsEnabled attributes bruteForceProtected clientScopes clients defaultDefaultClientScopes displayName duplicateEmailsAllowed editUsernameAllowed enabled eventsEnabled eventsExpiration eventsListeners failureFactor groups identityProviderMappers identityProviders loginWithEmailAllowed maxDeltaTimeSeconds maxFailureWaitSeconds minimumQuickLoginWaitSeconds offlineSessionIdleTimeout offlineSessionMaxLifespan offlineSessionMaxLifespanEnabled passwordPolicy permanentLockout quickLoginCheckMilliSeconds realm registrationAllowed rememberMe resetPasswordAllowed sslRequired ssoSessionIdleTimeout ssoSessionMaxLifespan users waitIncrementSeconds";
    const CLIENT_FIELDS =
      "attributes baseUrl clientAuthenticatorType clientId defaultClientScopes description directAccessGrantsEnabled enabled frontchannelLogout implicitFlowEnabled name optionalClientScopes protocol protocolMappers publicClient redirectUris rootUrl secret serviceAccountsEnabled standardFlowEnabled webOrigins";
    const IDP_FIELDS = "alias displayName enabled trustEmail storeToken firstBrokerLoginFlowAlias providerId config";
    const unknown = (o: object, fields: string) => Object.keys(o).filter((k) => !fields.split(" ").includes(k));
    expect(unknown(realm, REALM_FIELDS)).toEqual([]);
    for (const c of realm.clients) expect(unknown(c, CLIENT_FIELDS)).toEqual([]);
    expect(unknown(realm.identityProviders[0], IDP_FIELDS)).toEqual([]);
  });

  test("one platform admin in platform-admins, temporary initial password from a secret; team members in their group", () => {
    const [admin, ...members] = realm.users;
    expect(admin).toMatchObject({ username: "fawkes-admin", groups: ["platform-admins"] });
    expect(admin.credentials).toEqual([{ type: "password", userLabel: "initial", value: "$(env:FAWKES_PLATFORM_ADMIN_PASSWORD)", temporary: true }]);
    expect(members).toEqual([
      { username: "alice", enabled: true, groups: ["payments"] },
      { username: "bob", enabled: true, groups: ["payments"] },
    ]);
  });

  test("exactly one client per registration: confidential, standard flow only, exact redirect URIs and origins, PKCE where asked", () => {
    expect(realm.clients.map((c: any) => c.clientId)).toEqual(["alpha", "beta"]);
    const [a, b] = realm.clients;
    expect(a.redirectUris).toEqual(["https://alpha.fawkes.test/auth/callback"]);
    expect(b.redirectUris).toEqual(["https://beta.fawkes.test/login/generic_oauth", "https://beta.fawkes.test/other/callback"]);
    expect(b.webOrigins).toEqual(["https://beta.fawkes.test"]);
    for (const c of realm.clients) {
      expect(c).toMatchObject({
        publicClient: false,
        standardFlowEnabled: true,
        implicitFlowEnabled: false,
        directAccessGrantsEnabled: false,
        serviceAccountsEnabled: false,
      });
      expect(JSON.stringify([c.redirectUris, c.webOrigins])).not.toContain("*");
      expect(c.defaultClientScopes).toContain("groups");
    }
    expect(a.attributes["pkce.code.challenge.method"]).toBe("S256");
    expect(b.attributes["pkce.code.challenge.method"]).toBeUndefined();
  });

  test("a client that reads the directory gets a service account with read-only realm-management roles, and only that one", () => {
    const doc = realmDocument({
      domain: "d",
      teams: [],
      clients: [
        { component: "portal", protocol: "oidc", redirectUris: ["https://portal.d/cb"], scopes: [], pkce: false, readDirectory: true },
        { component: "ci", protocol: "oidc", redirectUris: ["https://ci.d/cb"], scopes: [], pkce: false, readDirectory: false },
      ],
    }) as any;
    expect(doc.clients.map((c: any) => [c.clientId, c.serviceAccountsEnabled])).toEqual([
      ["portal", true],
      ["ci", false],
    ]);
    const accounts = doc.users.filter((u: any) => u.serviceAccountClientId);
    expect(accounts).toEqual([
      {
        username: "service-account-portal",
        enabled: true,
        serviceAccountClientId: "portal",
        clientRoles: { "realm-management": ["view-users", "query-users", "query-groups"] },
      },
    ]);
  });

  test("each client secret is generated once, in the UI's namespace and in the secret the Job reads; ready waits for the realm Job", () => {
    const secret = (name: string) => resources(tf, "kubernetes_secret_v1").find(([, s]) => s.metadata.name === name)![1];
    const ui = secret("alpha-sso-client");
    expect(ui.metadata.namespace).toBe("alpha");
    expect(ui.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^kubernetes_namespace_v1\.Platform_Alpha_Namespace/)]));
    const pw = ui.data["client-secret"];
    expect(pw).toMatch(/^\$\{random_password\.Platform_Alpha_SsoClient-alpha_Secret_\w+\.result\}$/);
    expect(secret("keycloak-realm-clients").data).toEqual({
      FAWKES_CLIENT_SECRET_ALPHA: pw,
      FAWKES_CLIENT_SECRET_BETA: secret("beta-sso-client").data["client-secret"],
    });
    expect(alpha.got).toMatchObject({
      clientId: "alpha",
      groupsClaim: "groups",
      secret: { namespace: "alpha", name: "alpha-sso-client", key: "client-secret" },
    });
    expect(realm.clients[0].secret).toBe("$(env:FAWKES_CLIENT_SECRET_ALPHA)");
    expect(job.spec.template.spec.containers[0].envFrom).toEqual(expect.arrayContaining([{ secretRef: { name: "keycloak-realm-clients" } }]));
  });

  test("the realm Job is an idempotent hook: re-run on change (hash annotation), remote state on, hand-made resources never deleted", () => {
    expect(job.metadata.annotations).toMatchObject({ "helm.sh/hook": "post-install,post-upgrade", "helm.sh/hook-delete-policy": "before-hook-creation" });
    expect(job.spec.template.metadata.annotations["fawkes.dev/realm-hash"]).toMatch(/^sha256-[0-9a-f]{32}$/);
    expect(env).toMatchObject({ IMPORT_REMOTESTATE_ENABLED: "true", IMPORT_VARSUBSTITUTION_ENABLED: "true", IMPORT_FILES_LOCATIONS: "/config/*.json" });
    for (const t of ["GROUP", "CLIENT", "CLIENTSCOPE", "IDENTITYPROVIDER", "IDENTITYPROVIDERMAPPER"]) expect(env[`IMPORT_MANAGED_${t}`]).toBe("no-delete");
    expect(configCliSettings("full").IMPORT_MANAGED_CLIENT).toBe("full");
    expect(release(tf, "keycloak-realm").depends_on).toContain(releaseId(tf, "keycloak"));
    expect(job.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
  });

  test("the hash follows the document: another client changes it", () => {
    const doc = (n: number) =>
      JSON.stringify(
        realmDocument({
          domain: "d",
          teams: [],
          clients: Array.from({ length: n }, (_, i) => ({
            component: `c${i}`,
            protocol: "oidc" as const,
            redirectUris: [`https://c${i}.d/cb`],
            scopes: [],
            pkce: false,
            readDirectory: false,
          })),
        }),
      );
    expect(doc(1)).not.toEqual(doc(2));
    expect(doc(2)).toEqual(doc(2));
  });

  test("the corporate broker: OIDC with discovery, secret from the secret store by ExternalSecret, one mapper per group", () => {
    const [idp] = realm.identityProviders;
    expect(idp).toMatchObject({
      alias: "corporate",
      providerId: "oidc",
      config: { issuer: "https://login.corp.example", clientId: "fawkes", clientSecret: "$(env:FAWKES_BROKER_CLIENT_SECRET)" },
    });
    expect(idp.config.metadataDescriptorUrl).toBe("https://login.corp.example/.well-known/openid-configuration");
    expect(realm.identityProviderMappers).toEqual([
      expect.objectContaining({
        identityProviderMapper: "oidc-advanced-group-idp-mapper",
        config: expect.objectContaining({ claims: '[{"key":"roles","value":"corp-platform"}]', group: "/platform-admins" }),
      }),
      expect.objectContaining({ config: expect.objectContaining({ group: "/payments" }) }),
    ]);
    const [es] = manifests(release(tf, "keycloak-broker-sync"));
    expect(es).toMatchObject({
      kind: "ExternalSecret",
      spec: {
        target: { name: "keycloak-broker" },
        data: [{ secretKey: "FAWKES_BROKER_CLIENT_SECRET", remoteRef: { key: "corp/fawkes-sso", property: "secret" } }],
      },
    });
    expect(job.spec.template.spec.containers[0].envFrom).toContainEqual({ secretRef: { name: "keycloak-broker" } });
  });

  test("a SAML broker reads the metadata URL; without a broker the realm has none", () => {
    const saml = realmDocument({
      domain: "d",
      teams: [],
      clients: [],
      broker: { type: "saml", metadataUrl: "https://idp.corp.example/md", groupsAttribute: "memberOf", groupMappings: { admins: "platform-admins" } },
    });
    expect(saml.identityProviders).toEqual([
      expect.objectContaining({ providerId: "saml", config: expect.objectContaining({ metadataDescriptorUrl: "https://idp.corp.example/md" }) }),
    ]);
    expect(saml.identityProviderMappers).toEqual([expect.objectContaining({ identityProviderMapper: "saml-advanced-group-idp-mapper" })]);
    expect(realmDocument({ domain: "d", teams: [], clients: [] })).not.toHaveProperty("identityProviders");
  });

  test("a bad registration fails synth naming the field: wildcard redirect, unknown group, twice", () => {
    const service = platform.outputs.get("identity")!.services!.identity!;
    const scope = new Construct(testStack(), "X");
    const ask = (over: object) => () =>
      service.registerClient(scope, { component: "gamma", namespace: "gamma", redirectUris: ["https://gamma.fawkes.test/cb"], ...over });
    expect(ask({ redirectUris: ["https://gamma.fawkes.test/*"] })).toThrow(
      /ClientRequest\.redirectUris must be exact https:\/\/ URLs without wildcards.*"https:\/\/gamma\.fawkes\.test\/\*"/,
    );
    expect(ask({ redirectUris: ["http://gamma.fawkes.test/cb"] })).toThrow(/ClientRequest\.redirectUris/);
    expect(ask({ roles: { admins: "admin" } })).toThrow(/ClientRequest\.roles keys must be platform groups or teams .*got "admins"/);
    expect(ask({ component: "alpha" })).toThrow(/ClientRequest\.component must register once, got "alpha" twice/);
  });

  test("bad props fail naming the prop and the value", () => {
    expect(() => new IdentityComponent({ subdomain: "SSO" })).toThrow(/IdentityProps\.subdomain .*"SSO"/);
    expect(() => new IdentityComponent({ teams: [{ name: "developers", members: [] }] })).toThrow(/IdentityProps\.teams\[\]\.name .*"developers"/);
    expect(() => new IdentityComponent({ broker: { ...BROKER, issuer: "http://corp" } })).toThrow(
      /IdentityProps\.broker\.issuer must be an https:\/\/ URL, got "http:\/\/corp"/,
    );
  });

  test("observability installs after identity (Grafana signs in through it) and renders Keycloak's ServiceMonitor", () => {
    // Not enabled in this platform: nothing to hand over, and the chart renders no monitor.
    expect(platform.outputs.get("identity")!.monitors).toEqual([]);
    expect(kv.serviceMonitor.enabled).toBe(false);
    const aws = synthesized("fawkes-aws");
    const monitor = resources(aws, "helm_release")
      .flatMap(([, r]) => (r.chart.includes("fawkes-manifests") || /^\.\//.test(r.chart) ? manifests(r) : []))
      .find((o) => o.kind === "ServiceMonitor" && o.spec?.namespaceSelector?.matchNames?.includes("identity"));
    expect(monitor.spec).toMatchObject({
      selector: { matchLabels: { "app.kubernetes.io/name": "keycloakx" } },
      endpoints: [{ port: "http-internal", path: "/metrics" }],
    });
  });
});
