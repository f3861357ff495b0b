import { Construct } from "constructs";
import { GitComponent, OAUTH_SOURCE, PLATFORM_OWNER } from "../constructs/components/git";
import type { Component } from "../constructs/platform";
import type { ClientRequest, GitCredentials, GitService, PublishedRepository } from "../constructs/services";
import {
  fakeIdentity,
  fakeObservability,
  manifests,
  publishedRepositories,
  release,
  releaseId,
  resources,
  synthComponents,
  synthWith,
  values,
} from "./support";

const GITHUB = { organization: "acme", app: { key: "fawkes/github-app" } };

/** A component installed after git that asks for everything the golden path asks. */
function consumer(
  got: { service?: GitService; credentials?: GitCredentials; repo?: PublishedRepository },
  files: Record<string, string> = { "a.yaml": "a: ${{ values.name }}\n" },
): Component {
  return {
    id: "consumer",
    needs: ["git"],
    info: { title: "Consumer", description: "asks git for things", docs: "https://example.test", lifecycle: "experimental" },
    install(scope, _ctx, deps) {
      new Construct(scope, "Consumer");
      const git = deps.service("git");
      got.service = git;
      got.credentials = git.credentialsFor(scope, {
        component: "argocd",
        namespace: "argocd",
        access: "read",
        secretLabels: { "argocd.argoproj.io/secret-type": "repo-creds" },
        secretLiterals: { url: git.url, type: "git" },
      });
      git.webhook(scope, { component: "jenkins", url: "http://jenkins.jenkins.svc:8080/gitea-webhook/post", events: ["push", "pull_request"] });
      git.webhook(scope, {
        component: "dora",
        url: "http://relay.dora.svc:8080/gitea",
        events: ["push"],
        signingSecret: { namespace: "dora", name: "relay-gitea", key: "secret" },
      });
      got.repo = git.publishRepository(scope, { name: "platform-templates", description: "Backstage templates", files });
      return { ready: [] };
    },
  };
}

const bootstrapConfig = (tf: any) => {
  const [, cm] = resources(tf, "kubernetes_config_map_v1").find(([, c]) => c.metadata.name === "git-bootstrap")!;
  return { config: JSON.parse(cm.data["config.json"]), data: cm.data as Record<string, string>, cm };
};
const jobOf = (tf: any) => manifests(release(tf, "git-bootstrap")).find((m) => m.kind === "Job");

describe("GitComponent (Gitea)", () => {
  const requests: ClientRequest[] = [];
  const got: Parameters<typeof consumer>[0] = {};
  const tf = synthWith([fakeIdentity(requests), fakeObservability(), new GitComponent({ teams: ["payments", "search"] }), consumer(got)]);
  const gitea = release(tf, "gitea");
  const v = values(gitea);

  test("the official chart, pinned, rootless image pinned, every Bitnami subchart off", () => {
    expect(gitea).toMatchObject({ repository: "https://dl.gitea.com/charts/", chart: "gitea", version: "12.7.0", namespace: "git" });
    expect(v.image).toMatchObject({ tag: "1.25.2", rootless: true });
    for (const sub of ["postgresql-ha", "postgresql", "valkey-cluster", "valkey"]) expect(v[sub]).toEqual({ enabled: false });
    expect(v.test.enabled).toBe(false);
    expect(JSON.stringify(v)).not.toMatch(/bitnami/i);
  });

  test("the database is the platform's PostgreSQL, its password only through environment-to-ini", () => {
    expect(v.gitea.config.database).toMatchObject({ DB_TYPE: "postgres", NAME: "gitea", USER: "gitea", SSL_MODE: "require" });
    expect(v.gitea.config.database.PASSWD).toBeUndefined();
    expect(v.gitea.additionalConfigFromEnvs).toEqual([{ name: "GITEA__DATABASE__PASSWD", valueFrom: { secretKeyRef: { name: "gitea-db", key: "password" } } }]);
    expect(gitea.depends_on.some((d: string) => /gitea-db-sync|DatabaseSecret/.test(d))).toBe(true);
    // Sessions in the database, cache in memory, queues on disk: nothing needs Valkey.
    expect(v.gitea.config).toMatchObject({ session: { PROVIDER: "db" }, cache: { ADAPTER: "memory" }, queue: { TYPE: "level" }, packages: { ENABLED: true } });
  });

  test("the admin is generated, read by the chart from its secret; no password in the values", () => {
    expect(v.gitea.admin.existingSecret).toBe("gitea-admin");
    expect(v.gitea.admin.password).toBeUndefined();
    const [, admin] = resources(tf, "kubernetes_secret_v1").find(([, s]) => s.metadata.name === "gitea-admin")!;
    expect(admin.data.password).toMatch(/^\$\{random_password\./);
    expect(admin.metadata.labels["fawkes.dev/admin-secret"]).toBe("git");
  });

  test("served at https://git.<domain> through the platform ingress", () => {
    expect(v.ingress).toMatchObject({ enabled: true, hosts: [{ host: "git.fawkes.test" }], tls: [{ secretName: "git-tls", hosts: ["git.fawkes.test"] }] });
    expect(v.ingress.annotations["cert-manager.io/cluster-issuer"]).toBeDefined();
    expect(v.gitea.config.server).toMatchObject({ ROOT_URL: "https://git.fawkes.test/", DOMAIN: "git.fawkes.test" });
  });

  test("SSO: one OIDC client; platform-admins are site admins, team groups own their organisations, no local sign-in", () => {
    const client = requests.find((r) => r.component === "git")!;
    expect(client.redirectUris).toEqual([`https://git.fawkes.test/user/oauth2/${OAUTH_SOURCE}/callback`]);
    expect(client.roles).toMatchObject({ "platform-admins": "platform-admins", payments: "payments", search: "search" });
    const [oauth] = v.gitea.oauth;
    expect(oauth).toMatchObject({
      name: OAUTH_SOURCE,
      provider: "openidConnect",
      key: "git",
      autoDiscoverUrl: "https://sso.fawkes.test/realms/fawkes/.well-known/openid-configuration",
      groupClaimName: "groups",
      adminGroup: "platform-admins",
    });
    expect(JSON.parse(oauth.groupTeamMap)).toEqual({ payments: { payments: ["Owners"] }, search: { search: ["Owners"] } });
    // The client secret is expanded by the init script from the registered secret, never in the values.
    expect(oauth.secret).toBe("$${FAWKES_OIDC_CLIENT_SECRET}");
    expect(v.deployment.env).toContainEqual({
      name: "FAWKES_OIDC_CLIENT_SECRET",
      valueFrom: { secretKeyRef: { name: "git-sso-client", key: "client-secret" } },
    });
    expect(v.gitea.config.service).toMatchObject({ ENABLE_PASSWORD_SIGNIN_FORM: false, ALLOW_ONLY_EXTERNAL_REGISTRATION: true });
    expect(v.gitea.config.oauth2_client).toMatchObject({ ENABLE_AUTO_REGISTRATION: true, USERNAME: "preferred_username" });
  });

  test("metrics and the chart's ServiceMonitor with observability, scraped with a generated token", () => {
    expect(v.gitea.metrics).toMatchObject({ enabled: true, serviceMonitor: { enabled: true } });
    expect(v.gitea.metrics.token).toMatch(/^\$\{random_password\./);
  });

  test("the service: URLs, platform owner, one organisation per team", () => {
    const git = got.service!;
    expect(git).toMatchObject({ provider: "gitea", url: "https://git.fawkes.test", apiUrl: "https://git.fawkes.test/api/v1", platformOwner: PLATFORM_OWNER });
    expect(git.inClusterUrl).toBe("http://gitea-http.git.svc.cluster.local:3000");
    expect(git.ownerOf("payments")).toBe("payments");
    expect(() => git.ownerOf("nobody")).toThrow('GitService.ownerOf(team) must name a configured team (payments, search), got "nobody"');
    expect(got.repo!.url).toBe("https://git.fawkes.test/platform/platform-templates");
    expect(got.repo!.fileUrl("catalog-info.yaml")).toBe("https://git.fawkes.test/platform/platform-templates/src/branch/main/catalog-info.yaml");
  });

  test("requests of components installed later reach the bootstrap Job's config (lazy)", () => {
    const { config, data, cm } = bootstrapConfig(tf);
    expect(config).toMatchObject({ provider: "gitea", platformOwner: "platform", owners: ["payments", "search"] });
    expect(config.credentials).toEqual([
      {
        component: "argocd",
        namespace: "argocd",
        name: "argocd-git-credentials",
        access: "read",
        labels: { "app.kubernetes.io/part-of": "fawkes", "argocd.argoproj.io/secret-type": "repo-creds" },
        literals: { url: "https://git.fawkes.test", type: "git" },
      },
    ]);
    expect(config.webhooks).toEqual([
      { component: "jenkins", url: "http://jenkins.jenkins.svc:8080/gitea-webhook/post", events: ["push", "pull_request"] },
      {
        component: "dora",
        url: "http://relay.dora.svc:8080/gitea",
        events: ["push"],
        signingSecret: { namespace: "dora", name: "relay-gitea", key: "secret" },
      },
    ]);
    // The Job may read the signing secret, and only that one, to set it on the hook.
    const [, role] = resources(tf, "kubernetes_role_v1").find(([, r]) => r.metadata.namespace === "dora")!;
    expect(role.rule).toEqual([{ api_groups: [""], resources: ["secrets"], resource_names: ["relay-gitea"], verbs: ["get"] }]);
    expect(config.repositories).toEqual([{ name: "platform-templates", file: "repo-platform-templates.json.gz", substitutions: {} }]);
    // Escaped for Terraform: the template's ${{ }} reaches the repository as written.
    // Gzip in the binary data (never escaped: Terraform does not template binary data), as written.
    expect(publishedRepositories(cm)["platform-templates"]!.files).toEqual({ "a.yaml": "a: ${{ values.name }}\n" });
    expect(data["repo-platform-templates.json"]).toBeUndefined();
    expect(data["main.js"]).toContain("bootstrapGitea");
  });

  test("the credential: a Terraform-owned secret the Job fills, and a Role on exactly that secret", () => {
    expect(got.credentials).toMatchObject({ kind: "token", secret: { namespace: "argocd", name: "argocd-git-credentials", key: "password" } });
    const [secretId, secret] = resources(tf, "kubernetes_secret_v1").find(([, s]) => s.metadata.name === "argocd-git-credentials")!;
    expect(secret.metadata.labels["argocd.argoproj.io/secret-type"]).toBe("repo-creds");
    expect(secret.data).toEqual({ url: "https://git.fawkes.test", type: "git" });
    expect(secret.lifecycle.ignore_changes).toContain("data");
    const [, role] = resources(tf, "kubernetes_role_v1").find(([, r]) => r.metadata.namespace === "argocd")!;
    expect(role.rule).toEqual([{ api_groups: [""], resources: ["secrets"], resource_names: ["argocd-git-credentials"], verbs: ["get", "patch"] }]);
    const [, binding] = resources(tf, "kubernetes_role_binding_v1").find(([, r]) => r.metadata.namespace === "argocd")!;
    expect(binding.subject).toEqual([{ kind: "ServiceAccount", name: "git-bootstrap", namespace: "git" }]);
    // The Job waits for the secret and its Role, created after it was declared.
    expect(release(tf, "git-bootstrap").depends_on).toContain(`kubernetes_secret_v1.${secretId}`);
    expect(release(tf, "git-bootstrap").depends_on).toContain(releaseId(tf, "gitea"));
  });

  test("the Job: pinned node image, restricted, admin from its secret, named after its config", () => {
    const job = jobOf(tf);
    const c = job.spec.template.spec.containers[0];
    expect(c.image).toBe("docker.io/library/node:24.19.0-alpine3.24");
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    expect(job.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    expect(c.env).toContainEqual({ name: "GITEA_ADMIN_PASSWORD", valueFrom: { secretKeyRef: { name: "gitea-admin", key: "password" } } });
    expect(c.env).toContainEqual({ name: "GIT_API_URL", value: "http://gitea-http.git.svc.cluster.local:3000/api/v1" });
    // A changed config is a new Job (a Job's pod template is immutable); the same config, the same name.
    const other = synthWith([
      fakeIdentity(),
      fakeObservability(),
      new GitComponent({ teams: ["payments", "search"] }),
      consumer({}, { "a.yaml": "changed\n" }),
    ]);
    const same = synthWith([fakeIdentity(), fakeObservability(), new GitComponent({ teams: ["payments", "search"] }), consumer({})]);
    expect(job.metadata.name).toMatch(/^git-bootstrap-[0-9a-f]{10}$/);
    expect(jobOf(other).metadata.name).not.toBe(job.metadata.name);
    expect(jobOf(same).metadata.name).toBe(job.metadata.name);
  });

  test("an hourly CronJob runs the same pod: revoked tokens are minted again without a new apply", () => {
    const cron = manifests(release(tf, "git-bootstrap")).find((m) => m.kind === "CronJob");
    expect(cron.spec).toMatchObject({ schedule: "23 * * * *", concurrencyPolicy: "Forbid" });
    expect(cron.spec.jobTemplate.spec.template).toEqual(jobOf(tf).spec.template);
  });

  test("outputs: the git endpoint and the admin secret", () => {
    const { platform } = synthComponents(["git"]);
    const out = platform.outputs.get("git")!;
    expect(out.endpoints).toEqual({ git: "https://git.fawkes.test" });
    expect(out.adminSecrets).toEqual([expect.objectContaining({ namespace: "git", name: "gitea-admin", key: "password" })]);
    expect(out.requests!.cpu).toBeGreaterThan(0);
  });

  test("without identity or observability: local sign-in by admin-made users only, no OAuth source, no metrics", () => {
    const plain = values(release(synthWith([new GitComponent()]), "gitea"));
    expect(plain.gitea.oauth).toEqual([]);
    expect(plain.gitea.config.service).toMatchObject({ DISABLE_REGISTRATION: true });
    expect(plain.gitea.metrics.enabled).toBe(false);
  });

  test("bad requests fail synth naming the field", () => {
    expect(() => new GitComponent({ teams: ["platform"] })).toThrow('GitProps.teams must not contain "platform"');
    const twice: Component = {
      ...consumer({}),
      install(scope, ctx, deps) {
        consumer({}).install(scope, ctx, deps);
        deps.service("git").publishRepository(scope, { name: "platform-templates", description: "again", files: {} });
        return { ready: [] };
      },
    };
    expect(() => synthWith([new GitComponent(), twice])).toThrow('PublishRequest.name must be published once, got "platform-templates" twice');
    expect(() => synthWith([new GitComponent(), consumer({}, { "big.bin": "x".repeat(1024 * 1024) })])).toThrow(
      /^PublishRequest.files must fit the bootstrap ConfigMap \(921600 bytes for every repository\), got \d+ bytes with "platform-templates"$/,
    );
  });
});

describe("GitComponent (GitHub)", () => {
  const got: Parameters<typeof consumer>[0] = {};
  const tf = synthWith([new GitComponent({ provider: "github", github: GITHUB, teams: ["payments"] }), consumer(got)]);

  test("no Gitea: the organisation on github.com is the owner of everything", () => {
    expect(resources(tf, "helm_release").map(([, r]) => r.chart)).not.toContain("gitea");
    expect(got.service).toMatchObject({ provider: "github", url: "https://github.com", apiUrl: "https://api.github.com", platformOwner: "acme" });
    expect(got.service!.ownerOf("payments")).toBe("acme");
    expect(got.repo!.url).toBe("https://github.com/acme/platform-templates");
    expect(got.repo!.fileUrl("catalog-info.yaml")).toBe("https://github.com/acme/platform-templates/blob/main/catalog-info.yaml");
  });

  test("credentials are the App's, synced from the secret store with the consumer's labels and literals", () => {
    expect(got.credentials).toMatchObject({ kind: "githubApp", secret: { namespace: "argocd", name: "argocd-git-credentials", key: "privateKey" } });
    const [es] = manifests(release(tf, "argocd-git-credentials-sync"));
    expect(es).toMatchObject({ kind: "ExternalSecret", metadata: { namespace: "argocd" } });
    expect(es.spec.data.map((d: any) => [d.secretKey, d.remoteRef])).toEqual([
      ["appId", { key: "fawkes/github-app", property: "appId" }],
      ["installationId", { key: "fawkes/github-app", property: "installationId" }],
      ["privateKey", { key: "fawkes/github-app", property: "privateKey" }],
      // Backstage's GitHub integration refuses an App without these.
      ["clientId", { key: "fawkes/github-app", property: "clientId" }],
      ["clientSecret", { key: "fawkes/github-app", property: "clientSecret" }],
      ["webhookSecret", { key: "fawkes/github-app", property: "webhookSecret" }],
    ]);
    expect(es.spec.target.template.metadata.labels["argocd.argoproj.io/secret-type"]).toBe("repo-creds");
    expect(es.spec.target.template.data).toMatchObject({ url: "https://github.com", type: "git" });
  });

  test("the same Job publishes through GitHub's API as the App; webhooks are listed in an output", () => {
    const { config } = bootstrapConfig(tf);
    expect(config).toMatchObject({ provider: "github", platformOwner: "acme", owners: [], credentials: [] });
    const c = jobOf(tf).spec.template.spec.containers[0];
    expect(c.env).toContainEqual({ name: "GIT_API_URL", value: "https://api.github.com" });
    expect(c.env.map((e: any) => e.name)).toEqual(expect.arrayContaining(["GITHUB_APP_ID", "GITHUB_INSTALLATION_ID", "GITHUB_APP_PRIVATE_KEY"]));
    const outputs = Object.values(tf.output ?? {}) as any[];
    expect(outputs.map((o) => o.value)).toContainEqual([
      "jenkins: http://jenkins.jenkins.svc:8080/gitea-webhook/post (push, pull_request)",
      "dora: http://relay.dora.svc:8080/gitea (push)",
    ]);
  });
});
