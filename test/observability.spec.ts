import { ObservabilityComponent } from "../constructs/components/observability";
import { manifests, release, resources, synthComponents, values } from "./support";

const idOf = (tf: any, name: string) => resources(tf, "helm_release").find(([, r]) => r.name === name)![0];

describe("ObservabilityComponent", () => {
  const { tf, platform } = synthComponents(["observability", "dns", "secrets"]);
  const stack = values(release(tf, "kube-prometheus-stack"));
  const grafana = values(release(tf, "grafana"));
  const out = platform.outputs.get("observability")!;

  test("Prometheus selects every ServiceMonitor, PodMonitor, rule and probe in the cluster", () => {
    expect(stack.prometheus.prometheusSpec).toMatchObject({
      serviceMonitorSelectorNilUsesHelmValues: false,
      podMonitorSelectorNilUsesHelmValues: false,
      ruleSelectorNilUsesHelmValues: false,
      probeSelectorNilUsesHelmValues: false,
    });
  });

  test("without the identity component: the generated admin signs in with the login form, no OAuth", () => {
    const ini = grafana["grafana.ini"];
    expect([ini.auth, ini["auth.generic_oauth"], ini["auth.basic"], grafana.envValueFrom]).toEqual([undefined, undefined, undefined, undefined]);
    expect(grafana.admin.existingSecret).toBe("grafana-admin");
    expect(grafana.sidecar.dashboards.skipReload).toBeUndefined();
  });

  test("Prometheus and Alertmanager keep their data on the platform StorageClass, on the workloads pool", () => {
    const spec = stack.prometheus.prometheusSpec;
    expect(spec.storageSpec.volumeClaimTemplate.spec.storageClassName).toBe("fake-encrypted");
    expect(stack.alertmanager.alertmanagerSpec.storage.volumeClaimTemplate.spec.storageClassName).toBe("fake-encrypted");
    expect(spec.nodeSelector).toEqual({ "fawkes.dev/pool": "workloads" });
    expect(grafana.nodeSelector).toEqual({ "fawkes.dev/pool": "workloads" });
  });

  test("retention and volume size follow the profile", () => {
    const standard = values(release(synthComponents(["observability"], { profile: "standard" }).tf, "kube-prometheus-stack")).prometheus.prometheusSpec;
    const small = stack.prometheus.prometheusSpec;
    expect(small.retention).toBe("7d");
    expect(standard.retention).toBe("30d");
    const size = (s: any) => s.storageSpec.volumeClaimTemplate.spec.resources.requests.storage;
    expect([size(small), size(standard)]).toEqual(["20Gi", "100Gi"]);
    expect(standard.storageSpec.volumeClaimTemplate.spec.storageClassName).toBe("fake-encrypted");
  });

  test("the Grafana admin password is generated and only referenced through existingSecret", () => {
    expect(grafana.admin).toEqual({ existingSecret: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password" });
    const [, secret] = resources(tf, "kubernetes_secret_v1").find(([, s]) => s.metadata.name === "grafana-admin")!;
    expect(secret.data["admin-password"]).toMatch(/^\$\{random_password\.[\w-]+\.result\}$/);
    expect(JSON.stringify(grafana)).not.toMatch(/adminPassword/);
    expect(out.adminSecrets).toEqual([expect.objectContaining({ namespace: "observability", name: "grafana-admin", key: "admin-password" })]);
  });

  test("Grafana is served at https://grafana.<domain> through the platform ingress", () => {
    expect(grafana.ingress).toMatchObject({
      enabled: true,
      hosts: ["grafana.fawkes.test"],
      tls: [{ secretName: "grafana-tls", hosts: ["grafana.fawkes.test"] }],
    });
    expect(grafana.ingress.annotations).toMatchObject({ "cert-manager.io/cluster-issuer": "letsencrypt-staging", "kubernetes.io/ingress.class": "traefik" });
    expect(out.endpoints).toEqual({ grafana: "https://grafana.fawkes.test" });
  });

  test("Grafana has Prometheus, Loki, Tempo and Alertmanager datasources pointing at their Services", () => {
    const ds = grafana.datasources["datasources.yaml"].datasources;
    expect(ds.map((d: any) => [d.type, d.url])).toEqual([
      ["prometheus", "http://kube-prometheus-stack-prometheus.observability.svc:9090"],
      ["loki", "http://loki.observability.svc:3100"],
      ["tempo", "http://tempo.observability.svc:3200"],
      ["alertmanager", "http://kube-prometheus-stack-alertmanager.observability.svc:9093"],
    ]);
    const { crds, ...monitoring } = out.services!.monitoring!;
    expect(monitoring).toEqual({
      namespace: "observability",
      prometheusUrl: "http://kube-prometheus-stack-prometheus.observability.svc:9090",
      grafanaUrl: "https://grafana.fawkes.test",
      lokiUrl: "http://loki.observability.svc:3100",
      tempoUrl: "http://tempo.observability.svc:3200",
      otlpEndpoint: "http://alloy.observability.svc:4318",
    });
    // What monitor-creating releases wait for: the release with the CRDs, not Grafana.
    expect(crds.map((r: any) => r.nameInput)).toEqual(["kube-prometheus-stack"]);
  });

  test("the dashboard sidecar loads labelled ConfigMaps from every namespace into their annotated folder", () => {
    expect(grafana.sidecar.dashboards).toMatchObject({
      enabled: true,
      label: "grafana_dashboard",
      labelValue: "1",
      searchNamespace: "ALL",
      folderAnnotation: "grafana_folder",
      provider: { foldersFromFilesStructure: true },
    });
    expect(stack.grafana).toMatchObject({ enabled: false, forceDeployDashboards: true, defaultDashboardsEnabled: true });
  });

  test("upstream dashboards are wired only for enabled components, pinned by revision", () => {
    const dashboards = grafana.dashboards.platform;
    expect(Object.keys(dashboards).sort()).toEqual(["cert-manager", "external-dns", "external-secrets", "traefik"]);
    expect(dashboards.traefik).toMatchObject({ gnetId: 17347, revision: 9 });
    const withArgo = values(release(synthComponents(["observability", "argocd"]).tf, "grafana")).dashboards.platform;
    expect(Object.keys(withArgo)).toContain("argocd");
    expect(Object.keys(withArgo)).not.toContain("external-dns");
  });

  test("monitors of components installed earlier are rendered after the CRDs, one per target", () => {
    const rel = release(tf, "platform-monitors");
    expect(rel.depends_on).toContain(`helm_release.${idOf(tf, "kube-prometheus-stack")}`);
    const objs = manifests(rel);
    expect(objs.map((o) => `${o.kind}/${o.spec.namespaceSelector.matchNames[0]}`).sort()).toEqual([
      "PodMonitor/dns",
      "PodMonitor/ingress",
      "PodMonitor/secrets",
      "PodMonitor/tls",
    ]);
    const traefik = objs.find((o) => o.spec.namespaceSelector.matchNames[0] === "ingress");
    expect(traefik.spec).toMatchObject({
      selector: { matchLabels: { "app.kubernetes.io/name": "traefik" } },
      podMetricsEndpoints: [{ port: "metrics", path: "/metrics" }],
    });
  });

  test("Alertmanager sends warning and critical alerts to Mattermost, reading the webhook URL from a mounted Secret", () => {
    const am = stack.alertmanager;
    expect(am.alertmanagerSpec.secrets).toEqual(["alertmanager-mattermost-webhook"]);
    const receiver = am.config.receivers.find((r: any) => r.name === "mattermost");
    expect(receiver.slack_configs).toEqual([
      expect.objectContaining({ api_url_file: "/etc/alertmanager/secrets/alertmanager-mattermost-webhook/url", send_resolved: true }),
    ]);
    expect(JSON.stringify(am.config)).not.toMatch(/api_url"/);
    expect(am.config.route.routes).toEqual(
      expect.arrayContaining([
        { receiver: "null", matchers: ['alertname = "Watchdog"'] },
        { receiver: "mattermost", matchers: ['severity =~ "warning|critical"'] },
      ]),
    );
  });

  test("the webhook Secret is created empty, Terraform ignores its data, and the stack waits for it", () => {
    const [id, secret] = resources(tf, "kubernetes_secret_v1").find(([, s]) => s.metadata.name === "alertmanager-mattermost-webhook")!;
    expect(secret.data).toEqual({ url: "" });
    expect(secret.lifecycle.ignore_changes).toEqual(["data"]);
    expect(release(tf, "kube-prometheus-stack").depends_on).toContain(`kubernetes_secret_v1.${id}`);
  });

  test("node-exporter runs in its own privileged namespace; everything else stays restricted", () => {
    expect(stack["prometheus-node-exporter"].namespaceOverride).toBe("node-exporter");
    const levels = Object.fromEntries(
      resources(tf, "kubernetes_namespace_v1").map(([, n]) => [n.metadata.name, n.metadata.labels["pod-security.kubernetes.io/enforce"]]),
    );
    expect(levels).toMatchObject({ observability: "restricted", "node-exporter": "privileged" });
  });

  test("requests add up the workload pods of the profile", () => {
    // small: Prometheus 200m/1Gi, Alertmanager 20m/64Mi, operator 50m/128Mi, Grafana 100m/256Mi, sidecar 20m/64Mi,
    // Loki 200m/1Gi, Tempo 100m/512Mi, one Alloy pod 50m/128Mi.
    expect(out.requests).toEqual({ cpu: 0.74, memoryGiB: 3.125 });
  });

  test("a bad subdomain fails at construction, naming the prop and the value", () => {
    expect(() => new ObservabilityComponent({ subdomain: "Graf_ana" })).toThrow(
      'ObservabilityProps.subdomain must be a DNS label (a-z, 0-9, "-"), got "Graf_ana"',
    );
  });
});
