import { TlsComponent } from "../constructs/components/tls";
import { manifests, release, resources, synthComponents, values } from "./support";

describe("front door components", () => {
  const { tf, ctx } = synthComponents(["ingress", "tls", "dns", "secrets"], { config: { letsEncrypt: { email: "ops@acme.io", issuer: "production" } } });

  test("Traefik is the ingress class, behind the cloud load balancer, on the system pool", () => {
    const v = values(release(tf, "traefik"));
    expect(v.ingressClass).toMatchObject({ enabled: true, name: "traefik" });
    expect(v.service.annotations).toEqual(ctx.loadBalancer.serviceAnnotations);
    expect(v.nodeSelector).toEqual({ "fawkes.dev/pool": "system" });
    expect(v.ports.web.http.redirections.entryPoint).toMatchObject({ to: "websecure", scheme: "https" });
  });

  test("ClusterIssuers for staging and production, in a release that waits for cert-manager", () => {
    const certManager = release(tf, "cert-manager");
    expect(values(certManager).crds.enabled).toBe(true);
    const issuers = release(tf, "cluster-issuers");
    const objs = manifests(issuers);
    expect(objs.map((o) => o.metadata.name)).toEqual(["letsencrypt-staging", "letsencrypt-production"]);
    expect(objs[1].spec.acme).toMatchObject({ email: "ops@acme.io", server: "https://acme-v02.api.letsencrypt.org/directory" });
    expect(objs[0].spec.acme.solvers[0].http01.ingress.ingressClassName).toBe("traefik");
    const [cmId] = resources(tf, "helm_release").find(([, r]) => r.name === "cert-manager")!;
    expect(issuers.depends_on).toContain(`helm_release.${cmId}`);
  });

  test("external-dns writes the platform domain with workload identity, owning only its records", () => {
    const v = values(release(tf, "external-dns"));
    expect(v).toMatchObject({ provider: { name: "fake" }, domainFilters: ["fawkes.test"], txtOwnerId: "test", policy: "sync" });
    expect(v.serviceAccount.annotations).toEqual({ "fake.cloud/identity": "dns/external-dns" });
    expect(ctx.identities.find((i) => i.sa.name === "external-dns")!.grants).toEqual([{ dns: "write" }]);
  });

  test("external-secrets gets a ClusterSecretStore over the foundation's store, after its CRDs", () => {
    const store = release(tf, "cluster-secret-store");
    expect(manifests(store)[0]).toMatchObject({ kind: "ClusterSecretStore", metadata: { name: "fawkes" }, spec: { provider: ctx.secretStore.provider } });
    const [esoId] = resources(tf, "helm_release").find(([, r]) => r.name === "external-secrets")!;
    expect(store.depends_on).toContain(`helm_release.${esoId}`);
    expect(ctx.identities.find((i) => i.sa.name === "external-secrets")!.grants).toEqual([{ secrets: "read" }]);
  });

  test("every namespace enforces a Pod Security level", () => {
    for (const [, ns] of resources(tf, "kubernetes_namespace_v1"))
      expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toMatch(/restricted|baseline/);
  });

  test("a self-signed foundation gets a local CA issuer instead of Let's Encrypt", () => {
    const local = synthComponents(["tls"], { context: (c) => (c.certificates = { kind: "selfSigned" }) });
    const objs = manifests(release(local.tf, "cluster-issuers"));
    // The CA itself is Terraform's (tls provider): test/local.spec.ts.
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(["ClusterIssuer/fawkes-ca"]);
    expect(local.platform.outputs.get("tls")!.services!.clusterIssuer).toBe("fawkes-ca");
  });

  test("a bad e-mail fails at construction, naming the prop and the value", () => {
    expect(() => new TlsComponent({ email: "not-an-email" })).toThrow('TlsProps.email must be an e-mail address, got "not-an-email"');
  });
});
