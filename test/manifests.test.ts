import { parse as parseYaml } from "yaml";
import { BELTS, learnerBinding, renderSlot, type PoolDefinition } from "../constructs/components/dojo/engine/slot";
import { STANDARD, synthesized, type StandardKey } from "./synthesized";
import { describeManifest, UNCHECKED_KINDS, validateManifest, validateManifests, type Manifest } from "./support-manifests";

/**
 * Every Kubernetes object the project renders, validated against the pinned schemas with unknown
 * fields rejected (see support-manifests.ts for the packages and their versions):
 * - the `manifests` of every release of the local fawkes-manifests chart (`chart: ./assets/...`);
 * - objects embedded in chart values (e.g. Jenkins agent pod templates, which the chart merges into
 *   its default pod, hence checked without required fields);
 * - objects inside ConfigMap data (`kubernetes_config_map_v1` passes data through untyped);
 * - the Dojo's slot objects (and a claimed slot's learner binding), rendered by the engine from the
 *   pool definition the stack ships.
 * The typed `kubernetes_*` resources are checked by the provider's schema at plan and are not repeated here.
 */
interface Rendered {
  readonly where: string;
  readonly manifest: Manifest;
  readonly partial: boolean;
}

/**
 * Shaped like Kubernetes objects, but never sent to the API server: Backstage catalog entities and
 * software templates (`scaffolder.backstage.io`), client configuration (kubeconfig `v1/Config`, exec
 * credentials), kustomize files.
 */
const NOT_KUBERNETES = /^((scaffolder\.)?backstage\.io|client\.authentication\.k8s\.io|kustomize\.config\.k8s\.io)\/|^v1\/Config$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isManifest = (v: unknown): v is Manifest =>
  isObject(v) && typeof v.apiVersion === "string" && typeof v.kind === "string" && !NOT_KUBERNETES.test(`${v.apiVersion}/${v.kind}`);
/** What the API server will receive: Terraform turns `$${` back into `${` and `%%{` into `%{`. */
const unescape = (s: string) => s.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");

/** Objects anywhere in a document, also inside strings that hold YAML or JSON (templates, files). */
function* embedded(v: unknown, depth = 0): Generator<Manifest> {
  if (typeof v === "string") {
    if (depth > 0 && /\bapiVersion"?\s*:/.test(v) && /\bkind"?\s*:/.test(v)) {
      let docs: unknown[] = [];
      try {
        docs = v.trimStart().startsWith("{") ? [JSON.parse(v)] : parseYamlAll(v);
      } catch {
        return; // text that mentions apiVersion (a script, a README): not an object
      }
      for (const d of docs) yield* embedded(d, depth + 1);
    }
    return;
  }
  if (isManifest(v)) {
    yield v;
    return;
  }
  if (Array.isArray(v)) for (const x of v) yield* embedded(x, depth + 1);
  else if (isObject(v)) for (const x of Object.values(v)) yield* embedded(x, depth + 1);
}
function parseYamlAll(s: string): unknown[] {
  return s.split(/^---\s*$/m).map((d) => parseYaml(d));
}

function collect(stack: string, tf: any): Rendered[] {
  const out: Rendered[] = [];
  for (const r of Object.values<any>(tf.resource?.helm_release ?? {})) {
    for (const raw of r.values ?? []) {
      const values = parseYaml(unescape(raw));
      const local = String(r.chart).startsWith("./assets/");
      if (local) for (const m of values?.manifests ?? []) out.push({ where: describeManifest(stack, r.name, m), manifest: m, partial: false });
      const rest = local ? { ...values, manifests: undefined } : values;
      // An object in chart values with no metadata is a fragment the chart completes (a pod template).
      for (const m of embedded(rest)) out.push({ where: describeManifest(stack, r.name, m), manifest: m, partial: !m.metadata });
    }
  }
  for (const cm of Object.values<any>(tf.resource?.kubernetes_config_map_v1 ?? {})) {
    for (const [key, data] of Object.entries<string>(cm.data ?? {})) {
      if (/\.(js|sh|py)$/.test(key)) continue; // code, not objects
      const source = `configmap:${cm.metadata.name}/${key}`;
      if (key === "pool.json") {
        const pool: PoolDefinition = JSON.parse(unescape(data));
        for (const belt of BELTS) {
          const slot = renderSlot(belt, 1, pool, "2026-12-01T00:00:00Z");
          // The binding a claim replaces the warm one with: the learner as a User subject.
          for (const m of [...slot.objects, learnerBinding(slot.name, pool.belts[belt].learnerRole, "learner@example.org")])
            out.push({ where: describeManifest(stack, `${source}:slot-${belt}`, m), manifest: m, partial: false });
        }
      }
      for (const m of embedded(unescape(data), 1)) out.push({ where: describeManifest(stack, source, m), manifest: m, partial: !m.metadata });
    }
  }
  return out;
}

/** The typed resources that create an API object, by Terraform type: `[group/]Kind`. */
const TYPED_KINDS: Record<string, string> = {
  kubernetes_namespace_v1: "Namespace",
  kubernetes_secret_v1: "Secret",
  kubernetes_config_map_v1: "ConfigMap",
  kubernetes_service_account_v1: "ServiceAccount",
  kubernetes_persistent_volume_claim_v1: "PersistentVolumeClaim",
  kubernetes_role_v1: "rbac.authorization.k8s.io/Role",
  kubernetes_role_binding_v1: "rbac.authorization.k8s.io/RoleBinding",
  kubernetes_cluster_role_v1: "rbac.authorization.k8s.io/ClusterRole",
  kubernetes_cluster_role_binding_v1: "rbac.authorization.k8s.io/ClusterRoleBinding",
  kubernetes_storage_class_v1: "storage.k8s.io/StorageClass",
  kubernetes_ingress_v1: "networking.k8s.io/Ingress",
  kubernetes_job_v1: "batch/Job",
};
const CLUSTER_SCOPED =
  /^(Namespace|rbac\.authorization\.k8s\.io\/ClusterRole(Binding)?|storage\.k8s\.io\/StorageClass|cert-manager\.io\/ClusterIssuer|external-secrets\.io\/ClusterSecretStore|admissionregistration\.k8s\.io\/\w+|policies\.kyverno\.io\/(MutatingPolicy|ValidatingPolicy|ImageValidatingPolicy))$/;

/**
 * Who creates each API object of a stack (`[group/]Kind/namespace/name`): the fawkes-manifests
 * releases and the typed `kubernetes_*` resources. Two owners of one object fail the apply (Helm:
 * "exists and cannot be imported into the current release"; Terraform: "already exists").
 */
function owners(tf: any): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (kind: string, namespace: string | undefined, name: string, owner: string) => {
    const id = `${kind}/${CLUSTER_SCOPED.test(kind) ? "" : (namespace ?? "default")}/${name}`;
    out.set(id, [...(out.get(id) ?? []), owner]);
  };
  for (const r of Object.values<any>(tf.resource?.helm_release ?? {})) {
    if (!String(r.chart).startsWith("./assets/")) continue;
    for (const raw of r.values ?? []) {
      for (const m of parseYaml(unescape(raw))?.manifests ?? []) {
        const group = m.apiVersion.includes("/") ? `${m.apiVersion.split("/")[0]}/` : "";
        add(`${group}${m.kind}`, m.metadata.namespace ?? r.namespace, m.metadata.name, `release ${r.name}`);
      }
    }
  }
  for (const [type, kind] of Object.entries(TYPED_KINDS)) {
    for (const [id, r] of Object.entries<any>(tf.resource?.[type] ?? {})) add(kind, r.metadata.namespace, r.metadata.name, `${type}.${id}`);
  }
  return out;
}

/** Each stack as this jest run synthesized it once (test/synthesized.ts), the laptop also with every component on. */
const STACK_KEYS = Object.keys(STANDARD) as StandardKey[];
const stacks = STACK_KEYS.map((key) => [key, synthesized(key)] as const);
const rendered = stacks.flatMap(([key, tf]) => collect(key, tf));

describe("rendered manifests", () => {
  test("are found: every stack renders custom resources, slot objects and embedded templates", () => {
    const kinds = new Set(rendered.map((r) => `${r.manifest.apiVersion}/${r.manifest.kind}`));
    const expected = [
      ...[
        "cert-manager.io/v1/ClusterIssuer",
        "external-secrets.io/v1/ClusterSecretStore",
        "monitoring.coreos.com/v1/PodMonitor",
        "argoproj.io/v1alpha1/AppProject",
      ],
      ...["installation.mattermost.com/v1beta1/Mattermost", "policies.kyverno.io/v1/MutatingPolicy", "postgresql.cnpg.io/v1/Cluster"],
      ...["v1/ResourceQuota", "networking.k8s.io/v1/NetworkPolicy", "v1/Pod"], // a Dojo slot; Jenkins agent templates
    ];
    expect(expected.filter((k) => !kinds.has(k))).toEqual([]);
    for (const stack of STACK_KEYS) expect(rendered.filter((r) => r.where.startsWith(`${stack}/`)).length).toBeGreaterThan(10);
  });

  test("are valid against the pinned Kubernetes and CRD schemas, with no unknown fields", () => {
    const results = validateManifests(rendered);
    const problems = rendered.flatMap((r, i) => results[i].map((p) => `${r.where}: ${p}`));
    expect(problems).toEqual([]);
  });

  test("each object has one owner: no two releases or resources of a stack create the same object", () => {
    const shared = stacks.flatMap(([key, tf]) => [...owners(tf)].filter(([, o]) => o.length > 1).map(([id, o]) => `${key}: ${id} by ${o.join(" and ")}`));
    expect(stacks.every(([, tf]) => owners(tf).size > 20)).toBe(true);
    expect(shared).toEqual([]);
  });

  test("owners: an object a release and a typed resource both create is found; cluster-scoped ones across namespaces", () => {
    const release = (name: string, namespace: string, manifests: string) => ({
      name,
      namespace,
      chart: "./assets/fawkes-manifests",
      values: [`manifests:\n${manifests}`],
    });
    const tf = {
      resource: {
        helm_release: {
          a: release(
            "a",
            "ns",
            "- {apiVersion: v1, kind: Secret, metadata: {name: s}}\n- {apiVersion: cert-manager.io/v1, kind: ClusterIssuer, metadata: {name: ca}}",
          ),
          b: release("b", "other", "- {apiVersion: cert-manager.io/v1, kind: ClusterIssuer, metadata: {name: ca}}"),
        },
        kubernetes_secret_v1: { s: { metadata: { name: "s", namespace: "ns" } } },
      },
    };
    expect(owners(tf).get("Secret/ns/s")).toEqual(["release a", "kubernetes_secret_v1.s"]);
    expect(owners(tf).get("cert-manager.io/ClusterIssuer//ca")).toEqual(["release a", "release b"]);
  });

  test("strictness holds for every kind rendered: an unknown field in each is caught", () => {
    // One object per kind, with a field no schema defines beside its spec (or data): proves that no
    // model admits anything at that level (e.g. through an index signature), kind by kind.
    const byKind = new Map(
      rendered.filter((r) => !UNCHECKED_KINDS[`${r.manifest.apiVersion}/${r.manifest.kind}`]).map((r) => [`${r.manifest.apiVersion}/${r.manifest.kind}`, r]),
    );
    const probes = [...byKind.values()].map((r) => {
      const m = structuredClone(r.manifest) as any;
      const host = isObject(m.spec) ? m.spec : m;
      host.fawkesUnknownField = true;
      return { manifest: m as Manifest, partial: r.partial };
    });
    const missed = validateManifests(probes).flatMap((found, i) =>
      found.some((p) => p.includes("fawkesUnknownField: unknown field")) ? [] : [`${probes[i].manifest.apiVersion}/${probes[i].manifest.kind}`],
    );
    expect(byKind.size).toBeGreaterThan(20);
    expect(missed).toEqual([]);
  });
});

describe("validateManifest", () => {
  const issuer = {
    apiVersion: "cert-manager.io/v1",
    kind: "ClusterIssuer",
    metadata: { name: "local-ca" },
    spec: { ca: { secretName: "local-ca" } },
  };

  test("accepts a valid object, and free-form maps (labels) and preserved-unknown fields", () => {
    expect(validateManifest(issuer)).toEqual([]);
    expect(validateManifest({ ...issuer, metadata: { name: "x", labels: { "any/key": "v" } } } as Manifest)).toEqual([]);
  });

  test("preserved-unknown fields (RawExtension, JSON) take anything: Helm values of an Argo CD Application", () => {
    const app = {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Application",
      metadata: { name: "demo", namespace: "argocd" },
      spec: {
        project: "platform",
        destination: { server: "https://kubernetes.default.svc", namespace: "demo" },
        source: { repoURL: "https://example.org/charts", chart: "demo", targetRevision: "1.0.0", helm: { valuesObject: { any: { nested: [1] } } } },
      },
    };
    expect(validateManifest(app)).toEqual([]);
    expect(validateManifest({ ...app, spec: { ...app.spec, source: { ...app.spec.source, helm: { valuesObjects: {} } } } })).toEqual([
      "/spec/source/helm/valuesObjects: unknown field (the API server drops it)",
    ]);
  });

  test("rejects an unknown field, at any depth", () => {
    expect(validateManifest({ ...issuer, spec: { ca: { secretName: "local-ca", secretNamespace: "x" } } })).toEqual([
      "/spec/ca/secretNamespace: unknown field (the API server drops it)",
    ]);
    expect(validateManifest({ ...issuer, sepc: {} })).toEqual(expect.arrayContaining(["/sepc: unknown field (the API server drops it)"]));
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "busybox", resource: {} }] } };
    expect(validateManifest(pod)).toEqual(["/spec/containers/0/resource: unknown field (the API server drops it)"]);
  });

  test("rejects a wrong type, a missing required field and an unknown kind", () => {
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p" },
      spec: { containers: [{ name: "c", image: "busybox", ports: [{ containerPort: "80" }] }] },
    };
    expect(validateManifest(pod).join("\n")).toMatch(/\/spec\/containers\/0\/ports\/0\/containerPort: must be integer/);
    expect(validateManifest({ ...issuer, spec: { ca: {} } }).join("\n")).toMatch(/\/spec\/ca: must have required property '?secretName/);
    expect(validateManifest({ ...issuer, apiVersion: "cert-manager.io/v1alpha9" }).join("\n")).toMatch(/is not in @kubernetes-models\/cert-manager/);
  });

  test("rejects what the API server checks beyond the schema: names, label keys and values", () => {
    const cm = (metadata: object) => ({ apiVersion: "v1", kind: "ConfigMap", metadata }) as Manifest;
    expect(validateManifest(cm({ name: "Dojo_Pool" }))).toEqual(['/metadata/name: must be a DNS subdomain (≤ 253), got "Dojo_Pool"']);
    expect(validateManifest({ apiVersion: "v1", kind: "Namespace", metadata: { name: "a.b" } })).toEqual([
      '/metadata/name: must be a DNS label (≤ 63), got "a.b"',
    ]);
    expect(validateManifest(cm({ name: "x", labels: { "fawkes.dev/belt": "x".repeat(64) } }))[0]).toMatch(
      /^\/metadata\/labels\/fawkes.dev\/belt: value must be ≤ 63/,
    );
    expect(validateManifest(cm({ name: "x", annotations: { "a/b/c": "" } }))).toEqual([
      "/metadata/annotations/a/b/c: not a qualified name ([prefix/]name, name ≤ 63)",
    ]);
    expect(validateManifest(cm({ name: "${random_pet.x.id}", labels: { app: "${var.x}" } }))).toEqual([]);
  });

  test("a CRD no package models (the Mattermost installation): metadata checked, and listed as unchecked", () => {
    const mm = { apiVersion: "installation.mattermost.com/v1beta1", kind: "Mattermost", metadata: { name: "mattermost" }, spec: { replicas: 1 } };
    expect(validateManifest(mm)).toEqual([]);
    expect(validateManifest({ ...mm, metadata: { name: "Matter_most" } })).toEqual(['/metadata/name: must be a DNS subdomain (≤ 253), got "Matter_most"']);
  });

  test("other kinds of a pinned chart's CRDs: apiVersion/kind and metadata only", () => {
    const ci = { apiVersion: "mattermost.com/v1alpha1", kind: "ClusterInstallation", metadata: { name: "chat" }, spec: { anything: 1 } };
    expect(validateManifest(ci)).toEqual([]);
    expect(validateManifest({ ...ci, apiVersion: "mattermost.com/v1" })).toEqual([
      expect.stringMatching(/mattermost.com\/v1\/ClusterInstallation is not in any package/),
    ]);
  });

  test("partial: a template fragment may leave required fields out, but not add unknown ones", () => {
    const fragment = { apiVersion: "v1", kind: "Pod", spec: { containers: [{ name: "jnlp" }] } };
    expect(validateManifest(fragment, { partial: true })).toEqual([]);
    expect(validateManifest({ ...fragment, spec: { containers: [{ name: "jnlp", imag: "x" }] } }, { partial: true })).toEqual([
      "/spec/containers/0/imag: unknown field (the API server drops it)",
    ]);
  });
});
