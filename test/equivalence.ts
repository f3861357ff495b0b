import { parse as parseYaml } from "yaml";
import { publishedRepositories } from "./support";

/**
 * The platform layer is the same on every foundation: the same components, charts, versions and
 * values — except what the PlatformContext computes. This test proves it on the synthesized JSON.
 * Everything it masks is listed below with the context field it comes from; any other difference
 * between two stacks fails.
 */
interface PlatformRelease {
  name: string;
  chart: string;
  version: string;
  values: unknown;
}

/** Keys whose values are computed from the context (identity, placement, exposure, storage, DNS, secret store, certificates). */
const CONTEXT_KEYS = new Set([
  "annotations", // service account identity (IRSA / AKS / GKE WI), load balancer annotations, cert-manager issuer
  "podLabels", // AKS workload identity label
  "labels", // the same, on pod templates
  "nodeSelector", // ctx.nodePools (pool labels differ on an existing cluster)
  "tolerations", // ctx.nodePools (AKS spot taint on the dojo pool)
  "affinity", // ctx.nodePools, rendered as affinity for charts with a default nodeSelector
  "scheduling", // ctx.nodePools in the Mattermost CR
  "storage", // ctx.bucket(): Loki's storage, Tempo's storage.trace (S3, Blob, GCS, or a volume on a laptop)
  "schemaConfig", // the same: Loki's index names its object store
  "compactor", // the same: Loki's retention deletes in that store
  "storageClass", // ctx.storageClass
  "storageClassName", // ctx.storageClass
  "extraArgs", // ctx.dns.extraArgs (zone, resource group, project)
  "extraVolumes", // ctx.dns.configFile (Azure's azure.json)
  "extraVolumeMounts", // ctx.dns.configFile
  "provider", // ctx.dns.provider, ctx.secretStore.provider
  "txtOwnerId", // ctx.cluster.name
  "fileStore", // ctx.bucket(): S3 with workload identity, or a volume where the foundation has no S3
  "serviceAccount", // the Mattermost CR's service account exists only for S3 + workload identity
  "volumes", // the same file store choice, as a volume
  "deploymentTemplate", // one pod at a time (Recreate) when the file store is a single-writer volume
  "updateJob", // the same: no update Job beside the single writer; with S3 it carries the identity labels
  "volumeMounts",
  "remoteRef", // ctx.postgres(): where the password lives (Secrets Manager ARN, Key Vault, Secret Manager, CNPG)
  "template", // ctx.postgres(): host, port, database (the keys are checked by the component tests)
  "hostAliases", // ctx.dns.loopback: pods reach the issuer through the ingress (test/local.spec.ts)
  "extraConfigmapMounts", // ctx.certificates selfSigned: the local CA, mounted to trust the issuer
  "tls_client_ca", // the same, for Grafana's generic OAuth
  "customInitContainers", // the same, for Jenkins: its JVM's trust store with the local CA
  "mounts", // the same (the trust store's volume)
  "extraContainerVolumeMounts", // the same, for Gitea's containers (its OAuth source calls the issuer)
  "extraInitVolumeMounts", // the same, for Gitea's init containers
]);

/** Placement under other names (scanJobNodeSelector, scanJobTolerations...): ctx.nodePools. */
const PLACEMENT = /(NodeSelector|Tolerations|Affinity)$/;

/**
 * Environment variables computed from the context, present on some foundations only: Mattermost's
 * file store settings follow ctx.bucket(); the local CA (ctx.certificates selfSigned): its file, Go's
 * certificate directories with it (Gitea), the ConfigMap with it that Jenkins' build pods mount.
 */
const CONTEXT_ENV = /^(MM_FILESETTINGS_|NODE_EXTRA_CA_CERTS$|CA_FILE$|SSL_CERT_DIR$|FAWKES_BUILDER_CA_CONFIGMAP$)/;

/**
 * Environment variables present everywhere whose value is a context field, compared as that field's
 * name: the pipeline's registry (jenkins/pipeline.ts: ctx.registry is ECR, ACR, Artifact Registry or
 * the laptop's in-cluster registry, pushed to by its Service and pulled through a node port, with
 * `--insecure-registry`), the push identity's pod labels (AKS workload identity), the build pods'
 * host aliases to the ingress (ctx.dns.loopback).
 */
const CONTEXT_ENV_VALUES: Record<string, string> = {
  FAWKES_REGISTRY_PUSH: "<ctx.registry.pushUrl>",
  FAWKES_REGISTRY_PULL: "<ctx.registry.pullUrl>",
  FAWKES_KANIKO_FLAGS: "<ctx.registry.kanikoFlags>",
  FAWKES_BUILDER_POD_LABELS: "<workloadIdentity.podLabels>",
  FAWKES_BUILDER_HOST_ALIASES: "<ctx.dns.loopback>",
};

/** An environment variable's name: Kubernetes' `name`, or `key` in JCasC's global envVars. */
const envName = (x: unknown): string => (x && typeof x === "object" ? String((x as any).name ?? (x as any).key ?? "") : "");

/**
 * Argo CD's `configs.tls` when it holds only `certificates`: the local CA its repo server trusts for
 * the git host (ctx.certificates selfSigned, argocd-tls-certs-cm). Ingress `tls` keys stay compared.
 */
const isLocalCaTls = (k: string, x: unknown) => k === "tls" && !!x && typeof x === "object" && Object.keys(x).join() === "certificates";

const isObject = (x: unknown): x is Record<string, unknown> => !!x && typeof x === "object" && !Array.isArray(x);

function normalize(v: unknown, key = ""): unknown {
  if (Array.isArray(v))
    return v
      .filter((x) => !CONTEXT_ENV.test(envName(x)))
      .map((x) => (envName(x) in CONTEXT_ENV_VALUES ? { ...(x as object), value: CONTEXT_ENV_VALUES[envName(x)] } : x))
      .map((x) => normalize(x, key));
  if (v && typeof v === "object") {
    // A context key is dropped whole: present on one foundation (Azure's azure.json volume), absent on
    // another. So is an object that held only context keys (Gitea's `global` with just host aliases).
    const isEmptied = (x: unknown, n: unknown) => isObject(x) && Object.keys(x).length > 0 && isObject(n) && Object.keys(n).length === 0;
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k, x]) => !CONTEXT_KEYS.has(k) && !PLACEMENT.test(k) && !isLocalCaTls(k, x))
        .map(([k, x]) => [k, x, k === "configScripts" ? configScripts(x) : normalize(x, k)] as const)
        .filter(([, x, n]) => !isEmptied(x, n))
        .map(([k, , n]) => [k, n]),
    );
  }
  // Terraform references differ by construct path and cloud resource; hosts by domain.
  // Argo CD's oidc.config carries the local CA inline (ctx.certificates selfSigned).
  // Jenkins' javaOpts point at the trust store with the local CA (the same).
  // A database host is a reference on a cloud, a Service of the laptop's data namespace there
  // (ctx.postgres() / ctx.database(): foundations/existing-cluster/data.ts DATA_NAMESPACE).
  // The git bootstrap Job is named after a hash of its ConfigMap, compared on its own below.
  if (typeof v === "string")
    return v
      .replace(/\$\{[^}]*\}/g, "<ref>")
      .replace(/\b[a-z0-9-]+\.fawkes-data\.svc\b/g, "<ref>")
      .replace(/^git-bootstrap-[0-9a-f]{10}$/, "git-bootstrap-<config hash>")
      .replace(/\n\s*rootCA: <ref>/, "")
      .replace(/ -Djavax\.net\.ssl\.trustStore=\S+ -Djavax\.net\.ssl\.trustStoreType=PKCS12/, "");
  return v;
}

/** JCasC's config scripts are YAML text: compared parsed, so their env vars are masked like the others. */
function configScripts(scripts: unknown): unknown {
  if (!scripts || typeof scripts !== "object") return normalize(scripts);
  return Object.fromEntries(Object.entries(scripts).map(([k, text]) => [k, normalize(typeof text === "string" ? parseYaml(text) : text, k)]));
}

function withDomain(v: unknown, domain: string): unknown {
  return JSON.parse(JSON.stringify(v).split(domain).join("<domain>"));
}

/** The platform releases of each synthesized stack, normalized for comparison. */
function platformOf(tfByStack: Record<string, any>) {
  return Object.fromEntries(
    Object.entries(tfByStack).map(([name, tf]) => {
      const releases: Record<string, PlatformRelease> = {};
      for (const [id, r] of Object.entries<any>(tf.resource.helm_release ?? {})) {
        if (!id.startsWith("Platform_")) continue; // foundation add-ons (autoscaler, CloudNativePG) are the foundation's
        // What ctx.database() / ctx.bucket() create in their request's scope is the context's implementation
        // (RDS on AWS, a CloudNativePG Cluster release locally).
        if (/_(Postgres|MySQL|Bucket)-[a-z0-9-]+_/.test(id)) continue;
        const chart = String(r.chart).startsWith("./assets/") ? "fawkes-manifests" : r.chart;
        releases[r.name] = { name: r.name, chart, version: r.version, values: normalize((r.values ?? []).map((v: string) => parseYaml(v))) };
      }
      return [name, { tf, releases, domain: tf.output.domain.value as string }];
    }),
  );
}

/**
 * The equivalence suite over synthesized stacks (by stack name), every stack with the same
 * components enabled (the laptop's default switches turn heavy ones off: compare like with like).
 */
export function describeEquivalence(tfByStack: Record<string, any>): void {
  const stacks = platformOf(tfByStack);
  const clouds = ["fawkes-aws", "fawkes-azure", "fawkes-gcp"].filter((s) => s in stacks);
  const reference = stacks["fawkes-aws"];

  describe("the platform layer is identical on every foundation", () => {
    test("all four stacks are registered", () => {
      expect(Object.keys(stacks).sort()).toEqual(["fawkes-aws", "fawkes-azure", "fawkes-gcp", "fawkes-local"]);
    });

    test.each(clouds.filter((s) => s !== "fawkes-aws"))("%s installs the same releases (name, chart, version) as fawkes-aws", (name) => {
      const summary = (s: typeof reference) =>
        Object.values(s.releases)
          .map((r) => `${r.name} ${r.chart}@${r.version}`)
          .sort();
      expect(summary(stacks[name])).toEqual(summary(reference));
    });

    test("fawkes-local installs the same releases, but external-dns (names resolve without DNS there)", () => {
      const summary = (s: typeof reference) =>
        Object.values(s.releases)
          .map((r) => `${r.name} ${r.chart}@${r.version}`)
          .sort();
      expect(summary(stacks["fawkes-local"])).toEqual(summary(reference).filter((r) => !r.startsWith("external-dns ")));
    });

    test.each(Object.keys(stacks).filter((s) => s !== "fawkes-aws"))("%s renders the same values as fawkes-aws, but for what its context computes", (name) => {
      const other = stacks[name];
      const diffs: string[] = [];
      for (const r of Object.values(other.releases)) {
        const mine = withDomain(r.values, other.domain);
        const theirs = withDomain(reference.releases[r.name].values, reference.domain);
        if (JSON.stringify(mine) !== JSON.stringify(theirs)) diffs.push(`${r.name}: ${firstDifference(mine, theirs)}`);
      }
      // The front door's exposure and certificate source are context too: NodePort on kind, a local CA.
      // The dojo placement policy carries ctx.nodePools.dojo inside CEL expressions (the AKS spot taint,
      // no pool label on a laptop): context, in a form the key masking cannot see.
      const everywhere = [/^dojo-placement: /];
      // No DNS provider on a laptop, so no external-dns to monitor either.
      const allowed = [...everywhere, ...(name === "fawkes-local" ? [/^traefik: .*(service|ports)/, /^cluster-issuers: /, /^platform-monitors: /] : [])];
      expect(diffs.filter((d) => !allowed.some((a) => a.test(d)))).toEqual([]);
    });

    test.each(Object.keys(stacks).filter((s) => s !== "fawkes-aws"))(
      "%s bootstraps the git service with the same config as fawkes-aws (its Job's name hashes it), but the registry's pull URL",
      (name) => {
        const mine = gitBootstrapConfig(stacks[name].tf, stacks[name].domain);
        const theirs = gitBootstrapConfig(reference.tf, reference.domain);
        // Not vacuous: the templates do carry the registry (and the ConfigMap is there at all).
        expect(JSON.stringify(theirs)).toContain("<ctx.registry.pullUrl>");
        expect(firstDifference(mine, theirs)).toBe("");
      },
    );
  });
}

/** ctx.registry's pull URL as the pipeline gets it (Jenkins' FAWKES_REGISTRY_PULL), if Jenkins is installed. */
function registryPullUrl(tf: any): string | undefined {
  const jenkins = Object.values<any>(tf.resource.helm_release ?? {}).find((r) => r.name === "jenkins");
  const text = jenkins && parseYaml(jenkins.values[0])?.controller?.JCasC?.configScripts?.environment;
  const env = text ? (parseYaml(text)?.jenkins?.globalNodeProperties?.[0]?.envVars?.env ?? []) : [];
  return env.find((e: { key: string }) => e.key === "FAWKES_REGISTRY_PULL")?.value;
}

/** The names of the stack's ClusterIssuers (ctx.certificates: Let's Encrypt on a cloud, the local CA on a laptop). */
function clusterIssuers(tf: any): Set<string> {
  const names = new Set<string>();
  for (const r of Object.values<any>(tf.resource.helm_release ?? {}))
    for (const v of r.values ?? []) for (const m of parseYaml(v)?.manifests ?? []) if (m?.kind === "ClusterIssuer") names.add(m.metadata.name);
  return names;
}

/**
 * The git service's bootstrap ConfigMap (organisations, robots, webhooks, the platform's published
 * repositories), normalized: its Job is named after a hash of it, which the values comparison masks.
 * The published templates carry ctx.registry's pull URL (a service's `newName`) and the cluster
 * issuer a service's certificate comes from, compared as those fields.
 */
function gitBootstrapConfig(tf: any, domain: string): Record<string, unknown> | undefined {
  const cm = Object.values<any>(tf.resource.kubernetes_config_map_v1 ?? {}).find((c) => c.metadata?.name === "git-bootstrap");
  if (!cm) return undefined;
  const pull = registryPullUrl(tf);
  const issuers = clusterIssuers(tf);
  const normalized = (text: string) =>
    (pull ? text.split(pull).join("<ctx.registry.pullUrl>") : text)
      .split(domain)
      .join("<domain>")
      .replace(/\$\{[^}]*\}/g, "<ref>")
      .replace(/clusterIssuer: ([a-z0-9-]+)/g, (line, issuer: string) => (issuers.has(issuer) ? "clusterIssuer: <ctx.certificates issuer>" : line));
  // Repository files are JSON: parsed, so a difference names its file.
  const parsed = (text: string) => {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  };
  // The published repositories are gzip in the binary data: decoded, then compared like the rest.
  const repositories = Object.entries(publishedRepositories(cm)).map(([name, repo]) => [`repo-${name}.json.gz`, parsed(normalized(JSON.stringify(repo)))]);
  return Object.fromEntries([...Object.entries<string>(cm.data).map(([k, text]) => [k, parsed(normalized(text))]), ...repositories]);
}

function firstDifference(a: unknown, b: unknown, path = ""): string {
  if (JSON.stringify(a) === JSON.stringify(b)) return "";
  if (a && b && typeof a === "object" && typeof b === "object") {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference((a as any)[k], (b as any)[k], path ? `${path}.${k}` : k);
      if (d) return d;
    }
  }
  return `${path}: ${JSON.stringify(a)?.slice(0, 80)} vs ${JSON.stringify(b)?.slice(0, 80)}`;
}
