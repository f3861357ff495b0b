import { CHARTS } from "../constructs/catalog";
import { alloyConfig, LOG_LABELS, streamLabels } from "../constructs/components/observability";
import { exploreUrl, serviceQueries } from "../constructs/monitoring";
import { manifests, release, resources, synthComponents, values } from "./support";
import { synthesized } from "./synthesized";

const CLOUDS = ["fawkes-aws", "fawkes-azure", "fawkes-gcp", "fawkes-local"] as const;
/** Cloud credentials that must never reach chart values: every store uses workload identity. */
const STATIC_KEYS = /accessKeyId|secretAccessKey|access_key_id|secret_access_key|accountKey|account_key|connectionString|service_account"|sas_token/i;

describe("logs and traces (Loki, Tempo, Alloy)", () => {
  describe.each(CLOUDS)("%s", (stack) => {
    const tf = synthesized(stack);
    const loki = values(release(tf, "loki"));
    const tempo = values(release(tf, "tempo"));

    test("Loki, Tempo and Alloy are pinned releases of the grafana-community / grafana repositories", () => {
      for (const [name, pin] of [
        ["loki", CHARTS.loki],
        ["tempo", CHARTS.tempo],
        ["alloy", CHARTS.alloy],
      ] as const) {
        const r = release(tf, name);
        expect({ name, repository: r.repository, chart: r.chart, version: r.version }).toEqual({ name, ...pin });
        expect(r.version).toMatch(/^\d+\.\d+\.\d+$/);
      }
      expect([CHARTS.loki.repository, CHARTS.tempo.repository]).toEqual([
        "https://grafana-community.github.io/helm-charts",
        "https://grafana-community.github.io/helm-charts",
      ]);
      expect(loki.deploymentMode).toBe("Monolithic");
    });

    test("single tenant, no static keys in the stores' values", () => {
      expect(loki.loki.auth_enabled).toBe(false);
      expect(tempo.tempo.multitenancyEnabled).toBe(false);
      expect(JSON.stringify([loki, tempo])).not.toMatch(STATIC_KEYS);
    });

    const objectStore = stack !== "fawkes-local";
    (objectStore ? test : test.skip)("both stores keep their data in the foundation's bucket, with the service account's workload identity", () => {
      const type = { "fawkes-aws": "s3", "fawkes-azure": "azure", "fawkes-gcp": "gcs" }[stack as "fawkes-aws"];
      expect(loki.loki.storage.type).toBe(type);
      expect(loki.loki.schemaConfig.configs[0].object_store).toBe(type);
      expect(loki.loki.compactor).toEqual({ retention_enabled: true, delete_request_store: type });
      expect(tempo.tempo.storage.trace.backend).toBe(type);
      const bucketRef = /\$\{(aws_s3_bucket|google_storage_bucket)\.[^}]*Bucket-(loki|tempo)[^}]*\}|^(loki|tempo)$/;
      expect(loki.loki.storage.bucketNames.chunks).toMatch(bucketRef);
      const tempoBucket = tempo.tempo.storage.trace[type!];
      expect(tempoBucket.bucket ?? tempoBucket.bucket_name ?? tempoBucket.container_name).toMatch(bucketRef);
      for (const [name, v] of [
        ["loki", loki],
        ["tempo", tempo],
      ] as const) {
        // The identity annotation points at a resource made for observability/<name>.
        const annotations = Object.values(v.serviceAccount.annotations as Record<string, string>);
        expect({ name, annotations }).toEqual({ name, annotations: [expect.stringContaining(`Identity-observability-${name}`)] });
        expect(v.serviceAccount.name).toBe(name);
      }
      // The grant names the bucket: IAM policy, role assignment on the container, or bucket IAM member.
      const grants = [
        // AWS: the role's inline policy is rendered from a policy document.
        ...(Object.entries(tf.data?.aws_iam_policy_document ?? {}) as [string, any][]),
        ...resources(tf, "azurerm_role_assignment"),
        ...resources(tf, "google_storage_bucket_iam_member"),
      ].filter(([id]) => /Identity-observability-(loki|tempo)/.test(id));
      expect(grants.length).toBeGreaterThanOrEqual(2);
      for (const name of ["loki", "tempo"]) {
        const own = grants.filter(([id]) => id.includes(`Identity-observability-${name}`)).map(([, r]) => JSON.stringify(r));
        expect({ name, grantsBucket: own.some((r) => r.includes(`Bucket-${name}`) || r.includes("Storage")) }).toEqual({ name, grantsBucket: true });
      }
      if (stack === "fawkes-azure") {
        expect(loki.loki.storage.azure.useFederatedToken).toBe(true);
        expect(tempo.tempo.storage.trace.azure.use_federated_token).toBe(true);
        expect(tempo.podLabels).toEqual({ "azure.workload.identity/use": "true" });
      }
    });

    (objectStore ? test.skip : test)("on a laptop (no object store) both keep their data on a volume of the platform StorageClass", () => {
      expect(loki.loki.storage.type).toBe("filesystem");
      expect(tempo.tempo.storage.trace.backend).toBe("local");
      expect(loki.singleBinary.persistence).toMatchObject({ enabled: true, storageClass: expect.any(String) });
      expect(tempo.persistence).toMatchObject({ enabled: true, storageClassName: expect.any(String) });
    });

    test("only the observability namespace reaches Loki and Tempo (their authentication, single tenant)", () => {
      const policies = manifests(release(tf, "observability-stores-policy"));
      expect(policies.map((p) => [p.spec.podSelector.matchLabels["app.kubernetes.io/name"], p.spec.ingress])).toEqual([
        ["loki", [{ from: [{ podSelector: {} }] }]],
        ["tempo", [{ from: [{ podSelector: {} }] }]],
      ]);
    });
  });

  describe("on the fake context", () => {
    const { tf, platform } = synthComponents(["observability"]);
    const alloy = values(release(tf, "alloy"));
    const config: string = alloy.alloy.configMap.content;
    const grafana = values(release(tf, "grafana"));
    const datasources: any[] = grafana.datasources["datasources.yaml"].datasources;
    const byUid = (uid: string) => datasources.find((d) => d.uid === uid);

    test("retention follows the profile for both stores: lab 3d, small 14d, standard 30d", () => {
      const retention = (profile: "lab" | "small" | "standard") => {
        const t = synthComponents(["observability"], { profile }).tf;
        return [values(release(t, "loki")).loki.limits_config.retention_period, values(release(t, "tempo")).tempo.retention];
      };
      expect([retention("lab"), retention("small"), retention("standard")]).toEqual([
        ["72h", "72h"],
        ["336h", "336h"],
        ["720h", "720h"],
      ]);
      expect(values(release(tf, "loki")).loki.compactor.retention_enabled).toBe(true);
    });

    test("Alloy is a DaemonSet on every node with a logs pipeline to Loki and an OTLP pipeline to Tempo", () => {
      expect(alloy.controller.type).toBe("daemonset");
      expect(alloy.controller.tolerations).toEqual([{ operator: "Exists" }]);
      expect(config).toMatch(/discovery\.kubernetes "pods"[\s\S]*loki\.source\.kubernetes "pods"[\s\S]*loki\.write "loki"/);
      expect(config).toContain('url = "http://loki.observability.svc:3100/loki/api/v1/push"');
      expect(config).toContain("stage.json");
      expect(config).toMatch(/otelcol\.receiver\.otlp "default" \{\s*grpc \{\s*endpoint = "0\.0\.0\.0:4317"\s*\}\s*http \{\s*endpoint = "0\.0\.0\.0:4318"/);
      expect(config).toMatch(/otelcol\.exporter\.otlp "tempo" \{\s*client \{\s*endpoint = "tempo\.observability\.svc:4317"/);
      expect(alloy.alloy.extraPorts.map((p: any) => p.port)).toEqual([4317, 4318]);
      // Each pod tails only its own node's pods: the filter reads the node name the chart passes in.
      expect(config).toContain('field = "spec.nodeName=" + sys.env("NODE_NAME")');
      expect(alloy.alloy.extraEnv).toEqual([{ name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }]);
    });

    test("log stream labels are exactly namespace, service, env and level; ids are structured metadata", () => {
      expect(streamLabels(config)).toEqual([...LOG_LABELS].sort());
      expect(config).toMatch(/stage\.structured_metadata \{\s*values = \{ pod = "", container = "", trace_id = "", span_id = "", request_id = "" \}/);
      // The level label comes only from the bounded regex capture.
      expect(config).toMatch(/stage\.labels \{\s*values = \{ level = "known_level" \}/);
      expect(config).toContain('"(?i)^(?P<known_level>trace|debug|info|warn|warning|error|fatal|critical)$"');
      // The label parser sees an added label, so the assertion above would catch one.
      expect(streamLabels(`${config}\nrule {\n  target_label = "pod_name"\n}\n`)).toContain("pod_name");
      expect(streamLabels('stage.labels {\n  values = { trace_id = "" }\n}')).toEqual(["trace_id"]);
    });

    test("env label: team environments by namespace suffix or the fawkes.dev/environment label, platform otherwise", () => {
      expect(config).toMatch(/target_label = "env"\s*replacement\s*= "platform"/);
      expect(config).toContain('regex         = "^.+-(staging|production)$"');
      expect(config).toContain("__meta_kubernetes_pod_label_fawkes_dev_environment");
      expect(config).toContain("__meta_kubernetes_pod_label_app_kubernetes_io_name");
      const cfg = alloyConfig({ lokiPushUrl: "http://l/push", tempoOtlpGrpc: "t:4317" });
      expect(cfg).toContain('url = "http://l/push"');
    });

    test("Grafana: Loki's trace_id opens Tempo; Tempo's spans open logs, metrics, the service map", () => {
      expect(datasources.map((d) => d.uid)).toEqual(expect.arrayContaining(["prometheus", "loki", "tempo"]));
      const loki = byUid("loki");
      expect(loki).toMatchObject({ type: "loki", url: "http://loki.observability.svc:3100" });
      expect(loki.jsonData.derivedFields).toEqual([
        expect.objectContaining({ name: "trace_id", matcherType: "label", matcherRegex: "trace_id", datasourceUid: "tempo" }),
      ]);
      expect(loki.jsonData.derivedFields[0].url).toContain("{__value.raw}");
      const tempo = byUid("tempo");
      expect(tempo).toMatchObject({ type: "tempo", url: "http://tempo.observability.svc:3200" });
      expect(tempo.jsonData.tracesToLogsV2).toMatchObject({ datasourceUid: "loki", spanStartTimeShift: "-5m", spanEndTimeShift: "5m" });
      expect(tempo.jsonData.tracesToLogsV2.tags.map((t: any) => t.value)).toEqual(["service", "env", "namespace"]);
      expect(tempo.jsonData.tracesToMetrics.datasourceUid).toBe("prometheus");
      expect(tempo.jsonData.serviceMap).toEqual({ datasourceUid: "prometheus" });
      expect(tempo.jsonData.nodeGraph).toEqual({ enabled: true });
      // The service map's metrics: Tempo's generator writes to Prometheus, which accepts remote write.
      const t = values(release(tf, "tempo"));
      expect(t.tempo.metricsGenerator).toMatchObject({
        enabled: true,
        remoteWriteUrl: expect.stringMatching(/-prometheus\.observability\.svc:9090\/api\/v1\/write$/),
      });
      expect(t.tempo.overrides.defaults.metrics_generator.processors).toEqual(["service-graphs", "span-metrics"]);
      expect(values(release(tf, "kube-prometheus-stack")).prometheus.prometheusSpec.enableRemoteWriteReceiver).toBe(true);
    });

    test("the monitoring service names Loki, Tempo and the OTLP endpoint; requests include their pods", () => {
      const out = platform.outputs.get("observability")!;
      expect(out.services?.monitoring).toMatchObject({
        lokiUrl: "http://loki.observability.svc:3100",
        tempoUrl: "http://tempo.observability.svc:3200",
        otlpEndpoint: "http://alloy.observability.svc:4318",
      });
      const loki = values(release(tf, "loki")).singleBinary.resources.requests;
      const tempoReq = values(release(tf, "tempo")).tempo.resources.requests;
      const alloyReq = alloy.alloy.resources.requests;
      const cpu = (q: string) => (q.endsWith("m") ? Number(q.slice(0, -1)) / 1000 : Number(q));
      const newCpu = cpu(loki.cpu) + cpu(tempoReq.cpu) + cpu(alloyReq.cpu);
      // Prometheus, Alertmanager, the operator and Grafana alone request this much (helm-values/profiles/small).
      const stack = values(release(tf, "kube-prometheus-stack"));
      const before = [stack.prometheus.prometheusSpec, stack.alertmanager.alertmanagerSpec, stack.prometheusOperator, values(release(tf, "grafana"))]
        .map((v) => cpu(v.resources?.requests?.cpu ?? "0"))
        .reduce((n, x) => n + x, 0);
      expect(out.requests!.cpu).toBeGreaterThanOrEqual(Math.round((before + newCpu) * 1000) / 1000);
    });
  });

  describe("exploreUrl and serviceQueries", () => {
    test("open Explore with the service's logs or traces in one environment", () => {
      const queries = serviceQueries("orders", "staging");
      const pane = (url: string) => JSON.parse(decodeURIComponent(new URL(url).searchParams.get("panes")!)).a;
      const logs = exploreUrl("https://grafana.fawkes.test/", "loki", queries.logs);
      expect(logs.startsWith("https://grafana.fawkes.test/explore?schemaVersion=1&orgId=1&panes=")).toBe(true);
      expect(pane(logs).queries[0]).toMatchObject({ datasource: { uid: "loki" }, expr: '{service="orders", env="staging"}' });
      const traces = pane(exploreUrl("https://grafana.fawkes.test", "tempo", queries.traces));
      expect(traces.queries[0]).toMatchObject({ datasource: { uid: "tempo" }, queryType: "traceql" });
      expect(traces.queries[0].query).toBe('{resource.service.name="orders" && resource.deployment.environment="staging"}');
    });

    test("refuse names that would break the query", () => {
      expect(() => serviceQueries('x"}', "staging")).toThrow(/serviceQueries.service must be/);
      expect(() => serviceQueries("orders", "")).toThrow(/serviceQueries.env must be/);
    });
  });
});
