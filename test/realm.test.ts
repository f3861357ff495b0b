import { synthesized } from "./synthesized";
import { resources } from "./tf";

/**
 * The realm as the real stacks render it (components registering through the identity service):
 * exactly one client per UI that signs in with SSO, with exact redirect URIs on that UI's host.
 */
const UIS: Record<string, string> = {
  backstage: "backstage",
  argocd: "argocd",
  observability: "grafana",
  jenkins: "jenkins",
  scanning: "sonarqube",
  git: "git",
  dora: "dora",
};

describe.each(["fawkes-aws", "fawkes-azure", "fawkes-gcp", "fawkes-local-all"] as const)("%s realm", (key) => {
  const tf = synthesized(key);
  const [, realmMap] = resources(tf, "kubernetes_config_map_v1").find(([, r]) => r.metadata.name === "keycloak-realm")!;
  const realm = JSON.parse(Object.values<string>(realmMap.data)[0]);
  const domain = tf.output.domain.value;

  test("has exactly one client per UI with SSO (Mattermost Team Edition has none), each with exact redirect URIs on its host", () => {
    expect(realm.clients.map((c: { clientId: string }) => c.clientId).sort()).toEqual(Object.keys(UIS).sort());
    for (const c of realm.clients) {
      expect(c.redirectUris.length).toBeGreaterThan(0);
      for (const uri of c.redirectUris) {
        expect(uri).not.toContain("*");
        expect(new URL(uri).origin).toBe(`https://${UIS[c.clientId]}.${domain}`);
      }
    }
  });

  test("every client's secret is an environment reference, never a value", () => {
    for (const c of realm.clients.filter((x: { protocol: string }) => x.protocol === "openid-connect")) expect(c.secret).toMatch(/^\$\(env:[A-Z0-9_]+\)$/);
  });
});
