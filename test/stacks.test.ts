import { parse as parseYaml } from "yaml";
import { describeEquivalence } from "./equivalence";
import { strings } from "./tf";
import { synthesized as fromCache } from "./synthesized";

/** Every stack of the app with the embedded defaults (construct validations ran), from this run's cache. */
const STACK_NAMES = ["fawkes-aws", "fawkes-azure", "fawkes-gcp", "fawkes-local"] as const;
const synthesized = STACK_NAMES.map((name) => [name, fromCache(name)] as const);

/** The laptop with every component on, to compare like with like across foundations. */
const localWithAll = fromCache("fawkes-local-all");
describeEquivalence({ ...Object.fromEntries(synthesized), "fawkes-local": localWithAll });

const SECRET_KEY = /(^|[_.-])(password|passwd|secret|token|apikey|api_key|private_key|client_secret|adminpassword|admin_password)$/i;
const SECRET_SHAPES = [
  /AKIA[0-9A-Z]{16}/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\bgh[pousr]_[A-Za-z0-9]{30,}/,
  /\bxox[abp]-[A-Za-z0-9-]{10,}/,
  /\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}/,
];
/** A value that is a reference (Terraform expression, template placeholder) rather than a secret. */
const isReference = (v: string) => v === "" || /^\$\{.+\}$/.test(v.trim()) || /^\{\{.+\}\}$/.test(v.trim()) || /^\$\$\{.+\}$/.test(v.trim());

/** [key, value] pairs of a document, skipping labels and annotations (their keys name things, not secrets). */
function* keyed(v: unknown): Generator<[string, unknown]> {
  if (v && typeof v === "object")
    for (const [k, x] of Object.entries(v)) {
      if (k === "labels" || k === "annotations") continue;
      yield [k, x];
      yield* keyed(x);
    }
}
/**
 * The one known non-secret: SonarQube ships with admin/admin, and the chart's hook must send that
 * public factory default once to replace it with the generated password (scanning/README.md).
 */
const isFactoryDefault = (secret: string, key: string, value: string) => secret === "sonarqube-admin" && key === "currentPassword" && value === "admin";
/** `secret: mattermost-database` names a Kubernetes secret; a password key never gets this pass. */
const isSecretName = (k: string, v: string) => /secret$/i.test(k) && /^[a-z0-9]+(-[a-z0-9]+)+$/.test(v);

describe.each(synthesized)("%s", (_name, tf) => {
  test("matches its snapshot (a change detector; the unit tests pin the properties)", () => {
    expect(tf).toMatchSnapshot();
  });

  test("contains no literal password, token or key — in resources, outputs or helm values", () => {
    const findings: string[] = [];
    const docs: unknown[] = [tf];
    for (const r of Object.values<any>(tf.resource?.helm_release ?? {})) for (const v of r.values ?? []) docs.push(parseYaml(v));
    for (const doc of docs) {
      for (const [k, v] of keyed(doc))
        if (SECRET_KEY.test(k) && typeof v === "string" && !isReference(v) && !isSecretName(k, v)) findings.push(`${k}: ${v.slice(0, 20)}`);
      for (const [s, where] of strings(doc)) for (const shape of SECRET_SHAPES) if (shape.test(s)) findings.push(`${where}: matches ${shape}`);
    }
    for (const [, secret] of Object.entries<any>(tf.resource?.kubernetes_secret_v1 ?? {})) {
      for (const [k, v] of Object.entries<string>(secret.data ?? {})) {
        if (/password|token|secret|key$/i.test(k) && !isReference(v) && !isFactoryDefault(secret.metadata.name, k, v))
          findings.push(`secret ${secret.metadata.name}.${k} is a literal`);
      }
    }
    expect(findings).toEqual([]);
  });

  test("no output carries a secret value", () => {
    for (const [k, o] of Object.entries<any>(tf.output ?? {})) {
      expect(o.sensitive).toBeFalsy();
      expect(JSON.stringify(o.value)).not.toMatch(/random_password|master_user_secret|\.result\}/);
      expect(k).not.toMatch(/password|token/i);
    }
  });

  test("every helm release is pinned, atomic, waits, and is bounded in time", () => {
    for (const r of Object.values<any>(tf.resource?.helm_release ?? {})) {
      expect({ name: r.name, version: r.version }).toEqual({ name: r.name, version: expect.stringMatching(/^v?\d+\.\d+\.\d+/) });
      expect(r).toMatchObject({ atomic: true, wait: true, cleanup_on_fail: true });
      expect(r.timeout).toBeGreaterThan(0);
      expect(r.repository ?? r.chart).toMatch(/^(https:\/\/|oci:\/\/|\.\/assets\/)/);
    }
  });

  test("every ${...} is a Terraform expression: application placeholders were escaped", () => {
    // A bare ${POSTGRES_HOST} would make Terraform fail at plan ("Reference to undeclared resource").
    const stray: string[] = [];
    for (const [s, where] of strings(tf)) {
      for (const m of s.matchAll(/(?<!\$)\$\{([^}]*)\}/g)) {
        if (!/^([a-z][a-z0-9_]*\.|[a-z][a-z0-9_]*\()/.test(m[1])) stray.push(`${where}: \${${m[1]}}`);
      }
    }
    expect(stray).toEqual([]);
  });

  test("no kubernetes_manifest (it needs a live cluster at plan time)", () => {
    expect(tf.resource?.kubernetes_manifest).toBeUndefined();
  });
});
