import { testConfig, synthComponents } from "./support";

/**
 * Capacity math for the README: the platform's requests on the `workloads` pool must fit the default
 * node group. Allocatable per m6i.xlarge node (4 vCPU, 16 GiB) on the EKS AMI: CPU 4000m - 80m reserved
 * = 3.92; memory 16 GiB - (255 MiB + 11 MiB x 58 pods) kube-reserved - 100 MiB eviction ≈ 15.0 GiB,
 * rounded down to 14.5. DaemonSets on every node (VPC CNI, kube-proxy, EBS CSI node, node-exporter,
 * Cilium/Dataplane agents elsewhere) are budgeted at 0.2 CPU and 0.5 GiB.
 */
const NODE = { cpu: 3.92 - 0.2, memoryGiB: 14.5 - 0.5 };

function platformRequests(profile: "small" | "standard") {
  const { platform } = synthComponents("all", { profile });
  const rows = [...platform.outputs].map(([id, o]) => ({ id, cpu: o.requests?.cpu ?? 0, memoryGiB: o.requests?.memoryGiB ?? 0 }));
  return { rows, cpu: rows.reduce((n, r) => n + r.cpu, 0), memoryGiB: rows.reduce((n, r) => n + r.memoryGiB, 0) };
}

describe("capacity of the default workloads pool", () => {
  const pool = testConfig().nodePools.workloads;
  const small = platformRequests("small");

  test("the small profile fits the workloads pool at its minimum size", () => {
    expect(small.cpu).toBeLessThanOrEqual(pool.min * NODE.cpu);
    expect(small.memoryGiB).toBeLessThanOrEqual(pool.min * NODE.memoryGiB);
  });

  test("the standard profile fits the workloads pool at its desired size", () => {
    const standard = platformRequests("standard");
    expect(standard.cpu).toBeLessThanOrEqual(pool.desired * NODE.cpu);
    expect(standard.memoryGiB).toBeLessThanOrEqual(pool.desired * NODE.memoryGiB);
  });

  test("every component with pods on the workloads pool reports its requests", () => {
    for (const id of ["identity", "observability", "git", "backstage", "argocd", "jenkins", "scanning", "mattermost", "dora"]) {
      expect({ id, reported: (small.rows.find((r) => r.id === id)?.cpu ?? 0) > 0 }).toEqual({ id, reported: true });
    }
  });
});
