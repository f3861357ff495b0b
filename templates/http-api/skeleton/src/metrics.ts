/**
 * The service's Prometheus metrics, served on `/metrics` (deploy/base/servicemonitor.yaml scrapes it):
 * `http_requests_total{method,code}` and `http_request_duration_seconds{method}`, which the default
 * alerts' error-rate and latency burn rates read (deploy/base/prometheusrule.yaml; 0.5 s is the
 * latency objective, so it is a bucket). The text exposition format by hand: no client library needed.
 */
const BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

const requests = new Map<string, number>();
const durations = new Map<string, { buckets: number[]; sum: number; count: number }>();

/** Records one answered request (probes included: they are requests too). */
export function observeRequest(method: string, status: number, seconds: number): void {
  const key = `method="${method}",code="${status}"`;
  requests.set(key, (requests.get(key) ?? 0) + 1);
  const h = durations.get(method) ?? { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 };
  BUCKETS.forEach((le, i) => {
    if (seconds <= le) h.buckets[i]! += 1;
  });
  h.sum += seconds;
  h.count += 1;
  durations.set(method, h);
}

/** The metrics in Prometheus' text format (version 0.0.4). */
export function metricsText(): string {
  const lines = ["# HELP http_requests_total HTTP requests answered.", "# TYPE http_requests_total counter"];
  for (const [labels, n] of requests) lines.push(`http_requests_total{${labels}} ${n}`);
  lines.push("# HELP http_request_duration_seconds Time to answer an HTTP request.", "# TYPE http_request_duration_seconds histogram");
  for (const [method, h] of durations) {
    BUCKETS.forEach((le, i) => lines.push(`http_request_duration_seconds_bucket{method="${method}",le="${le}"} ${h.buckets[i]}`));
    lines.push(`http_request_duration_seconds_bucket{method="${method}",le="+Inf"} ${h.count}`);
    lines.push(`http_request_duration_seconds_sum{method="${method}"} ${h.sum}`);
    lines.push(`http_request_duration_seconds_count{method="${method}"} ${h.count}`);
  }
  return `${lines.join("\n")}\n`;
}

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
