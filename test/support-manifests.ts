/**
 * Validation of the Kubernetes objects Fawkes renders, against the API schema and the CRD schemas of
 * the versions the catalog pins, with unknown fields rejected (the API server prunes them silently).
 *
 * Two checks per object, both from the `kubernetes-models` packages (devDependencies):
 * - types, enums, formats and required fields: the package's own validator (ajv, compiled from the
 *   OpenAPI schema / CRD openAPIV3Schema). It does not reject unknown fields.
 * - unknown fields: a walk of the object along the model's TypeScript interface (`I<Kind>` in
 *   `<group>/<version>/<Kind>.d.ts`), which the package generates from the same schema. A string
 *   index signature (`additionalProperties`) admits any key; `any`/`unknown` and the empty
 *   interfaces of RawExtension/JSON (`x-kubernetes-preserve-unknown-fields`) admit anything below them.
 *
 * A kind no package models is listed in UNCHECKED_KINDS (apiVersion/kind and metadata only). Every
 * object also gets what the API server checks beyond the schema (names, labels).
 *
 * The packages are ESM only; Node (≥ 20.19) loads them through a native `require`, outside Jest's
 * CommonJS module registry, by absolute path (their `exports` have only an `import` condition).
 */
import * as fs from "node:fs";
import * as path from "node:path";
// The compiler API, required untyped: its declarations (typescript.d.ts, ~11k lines) would add
// over a second to every `npm run typecheck` for this one test helper.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ts = require("typescript") as any;
type TsType = any;

export type Manifest = { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown }; [k: string]: unknown };

/**
 * API group → the npm package with its models. Adding a CRD package is one line here (and one
 * `npm install --save-dev --save-exact`). Upstream versions the packages were generated from (their
 * go.mod / generate script), against the pins in constructs/catalog.ts:
 * - kubernetes-models 5.1.0: Kubernetes 1.36.0 plus removed APIs of older releases — a superset, so a
 *   field newer than the cluster's version is not caught (kubernetes.version decides what is served).
 * - @kubernetes-models/cert-manager 6.0.0: cert-manager v1.20.2 — catalog pins cert-manager v1.21.1.
 * - @kubernetes-models/external-secrets 2.0.0: external-secrets v0.16.2 — catalog pins chart 2.9.0
 *   (app v2.9.0); the `external-secrets.io/v1` API is the same group/version, newer fields would be flagged.
 * - @kubernetes-models/prometheus-operator 6.0.0: prometheus-operator v0.91.0 — kube-prometheus-stack
 *   88.5.3 ships v0.93.1.
 * - @kubernetes-models/argo-cd 4.0.0: Argo CD v3.3.9 — argo-cd chart 10.1.1 ships v3.4.4.
 * - @kubernetes-models/kyverno 2.0.0: Kyverno v1.18.0 (+ kyverno/api v0.0.1-alpha.3) — kyverno chart
 *   3.9.0 ships v1.19.0.
 * - @kubernetes-models/cloudnative-pg 2.0.0: CloudNativePG v1.29.0 — cloudnative-pg chart 0.29.0.
 * Checked once by hand (2026-12) against the CRDs of the exact pins (cert-manager v1.21.1, external-secrets
 * v2.9.0, kube-prometheus-stack 88.5.3, argo-cd 10.1.1, kyverno 3.9.0, cloudnative-pg 0.29.0): the
 * rendered objects pass those too. Not needed yet: @kubernetes-models/traefik (Fawkes renders no
 * Traefik CRs; add `"traefik.io": "@kubernetes-models/traefik"` with the first IngressRoute).
 */
export const MODEL_PACKAGES: Record<string, string> = {
  "cert-manager.io": "@kubernetes-models/cert-manager",
  "acme.cert-manager.io": "@kubernetes-models/cert-manager",
  "external-secrets.io": "@kubernetes-models/external-secrets",
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
  "argoproj.io": "@kubernetes-models/argo-cd",
  "kyverno.io": "@kubernetes-models/kyverno",
  "policies.kyverno.io": "@kubernetes-models/kyverno",
  "postgresql.cnpg.io": "@kubernetes-models/cloudnative-pg",
};

/**
 * Kinds of a pinned chart's CRDs that no npm package models: only their apiVersion/kind and
 * metadata are checked. Fawkes renders one of them: the Mattermost installation (its fields are
 * covered by test/mattermost.spec.ts instead).
 */
export const UNCHECKED_KINDS: Record<string, string> = {
  // mattermost-operator chart 1.0.5: crds/crd-mattermosts.yaml (no @kubernetes-models package)
  "installation.mattermost.com/v1beta1/Mattermost": "mattermost-operator@1.0.5",
  // mattermost-operator chart 1.0.5: crds/crd-clusterinstallations.yaml, crds/crd-mattermostrestoredbs.yaml
  "mattermost.com/v1alpha1/ClusterInstallation": "mattermost-operator@1.0.5",
  "mattermost.com/v1alpha1/MattermostRestoreDB": "mattermost-operator@1.0.5",
};

/**
 * Node's own require: Jest's (and the `module` it hands out) cannot load ES modules. Needs Node
 * ≥ 20.19 (`process.getBuiltinModule`, and `require` of ES modules on by default).
 */
const getBuiltinModule = (process as unknown as { getBuiltinModule?(id: string): typeof import("node:module") }).getBuiltinModule;
if (!getBuiltinModule) throw new Error(`test/support-manifests.ts needs Node.js >= 20.19 to load the kubernetes-models packages, got ${process.version}`);
const nodeRequire: NodeJS.Require = getBuiltinModule.call(process, "node:module").createRequire(__filename);
const NODE_MODULES = path.join(__dirname, "..", "node_modules");

/** The package for an apiVersion: built-in groups (core, `*.k8s.io`, no dot) are kubernetes-models. */
function packageOf(apiVersion: string): string | undefined {
  const group = apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
  if (group === "" || !group.includes(".") || group.endsWith(".k8s.io")) return "kubernetes-models";
  return MODEL_PACKAGES[group];
}

interface Model {
  readonly validate: (data: unknown) => void;
  readonly dts: string;
  readonly iface: string;
}
const models = new Map<string, Model | null>();

/** The model of `apiVersion/kind`, or null when no package has it (loaded once, on first use). */
function modelOf(apiVersion: string, kind: string): Model | null {
  const key = `${apiVersion}/${kind}`;
  if (models.has(key)) return models.get(key)!;
  let model: Model | null = null;
  const pkg = packageOf(apiVersion);
  const file = pkg && path.join(NODE_MODULES, pkg, apiVersion, kind);
  if (file && /^[A-Za-z0-9]+$/.test(kind) && fs.existsSync(`${file}.js`)) {
    const Cls = nodeRequire(`${file}.js`)[kind];
    model = { validate: (data) => new Cls(data).validate(), dts: `${file}.d.ts`, iface: `I${kind}` };
  }
  models.set(key, model);
  return model;
}

/**
 * One TypeScript program over the declarations of every model loaded so far: a program costs ~0.5 s
 * to check, so `validateManifests` loads the models of a whole batch before the first walk.
 */
let program: { files: Set<string>; prog: any; checker: any } | undefined;
function interfaceType(model: Model): TsType {
  if (!program?.files.has(model.dts)) {
    const files = new Set([...models.values()].flatMap((m) => (m ? [m.dts] : [])));
    const options = {
      lib: ["lib.es5.d.ts"],
      types: [],
      noEmit: true,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
    };
    const host = ts.createCompilerHost(options);
    host.jsDocParsingMode = ts.JSDocParsingMode.ParseNone; // the doc comments are not needed
    const prog = ts.createProgram([...files], options, host);
    program = { files, prog, checker: prog.getTypeChecker() };
  }
  const decl = program.prog.getSourceFile(model.dts)?.statements.find((s: any) => ts.isInterfaceDeclaration(s) && s.name.text === model.iface);
  if (!decl) throw new Error(`${model.dts}: no interface ${model.iface}`);
  return program.checker.getTypeAtLocation(decl.name);
}
function checkerFor(model: Model): any {
  interfaceType(model);
  return program!.checker;
}
const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Fields of `value` the schema behind `type` does not define, as `path: unknown field`. */
function unknownFields(checker: any, value: unknown, type: TsType, at: string, out: string[]): void {
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) {
    // A declaration that does not resolve is TypeScript's error type, an `any`: never a pass.
    if ((type as { intrinsicName?: string }).intrinsicName === "error")
      out.push(`${at}: the model's type does not resolve (a package missing from node_modules?)`);
    return; // x-kubernetes-preserve-unknown-fields
  }
  if (type.isUnion()) {
    const members = type.types.filter((t: TsType) => !(t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)));
    if (members.length === 1) return unknownFields(checker, value, members[0], at, out);
    // Several shapes (e.g. int-or-string): fine if one of them has every field.
    let best: string[] | undefined;
    for (const m of members) {
      const found: string[] = [];
      unknownFields(checker, value, m, at, found);
      if (!best || found.length < best.length) best = found;
      if (!found.length) return;
    }
    out.push(...(best ?? []));
    return;
  }
  if (Array.isArray(value)) {
    if (checker.isArrayType(type)) {
      const [element] = checker.getTypeArguments(type as TsType);
      value.forEach((v, i) => unknownFields(checker, v, element, `${at}/${i}`, out));
    }
    return; // not an array type: the validator reports the wrong type
  }
  if (!isPlain(value) || !(type.flags & ts.TypeFlags.Object)) return;
  const index = checker.getIndexInfoOfType(type, ts.IndexKind.String);
  // RawExtension, apiextensions JSON (x-kubernetes-preserve-unknown-fields) are empty interfaces.
  if (!index && checker.getPropertiesOfType(type).length === 0) return;
  for (const [k, v] of Object.entries(value)) {
    const prop = checker.getPropertyOfType(type, k);
    if (prop) unknownFields(checker, v, checker.getNonNullableType(checker.getTypeOfSymbol(prop)), `${at}/${k}`, out);
    else if (index) unknownFields(checker, v, index.type, `${at}/${k}`, out);
    else out.push(`${at}/${k}: unknown field (the API server drops it)`);
  }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/** Kinds whose names are DNS labels (they become host names or label values), not subdomains. */
const LABEL_NAMED = new Set(["v1/Namespace", "v1/Service"]);
/** Terraform fills these in at apply, a controller its Go templates (ApplicationSet): nothing to check at synth. */
const computed = (v: unknown) => typeof v === "string" && (v.includes("${") || v.includes("{{"));

function qualifiedName(key: string): boolean {
  const [prefix, name, ...rest] = key.includes("/") ? key.split("/") : [undefined, key];
  return !rest.length && (prefix === undefined || DNS_SUBDOMAIN.test(prefix)) && LABEL_NAME.test(name ?? "");
}

/**
 * What the API server checks beyond the OpenAPI schema, for every `metadata` in the object: names
 * are DNS subdomains (labels for Namespace/Service), label and annotation keys are qualified names,
 * label values at most 63 characters of [A-Za-z0-9-_.].
 */
function metadataProblems(m: Manifest, out: string[]): void {
  const meta = m.metadata as Record<string, unknown> | undefined;
  if (isPlain(meta)) {
    const key = `${String(m.apiVersion)}/${String(m.kind)}`;
    const name = meta.name;
    if (typeof name === "string" && !computed(name) && !(LABEL_NAMED.has(key) ? DNS_LABEL : DNS_SUBDOMAIN).test(name))
      out.push(`/metadata/name: must be a DNS ${LABEL_NAMED.has(key) ? "label (≤ 63)" : "subdomain (≤ 253)"}, got ${JSON.stringify(name)}`);
    if (typeof meta.namespace === "string" && !computed(meta.namespace) && !DNS_LABEL.test(meta.namespace))
      out.push(`/metadata/namespace: must be a DNS label (≤ 63), got ${JSON.stringify(meta.namespace)}`);
  }
  const walk = (v: unknown, at: string): void => {
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${at}/${i}`));
    if (!isPlain(v)) return;
    for (const [k, x] of Object.entries(v)) {
      if (k === "metadata" && isPlain(x)) {
        for (const [field, values] of [
          ["labels", x.labels],
          ["annotations", x.annotations],
        ] as const) {
          if (!isPlain(values)) continue;
          for (const [lk, lv] of Object.entries(values)) {
            if (!computed(lk) && !qualifiedName(lk)) out.push(`${at}/metadata/${field}/${lk}: not a qualified name ([prefix/]name, name ≤ 63)`);
            if (field === "labels" && typeof lv === "string" && !computed(lv) && lv !== "" && !LABEL_NAME.test(lv))
              out.push(`${at}/metadata/labels/${lk}: value must be ≤ 63 characters of [A-Za-z0-9-_.], got ${JSON.stringify(lv)}`);
          }
        }
      }
      walk(x, `${at}/${k}`);
    }
  };
  walk(m, "");
}

/** What the model packages (ajv inside) report per problem. */
interface AjvError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly message?: string;
  readonly params: { readonly allowedValues?: unknown };
}
function schemaProblems(m: Manifest, errors: readonly AjvError[], partial: boolean | undefined, out: string[]): void {
  for (const err of errors) {
    if (partial && err.keyword === "required") continue;
    const allowed = err.keyword === "enum" ? ` ${JSON.stringify(err.params.allowedValues)}` : "";
    const got = err.keyword === "required" ? "" : `, got ${shownAt(m, err.instancePath)}`;
    out.push(`${err.instancePath}: ${err.message ?? err.keyword}${allowed}${got}`);
  }
}

/** A custom resource's metadata, against the Kubernetes ObjectMeta (CRD schemas say only `type: object`). */
function objectMetaProblems(m: Manifest, out: string[]): void {
  const host = modelOf("v1", "ConfigMap")!;
  unknownFields(checkerFor(host), { metadata: m.metadata }, interfaceType(host), "", out);
}

/** Options for objects that are not sent as they are. */
export interface ValidateOptions {
  /** A fragment merged into a default by its consumer (e.g. a Jenkins pod template): no required fields. */
  readonly partial?: boolean;
}

/** Problems of one object, each `path: problem` (empty when valid). */
export function validateManifest(m: Manifest, opts: ValidateOptions = {}): string[] {
  if (typeof m.apiVersion !== "string" || typeof m.kind !== "string")
    return [`: needs apiVersion and kind, got ${JSON.stringify({ apiVersion: m.apiVersion, kind: m.kind })}`];
  const key = `${m.apiVersion}/${m.kind}`;
  const problems: string[] = [];
  if (UNCHECKED_KINDS[key]) {
    objectMetaProblems(m, problems);
  } else {
    const model = modelOf(m.apiVersion, m.kind);
    if (!model) {
      const pkg = packageOf(m.apiVersion);
      return [`: ${key} is not in ${pkg ?? "any package of MODEL_PACKAGES"} (a wrong apiVersion/kind, or a CRD to add to MODEL_PACKAGES or UNCHECKED_KINDS)`];
    }
    try {
      model.validate(m);
    } catch (e) {
      const errors = (e as { errors?: AjvError[] }).errors;
      if (errors) schemaProblems(m, errors, opts.partial, problems);
      else problems.push(`: ${(e as Error).message}`);
    }
    unknownFields(checkerFor(model), m, interfaceType(model), "", problems);
  }
  metadataProblems(m, problems);
  return problems;
}

/** The value at a JSON pointer, as short JSON (for messages). */
function shownAt(doc: unknown, pointer: string): string {
  let v: any = doc;
  for (const k of pointer.split("/").slice(1)) v = v?.[k.replace(/~1/g, "/").replace(/~0/g, "~")];
  const s = JSON.stringify(v) ?? "undefined";
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Problems of each object, loading the models of all of them first (one TypeScript program). */
export function validateManifests(items: readonly { manifest: Manifest; partial?: boolean }[]): string[][] {
  modelOf("v1", "ConfigMap"); // its ObjectMeta checks custom resources' metadata
  for (const { manifest: m } of items) if (typeof m.apiVersion === "string" && typeof m.kind === "string") modelOf(m.apiVersion, m.kind);
  // The stacks render many identical objects (slots, monitors): each distinct one is checked once.
  const seen = new Map<string, string[]>();
  return items.map(({ manifest, partial }) => {
    const key = `${partial ? "partial:" : ""}${JSON.stringify(manifest)}`;
    if (!seen.has(key)) seen.set(key, validateManifest(manifest, { partial }));
    return seen.get(key)!;
  });
}

/** `stack/release/kind/name` of a rendered object, for failure messages. */
export function describeManifest(stack: string, source: string, m: Manifest): string {
  return `${stack}/${source}/${String(m.kind)}/${String(m.metadata?.name ?? "?")}`;
}
