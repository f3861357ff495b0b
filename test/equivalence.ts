import { parse as parseYaml } from "yaml";

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
]);

/** Placement under other names (scanJobNodeSelector, scanJobTolerations...): ctx.nodePools. */
const PLACEMENT = /(NodeSelector|Tolerations|Affinity)$/;

/** Environment variables computed from the context: Mattermost's file store settings follow ctx.bucket(); the local CA's file. */
const CONTEXT_ENV = /^(MM_FILESETTINGS_|NODE_EXTRA_CA_CERTS$|CA_FILE$)/;

function normalize(v: unknown, key = ""): unknown {
  if (Array.isArray(v)) return v.filter((x) => !CONTEXT_ENV.test((x as { name?: string })?.name ?? "")).map((x) => normalize(x, key));
  if (v && typeof v === "object") {
    // A context key is dropped whole: present on one foundation (Azure's azure.json volume), absent on another.
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k]) => !CONTEXT_KEYS.has(k) && !PLACEMENT.test(k))
        .map(([k, x]) => [k, normalize(x, k)]),
    );
  }
  // Terraform references differ by construct path and cloud resource; hosts by domain.
  // Argo CD's oidc.config carries the local CA inline (ctx.certificates selfSigned).
  // Jenkins' javaOpts point at the trust store with the local CA (the same).
  if (typeof v === "string")
    return v
      .replace(/\$\{[^}]*\}/g, "<ref>")
      .replace(/\n\s*rootCA: <ref>/, "")
      .replace(/ -Djavax\.net\.ssl\.trustStore=\S+ -Djavax\.net\.ssl\.trustStoreType=PKCS12/, "");
  return v;
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
  });
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
