import { parse as parseYaml } from "yaml";
import { JenkinsComponent } from "../constructs/components/jenkins";
import { SONARQUBE_URL } from "../constructs/components/scanning";
import type { Component } from "../constructs/platform";
import { release, releaseId, resources, synthComponents, synthWith, values } from "./support";

/** Every value in the rendered values, descending into strings that are YAML documents (JCasC, pod YAML). */
function* walk(v: unknown, path: string[] = []): Generator<[string[], unknown]> {
  yield [path, v];
  if (typeof v === "string" && v.includes("\n")) {
    let doc: unknown;
    try {
      doc = parseYaml(v);
    } catch {
      return;
    }
    if (doc && typeof doc === "object") yield* walk(doc, [...path, "(yaml)"]);
  } else if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) yield* walk(x, [...path, k]);
  }
}

const tolerating = (ctx: any) =>
  (ctx.nodePools = {
    ...ctx.nodePools,
    workloads: { ...ctx.nodePools.workloads, tolerations: [{ key: "dedicated", operator: "Equal", value: "ci", effect: "NoSchedule" }] },
  });

describe("JenkinsComponent", () => {
  const { tf, platform } = synthComponents(["jenkins"]);
  const jenkins = release(tf, "jenkins");
  const v = values(jenkins);

  test("no privileged pod or container, no host path and no Docker socket anywhere in values, pod YAML or JCasC", () => {
    const all = [...walk(v)];
    expect(all.filter(([p, x]) => p[p.length - 1] === "privileged" && (x === true || x === "true")).map(([p]) => p.join("."))).toEqual([]);
    expect(all.filter(([p]) => p.includes("hostPath") || p.includes("hostNetwork") || p.includes("hostPID")).map(([p]) => p.join("."))).toEqual([]);
    expect(JSON.stringify(v)).not.toMatch(/docker\.sock|dind/i);
    expect(v.agent.privileged).toBeUndefined();
    // The walk really reads the pod YAML: the kaniko container's security context is in there.
    expect(all.some(([p, x]) => p.join(".").endsWith("(yaml).spec.containers.1.securityContext.privileged") && x === false)).toBe(true);
  });

  test("without the identity component: the chart's local realm with the generated admin, no OpenID Connect", () => {
    expect(v.controller.JCasC.securityRealm).toBeUndefined();
    expect(v.controller.JCasC.authorizationStrategy).toBeUndefined();
    expect(v.controller.admin).toEqual({ existingSecret: "jenkins-admin" });
  });

  test("every plugin is pinned to a version, and dependencies resolve to what they require", () => {
    const plugins: string[] = v.controller.installPlugins;
    for (const p of plugins) expect(p).toMatch(/^[a-z0-9-]+:\d[\w.-]*$/);
    expect(plugins.map((p) => p.split(":")[0])).toEqual(
      expect.arrayContaining(["configuration-as-code", "kubernetes", "workflow-aggregator", "git", "sonar", "prometheus"]),
    );
    expect(v.controller.installLatestPlugins).toBe(false);
    expect(v.controller.installLatestSpecifiedPlugins).toBeUndefined();
    expect(v.controller.additionalPlugins).toBeUndefined();
  });

  test("the admin password is generated and only referenced by the chart", () => {
    const [, admin] = resources(tf, "kubernetes_secret_v1").find(([, s]) => s.metadata.name === "jenkins-admin")!;
    expect(admin.data["jenkins-admin-password"]).toMatch(/^\$\{random_password\.[\w-]+\.result\}$/);
    expect(admin.data["jenkins-admin-user"]).toBe("admin");
    expect(v.controller.admin).toEqual({ existingSecret: "jenkins-admin" });
    expect(platform.outputs.get("jenkins")!.adminSecrets).toEqual([
      expect.objectContaining({ namespace: "jenkins", name: "jenkins-admin", key: "jenkins-admin-password" }),
    ]);
  });

  test("the controller and every agent pod template are on the workloads pool", () => {
    expect(v.controller.nodeSelector).toEqual({ "fawkes.dev/pool": "workloads" });
    expect(v.agent.nodeSelector).toEqual({ "fawkes.dev/pool": "workloads" });
    expect(v.additionalAgents.kaniko.nodeSelector).toEqual({ "fawkes.dev/pool": "workloads" });
  });

  test("the pool's tolerations reach the controller and both agents' pod YAML", () => {
    const t = values(release(synthComponents(["jenkins"], { context: tolerating }).tf, "jenkins"));
    const expected = [{ key: "dedicated", operator: "Equal", value: "ci", effect: "NoSchedule" }];
    expect(t.controller.tolerations).toEqual(expected);
    expect(parseYaml(t.agent.yamlTemplate).spec.tolerations).toEqual(expected);
    expect(parseYaml(t.additionalAgents.kaniko.yamlTemplate).spec.tolerations).toEqual(expected);
  });

  test("images are built by a pinned kaniko from the maintained fork, unprivileged, no API token in agent pods", () => {
    const kaniko = v.additionalAgents.kaniko;
    expect(kaniko.customJenkinsLabels).toEqual(["kaniko"]);
    expect(kaniko.additionalContainers[0].image).toEqual({
      repository: "ghcr.io/osscontainertools/kaniko",
      tag: expect.stringMatching(/^v\d+\.\d+\.\d+-debug$/),
    });
    const pod = parseYaml(kaniko.yamlTemplate).spec;
    expect(pod.containers.find((c: any) => c.name === "kaniko").securityContext).toEqual({
      runAsUser: 0,
      runAsGroup: 0,
      allowPrivilegeEscalation: false,
      privileged: false,
    });
    expect(pod.containers.find((c: any) => c.name === "jnlp").securityContext).toMatchObject({ runAsNonRoot: true, capabilities: { drop: ["ALL"] } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(parseYaml(v.agent.yamlTemplate).spec.automountServiceAccountToken).toBe(false);
    // Baseline: kaniko is root in its container; privileged pods and host paths stay refused.
    const ns = resources(tf, "kubernetes_namespace_v1").find(([, n]) => n.metadata.name === "jenkins")![1];
    expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("baseline");
  });

  test("is served at https://jenkins.<domain> by the platform ingress", () => {
    expect(v.controller.ingress).toMatchObject({
      enabled: true,
      ingressClassName: "traefik",
      hostName: "jenkins.fawkes.test",
      tls: [{ secretName: "jenkins-tls", hosts: ["jenkins.fawkes.test"] }],
    });
    expect(platform.outputs.get("jenkins")!.endpoints).toEqual({ jenkins: "https://jenkins.fawkes.test" });
  });

  test("JCasC sets the platform defaults: builds are discarded so the home volume cannot fill", () => {
    const fawkes = parseYaml(v.controller.JCasC.configScripts.fawkes);
    expect(fawkes.unclassified.buildDiscarders.configuredBuildDiscarders[1]).toEqual({
      simpleBuildDiscarder: { discarder: { logRotator: { numToKeepStr: "50" } } },
    });
  });

  test("without scanning, nothing about SonarQube is configured", () => {
    expect(Object.keys(v.controller.JCasC.configScripts)).toEqual(["fawkes"]);
    expect(v.controller.additionalExistingSecrets).toBeUndefined();
    expect(resources(tf, "helm_release").map(([, r]) => r.name)).not.toContain("jenkins-sonarqube-token");
  });

  test("Prometheus metrics are scraped by the chart's ServiceMonitor only with observability", () => {
    expect(v.controller.prometheus.enabled).toBe(false);
    const withObs = values(release(synthComponents(["jenkins", "observability"]).tf, "jenkins"));
    expect(withObs.controller.prometheus).toMatchObject({ enabled: true, scrapeEndpoint: "/prometheus/" });
  });

  test("requests are the controller and its reload sidecar, by profile", () => {
    expect(v.controller.resources.requests).toEqual({ cpu: "500m", memory: "1536Mi" });
    expect(platform.outputs.get("jenkins")!.requests).toEqual({ cpu: 0.51, memoryGiB: 1.594 });
    const standard = synthComponents(["jenkins"], { profile: "standard" });
    expect(standard.platform.outputs.get("jenkins")!.requests).toEqual({ cpu: 1.01, memoryGiB: 3.094 });
  });

  test("bad props fail at construction, naming the prop and the value", () => {
    expect(() => new JenkinsComponent({ subdomain: "CI_Server" })).toThrow('JenkinsProps.subdomain must be a DNS label (a-z, 0-9, "-"), got "CI_Server"');
    expect(() => new JenkinsComponent({ installTimeoutMinutes: 0 })).toThrow("JenkinsProps.installTimeoutMinutes must be a whole number from 5 to 60, got 0");
  });
});

describe("JenkinsComponent with scanning", () => {
  const { tf } = synthComponents(["jenkins", "scanning"]);
  const jenkins = release(tf, "jenkins");
  const v = values(jenkins);

  test("SonarQube is a configured server with the minted token as its credential", () => {
    const casc = parseYaml(v.controller.JCasC.configScripts.sonarqube);
    expect(casc.unclassified.sonarglobalconfiguration.installations).toEqual([
      { name: "sonarqube", serverUrl: SONARQUBE_URL, credentialsId: "sonarqube-token" },
    ]);
    const [cred] = casc.credentials.system.domainCredentials[0].credentials;
    // JCasC reads ${sonarqube-token-jenkins-token} from the mounted secret; Terraform unescapes `$${` at apply.
    expect(cred.string).toMatchObject({ id: "sonarqube-token", secret: "$${sonarqube-token-jenkins-token}" });
    expect(v.controller.additionalExistingSecrets).toEqual([{ name: "sonarqube-token-jenkins", keyName: "token" }]);
  });

  test("Jenkins starts only once the token is in its secret", () => {
    expect(jenkins.depends_on).toContain(releaseId(tf, "jenkins-sonarqube-token"));
  });
});

describe("JenkinsComponent with any code-analysis service", () => {
  // Not SonarQube from scanning: whatever offers codeAnalysis. Jenkins knows the service, not the component.
  const analysis: Component = {
    id: "scanning",
    needs: [],
    info: { title: "Fake analysis", description: "offers codeAnalysis", docs: "https://example.org/", lifecycle: "experimental" },
    install: () => ({
      ready: [],
      services: {
        codeAnalysis: {
          url: "http://analysis.fake:9000",
          tokenFor: (_scope, namespace, forComponent) => ({ secret: { namespace, name: `fake-token-${forComponent}`, key: "value" }, ready: [] }),
        },
      },
    }),
  };
  const v = values(release(synthWith([analysis, new JenkinsComponent()]), "jenkins"));

  test("wires the offered URL and the token it mints for Jenkins", () => {
    const casc = parseYaml(v.controller.JCasC.configScripts.sonarqube);
    expect(casc.unclassified.sonarglobalconfiguration.installations[0].serverUrl).toBe("http://analysis.fake:9000");
    expect(casc.credentials.system.domainCredentials[0].credentials[0].string.secret).toBe("$${fake-token-jenkins-value}");
    expect(v.controller.additionalExistingSecrets).toEqual([{ name: "fake-token-jenkins", keyName: "value" }]);
  });
});
