import { ArgocdComponent, GITHUB_APP_SECRET, PLATFORM_PROJECT } from "../constructs/components/argocd";
import { fakeGit } from "./fake-git";
import { fakeIdentity, fakeObservability, manifests, release, releaseId, resources, strings, synthComponents, synthWith, values } from "./support";
import { validateManifest } from "./support-manifests";

const PARTS = ["controller", "server", "repoServer", "applicationSet", "notifications", "redis"];

describe("Argo CD", () => {
  const { tf, platform } = synthComponents(["argocd", "backstage"]);
  const rel = release(tf, "argocd");
  const v = values(rel);

  test("the admin password reaches Argo CD only as a reference to its bcrypt hash", () => {
    const hashRef = v.configs.secret.argocdServerAdminPassword;
    const [, name] = /^\$\{random_password\.([\w-]+)\.bcrypt_hash\}$/.exec(hashRef)!;
    expect(resources(tf, "random_password").map(([id]) => id)).toContain(name);
    // The plain password only in the labelled secret the operator reads; no literal hash or password anywhere.
    const [, secret] = resources(tf, "kubernetes_secret_v1").find(([, s]) => s.metadata.name === "argocd-admin")!;
    expect(secret.data).toEqual({ username: "admin", password: `\${random_password.${name}.result}` });
    expect(secret.metadata.labels["fawkes.dev/admin-secret"]).toBe("argocd");
    const uses = [...strings(tf)].filter(([s]) => s.includes(`random_password.${name}.result`)).map(([, where]) => where);
    expect(uses).toEqual([expect.stringMatching(/^resource\.kubernetes_secret_v1\./)]);
    expect([...strings(tf)].filter(([s]) => /\$2[aby]\$\d\d\$/.test(s))).toEqual([]);
    expect(platform.outputs.get("argocd")!.adminSecrets).toEqual([expect.objectContaining({ namespace: "argocd", name: "argocd-admin", key: "password" })]);
  });

  test("without the identity component: the generated local admin signs in, no OIDC, no RBAC of Fawkes' own but the portal's", () => {
    expect(v.configs.cm["admin.enabled"]).toBe(true);
    expect(v.configs.cm["oidc.config"]).toBeUndefined();
    expect(v.configs.rbac).toEqual({ "policy.csv": expect.stringMatching(/^p, role:portal, /) });
    expect(values(release(synthComponents(["argocd"]).tf, "argocd")).configs.rbac).toBeUndefined();
    expect(() => release(tf, "argocd-sso")).toThrow();
  });

  test("the AppProject platform is released after Argo CD, limited to this cluster and the platform namespaces", () => {
    const projects = release(tf, "argocd-projects");
    expect(projects.depends_on).toContain(releaseId(tf, "argocd"));
    const [project] = manifests(projects);
    expect(project).toMatchObject({ apiVersion: "argoproj.io/v1alpha1", kind: "AppProject", metadata: { name: PLATFORM_PROJECT, namespace: "argocd" } });
    expect(project.spec.destinations.map((d: any) => d.namespace)).toEqual(platform.installed.map((c) => c.id).filter((id) => id !== "argocd"));
    expect(new Set(project.spec.destinations.map((d: any) => d.server))).toEqual(new Set(["https://kubernetes.default.svc"]));
    expect(project.spec.clusterResourceWhitelist).toEqual([]);
    expect(platform.outputs.get("argocd")!.ready).toHaveLength(2);
  });

  test("project namespaces and source repositories can be chosen", () => {
    const tf2 = synthWith([new ArgocdComponent({ projectNamespaces: ["team-a", "team-b"], sourceRepos: ["https://github.com/acme/*"] })]);
    const [project] = manifests(release(tf2, "argocd-projects"));
    expect(project.spec.destinations).toEqual([
      { server: "https://kubernetes.default.svc", namespace: "team-a" },
      { server: "https://kubernetes.default.svc", namespace: "team-b" },
    ]);
    expect(project.spec.sourceRepos).toEqual(["https://github.com/acme/*"]);
  });

  test("the notifications controller is on, dex is off, metrics are on for every part", () => {
    expect(v.notifications.enabled).toBe(true);
    expect(v.dex.enabled).toBe(false);
    for (const part of PARTS) expect([part, v[part].metrics.enabled]).toEqual([part, true]);
    expect(v.redis.exporter.enabled).toBe(true);
  });

  test("ServiceMonitors for every part only when observability is installed", () => {
    for (const part of PARTS) expect([part, v[part].metrics.serviceMonitor.enabled]).toEqual([part, false]);
    const withObs = values(release(synthWith([fakeObservability(), new ArgocdComponent()]), "argocd"));
    for (const part of PARTS) expect([part, withObs[part].metrics.serviceMonitor.enabled]).toEqual([part, true]);
  });

  test("Applications may live in the Dojo's Green+ slot namespaces only while the Dojo is enabled", () => {
    expect(v.controller.extraArgs).toEqual(["--application-namespaces=dojo-green-*,dojo-brown-*,dojo-black-*"]);
    const noDojo = values(release(synthComponents(["argocd"], { config: { components: { dojo: false } } }).tf, "argocd"));
    expect(noDojo.controller.extraArgs).toEqual([]);
    expect(noDojo.server.extraArgs).toEqual(["--insecure"]);
  });

  test("served at https://argocd.<domain> through the platform ingress, TLS ending at Traefik", () => {
    expect(v.global.domain).toBe("argocd.fawkes.test");
    expect(v.server.extraArgs).toEqual(["--insecure", "--application-namespaces=dojo-green-*,dojo-brown-*,dojo-black-*"]);
    expect(v.server.ingress).toEqual({ enabled: false });
    const [, ing] = resources(tf, "kubernetes_ingress_v1").find(([, i]) => i.metadata.namespace === "argocd")!;
    expect(ing.spec.ingress_class_name).toBe("traefik");
    expect(ing.spec.tls).toEqual([{ hosts: ["argocd.fawkes.test"], secret_name: "argocd-tls" }]);
    expect(ing.spec.rule[0]).toMatchObject({ host: "argocd.fawkes.test" });
    expect(ing.spec.rule[0].http.path[0].backend.service).toEqual({ name: "argocd-server", port: { name: "http" } });
    expect(ing.metadata.annotations["cert-manager.io/cluster-issuer"]).toBeDefined();
    expect(ing.metadata.annotations["traefik.ingress.kubernetes.io/router.entrypoints"]).toBe("websecure");
    expect(platform.outputs.get("argocd")!.endpoints).toEqual({ argocd: "https://argocd.fawkes.test" });
  });

  test("every pod goes to the workloads pool (the chart's node affinity preset)", () => {
    expect(v.global.affinity.nodeAffinity).toEqual({ type: "hard", matchExpressions: [{ key: "fawkes.dev/pool", operator: "In", values: ["workloads"] }] });
    for (const part of PARTS) expect(v[part].affinity).toBeUndefined();
  });

  test("the release is pinned, atomic, waits, and is bounded in time", () => {
    expect(rel).toMatchObject({ chart: "argo-cd", version: "10.1.1", repository: "https://argoproj.github.io/argo-helm", atomic: true, wait: true });
    expect(rel.timeout).toBeGreaterThan(0);
  });

  test("requests on the workloads pool follow the profile's values", () => {
    expect(platform.outputs.get("argocd")!.requests).toEqual({ cpu: 0.51, memoryGiB: 1.094 });
    const standard = synthComponents(["argocd"], { profile: "standard" });
    expect(values(release(standard.tf, "argocd")).server.replicas).toBe(2);
    expect(standard.platform.outputs.get("argocd")!.requests).toEqual({ cpu: 1.46, memoryGiB: 3.031 });
  });

  test("bad project namespaces fail at construction, naming the prop and the value", () => {
    expect(() => new ArgocdComponent({ projectNamespaces: ["argocd"] })).toThrow(
      `ArgocdProps.projectNamespaces must not include Argo CD's own namespace, got "argocd"`,
    );
    expect(() => new ArgocdComponent({ projectNamespaces: ["Team_A"] })).toThrow(
      `ArgocdProps.projectNamespaces must be namespace names (DNS labels), got "Team_A"`,
    );
    expect(() => new ArgocdComponent({ sourceRepos: [] })).toThrow("ArgocdProps.sourceRepos must list at least one repository");
  });
});

describe("Argo CD and the portal (Backstage)", () => {
  const { tf } = synthComponents(["argocd", "backstage"]);
  const v = values(release(tf, "argocd"));
  const backstage = values({ values: release(tf, "backstage").values.map((x: string) => x.replace(/\$\$\{/g, "${")) });

  test("the portal signs in to Argo CD as its own local account: login only, a bcrypt hash of the portal's generated password", () => {
    expect(v.configs.cm["accounts.backstage"]).toBe("login");
    const hash = v.configs.secret.extra["accounts.backstage.password"];
    const [, name] = /^\$\{random_password\.([\w-]+)\.bcrypt_hash\}$/.exec(hash)!;
    expect(name).toMatch(/^Platform_Backstage_AppSecret_Password-argocd-password/);
    const env = backstage.upstream.backstage.extraEnvVars;
    expect(env).toContainEqual({ name: "ARGOCD_USERNAME", value: "backstage" });
    expect(env).toContainEqual({ name: "ARGOCD_PASSWORD", valueFrom: { secretKeyRef: { name: "backstage-secrets", key: "argocd-password" } } });
  });

  test("the portal's account only reads: get on applications, projects and clusters", () => {
    const lines = String(v.configs.rbac["policy.csv"])
      .split("\n")
      .filter((l) => l.includes("role:portal"));
    expect(lines).toEqual([
      "p, role:portal, applications, get, */*, allow",
      "p, role:portal, projects, get, *, allow",
      "p, role:portal, clusters, get, *, allow",
      "g, backstage, role:portal",
    ]);
  });
});

describe("Argo CD team environments (the golden path)", () => {
  const TEAMS = ["payments", "pay", "pay-ops"];
  const git = fakeGit();
  const identity = fakeIdentity();
  const tf = synthWith([identity, git, new ArgocdComponent({ teams: TEAMS })]);
  const rel = release(tf, "argocd-teams");
  const all = manifests(rel);
  const projects = all.filter((m: any) => m.kind === "AppProject");
  const appsets = all.filter((m: any) => m.kind === "ApplicationSet");
  const project = (team: string) => projects.find((p: any) => p.metadata.name === `team-${team}`);
  const appset = (team: string) => appsets.find((p: any) => p.metadata.name === `team-${team}`);

  test("one AppProject and one ApplicationSet per team, released after Argo CD (its CRDs), projects first", () => {
    expect(projects.map((p: any) => p.metadata.name)).toEqual(TEAMS.map((t) => `team-${t}`));
    expect(appsets.map((p: any) => p.metadata.name)).toEqual(TEAMS.map((t) => `team-${t}`));
    expect(all.slice(0, TEAMS.length).every((m: any) => m.kind === "AppProject")).toBe(true);
    expect(rel.depends_on).toContain(releaseId(tf, "argocd"));
    for (const m of all) expect(m.metadata.namespace).toBe("argocd");
  });

  test("a team's project: its organisation's repositories, its namespaces on this cluster, only Namespace cluster-wide, no Secrets", () => {
    const p = project("payments").spec;
    expect(p.sourceRepos).toEqual(["https://git.fawkes.test/payments/*"]);
    expect(p.destinations).toEqual([{ server: "https://kubernetes.default.svc", namespace: "payments-*" }]);
    expect(p.clusterResourceWhitelist).toEqual([{ group: "", kind: "Namespace" }]);
    const kinds = p.namespaceResourceWhitelist.map((k: any) => `${k.group}/${k.kind}`);
    expect(kinds).toEqual(expect.arrayContaining(["apps/Deployment", "/Service", "networking.k8s.io/Ingress", "/ConfigMap", "policy/PodDisruptionBudget"]));
    expect(kinds).toEqual(
      expect.arrayContaining(["autoscaling/HorizontalPodAutoscaler", "monitoring.coreos.com/ServiceMonitor", "networking.k8s.io/NetworkPolicy"]),
    );
    expect(kinds.filter((k: string) => /\*|Secret|Role|ServiceAccount/.test(k))).toEqual([]);
  });

  test("a team whose name extends another's keeps its namespaces out of the shorter team's glob", () => {
    expect(project("pay").spec.destinations).toEqual([
      { server: "https://kubernetes.default.svc", namespace: "pay-*" },
      { server: "https://kubernetes.default.svc", namespace: "!pay-ops-*" },
    ]);
    expect(project("pay-ops").spec.destinations).toEqual([{ server: "https://kubernetes.default.svc", namespace: "pay-ops-*" }]);
  });

  test("the ApplicationSet: the team's Gitea repositories with deploy/staging × staging, production, into <team>-<repo>-<env>", () => {
    const spec = appset("payments").spec;
    expect(spec.goTemplate).toBe(true);
    const [scm, list] = spec.generators[0].matrix.generators;
    expect(scm.scmProvider.gitea).toEqual({
      owner: "payments",
      api: "http://gitea-http.git.svc:3000",
      tokenRef: { secretName: "git-argocd", key: "password" },
    });
    expect(scm.scmProvider.filters).toEqual([{ pathsExist: ["deploy/staging/kustomization.yaml"] }]);
    expect(scm.scmProvider.requeueAfterSeconds).toBe(60);
    expect(list.list.elements).toEqual([{ env: "staging" }, { env: "production" }]);
    const t = spec.template;
    expect(t.metadata.name).toBe("{{.repository}}-{{.env}}");
    expect(t.metadata.labels).toMatchObject({ "app.kubernetes.io/name": "{{.repository}}", "fawkes.dev/environment": "{{.env}}" });
    expect(t.spec.project).toBe("team-payments");
    expect(t.spec.source).toEqual({ repoURL: "{{.url}}", targetRevision: "{{.branch}}", path: "deploy/{{.env}}" });
    expect(t.spec.destination).toEqual({ server: "https://kubernetes.default.svc", namespace: "payments-{{.repository}}-{{.env}}" });
    expect(t.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    expect(t.spec.syncPolicy.syncOptions).toContain("CreateNamespace=true");
    expect(t.spec.syncPolicy.managedNamespaceMetadata.labels).toMatchObject({
      "pod-security.kubernetes.io/enforce": "restricted",
      "fawkes.dev/team": "payments",
    });
  });

  test("the objects are valid against the pinned Argo CD schemas (no unknown fields)", () => {
    expect(all.flatMap((m: any) => validateManifest(m).map((p) => `${m.kind}/${m.metadata.name}: ${p}`))).toEqual([]);
  });

  test("Argo CD's read credential is a repo-creds secret for every repository of the server; a push webhook calls Argo CD", () => {
    expect(git.requests.credentials).toEqual([
      expect.objectContaining({
        component: "argocd",
        namespace: "argocd",
        access: "read",
        secretLabels: { "argocd.argoproj.io/secret-type": "repo-creds" },
        secretLiterals: { url: "https://git.fawkes.test/", type: "git" },
      }),
    ]);
    expect(git.requests.webhooks).toEqual([
      expect.objectContaining({ component: "argocd", url: "http://argocd-server.argocd.svc/api/webhook", events: ["push"] }),
    ]);
  });

  test("each team's group signs in with its group claimed, and may get and sync only its project's applications", () => {
    const req = identity.requests.find((r) => r.component === "argocd")!;
    expect(req.roles).toMatchObject({ payments: "payments", pay: "pay", "pay-ops": "pay-ops", developers: "developers" });
    const policy: string = values(release(tf, "argocd")).configs.rbac["policy.csv"];
    expect(policy).toContain("g, payments, role:team-payments");
    expect(policy).toContain("p, role:team-payments, applications, sync, team-payments/*, allow");
    expect(policy).toContain("p, role:team-payments, applications, get, team-payments/*, allow");
    expect(
      policy
        .split("\n")
        .filter((l) => l.startsWith("p, role:team-payments,"))
        .every((l) => l.includes("team-payments")),
    ).toBe(true);
  });

  test("without teams or without the git service there are no team environments", () => {
    expect(() => release(synthWith([fakeGit(), new ArgocdComponent()]), "argocd-teams")).toThrow();
    expect(() => release(synthWith([new ArgocdComponent({ teams: ["payments"] })]), "argocd-teams")).toThrow();
  });

  test("GitHub: the organisation listed as the App (its credential copied to Argo CD's key names as repo-creds), no webhook", () => {
    const gh = fakeGit("github");
    const tf2 = synthWith([gh, new ArgocdComponent({ teams: ["payments"] })]);
    const spec = manifests(release(tf2, "argocd-teams")).find((m: any) => m.kind === "ApplicationSet").spec;
    expect(spec.generators[0].matrix.generators[0].scmProvider.github).toEqual({ organization: "acme", appSecretName: GITHUB_APP_SECRET });
    // The organisation is shared: a team's services are the repositories with its topic.
    expect(spec.generators[0].matrix.generators[0].scmProvider.filters).toEqual([
      { pathsExist: ["deploy/staging/kustomization.yaml"], labelMatch: "^team-payments$" },
    ]);
    expect(gh.requests.credentials).toEqual([expect.objectContaining({ component: "argocd", namespace: "argocd", access: "read" })]);
    const copy = manifests(release(tf2, GITHUB_APP_SECRET)).find((m: any) => m.kind === "ExternalSecret");
    expect(copy.spec.target.template.metadata.labels).toEqual({ "argocd.argoproj.io/secret-type": "repo-creds" });
    expect(copy.spec.data).toEqual([
      { secretKey: "githubAppID", remoteRef: { key: "git-argocd", property: "appId" } },
      { secretKey: "githubAppInstallationID", remoteRef: { key: "git-argocd", property: "installationId" } },
      { secretKey: "githubAppPrivateKey", remoteRef: { key: "git-argocd", property: "privateKey" } },
    ]);
    expect(copy.spec.target.template.data).toMatchObject({ url: "https://github.com/acme", type: "git", githubAppID: "{{ .githubAppID }}" });
    expect(gh.requests.webhooks).toEqual([]);
  });

  test("bad team names fail at construction", () => {
    expect(() => new ArgocdComponent({ teams: ["Payments"] })).toThrow(`ArgocdProps.teams must be DNS labels of at most 40 characters, got "Payments"`);
  });
});

describe("Argo CD team environments with the platform's git service (Gitea) and identity", () => {
  const { tf } = synthComponents(["argocd", "git", "identity"], { config: { teams: [{ name: "payments" }, { name: "shipping" }] } });
  const all = manifests(release(tf, "argocd-teams"));

  test("one project and one ApplicationSet per configured team, valid, the token read from the git service's secret", () => {
    expect(all.map((m: any) => `${m.kind}/${m.metadata.name}`)).toEqual([
      "AppProject/team-payments",
      "AppProject/team-shipping",
      "ApplicationSet/team-payments",
      "ApplicationSet/team-shipping",
    ]);
    expect(all.flatMap((m: any) => validateManifest(m).map((p) => `${m.kind}/${m.metadata.name}: ${p}`))).toEqual([]);
    const gitea = all.find((m: any) => m.kind === "ApplicationSet").spec.generators[0].matrix.generators[0].scmProvider.gitea;
    expect(gitea.owner).toBe("payments");
    expect(gitea.tokenRef.key).toBe("password");
    // The secret it names is the git service's, in argocd, with Argo CD's repo-creds label and URL prefix.
    const [secret] = resources(tf, "kubernetes_secret_v1").filter(
      ([, r]) => r.metadata.name === gitea.tokenRef.secretName && r.metadata.namespace === "argocd",
    );
    expect(secret![1].metadata.labels["argocd.argoproj.io/secret-type"]).toBe("repo-creds");
    expect(secret![1].data).toMatchObject({ url: "https://git.fawkes.test/", type: "git" });
  });

  test("the teams' groups reach Argo CD's RBAC", () => {
    const policy: string = values(release(tf, "argocd")).configs.rbac["policy.csv"];
    expect(policy).toContain("g, payments, role:team-payments");
    expect(policy).toContain("g, shipping, role:team-shipping");
  });
});
