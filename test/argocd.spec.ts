import { ArgocdComponent, PLATFORM_PROJECT } from "../constructs/components/argocd";
import { fakeObservability, manifests, release, releaseId, resources, strings, synthComponents, synthWith, values } from "./support";

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

  test("without the identity component: the generated local admin signs in, no OIDC, no RBAC of Fawkes' own", () => {
    expect(v.configs.cm["admin.enabled"]).toBe(true);
    expect(v.configs.cm["oidc.config"]).toBeUndefined();
    expect(v.configs.rbac).toBeUndefined();
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
