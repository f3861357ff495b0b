import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import { Testing } from "cdktf";
import { parse as parseYaml } from "yaml";
import { ARGOCD_POLICY, ArgocdComponent } from "../constructs/components/argocd";
import { OAUTH_SOURCE } from "../constructs/components/git";
import { JenkinsComponent } from "../constructs/components/jenkins";
import { MattermostComponent } from "../constructs/components/mattermost";
import { GRAFANA_ROLE_PATH, ObservabilityComponent } from "../constructs/components/observability";
import { FawkesPlatform, type ClientRequest, type Component } from "../constructs/platform";
import { platformComponents } from "../stacks/components";
import { FakeContext, manifests, release, releaseId, resources, testConfig, testStack, values } from "./support";

const ISSUER = "https://sso.fawkes.test/realms/fawkes";

/**
 * Stands in for the identity component (until test/support.ts has `fakeIdentity()`): offers the
 * identity service per constructs/services.ts, records every registration, and writes each client's
 * secret as the real one does (a Kubernetes secret of the request's namespace), which is what `ready` is.
 */
function fakeIdentity(requests: ClientRequest[]): Component {
  return {
    id: "identity",
    needs: [],
    info: { title: "Identity", description: "Single sign-on", subdomain: "sso", docs: "https://www.keycloak.org/documentation", lifecycle: "production" },
    install() {
      return {
        ready: [],
        services: {
          identity: {
            issuer: ISSUER,
            registerClient(scope, request) {
              requests.push(request);
              const name = `${request.component}-oidc`;
              const secret = new SecretV1(scope, "FakeClientSecret", { metadata: { name, namespace: request.namespace } });
              return {
                issuer: ISSUER,
                clientId: request.component,
                secret: { namespace: request.namespace, name, key: "client-secret" },
                groupsClaim: "groups",
                ready: [secret],
              };
            },
          },
        },
      };
    },
  };
}

/** The registry's components (as built from the config), replaced by id, plus the fake identity; some switched off. */
function synthWithIdentity(off: string[], replace: Component[] = []): { tf: any; requests: ClientRequest[]; platform: FawkesPlatform } {
  const requests: ClientRequest[] = [];
  const byId = new Map([fakeIdentity(requests), ...replace].map((c) => [c.id, c]));
  const registry = platformComponents(testConfig());
  // The fake replaces the registry's identity component, or comes first while there is none.
  const components = [...(registry.some((c) => c.id === "identity") ? [] : [byId.get("identity")!]), ...registry.map((c) => byId.get(c.id) ?? c)];
  const stack = testStack();
  const platform = new FawkesPlatform(stack, "Platform", { context: new FakeContext(), components, disabled: off });
  return { tf: JSON.parse(Testing.synth(stack, true)), requests, platform };
}

/**
 * The UIs that sign in through the identity service here; Backstage's sign-in and Keycloak's own are
 * checked in their specs, and so are the details of Gitea's OAuth2 source (test/git.spec.ts) and of
 * DevLake's oauth2-proxy (test/dora.spec.ts): their clients are checked here. (support.ts'
 * fakeIdentity() returns no `ready`; this one does, so the "waits for its client's secret" test has
 * something to find.)
 */
const UIS = ["argocd", "observability", "jenkins", "scanning", "mattermost", "git", "dora"];
const ELSEWHERE = ["backstage", "identity"];

describe("Single sign-on in every UI", () => {
  // One synth: every UI of this file with the fake identity (Backstage and the Dojo switched off).
  const { tf, requests, platform } = synthWithIdentity(["backstage", "dojo"]);
  const argocd = values(release(tf, "argocd"));
  const grafana = values(release(tf, "grafana"));
  const jenkins = values(release(tf, "jenkins"));
  const sonarqube = values(release(tf, "sonarqube"));
  const [mattermost] = manifests(release(tf, "mattermost"));
  const secretDependency = (component: string) => {
    const [id] = resources(tf, "kubernetes_secret_v1").find(([, s]) => s.metadata.name === `${component}-oidc`)!;
    return `kubernetes_secret_v1.${id}`;
  };

  test("every component with a UI is checked here or in its own spec: a new UI must say how it signs in", () => {
    const withUi = platformComponents(testConfig())
      .filter((c) => c.info.subdomain)
      .map((c) => c.id);
    expect(withUi.filter((id) => !UIS.includes(id) && !ELSEWHERE.includes(id))).toEqual([]);
  });

  test("each UI registers one client, with exact redirect URIs on https://<subdomain>.<domain>", () => {
    // Mattermost Team Edition (no license) has no SSO, so it registers nothing.
    expect(requests.map((r) => r.component).sort()).toEqual(["argocd", "dora", "git", "jenkins", "observability", "scanning"]);
    for (const r of requests) {
      const info = platform.installed.find((c) => c.id === r.component)!.info;
      expect(r.namespace).toBe(r.component);
      expect(r.redirectUris.length).toBeGreaterThan(0);
      for (const uri of r.redirectUris) {
        expect(uri).not.toContain("*");
        expect(new URL(uri).origin).toBe(`https://${info.subdomain}.fawkes.test`);
      }
    }
    expect(Object.fromEntries(requests.map((r) => [r.component, r.redirectUris]))).toEqual({
      argocd: ["https://argocd.fawkes.test/auth/callback"],
      observability: ["https://grafana.fawkes.test/login/generic_oauth"],
      jenkins: ["https://jenkins.fawkes.test/securityRealm/finishLogin"],
      scanning: ["https://sonarqube.fawkes.test/oauth2/callback/saml"],
      // Gitea's callback names its OAuth2 source; oauth2-proxy's is its own fixed path.
      git: [`https://git.fawkes.test/user/oauth2/${OAUTH_SOURCE}/callback`],
      dora: ["https://dora.fawkes.test/oauth2/callback"],
    });
    expect(requests.find((r) => r.component === "scanning")!.protocol).toBe("saml");
    // PKCE required where the UI sends a code challenge (Grafana, Jenkins, oauth2-proxy with
    // code-challenge-method S256); Argo CD's server flow sends none, nor does Gitea as a login source (go-gitea/gitea#21376).
    expect(
      requests
        .filter((r) => r.pkce)
        .map((r) => r.component)
        .sort(),
    ).toEqual(["dora", "jenkins", "observability"]);
    expect(values(release(tf, "dora-oauth2-proxy")).extraArgs["code-challenge-method"]).toBe("S256");
  });

  test("each UI waits for its client's secret before it starts with SSO", () => {
    for (const [name, component] of [
      ["argocd", "argocd"],
      ["grafana", "observability"],
      ["jenkins", "jenkins"],
      ["sonarqube-saml", "scanning"],
      ["gitea", "git"],
      ["dora-oauth2-proxy", "dora"],
    ])
      expect([name, release(tf, name).depends_on]).toEqual([name, expect.arrayContaining([secretDependency(component)])]);
  });

  describe("Argo CD", () => {
    const oidc = parseYaml(argocd.configs.cm["oidc.config"]);

    test("signs in with OIDC: the issuer, its client id, the secret by `$<secret>:<key>` reference, the groups scope", () => {
      expect(oidc).toMatchObject({ issuer: ISSUER, clientID: "argocd", clientSecret: "$argocd-sso:client-secret" });
      expect(oidc.requestedScopes).toEqual(["openid", "profile", "email", "groups"]);
      expect(argocd.configs.rbac.scopes).toBe("[groups]");
    });

    test("the secret it names is a copy labelled part-of: argocd, read by a service account that may get the one client secret", () => {
      const relay = release(tf, "argocd-sso");
      expect(release(tf, "argocd").depends_on).toContain(releaseId(tf, "argocd-sso"));
      expect(relay.depends_on).toContain(secretDependency("argocd"));
      const objects = Object.fromEntries(manifests(relay).map((m) => [m.kind, m]));
      expect(objects.Role.rules).toEqual([{ apiGroups: [""], resources: ["secrets"], resourceNames: ["argocd-oidc"], verbs: ["get"] }]);
      expect(objects.SecretStore.spec.provider.kubernetes).toMatchObject({
        remoteNamespace: "argocd",
        auth: { serviceAccount: { name: "argocd-sso-reader" } },
      });
      expect(objects.ExternalSecret.spec.target).toMatchObject({
        name: "argocd-sso",
        template: { metadata: { labels: { "app.kubernetes.io/part-of": "argocd" } } },
      });
      expect(objects.ExternalSecret.spec.data).toEqual([{ secretKey: "client-secret", remoteRef: { key: "argocd-oidc", property: "client-secret" } }]);
    });

    test("login paths: the local admin is off, no anonymous user, no Dex", () => {
      expect(argocd.configs.cm["admin.enabled"]).toBe(false);
      expect(argocd.configs.cm["users.anonymous.enabled"]).not.toBe(true);
      expect(argocd.dex.enabled).toBe(false);
    });

    test("RBAC: platform-admins are admins, developers deploy and read, anyone else has no access", () => {
      expect(argocd.configs.rbac["policy.default"]).toBe("");
      expect(argocd.configs.rbac["policy.csv"]).toBe(ARGOCD_POLICY);
      const lines = ARGOCD_POLICY.split("\n");
      expect(lines).toEqual(expect.arrayContaining(["g, platform-admins, role:admin", "g, developers, role:developer"]));
      expect(lines.filter((l) => l.startsWith("p, role:developer")).map((l) => l.split(", ")[2])).not.toContain("delete");
    });
  });

  describe("Grafana", () => {
    const ini = grafana["grafana.ini"];

    test("signs in with generic OAuth against the issuer, PKCE, the secret from the client's Kubernetes secret", () => {
      expect(ini["auth.generic_oauth"]).toMatchObject({
        enabled: true,
        client_id: "observability",
        auth_url: `${ISSUER}/protocol/openid-connect/auth`,
        token_url: `${ISSUER}/protocol/openid-connect/token`,
        api_url: `${ISSUER}/protocol/openid-connect/userinfo`,
        use_pkce: true,
        groups_attribute_path: "groups",
      });
      expect(ini["auth.generic_oauth"].client_secret).toBeUndefined();
      expect(ini.auth.signout_redirect_url).toBe(
        `${ISSUER}/protocol/openid-connect/logout?client_id=observability&post_logout_redirect_uri=${encodeURIComponent("https://grafana.fawkes.test/")}`,
      );
      expect(grafana.envValueFrom.GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET).toEqual({ secretKeyRef: { name: "observability-oidc", key: "client-secret" } });
    });

    test("roles: platform-admins → Admin, developers → Editor, else Viewer; strict", () => {
      expect(ini["auth.generic_oauth"]).toMatchObject({
        role_attribute_path: GRAFANA_ROLE_PATH,
        role_attribute_strict: true,
        allow_assign_grafana_admin: false,
      });
      expect(GRAFANA_ROLE_PATH).toBe("contains(groups[*], 'platform-admins') && 'Admin' || contains(groups[*], 'developers') && 'Editor' || 'Viewer'");
    });

    test("login paths: no login form, no basic auth, no anonymous access; the sidecar does not need the reload API", () => {
      expect(ini.auth.disable_login_form).toBe(true);
      expect(ini["auth.basic"]).toEqual({ enabled: false });
      expect(ini["auth.anonymous"]).toEqual({ enabled: false });
      expect(grafana.sidecar.dashboards.skipReload).toBe(true);
      // The break-glass admin stays generated and referenced.
      expect(grafana.admin.existingSecret).toBe("grafana-admin");
    });
  });

  describe("Jenkins", () => {
    const realm = parseYaml(jenkins.controller.JCasC.securityRealm);
    const matrix = parseYaml(jenkins.controller.JCasC.authorizationStrategy);

    test("the security realm is oic-auth: discovery from the issuer, PKCE, groups claim, secret from the mounted client secret", () => {
      expect(Object.keys(realm)).toEqual(["oic"]);
      expect(realm.oic).toMatchObject({
        clientId: "jenkins",
        // `$${` is the Terraform escape of JCasC's `${...}` variable.
        clientSecret: "$${jenkins-oidc-client-secret}",
        serverConfiguration: { wellKnown: { wellKnownOpenIDConfigurationUrl: `${ISSUER}/.well-known/openid-configuration` } },
        groupsFieldName: "groups",
        pkceEnabled: true,
      });
      // Beside SonarQube's token: each mounted secret is a JCasC variable.
      expect(jenkins.controller.additionalExistingSecrets).toContainEqual({ name: "jenkins-oidc", keyName: "client-secret" });
    });

    test("login paths: no escape hatch, no local users, anonymous has no permission", () => {
      expect(realm.oic.escapeHatchEnabled).toBe(false);
      expect(realm.local).toBeUndefined();
      const entries = matrix.globalMatrix.entries;
      expect(entries).toEqual([
        { group: { name: "platform-admins", permissions: ["Overall/Administer"] } },
        { group: { name: "developers", permissions: ["Overall/Read", "Job/Read", "Job/Build", "Job/Cancel", "Job/Workspace", "View/Read"] } },
      ]);
      expect(JSON.stringify(entries)).not.toMatch(/anonymous|authenticated/);
    });

    test("oic-auth and matrix-auth are pinned plugins", () => {
      const plugins: string[] = jenkins.controller.installPlugins;
      expect(plugins).toEqual(
        expect.arrayContaining([expect.stringMatching(/^oic-auth:\d+\.\d+\.v[\w]+$/), expect.stringMatching(/^matrix-auth:\d+(\.\d+)+$/)]),
      );
    });
  });

  describe("SonarQube", () => {
    const props = sonarqube.sonarProperties;

    test("SAML against the issuer's realm, with the groups attribute, and sign-in forced", () => {
      expect(props).toMatchObject({
        "sonar.forceAuthentication": "true",
        "sonar.auth.saml.enabled": "true",
        "sonar.auth.saml.applicationId": "scanning",
        "sonar.auth.saml.providerId": ISSUER,
        "sonar.auth.saml.loginUrl": `${ISSUER}/protocol/saml`,
        "sonar.auth.saml.group.name": "groups",
        "sonar.core.serverBaseURL": "https://sonarqube.fawkes.test",
      });
      // The certificate is not known at synth: the job sets it, never a literal.
      expect(props["sonar.auth.saml.certificate.secured"]).toBeUndefined();
    });

    test("a hook job after SonarQube sets the realm's certificate and makes the platform groups, with the admin by reference", () => {
      const rel = release(tf, "sonarqube-saml");
      expect(rel.depends_on).toContain(releaseId(tf, "sonarqube"));
      const [job] = manifests(rel);
      expect(job.metadata.annotations["helm.sh/hook"]).toBe("post-install,post-upgrade");
      const [container] = job.spec.template.spec.containers;
      const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
      expect(env.DESCRIPTOR).toBe(`${ISSUER}/protocol/saml/descriptor`);
      expect(env.GROUPS).toBe("platform-admins:admin developers:provisioning,scan");
      expect(env.ADMIN_PASSWORD).toEqual({ secretKeyRef: { name: "sonarqube-admin", key: "password" } });
      expect(container.command.join(" ")).toContain("sonar.auth.saml.certificate.secured");
      // SonarQube's own image (curl, sed and a shell): no other image to pin.
      expect(container.image).toMatch(/^sonarqube:\d[\w.]*-community$/);
    });
  });

  describe("Mattermost (Team Edition)", () => {
    const env = Object.fromEntries(mattermost.spec.mattermostEnv.map((e: any) => [e.name, e.value]));

    test("no SSO without a license: no open sign-up, invitations only; Team Edition image", () => {
      expect(env.MM_TEAMSETTINGS_ENABLEOPENSERVER).toBe("false");
      expect(env.MM_OPENIDSETTINGS_ENABLE).toBeUndefined();
      expect(mattermost.spec.image).toBe("mattermost/mattermost-team-edition");
      expect(mattermost.spec.licenseSecret).toBeUndefined();
    });
  });
});

describe("Single sign-on: break-glass and licensed Mattermost", () => {
  // One synth for the switches: the UIs that take them, with the fake identity (no SonarQube: it has none).
  const { tf, requests } = synthWithIdentity(
    ["backstage", "dojo", "scanning"],
    [
      new ArgocdComponent({ breakGlass: true }),
      new ObservabilityComponent({ breakGlass: true }),
      new JenkinsComponent({ breakGlass: true }),
      new MattermostComponent({ license: { key: "fawkes/mattermost-license" }, signupDomains: ["example.com"] }),
    ],
  );
  const [mm] = manifests(release(tf, "mattermost"));

  test("break-glass keeps SSO and turns the generated admin's sign-in back on, one switch per UI", () => {
    const argocd = values(release(tf, "argocd"));
    expect(argocd.configs.cm["admin.enabled"]).toBe(true);
    expect(parseYaml(argocd.configs.cm["oidc.config"]).issuer).toBe(ISSUER);
    const ini = values(release(tf, "grafana"))["grafana.ini"];
    expect([ini.auth.disable_login_form, ini["auth.generic_oauth"].enabled, ini["auth.anonymous"].enabled]).toEqual([false, true, false]);
    const realm = parseYaml(values(release(tf, "jenkins")).controller.JCasC.securityRealm).oic;
    expect(realm).toMatchObject({
      escapeHatchEnabled: true,
      escapeHatchUsername: "$${chart-admin-username}",
      escapeHatchSecret: "$${chart-admin-password}",
      escapeHatchGroup: "platform-admins",
    });
  });

  test("with a license: the Enterprise image, the license synced from the secret store, OpenID Connect with the issuer", () => {
    expect(mm.spec.image).toBe("mattermost/mattermost-enterprise-edition");
    expect(mm.spec.licenseSecret).toBe("mattermost-license");
    const [sync] = manifests(release(tf, "mattermost-license-sync"));
    expect(sync.spec.data).toEqual([{ secretKey: "license", remoteRef: { key: "fawkes/mattermost-license" } }]);
    const env = Object.fromEntries(mm.spec.mattermostEnv.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({
      MM_OPENIDSETTINGS_ENABLE: "true",
      MM_OPENIDSETTINGS_ID: "mattermost",
      MM_OPENIDSETTINGS_DISCOVERYENDPOINT: `${ISSUER}/.well-known/openid-configuration`,
      MM_OPENIDSETTINGS_SECRET: { secretKeyRef: { name: "mattermost-oidc", key: "client-secret" } },
      MM_TEAMSETTINGS_ENABLEOPENSERVER: "false",
      MM_TEAMSETTINGS_RESTRICTCREATIONTODOMAINS: "example.com",
    });
    expect(requests.find((r) => r.component === "mattermost")!.redirectUris).toEqual(["https://mattermost.fawkes.test/signup/openid/complete"]);
  });

  test("bad sign-in props fail at construction, naming the prop and the value", () => {
    expect(() => new MattermostComponent({ signupDomains: ["@example.com"] })).toThrow(
      `MattermostProps.signupDomains must be DNS domains (e.g. "example.com"), got "@example.com"`,
    );
    expect(() => new MattermostComponent({ license: { key: "" } })).toThrow(`MattermostProps.license.key must name the license in the secret store, got ""`);
  });
});
