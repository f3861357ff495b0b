import { parse as parseYaml } from "yaml";
import { ScanningComponent } from "../constructs/components/scanning";
import { DASHBOARD_TITLE, SEVERITIES } from "../constructs/components/scanning/dashboard";
import { SONARQUBE_URL } from "../constructs/components/scanning/sonarqube";
import { JenkinsComponent } from "../constructs/components/jenkins";
import type { Component } from "../constructs/platform";
import { manifests, release, resources, synthComponents, synthWith, values } from "./support";

const secret = (tf: any, name: string) => resources(tf, "kubernetes_secret_v1").find(([, s]) => s.metadata.name === name)![1];
const idOf = (tf: any, type: string, name: string) => `${type}.${resources(tf, type).find(([, r]) => (r.name ?? r.metadata?.name) === name)![0]}`;

describe("ScanningComponent: SonarQube", () => {
  const { tf, ctx, platform } = synthComponents(["scanning"]);
  const sonarqube = release(tf, "sonarqube");
  const v = values(sonarqube);

  test("without the identity component: no SAML, no certificate job; the generated admin signs in", () => {
    expect(v.sonarProperties).toBeUndefined();
    expect(() => release(tf, "sonarqube-saml")).toThrow();
    expect(v.setAdminPassword.passwordSecretName).toBe("sonarqube-admin");
  });

  test("uses the platform's managed PostgreSQL: URL, user and password from the synced secret, no bundled database", () => {
    expect(ctx.databases).toEqual([{ name: "sonarqube", namespace: "scanning" }]);
    const [sync] = manifests(release(tf, "sonarqube-db-sync"));
    expect(sync).toMatchObject({ kind: "ExternalSecret", spec: { target: { name: "sonarqube-db" } } });
    // The synced secret's keys are SonarQube's own variables, loaded with envFrom.
    expect(v.extraConfig.secrets).toEqual([expect.stringMatching(/^\$\{kubernetes_secret_v1\.\w+\.metadata\[0\]\.name\}$/)]);
    expect(sync.spec.data).toEqual([{ secretKey: "SONAR_JDBC_PASSWORD", remoteRef: { key: "fake/sonarqube", property: "password" } }]);
    expect(sync.spec.target.template.data).toEqual({
      SONAR_JDBC_URL: "jdbc:postgresql://sonarqube.db.fake:5432/sonarqube?ssl=true&sslmode=require",
      SONAR_JDBC_USERNAME: "sonarqube",
    });
    expect(v.env).toBeUndefined();
    // jdbcOverwrite would copy the URL into a ConfigMap and create a secret from jdbcPassword.
    expect(v.jdbcOverwrite).toBeUndefined();
    expect(v.postgresql).toBeUndefined();
    expect(sonarqube.depends_on).toContain(idOf(tf, "helm_release", "sonarqube-db-sync"));
  });

  test("runs the Community Build, pinned", () => {
    expect(v.community).toEqual({ enabled: true, buildNumber: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/) });
    expect(v.edition).toBeUndefined();
    expect(sonarqube).toMatchObject({ chart: "sonarqube", version: "2026.4.0", repository: "https://SonarSource.github.io/helm-chart-sonarqube" });
  });

  test("the admin password is generated to SonarQube's policy and set by the chart's hook", () => {
    const admin = secret(tf, "sonarqube-admin");
    expect(admin.data.password).toMatch(/^\$\{random_password\.[\w-]+\.result\}$/);
    const [, pw] = resources(tf, "random_password").find(([id]) => admin.data.password.includes(id))!;
    expect(pw).toMatchObject({ special: true, min_special: 1, min_upper: 1, min_lower: 1, min_numeric: 1 });
    expect(v.setAdminPassword.passwordSecretName).toBe("sonarqube-admin");
    expect(platform.outputs.get("scanning")!.adminSecrets).toEqual([
      expect.objectContaining({ namespace: "scanning", name: "sonarqube-admin", key: "password" }),
    ]);
    expect(sonarqube.depends_on).toContain(idOf(tf, "kubernetes_secret_v1", "sonarqube-admin"));
  });

  test("the monitoring passcode is generated and only referenced", () => {
    expect(secret(tf, "sonarqube-monitoring").data.passcode).toMatch(/^\$\{random_password\.[\w-]+\.result\}$/);
    expect(v).toMatchObject({ monitoringPasscodeSecretName: "sonarqube-monitoring", monitoringPasscodeSecretKey: "passcode" });
    expect(v.monitoringPasscode).toBeUndefined();
  });

  test("is served at https://sonarqube.<domain> by the platform ingress, never a bundled nginx", () => {
    expect(v.ingress).toMatchObject({
      enabled: true,
      hosts: [{ name: "sonarqube.fawkes.test" }],
      tls: [{ secretName: "sonarqube-tls", hosts: ["sonarqube.fawkes.test"] }],
    });
    expect(v.ingress.annotations["cert-manager.io/cluster-issuer"]).toBe("letsencrypt-staging");
    // The 2026.4.0 chart's bundled ingress-nginx is off by default (newer charts drop it): never switched on.
    expect(v["ingress-nginx"]).toBeUndefined();
    expect(v.nginx).toBeUndefined();
    expect(platform.outputs.get("scanning")!.endpoints).toEqual({ sonarqube: "https://sonarqube.fawkes.test" });
  });

  test("no privileged or root init containers: the namespace enforces restricted", () => {
    expect(v.initSysctl.enabled).toBe(false);
    expect(v.initFs.enabled).toBe(false);
    expect(v.elasticsearch.bootstrapChecks).toBe(false);
    const ns = resources(tf, "kubernetes_namespace_v1").find(([, n]) => n.metadata.name === "scanning")![1];
    expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
  });

  test("runs on the workloads pool (affinity reaches the admin-password hook too), sized by profile", () => {
    expect(v.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions).toEqual([
      { key: "fawkes.dev/pool", operator: "In", values: ["workloads"] },
    ]);
    expect(v.resources.requests).toEqual({ cpu: "500m", memory: "2560Mi" });
    expect(v.persistence).toMatchObject({ enabled: true, storageClass: "fake-encrypted" });
    const standard = values(release(synthComponents(["scanning"], { profile: "standard" }).tf, "sonarqube"));
    expect(standard.resources.requests).toEqual({ cpu: "1", memory: "4Gi" });
  });

  test("is named by the exported in-cluster URL (release sonarqube, chart service sonarqube-sonarqube)", () => {
    expect(sonarqube.name).toBe("sonarqube");
    expect(SONARQUBE_URL).toBe("http://sonarqube-sonarqube.scanning.svc:9000");
    // Offered to CI as the codeAnalysis service, which is how Jenkins learns it.
    expect(platform.outputs.get("scanning")!.services!.codeAnalysis!.url).toBe(SONARQUBE_URL);
  });

  test("a bad subdomain fails at construction, naming the prop and the value", () => {
    expect(() => new ScanningComponent({ subdomain: "Sonar_Qube" })).toThrow('ScanningProps.subdomain must be a DNS label (a-z, 0-9, "-"), got "Sonar_Qube"');
  });
});

describe("ScanningComponent: Trivy operator", () => {
  const { tf, platform } = synthComponents(["scanning"]);
  const trivy = release(tf, "trivy-operator");
  const v = values(trivy);

  test("scans every workload's images and configuration, in no privileged pod", () => {
    expect(v.operator).toMatchObject({ vulnerabilityScannerEnabled: true, configAuditScannerEnabled: true, exposedSecretScannerEnabled: true });
    // All namespaces: the chart's default (empty) target list is kept.
    expect(v.targetNamespaces).toBeUndefined();
    expect(v.excludeNamespaces).toBeUndefined();
    // node-collector mounts host paths.
    expect(v.operator.infraAssessmentScannerEnabled).toBe(false);
    expect(trivy).toMatchObject({ chart: "trivy-operator", version: "0.34.0", namespace: "scanning" });
  });

  test("the operator and its scan jobs run on the workloads pool, non-root, scan jobs bounded", () => {
    expect(v.nodeSelector).toEqual({ "fawkes.dev/pool": "workloads" });
    expect(v.trivyOperator.scanJobNodeSelector).toEqual({ "fawkes.dev/pool": "workloads" });
    expect(v.podSecurityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(v.trivyOperator.scanJobPodTemplatePodSecurityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(v.trivy.resources.limits).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
    expect(v.operator.scanJobsConcurrentLimit).toBeGreaterThan(0);
  });

  test("ships the 'Vulnerabilities by severity' dashboard over the operator's metrics", () => {
    const [, cm] = resources(tf, "kubernetes_config_map_v1").find(([, c]) => c.metadata.name === "trivy-vulnerabilities")!;
    expect(cm.metadata.labels.grafana_dashboard).toBe("1");
    // Terraform unescapes `$${` to `${` at apply.
    const dashboard = JSON.parse(cm.data["trivy-vulnerabilities.json"].replace(/\$\$\{/g, "${"));
    expect(dashboard.title).toBe(DASHBOARD_TITLE);
    const exprs: string[] = dashboard.panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => t.expr));
    for (const s of SEVERITIES) expect(exprs).toContain(`sum(trivy_image_vulnerabilities{severity="${s.label}", namespace=~"$namespace"}) or vector(0)`);
    expect(exprs.every((e) => /trivy_(image_vulnerabilities|image_exposedsecrets|resource_configaudits)\{/.test(e))).toBe(true);
    expect(dashboard.templating.list.map((t: any) => t.name)).toEqual(["datasource", "namespace"]);
  });

  test("requests add SonarQube, the operator and the scan jobs at their concurrency limit", () => {
    // 500m + 100m + 2 x 100m; 2560Mi + 256Mi + 2 x 256Mi.
    expect(platform.outputs.get("scanning")!.requests).toEqual({ cpu: 0.8, memoryGiB: 3.25 });
  });
});

describe("ScanningComponent: monitoring", () => {
  test("SonarQube's PodMonitor and Trivy's ServiceMonitor are on with observability", () => {
    const { tf } = synthComponents(["scanning", "observability"]);
    expect(values(release(tf, "sonarqube")).prometheusMonitoring.podMonitor.enabled).toBe(true);
    expect(values(release(tf, "trivy-operator")).serviceMonitor.enabled).toBe(true);
    expect(values(release(tf, "trivy-operator")).operator.metricsFindingsEnabled).toBe(true);
  });

  test("and off without it (no monitoring CRDs to create them with)", () => {
    const { tf } = synthComponents(["scanning"]);
    expect(values(release(tf, "sonarqube")).prometheusMonitoring.podMonitor.enabled).toBe(false);
    expect(values(release(tf, "trivy-operator")).serviceMonitor.enabled).toBe(false);
  });
});

// A second component asking for a token, beside Jenkins: each gets its own, named after it.
const portal: Component = {
  id: "portal",
  needs: ["scanning"],
  info: { title: "Portal", description: "asks for a SonarQube token", docs: "https://example.org/", lifecycle: "experimental" },
  install(scope, _ctx, deps) {
    return { ready: deps.service("codeAnalysis").tokenFor(scope, "portal", "portal").ready };
  },
};
/** Scanning with two components asking it for tokens: Jenkins and the portal above (one synth for both describes). */
const askers = synthWith([new ScanningComponent(), new JenkinsComponent(), portal]);

describe("ScanningComponent: the SonarQube token for Jenkins", () => {
  const tf = askers;
  const rel = release(tf, "jenkins-sonarqube-token");
  const objs = manifests(rel);
  const byKind = (kind: string) => objs.find((o) => o.kind === kind);

  test("runs after SonarQube, in its namespace, as a Helm hook Helm waits for", () => {
    expect(rel.namespace).toBe("scanning");
    expect(rel.depends_on).toContain(idOf(tf, "helm_release", "sonarqube"));
    expect(byKind("Job").metadata.annotations["helm.sh/hook"]).toBe("post-install,post-upgrade");
  });

  test("may only get and patch the one token secret in the jenkins namespace", () => {
    expect(byKind("Role")).toMatchObject({ metadata: { namespace: "jenkins" } });
    expect(byKind("Role").rules).toEqual([{ apiGroups: [""], resources: ["secrets"], resourceNames: ["sonarqube-token-jenkins"], verbs: ["get", "patch"] }]);
    expect(byKind("RoleBinding").subjects).toEqual([{ kind: "ServiceAccount", name: "jenkins-sonarqube-token", namespace: "scanning" }]);
    // Created without data: the token only ever comes from the Job.
    expect(byKind("Secret")).toMatchObject({ metadata: { name: "sonarqube-token-jenkins", namespace: "jenkins" } });
    expect(byKind("Secret").data).toBeUndefined();
    expect(byKind("Secret").stringData).toBeUndefined();
  });

  test("the Job is pinned, non-root and reads the admin password from its secret", () => {
    const pod = byKind("Job").spec.template.spec;
    const [c] = pod.containers;
    expect(c.image).toMatch(/^sonarqube:\d+\.\d+\.\d+\.\d+-community$/);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ["ALL"] } });
    expect(c.env.find((e: any) => e.name === "ADMIN_PASSWORD").valueFrom.secretKeyRef).toEqual({ name: "sonarqube-admin", key: "password" });
    expect(c.command.join(" ")).toContain("type=GLOBAL_ANALYSIS_TOKEN");
    expect(pod.nodeSelector).toEqual({ "fawkes.dev/pool": "workloads" });
  });

  test("no token or password is written anywhere in the synthesized JSON", () => {
    const text = JSON.stringify(tf);
    expect(text).not.toMatch(/squ_[0-9a-f]{10,}/);
    expect(parseYaml(rel.values[0]).manifests.flatMap((o: any) => Object.keys(o.data ?? {}))).toEqual([]);
  });
});

describe("ScanningComponent: the codeAnalysis service", () => {
  const tf = askers;
  const objects = (name: string) => manifests(release(tf, name));

  test("each asking component gets its own token, secret and minter, in its own scope", () => {
    const ids = resources(tf, "helm_release")
      .filter(([, r]) => r.name.endsWith("-sonarqube-token"))
      .map(([id, r]) => [r.name, id.split("_")[1]]);
    expect(ids.sort()).toEqual([
      ["jenkins-sonarqube-token", "Jenkins"],
      ["portal-sonarqube-token", "Portal"],
    ]);
    const portalObjects = objects("portal-sonarqube-token");
    expect(portalObjects.find((o) => o.kind === "Secret").metadata).toMatchObject({ name: "sonarqube-token-portal", namespace: "portal" });
    const env = portalObjects.find((o) => o.kind === "Job").spec.template.spec.containers[0].env;
    expect(env.find((e: any) => e.name === "TOKEN_NAME").value).toBe("portal");
    // No object is created by both releases (Helm refuses to adopt another release's object).
    const keys = (name: string) => objects(name).map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`);
    const jenkinsKeys = keys("jenkins-sonarqube-token");
    expect(keys("portal-sonarqube-token").filter((k) => jenkinsKeys.includes(k))).toEqual([]);
  });
});
