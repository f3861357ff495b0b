import { Release } from "@cdktf/provider-helm/lib/release";
import { TerraformResource } from "cdktf";
import { COMPONENTS, platformComponents } from "../stacks/components";
import { strings, synthComponents, testConfig } from "./support";

/**
 * The contract every registered component must meet, checked for each one on its own (installed with
 * what it needs on a fake context): a new component is covered the moment it is registered. Its
 * resources are what lies under the scope the platform gave it (`Platform/<Id>`), whatever their ids.
 */
const ids = Object.keys(COMPONENTS);
const registered = new Map(platformComponents(testConfig()).map((c) => [c.id, c]));

describe.each(ids)("component %s", (id) => {
  const component = registered.get(id)!;
  const { tf, platform } = synthComponents([id]);
  const scope = platform.scopes.get(id)!;
  const mine = scope.node.findAll().filter((c): c is TerraformResource => c instanceof TerraformResource);
  const synthesized = (r: TerraformResource) => tf.resource[r.terraformResourceType][r.friendlyUniqueId];
  const own = mine.filter((r) => r instanceof Release).map((r) => [r.friendlyUniqueId, synthesized(r)] as [string, any]);
  const ownOfType = (type: string) => mine.filter((r) => r.terraformResourceType === type).map((r) => [r.friendlyUniqueId, synthesized(r)] as [string, any]);

  test("is installed in the scope the platform gave it, and that scope holds its resources", () => {
    expect(scope.node.path).toBe(`test/Platform/${pascal(id)}`);
    // Something to check: the release checks below cannot pass by finding nothing.
    expect(own.length).toBeGreaterThan(0);
    for (const [, body] of own) expect(body).toBeDefined();
  });

  test("its needs and uses are registered components", () => {
    for (const dep of [...component.needs, ...(component.uses ?? [])]) expect(registered.has(dep)).toBe(true);
  });

  test("every release it installs is pinned, from a repository (or this repo's charts), atomic, waits, bounded", () => {
    for (const [, r] of own) {
      expect(r.version).toMatch(/^v?\d+\.\d+\.\d+/);
      expect(r.repository ?? r.chart).toMatch(/^(https:\/\/|oci:\/\/|\.\/assets\/)/);
      expect(r).toMatchObject({ atomic: true, wait: true });
      expect(r.timeout).toBeGreaterThan(0);
    }
  });

  test("its UIs are https://<subdomain>.<domain>, matching its info", () => {
    const endpoints = Object.values(platform.outputs.get(id)?.endpoints ?? {});
    for (const url of endpoints) expect(url).toMatch(/^https:\/\/[a-z0-9-]+\.fawkes\.test(\/.*)?$/);
    if (component.info.subdomain && endpoints.length) expect(endpoints).toContain(`https://${component.info.subdomain}.fawkes.test`);
  });

  test("no literal password or token in what it renders", () => {
    for (const [, r] of own) {
      for (const [s, where] of strings(r.values ?? [])) {
        for (const m of s.matchAll(/^[ \t]*([\w.-]*(password|passwd|token|apikey))[ \t]*:[ \t]*(\S+)[ \t]*$/gim)) {
          expect({ where, key: m[1], value: m[3] }).toEqual({
            where,
            key: m[1],
            value: expect.stringMatching(/^("?\$\$?\{.+\}"?|'?\{\{.+\}\}'?|""|''|null|~|\[\]|\{\}|true|false|[A-Z_]+)$/),
          });
        }
      }
    }
  });

  test("admin secrets it reports are generated, labelled Kubernetes secrets", () => {
    for (const s of platform.outputs.get(id)?.adminSecrets ?? []) {
      const [, secret] = ownOfType("kubernetes_secret_v1").find(([, x]) => x.metadata.name === s.name && x.metadata.namespace === s.namespace) ?? [];
      expect(secret?.metadata.labels["fawkes.dev/admin-secret"]).toBe(id);
      expect(secret?.data[s.key]).toMatch(/^\$\{random_password\.[\w-]+\.result\}$/);
    }
  });
});

function pascal(id: string): string {
  return id
    .split("-")
    .map((p) => p[0].toUpperCase() + p.slice(1))
    .join("");
}

test("the contract covers every registered component", () => {
  expect(ids.sort()).toEqual(
    platformComponents(testConfig())
      .map((c) => c.id)
      .sort(),
  );
});
