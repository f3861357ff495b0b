import { Release } from "@cdktf/provider-helm/lib/release";
import { TerraformResource } from "cdktf";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
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
    for (const [, r] of own) expect(literalSecrets(r.values ?? [])).toEqual([]);
  });

  test("admin secrets it reports are generated, labelled Kubernetes secrets", () => {
    for (const s of platform.outputs.get(id)?.adminSecrets ?? []) {
      const [, secret] = ownOfType("kubernetes_secret_v1").find(([, x]) => x.metadata.name === s.name && x.metadata.namespace === s.namespace) ?? [];
      expect(secret?.metadata.labels["fawkes.dev/admin-secret"]).toBe(id);
      expect(secret?.data[s.key]).toMatch(/^\$\{random_password\.[\w-]+\.result\}$/);
    }
  });
});

/** A YAML line `<key ending in password, passwd, token or apikey>: <value>`. */
const YAML_SECRET_LINE = /^[ \t]*([\w.-]*(password|passwd|token|apikey))[ \t]*:[ \t]*(\S+)[ \t]*$/gim;
/** What such a value may be: a reference (Terraform, Helm or external-secrets template, an env name), empty, or no string. */
const REFERENCE = /^("?\$\$?\{.+\}"?|'?\{\{.+\}\}'?|""|''|null|~|\[\]|\{\}|true|false|[A-Z_]+)$/;
/** In JavaScript: a string literal assigned to such a key or variable (`password: "…"`, `token = '…'`). */
const JS_SECRET_LITERAL = /([\w$]*(?:password|passwd|token|apikey))["']?\s*(?::|=(?![=>]))\s*(["'`])((?:\\.|(?!\2)[^\\])*)\2/gi;

/** The JavaScript files a release ships (data keys ending in `.js`, e.g. a ConfigMap a Job runs), with their paths. */
function* shippedJs(v: unknown, where: string[]): Generator<[string, string]> {
  if (v && typeof v === "object")
    for (const [k, x] of Object.entries(v)) {
      if (typeof x === "string" && k.endsWith(".js")) yield [x, [...where, k].join(".")];
      else yield* shippedJs(x, [...where, k]);
    }
}

/**
 * Literal secrets in a release's values documents: YAML lines whose secret-named key has a value
 * that is no reference. The JavaScript files it ships are code, not YAML (`password: desired.x,` is
 * an object literal): their lines are checked for string literals assigned to such names instead, so
 * a literal in JavaScript is caught too (an empty string or a template of only `${…}` is none).
 */
function literalSecrets(docs: string[]): { where: string; key: string; value: string }[] {
  const found: { where: string; key: string; value: string }[] = [];
  const jsLines = new Set<string>();
  for (const [i, doc] of docs.entries()) {
    for (const [js, where] of shippedJs(parseYaml(doc), [String(i)])) {
      for (const line of js.split("\n")) jsLines.add(line.trim());
      for (const m of js.matchAll(JS_SECRET_LITERAL)) if (m[3] !== "" && !/^(\$\{[^}]+\})+$/.test(m[3])) found.push({ where, key: m[1], value: m[3] });
    }
  }
  for (const [s, where] of strings(docs))
    for (const m of s.matchAll(YAML_SECRET_LINE)) if (!jsLines.has(m[0].trim()) && !REFERENCE.test(m[3])) found.push({ where, key: m[1], value: m[3] });
  return found;
}

test("the literal-secret scan catches a literal in YAML and in a shipped JavaScript file, never a reference or code", () => {
  const manifest = (js: string) =>
    stringifyYaml({ manifests: [{ kind: "ConfigMap", data: { "main.js": js } }], admin: { password: "${random_password.x.result}", existingToken: "" } });
  const code = "const x = {\n  password: desired.jenkins.password,\n  token: `${process.env.T}`,\n  apiKey: '',\n};\nif (token === 'abc') ok();\n";
  expect(literalSecrets([manifest(code)])).toEqual([]);
  expect(literalSecrets([manifest(`${code}const relayToken = "s3cr3t-value";\n`)])).toEqual([
    { where: "0.manifests.0.data.main.js", key: "relayToken", value: "s3cr3t-value" },
  ]);
  expect(literalSecrets([manifest(`${code}send({ "password": 'hunter2' });\n`)])).toEqual([
    { where: "0.manifests.0.data.main.js", key: "password", value: "hunter2" },
  ]);
  expect(literalSecrets(["db:\n  password: hunter2\n"])).toEqual([{ where: "0", key: "password", value: "hunter2" }]);
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
