import { applyGraph } from "../stacks/apply-time";
import { manifests, values } from "./tf";
import { synthesized, type StandardKey } from "./synthesized";

/**
 * A custom resource can only be created once its CRD exists (and, for most operators, once their
 * admission webhook answers). Helm and Terraform do not know that a release renders another
 * release's kinds, so every such release must wait for the owner — directly or through others.
 * Charts that check `.Capabilities` (Argo CD's ServiceMonitors) fail silently instead of loudly.
 */

/** API group → the chart (`helm_release.chart`) whose release installs the group's CRDs and webhook. */
const CRD_OWNERS: Record<string, string> = {
  "monitoring.coreos.com": "kube-prometheus-stack",
  "cert-manager.io": "cert-manager",
  "acme.cert-manager.io": "cert-manager",
  "external-secrets.io": "external-secrets",
  "generators.external-secrets.io": "external-secrets",
  "installation.mattermost.com": "mattermost-operator",
  "kyverno.io": "kyverno",
  "policies.kyverno.io": "kyverno",
  "postgresql.cnpg.io": "cloudnative-pg",
  "argoproj.io": "argo-cd",
};
/** Groups every cluster serves: no release to wait for. */
const BUILT_IN = new Set([
  "",
  "apps",
  "batch",
  "policy",
  "autoscaling",
  "rbac.authorization.k8s.io",
  "admissionregistration.k8s.io",
  "networking.k8s.io",
  "storage.k8s.io",
  "scheduling.k8s.io",
  "coordination.k8s.io",
]);

const STACK_KEYS: StandardKey[] = ["fawkes-aws", "fawkes-azure", "fawkes-gcp", "fawkes-local-all"];

const groupOf = (apiVersion: string) => (apiVersion.includes("/") ? apiVersion.split("/")[0] : "");

/**
 * The monitoring objects a chart renders from its values: any `serviceMonitor`/`podMonitor`/
 * `prometheusRule` switch that is on (`...: true` or `{ enabled: true }`, at any depth, e.g.
 * `server.metrics.serviceMonitor.enabled`), plus switches charts name otherwise.
 */
const OTHER_MONITOR_SWITCHES: Record<string, string[][]> = {
  // The Jenkins chart's ServiceMonitor.
  jenkins: [["controller", "prometheus", "enabled"]],
};
function chartMonitors(chart: string, v: any): string[] {
  const found: string[] = [];
  const walk = (node: any, at: string[]) => {
    if (!node || typeof node !== "object") return;
    for (const [k, x] of Object.entries<any>(node)) {
      if (/(service|pod)monitor|prometheusrules?$/i.test(k) && (x === true || (x && typeof x === "object" && x.enabled === true)))
        found.push([...at, k].join("."));
      walk(x, [...at, k]);
    }
  };
  walk(v, []);
  for (const p of OTHER_MONITOR_SWITCHES[chart] ?? []) if (p.reduce((o: any, k) => o?.[k], v) === true) found.push(p.join("."));
  return found;
}

/** What each release creates that needs someone else's CRDs: [owner chart, what] pairs. */
function needsOf(rel: any): [string, string][] {
  const out: [string, string][] = [];
  const isManifests = String(rel.chart).includes("/Chart-fawkes-manifests/");
  if (isManifests) {
    for (const m of manifests(rel)) {
      const group = groupOf(m.apiVersion);
      if (BUILT_IN.has(group)) continue;
      // A kind nobody owns here fails the test: add its group to CRD_OWNERS.
      out.push([CRD_OWNERS[group] ?? `(no owner known for ${m.apiVersion})`, `${m.kind} ${m.metadata?.name}`]);
    }
  } else if (rel.chart !== "kube-prometheus-stack") {
    for (const where of chartMonitors(rel.chart, values(rel))) out.push(["kube-prometheus-stack", `values ${where}`]);
  }
  return out;
}

describe.each(STACK_KEYS)("%s: every release waits for the release owning the CRDs it uses", (key) => {
  const tf = synthesized(key);
  const graph = applyGraph(tf);
  const releases = Object.entries<any>(tf.resource.helm_release).map(([id, r]) => ({ address: `helm_release.${id}`, ...r }));
  const byChart = (chart: string) => releases.filter((r) => r.chart === chart).map((r) => r.address);

  /** Everything an address waits for, directly or not (depends_on and references). */
  const upstream = (address: string): Set<string> => {
    const seen = new Set<string>();
    const stack = [...(graph.get(address)?.deps ?? [])];
    while (stack.length) {
      const a = stack.pop()!;
      if (seen.has(a)) continue;
      seen.add(a);
      stack.push(...(graph.get(a)?.deps ?? []));
    }
    return seen;
  };

  const cases = releases.flatMap((r) => needsOf(r).map(([owner, what]) => [r.name as string, owner, what, r.address as string] as const));

  test("the check sees the monitors of Trivy, SonarQube, Jenkins and Argo CD (so it cannot pass by finding nothing)", () => {
    const creators = new Set(cases.filter(([, owner]) => owner === "kube-prometheus-stack").map(([name]) => name));
    for (const name of ["trivy-operator", "sonarqube", "jenkins", "argocd", "grafana", "kyverno"]) expect(creators).toContain(name);
  });

  test.each(cases)("%s waits for %s (it creates %s)", (_name, owner, _what, address) => {
    const owners = byChart(owner);
    expect(owners).not.toEqual([]);
    const before = upstream(address);
    expect(owners.filter((o) => before.has(o))).toEqual(owners);
  });
});
