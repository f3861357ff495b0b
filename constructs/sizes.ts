/**
 * Pod resource requests read back from rendered chart values, so sizes are written once (in
 * helm-values/profiles) and `ComponentOutput.requests` follows them.
 */
export interface Requests {
  readonly cpu: number;
  readonly memoryGiB: number;
}

/** Kubernetes CPU quantity ("250m", "1", "0.5") in cores. */
function cpuCores(q: unknown): number {
  if (q === undefined || q === null || q === "") return 0;
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(String(q));
  if (!m) throw new Error(`not a CPU quantity: "${String(q)}"`);
  return Number(m[1]) / (m[2] ? 1000 : 1);
}

const UNITS: Record<string, number> = { "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/** Kubernetes memory quantity ("512Mi", "1Gi", "1G") in GiB. */
export function memoryGiB(q: unknown): number {
  if (q === undefined || q === null || q === "") return 0;
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T|)$/.exec(String(q));
  if (!m) throw new Error(`not a memory quantity: "${String(q)}"`);
  return (Number(m[1]) * UNITS[m[2]]) / 2 ** 30;
}

/** Where a workload's `resources` are in rendered values, and how many pods run it. */
export interface PodGroup {
  readonly resources: unknown;
  /** @default 1 */
  readonly replicas?: unknown;
}

/** Sum of requests over pod groups (`replicas` defaults to 1), rounded to 3 decimals. */
export function sumRequests(groups: PodGroup[]): Requests {
  let cpu = 0;
  let mem = 0;
  for (const g of groups) {
    const requests = (g.resources as { requests?: { cpu?: unknown; memory?: unknown } } | undefined)?.requests ?? {};
    const n = g.replicas === undefined || g.replicas === null ? 1 : Number(g.replicas);
    cpu += n * cpuCores(requests.cpu);
    mem += n * memoryGiB(requests.memory);
  }
  return { cpu: round(cpu), memoryGiB: round(mem) };
}

/** Adds requests, rounded to 3 decimals. */
export function addRequests(...all: (Requests | undefined)[]): Requests {
  const present = all.filter((r): r is Requests => r !== undefined);
  return { cpu: round(present.reduce((n, r) => n + r.cpu, 0)), memoryGiB: round(present.reduce((n, r) => n + r.memoryGiB, 0)) };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
