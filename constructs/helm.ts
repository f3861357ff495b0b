import * as fs from "node:fs";
import * as path from "node:path";
import { Release } from "@cdktf/provider-helm/lib/release";
import { AssetType, TerraformAsset, TerraformStack, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { CHARTS, LOCAL_CHARTS, type ChartId, type LocalChartId } from "./catalog";
import type { PlatformContext, Profile, Scheduling } from "./context";
import type { ServiceLookup } from "./services";

const HELM_VALUES_DIR = path.join(__dirname, "..", "helm-values");
const LOCAL_CHARTS_DIR = path.join(__dirname, "..", "charts");

export type Values = Record<string, unknown>;

const fileCache = new Map<string, Values>();

/**
 * The operator-editable values of `helm-values/<file>.yaml` (relative path, no extension). A file
 * that does not parse fails synth naming it; a missing optional file is `{}`.
 */
export function valuesFile(file: string, optional = false): Values {
  const cached = fileCache.get(file);
  if (cached) return structuredClone(cached); // callers may mutate; never leak across stacks
  const full = path.join(HELM_VALUES_DIR, `${file}.yaml`);
  if (optional && !fs.existsSync(full)) {
    fileCache.set(file, {});
    return {};
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(fs.readFileSync(full, "utf8")) ?? {};
  } catch (e) {
    throw new Error(`helm-values/${file}.yaml: ${(e as Error).message.split("\n")[0]}`);
  }
  if (typeof parsed !== "object" || Array.isArray(parsed)) throw new Error(`helm-values/${file}.yaml: expected a mapping of chart values`);
  fileCache.set(file, parsed as Values);
  return structuredClone(parsed as Values);
}

/** Profile overlays fall back: lab uses the small sizes unless it has its own file. */
const PROFILE_FALLBACK: Record<Profile, Profile[]> = { lab: ["lab", "small"], small: ["small"], standard: ["standard"] };

/** `helm-values/profiles/<profile>/<file>.yaml`, the sizes (requests, limits, replicas, retention) per profile. */
export function profileValues(file: string, profile: Profile): Values {
  for (const p of PROFILE_FALLBACK[profile]) {
    if (fs.existsSync(path.join(HELM_VALUES_DIR, "profiles", p, `${file}.yaml`))) return valuesFile(`profiles/${p}/${file}`);
  }
  return {};
}

/** Deep merge: objects merge key by key, anything else (arrays included) is replaced by the overlay. */
export function mergeValues(base: Values, overlay: Values): Values {
  const out: Values = { ...base };
  for (const [k, v] of Object.entries(overlay)) {
    if (v === undefined) continue;
    const b = out[k];
    out[k] = isPlain(v) && isPlain(b) ? mergeValues(b as Values, v as Values) : v;
  }
  return out;
}

function isPlain(v: unknown): v is Values {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Terraform reads `${...}` and `%{...}` in any string as its own template syntax. Chart values often
 * carry such text for the application (JCasC `${VAR}`, Grafana `${DS}`), so escape it — but keep
 * cdktf tokens (`${TfToken[...]}`), which are how computed values reach the YAML.
 */
export function escapeTemplates(s: string): string {
  // In a replacement string "$$" is one "$": "$$$${" writes "$${".
  return s.replace(/\$\{(?!TfToken\[)/g, "$$$${").replace(/%\{/g, "%%{");
}

/**
 * The values pipeline, in one call: `helm-values/<file>.yaml`, then the profile's sizes from
 * `helm-values/profiles/<profile>/<file>.yaml`, then the overlay the code computes (hosts, secret
 * names, identities, placement). The merged object, for components that read sizes back; render it
 * with `renderYaml`.
 */
export function releaseValues(ctx: { readonly profile: Profile }, file: string, overlay: Values = {}): Values {
  return mergeValues(mergeValues(valuesFile(file), profileValues(file, ctx.profile)), overlay);
}

/** `releaseValues` rendered as YAML for a release's `values`. */
export function chartValues(file: string, profile: Profile, overlay: Values = {}): string {
  return renderYaml(releaseValues({ profile }, file, overlay));
}

/**
 * YAML with Terraform template syntax escaped; long lines never folded (a folded token breaks).
 * Memoized by the values' JSON: the four stacks render many identical values (YAML emission is the
 * slow part; a token's text is unique to its stack, so equal JSON is equal output).
 */
export function renderYaml(values: unknown): string {
  const key = JSON.stringify(values);
  let yaml = rendered.get(key);
  if (yaml === undefined) {
    yaml = escapeTemplates(stringifyYaml(values, { lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false }));
    rendered.set(key, yaml);
  }
  return yaml;
}

const rendered = new Map<string, string>();

export interface PlatformReleaseProps {
  /** Chart from the catalog. */
  readonly chart: ChartId;
  /** Release name (≤ 53 characters, a DNS label). */
  readonly name: string;
  readonly namespace: string;
  /** The rendered values (`renderYaml(releaseValues(ctx, file, overlay))`). */
  readonly values: string[];
  /** How long Helm may wait for the release to become ready. @default 10 */
  readonly timeoutMinutes?: number;
  /** Releases and resources this one waits for (the foundation's `ready` is always added). */
  readonly dependsOn?: ITerraformDependable[];
  /** Create the namespace if missing. @default true */
  readonly createNamespace?: boolean;
  /** Chart version override, to try an upgrade before it lands in the catalog. @default - the catalog pin */
  readonly version?: string;
}

/**
 * A helm release with the house rules: chart pinned in the catalog, atomic install that waits and is
 * bounded in time, cleanup on failure, and ordered after the foundation is ready.
 */
export function platformRelease(scope: Construct, id: string, ctx: PlatformContext, props: PlatformReleaseProps): Release {
  checkReleaseName(props.name);
  const chart = CHARTS[props.chart];
  return new Release(scope, id, {
    name: props.name,
    namespace: props.namespace,
    createNamespace: props.createNamespace ?? true,
    repository: chart.repository,
    chart: chart.chart,
    version: props.version ?? chart.version,
    values: props.values,
    atomic: true,
    wait: true,
    waitForJobs: true,
    cleanupOnFail: true,
    timeout: (props.timeoutMinutes ?? 10) * 60,
    maxHistory: 5,
    dependsOn: [...ctx.ready, ...(props.dependsOn ?? [])],
  });
}

export interface ManifestsReleaseProps {
  readonly name: string;
  readonly namespace: string;
  /** Kubernetes objects, rendered as they are (apiVersion, kind, metadata, spec...). */
  readonly manifests: Record<string, unknown>[];
  /** The release that installs the CRDs these objects use, and anything else to wait for. */
  readonly dependsOn: ITerraformDependable[];
  /** @default 5 */
  readonly timeoutMinutes?: number;
}

/**
 * Custom resources (ClusterIssuer, ClusterSecretStore, Mattermost...) as a release of the local
 * `fawkes-manifests` chart, ordered after the release that owns their CRDs: unlike
 * `kubernetes_manifest`, this plans without a live cluster, so the whole platform is one apply.
 */
export function manifestsRelease(scope: Construct, id: string, ctx: PlatformContext, props: ManifestsReleaseProps): Release {
  return localChartRelease(scope, id, ctx, {
    chart: "fawkes-manifests",
    name: props.name,
    namespace: props.namespace,
    values: [renderYaml({ manifests: props.manifests })],
    dependsOn: props.dependsOn,
    timeoutMinutes: props.timeoutMinutes ?? 5,
  });
}

/** A release of a chart kept in this repository's `charts/`, copied into the stack as an asset. */
function localChartRelease(
  scope: Construct,
  id: string,
  ctx: PlatformContext,
  props: { chart: LocalChartId; name: string; namespace: string; values: string[]; dependsOn: ITerraformDependable[]; timeoutMinutes?: number },
): Release {
  checkReleaseName(props.name);
  return new Release(scope, id, {
    name: props.name,
    namespace: props.namespace,
    createNamespace: true,
    chart: `./${localChartAsset(scope, props.chart).path}`,
    version: LOCAL_CHARTS[props.chart].version,
    values: props.values,
    atomic: true,
    wait: true,
    waitForJobs: true,
    cleanupOnFail: true,
    timeout: (props.timeoutMinutes ?? 5) * 60,
    maxHistory: 5,
    dependsOn: [...ctx.ready, ...props.dependsOn],
  });
}

/** One copy of a local chart per stack. */
function localChartAsset(scope: Construct, chart: LocalChartId): TerraformAsset {
  const stack = TerraformStack.of(scope);
  const id = `Chart-${chart}`;
  return (
    (stack.node.tryFindChild(id) as TerraformAsset | undefined) ??
    new TerraformAsset(stack, id, { path: path.join(LOCAL_CHARTS_DIR, chart), type: AssetType.DIRECTORY })
  );
}

function checkReleaseName(name: string): void {
  if (!/^[a-z0-9]([-a-z0-9]{0,51}[a-z0-9])?$/.test(name)) {
    throw new Error(`Release name must be a DNS label of at most 53 characters, got "${name}"`);
  }
}

/** Standard ingress values for a UI: class, cert-manager issuer annotation, controller annotations, TLS secret. */
export interface IngressParts {
  readonly className: string;
  readonly annotations: Record<string, string>;
  readonly host: string;
  readonly tlsSecret: string;
}

/**
 * How a UI at https://<subdomain>.<domain> is served: the class and annotations of the ingress
 * service (whatever the controller needs), and the issuer annotation of the platform's ClusterIssuer.
 */
export function ingressFor(subdomain: string, ctx: PlatformContext, deps: ServiceLookup): IngressParts {
  const ingress = deps.service("ingress");
  return {
    className: ingress.className,
    host: `${subdomain}.${ctx.domain}`,
    tlsSecret: `${subdomain}-tls`,
    annotations: { "cert-manager.io/cluster-issuer": deps.service("clusterIssuer"), ...ingress.annotations },
  };
}

/**
 * Node placement as `affinity`, for charts whose default `nodeSelector` is not empty (values keys
 * are merged, so a selector key of ours would sit beside theirs and be flagged by the values check).
 */
export function poolAffinity(pool: Scheduling): Values {
  // A pool without labels (an existing cluster) places nowhere in particular: an empty
  // nodeSelectorTerm would match no node at all.
  if (Object.keys(pool.nodeSelector).length === 0) return {};
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: Object.entries(pool.nodeSelector).map(([key, value]) => ({ key, operator: "In", values: [value] })) }],
      },
    },
  };
}
