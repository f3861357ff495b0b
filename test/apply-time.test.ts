import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { summarize } from "../stacks/summary";
import { applyGraph, createSeconds, describeEstimate, estimateApply, finishTimes, longestPath, type GraphNode } from "../stacks/apply-time";
import { synthesized } from "./synthesized";

const graphOf = (nodes: Record<string, [number, string[]]>) =>
  new Map<string, GraphNode>(Object.entries(nodes).map(([a, [seconds, deps]]) => [a, { seconds, deps }]));
const releaseAddress = (tf: any, name: string) => `helm_release.${Object.entries<any>(tf.resource.helm_release).find(([, r]) => r.name === name)![0]}`;

describe("longestPath", () => {
  test("takes the heaviest chain, not the longest in steps", () => {
    // a → b → d is 1 + 5 + 1; a → c → e → d is 1 + 1 + 1 + 1.
    const g = graphOf({ a: [1, []], b: [5, ["a"]], c: [1, ["a"]], e: [1, ["c"]], d: [1, ["b", "e"]], lone: [3, []] });
    expect(longestPath(g)).toEqual({ seconds: 7, path: ["a", "b", "d"] });
    expect(finishTimes(g).get("e")!.seconds).toBe(3);
  });

  test("removing an edge on the critical path shortens it", () => {
    const g = graphOf({ cluster: [600, []], issuers: [60, ["cluster"]], grafana: [120, ["cluster", "issuers"]] });
    expect(longestPath(g).seconds).toBe(780);
    g.set("grafana", { seconds: 120, deps: ["cluster"] });
    expect(longestPath(g)).toEqual({ seconds: 720, path: ["cluster", "grafana"] });
  });

  test("ignores dependencies outside the graph, and refuses a cycle", () => {
    expect(longestPath(graphOf({ a: [2, ["output.x"]] })).seconds).toBe(2);
    expect(longestPath(new Map()).seconds).toBe(0);
    expect(() => longestPath(graphOf({ a: [1, ["b"]], b: [1, ["a"]] }))).toThrow(/cycle/);
  });
});

describe("applyGraph", () => {
  const tf = {
    provider: { helm: [{ kubernetes: { host: "${aws_eks_cluster.c.endpoint}" } }] },
    data: { aws_partition: { p: {} } },
    resource: {
      aws_eks_cluster: { c: { name: "x", role_arn: "${aws_iam_role.r.arn}-${data.aws_partition.p.partition}" } },
      aws_iam_role: { r: {} },
      aws_db_instance: { single: {}, ha: { multi_az: true } },
      time_sleep: { wait: { create_duration: "1m30s", depends_on: ["aws_iam_role.r"] }, teardown: { destroy_duration: "5m" } },
      helm_release: {
        app: { timeout: 600, chart: "app" },
        crs: { timeout: 300, chart: "./assets/Chart-fawkes-manifests/ABC", values: ["manifests:\n  - kind: ClusterIssuer\n"] },
      },
    },
  };
  const g = applyGraph(tf);

  test("edges come from depends_on, ${...} references and the provider's configuration", () => {
    expect(g.get("aws_eks_cluster.c")!.deps).toEqual(expect.arrayContaining(["aws_iam_role.r", "data.aws_partition.p"]));
    expect(g.get("time_sleep.wait")!.deps).toEqual(["aws_iam_role.r"]);
    // Every helm release waits for the cluster its provider talks to.
    expect(g.get("helm_release.app")!.deps).toEqual(["aws_eks_cluster.c"]);
  });

  test("create times: the table, settings that matter, helm timeouts, sleeps", () => {
    expect(g.get("aws_eks_cluster.c")!.seconds).toBe(600);
    expect([g.get("aws_db_instance.single")!.seconds, g.get("aws_db_instance.ha")!.seconds]).toEqual([480, 900]);
    expect([g.get("time_sleep.wait")!.seconds, g.get("time_sleep.teardown")!.seconds]).toEqual([90, 0]);
    expect(g.get("helm_release.app")!.seconds).toBe(120);
    expect(g.get("helm_release.crs")!.seconds).toBe(15);
    expect(g.get("data.aws_partition.p")!.seconds).toBe(0);
    expect(createSeconds("kubernetes_namespace_v1", {})).toBe(10);
  });
});

describe("the AWS stack", () => {
  const tf = synthesized("fawkes-aws");
  const graph = applyGraph(tf);
  const finish = finishTimes(graph);
  const at = (name: string) => finish.get(releaseAddress(tf, name))!.seconds;

  test("the estimate starts with the cluster and its nodes, and is in the range EKS applies take", () => {
    const { seconds, path } = estimateApply(tf);
    expect(seconds / 60).toBeGreaterThan(20);
    expect(seconds / 60).toBeLessThan(40);
    expect(path.map((a) => a.split(".")[0])).toEqual(expect.arrayContaining(["aws_eks_cluster", "aws_eks_node_group"]));
    expect(describeEstimate(tf)).toMatch(/^estimated apply ≈ \d+ min \(critical path: .*eks cluster → .*eks node group → .*\)$/);
  });

  test("Grafana does not wait for the ClusterIssuers, nor the Dojo's Kyverno for Grafana", () => {
    const upstream = (address: string, seen = new Set<string>()): Set<string> => {
      for (const d of graph.get(address)?.deps ?? []) {
        if (seen.has(d)) continue;
        seen.add(d);
        upstream(d, seen);
      }
      return seen;
    };
    expect(upstream(releaseAddress(tf, "grafana"))).not.toContain(releaseAddress(tf, "cluster-issuers"));
    expect(upstream(releaseAddress(tf, "kyverno"))).not.toContain(releaseAddress(tf, "grafana"));
    expect(upstream(releaseAddress(tf, "kyverno"))).toContain(releaseAddress(tf, "kube-prometheus-stack"));
  });

  test("putting back the edges removed as unneeded makes the releases behind them later, and never the apply shorter", () => {
    const before = new Map(graph);
    const add = (name: string, ...on: string[]) => {
      const address = releaseAddress(tf, name);
      before.set(address, { ...graph.get(address)!, deps: [...graph.get(address)!.deps, ...on.map((o) => releaseAddress(tf, o))] });
    };
    // The edges of the previous install order: everything after the front door, the Dojo after all of observability.
    const frontDoor = ["traefik", "cert-manager", "cluster-issuers"];
    for (const name of ["grafana", "argocd", "backstage", "jenkins", "mattermost"]) add(name, ...frontDoor);
    add("cluster-issuers", "traefik");
    add("external-dns", "traefik");
    for (const name of ["kyverno", "dojo-pushgateway", "dojo-alerts", "mattermost"]) add(name, "grafana", "platform-monitors");
    const was = finishTimes(before);
    const wasAt = (name: string) => was.get(releaseAddress(tf, name))!.seconds;
    for (const name of ["kyverno", "dojo-pushgateway", "mattermost", "mattermost-admin-bootstrap", "external-dns"]) expect(at(name)).toBeLessThan(wasAt(name));
    expect(longestPath(graph).seconds).toBeLessThanOrEqual(longestPath(before).seconds);
  });
});

test("npm run synth's summary has one estimate line per stack", () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "fawkes-summary-"));
  try {
    const stacks: Record<string, unknown> = {};
    for (const name of ["fawkes-aws", "fawkes-local"] as const) {
      fs.mkdirSync(path.join(outdir, "stacks", name), { recursive: true });
      fs.writeFileSync(path.join(outdir, "stacks", name, "cdk.tf.json"), JSON.stringify(synthesized(name)));
      stacks[name] = { name, synthesizedStackPath: `stacks/${name}/cdk.tf.json` };
    }
    fs.writeFileSync(path.join(outdir, "manifest.json"), JSON.stringify({ stacks }));
    const lines = summarize(outdir, undefined, 1000).split("\n");
    expect(lines.filter((l) => /^fawkes-(aws|local) +estimated apply ≈ \d+ min \(critical path: .+\)$/.test(l))).toHaveLength(2);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
});
