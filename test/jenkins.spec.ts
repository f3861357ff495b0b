import { Testing } from "cdktf";
import { parse as parseYaml } from "yaml";
import { JenkinsComponent, libraryFiles } from "../constructs/components/jenkins";
import { SONARQUBE_URL } from "../constructs/components/scanning";
import type { RegistryCapability } from "../constructs/context";
import { FawkesPlatform, type Component } from "../constructs/platform";
import type { GitCredentialsRequest, GitWebhookRequest, PublishRequest } from "../constructs/services";
import { platformComponents } from "../stacks/components";
import { synthesized } from "./synthesized";
import { FakeContext, release, releaseId, resources, synthComponents, synthWith, testConfig, testStack, values } from "./support";

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
    // Every credential in the one credentials document.
    const [cred] = parseYaml(v.controller.JCasC.configScripts.credentials).credentials.system.domainCredentials[0].credentials;
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
    const credentials = parseYaml(v.controller.JCasC.configScripts.credentials).credentials;
    expect(credentials.system.domainCredentials[0].credentials[0].string.secret).toBe("$${fake-token-jenkins-value}");
    // The pipeline runs its SAST stage where SonarQube is wired in.
    expect(parseYaml(v.controller.JCasC.configScripts.environment).jenkins.globalNodeProperties[0].envVars.env).toContainEqual({
      key: "FAWKES_SONARQUBE_URL",
      value: "http://analysis.fake:9000",
    });
    expect(v.controller.additionalExistingSecrets).toEqual([{ name: "fake-token-jenkins", keyName: "value" }]);
  });
});

/** Stands in for the git service (Gitea) and records what Jenkins asked of it. */
function fakeGit() {
  const asked = { credentials: [] as GitCredentialsRequest[], webhooks: [] as GitWebhookRequest[], published: [] as PublishRequest[] };
  const component: Component = {
    id: "git",
    needs: [],
    info: { title: "Gitea", description: "fake git service", subdomain: "git", docs: "https://docs.gitea.com/", lifecycle: "production" },
    install: () => ({
      ready: [],
      services: {
        git: {
          provider: "gitea",
          url: "https://git.fawkes.test",
          apiUrl: "https://git.fawkes.test/api/v1",
          inClusterUrl: "http://gitea-http.git.svc:3000",
          platformOwner: "platform",
          ownerOf: (team: string) => team,
          credentialsFor: (_scope, request) => {
            asked.credentials.push(request);
            return { kind: "token", secret: { namespace: request.namespace, name: `git-robot-${request.component}`, key: "password" }, ready: [] };
          },
          webhook: (_scope, request) => void asked.webhooks.push(request),
          publishRepository: (_scope, request) => {
            asked.published.push(request);
            const url = `https://git.fawkes.test/platform/${request.name}`;
            return { url, fileUrl: (p: string) => `${url}/src/branch/main/${p}`, ready: [] };
          },
        },
      },
    }),
  };
  return { component, asked };
}

const fakeArgocd: Component = {
  id: "argocd",
  needs: [],
  info: { title: "Argo CD", description: "fake", docs: "https://argo-cd.readthedocs.io/", lifecycle: "production" },
  install: () => ({ ready: [] }),
};

const fakeDeliveryEvents: Component = {
  id: "dora",
  needs: [],
  info: { title: "DORA", description: "fake delivery events", docs: "https://devlake.apache.org/", lifecycle: "experimental" },
  install: () => ({
    ready: [],
    services: {
      deliveryEvents: {
        deploymentsUrl: "http://dora-relay.dora.svc:8080/deployments",
        incidentsUrl: "http://dora-relay.dora.svc:8080/incidents",
        credentialFor: (_scope, request) => ({ namespace: request.namespace, name: `delivery-events-${request.component}`, key: "token" }),
      },
    },
  }),
};

const REGISTRY: RegistryCapability = {
  pushUrl: "push.registry.fake/fawkes",
  pullUrl: "pull.registry.fake/fawkes",
  dockerConfig: { credHelpers: { "push.registry.fake": "fake-login" } },
  kanikoFlags: ["--fake-registry-flag", "--another"],
  pushEnv: { FAKE_REGISTRY_NAME: "fakeregistry" },
  immutableTags: true,
  ready: [],
};

/** The front door, the given fakes, then Jenkins with two teams, on a fake context with a registry. */
function synthPipeline(extra: Component[], registry: RegistryCapability | null = REGISTRY) {
  const byId = new Map(platformComponents(testConfig()).map((c) => [c.id, c]));
  const stack = testStack();
  const ctx = new FakeContext();
  (ctx as { registry?: RegistryCapability }).registry = registry ?? undefined;
  new FawkesPlatform(stack, "Platform", {
    context: ctx,
    components: [...["ingress", "tls", "secrets"].map((id) => byId.get(id)!), ...extra, new JenkinsComponent({ teams: ["payments", "search"] })],
  });
  const tf = JSON.parse(Testing.synth(stack, true));
  return { tf, ctx, v: values(release(tf, "jenkins")) };
}

const envOf = (v: any): Record<string, string> =>
  Object.fromEntries(parseYaml(v.controller.JCasC.configScripts.environment).jenkins.globalNodeProperties[0].envVars.env.map((e: any) => [e.key, e.value]));

describe("JenkinsComponent with a git service: the Fawkes pipeline", () => {
  const git = fakeGit();
  const { tf, ctx, v } = synthPipeline([git.component, fakeArgocd, fakeDeliveryEvents]);
  const pipeline = parseYaml(v.controller.JCasC.configScripts.pipeline);

  test("JCasC loads the global library fawkes from platform/pipeline-library (main, not implicit) with the ci credential", () => {
    expect(pipeline.unclassified.globalLibraries.libraries).toEqual([
      expect.objectContaining({
        name: "fawkes",
        defaultVersion: "main",
        implicit: false,
        retriever: { modernSCM: { scm: { git: { remote: "http://gitea-http.git.svc:3000/platform/pipeline-library.git", credentialsId: "fawkes-git" } } } },
      }),
    ]);
    expect(pipeline.unclassified.giteaServers.servers).toEqual([{ displayName: "Fawkes Gitea", serverUrl: "https://git.fawkes.test", manageHooks: false }]);
  });

  test("the library published is every file under pipeline-library/", () => {
    expect(git.asked.published).toHaveLength(1);
    const [published] = git.asked.published;
    expect(published.name).toBe("pipeline-library");
    expect(published.files).toEqual(libraryFiles());
    expect(Object.keys(published.files)).toEqual(
      expect.arrayContaining(["vars/fawkesPipeline.groovy", "resources/fawkes/cli.js", "resources/fawkes/pod.yaml"]),
    );
  });

  test("one organisation folder per team over its Gitea organisation, with branch discovery and the ci credential", () => {
    const scripts: string[] = pipeline.jobs.map((j: any) => j.script);
    expect(scripts).toHaveLength(2);
    for (const [i, team] of ["payments", "search"].entries()) {
      expect(scripts[i]).toContain(`organizationFolder('${team}') {`);
      expect(scripts[i]).toMatch(
        new RegExp(`gitea \\{\\s+serverUrl\\('https://git.fawkes.test'\\)\\s+repoOwner\\('${team}'\\)\\s+credentialsId\\('fawkes-git'\\)`),
      );
      expect(scripts[i]).toContain("giteaBranchDiscovery { strategyId(3) }");
      expect(scripts[i]).toContain("workflowMultiBranchProjectFactory { scriptPath('Jenkinsfile') }");
      // The chart passes JCasC through tpl; JCasC resolves ${...}: neither may appear in the DSL.
      expect(scripts[i]).not.toMatch(/\{\{|\$\{/);
    }
  });

  test("the robot's write credential is mounted and becomes the username/password credential fawkes-git", () => {
    expect(git.asked.credentials).toEqual([expect.objectContaining({ component: "jenkins", namespace: "jenkins", access: "write" })]);
    expect(v.controller.additionalExistingSecrets).toEqual(
      expect.arrayContaining([
        { name: "git-robot-jenkins", keyName: "username" },
        { name: "git-robot-jenkins", keyName: "password" },
        { name: "delivery-events-jenkins", keyName: "token" },
      ]),
    );
    const creds = parseYaml(v.controller.JCasC.configScripts.credentials).credentials.system.domainCredentials[0].credentials;
    expect(creds).toContainEqual({
      usernamePassword: expect.objectContaining({ id: "fawkes-git", username: "$${git-robot-jenkins-username}", password: "$${git-robot-jenkins-password}" }),
    });
    expect(creds).toContainEqual({ string: expect.objectContaining({ id: "fawkes-delivery-events", secret: "$${delivery-events-jenkins-token}" }) });
  });

  test("the git service calls Jenkins' Gitea webhook in-cluster on pushes, pull requests and repository events", () => {
    expect(git.asked.webhooks).toEqual([
      expect.objectContaining({
        component: "jenkins",
        url: "http://jenkins.jenkins.svc.cluster.local:8080/gitea-webhook/post",
        events: ["push", "pull_request", "create", "delete", "repository"],
      }),
    ]);
  });

  test("global variables: registry, kaniko flags and image, push env, git API, delivery events, pod labels", () => {
    const env = envOf(v);
    expect(env).toMatchObject({
      FAWKES_REGISTRY_PUSH: "push.registry.fake/fawkes",
      FAWKES_REGISTRY_PULL: "pull.registry.fake/fawkes",
      FAWKES_KANIKO_FLAGS: "--fake-registry-flag --another",
      FAKE_REGISTRY_NAME: "fakeregistry",
      FAWKES_GIT_URL: "https://git.fawkes.test",
      FAWKES_GIT_API_URL: "http://gitea-http.git.svc:3000/api/v1",
      FAWKES_DELIVERY_EVENTS_URL: "http://dora-relay.dora.svc:8080/deployments",
      FAWKES_BUILDER_POD_LABELS: JSON.stringify({ "fake.cloud/use": "true" }),
    });
    // The pipeline's kaniko is the pinned one of the kaniko agent.
    const image = v.additionalAgents.kaniko.additionalContainers[0].image;
    expect(env.FAWKES_KANIKO_IMAGE).toBe(`${image.repository}:${image.tag}`);
    // Without SonarQube the SAST stage is skipped: the variable it checks is not set.
    expect(env.FAWKES_SONARQUBE_URL).toBeUndefined();
  });

  test("fawkes-builder has the registry push identity, and may only read Argo CD Applications in argocd", () => {
    expect(ctx.identities).toContainEqual({ sa: { namespace: "jenkins", name: "fawkes-builder" }, grants: [{ registry: "push" }] });
    const [, sa] = resources(tf, "kubernetes_service_account_v1").find(([, r]) => r.metadata.name === "fawkes-builder")!;
    expect(sa.metadata).toMatchObject({ namespace: "jenkins", annotations: { "fake.cloud/identity": "jenkins/fawkes-builder" } });
    const roles = resources(tf, "kubernetes_role_v1").filter(([, r]) => r.metadata.name === "fawkes-builder");
    expect(roles).toHaveLength(1);
    expect(roles[0][1].metadata.namespace).toBe("argocd");
    expect(roles[0][1].rule).toEqual([{ api_groups: ["argoproj.io"], resources: ["applications"], verbs: ["get", "list", "watch"] }]);
    const [, binding] = resources(tf, "kubernetes_role_binding_v1").find(([, r]) => r.metadata.name === "fawkes-builder")!;
    expect(binding.metadata.namespace).toBe("argocd");
    expect(binding.subject).toEqual([{ kind: "ServiceAccount", name: "fawkes-builder", namespace: "jenkins" }]);
    expect(resources(tf, "kubernetes_cluster_role_v1").map(([, r]) => r.metadata.name)).not.toContain("fawkes-builder");
  });

  test("kaniko's Docker config is the registry's, in the ConfigMap the build pod mounts", () => {
    const [, cm] = resources(tf, "kubernetes_config_map_v1").find(([, r]) => r.metadata.name === "fawkes-builder-docker-config")!;
    expect(cm.metadata.namespace).toBe("jenkins");
    expect(JSON.parse(cm.data["config.json"])).toEqual({ credHelpers: { "push.registry.fake": "fake-login" } });
  });

  test("every FAWKES_* variable the library reads is one Jenkins sets, and its credential ids are JCasC's", () => {
    const files = libraryFiles();
    const code = Object.entries(files)
      .filter(([p]) => /\.(groovy|js)$/.test(p))
      .map(([, t]) => t)
      .join("\n");
    const read = new Set([...code.matchAll(/\b(FAWKES_[A-Z_]+)\b/g)].map((m) => m[1]));
    // Set by withCredentials in fawkesHelper, or only where SonarQube is wired in (its own test).
    // FAWKES_BUILDER_CA_CONFIGMAP only where a local CA signs the git service's certificate.
    const bound = ["FAWKES_DELIVERY_EVENTS_TOKEN", "FAWKES_SONARQUBE_URL", "FAWKES_BUILDER_CA_CONFIGMAP"];
    for (const name of read) if (!bound.includes(name)) expect([name, Object.keys(envOf(v)).includes(name)]).toEqual([name, true]);
    const creds = parseYaml(v.controller.JCasC.configScripts.credentials).credentials.system.domainCredentials[0].credentials;
    const ids = creds.map((c: any) => Object.values(c)[0] as any).map((c: any) => c.id);
    for (const [, id] of files["vars/fawkesHelper.groovy"].matchAll(/credentialsId: '([\w-]+)'/g)) expect(ids).toContain(id);
  });

  test("the plugins the library and the folders use are pinned", () => {
    const plugins: string[] = v.controller.installPlugins.map((p: string) => p.split(":")[0]);
    expect(plugins).toEqual(
      expect.arrayContaining(["gitea", "job-dsl", "pipeline-utility-steps", "workflow-multibranch", "branch-api", "cloudbees-folder", "github-branch-source"]),
    );
  });

  test("team names that could break the Job DSL fail at construction, naming the prop", () => {
    expect(() => new JenkinsComponent({ teams: ["o'brien"] })).toThrow(`JenkinsProps.teams must be team names (a-z, 0-9, "-"), got "o'brien"`);
  });
});

describe("JenkinsComponent with a git service but no registry, Argo CD or delivery events", () => {
  const { tf, ctx, v } = synthPipeline([fakeGit().component], null);

  test("no identity is asked and no Docker config made without a registry; no Argo CD role without Argo CD", () => {
    expect(ctx.identities.filter((i) => i.sa.name === "fawkes-builder")).toEqual([]);
    expect(resources(tf, "kubernetes_config_map_v1").map(([, r]) => r.metadata.name)).not.toContain("fawkes-builder-docker-config");
    expect(resources(tf, "kubernetes_role_v1").map(([, r]) => r.metadata.name)).not.toContain("fawkes-builder");
    const env = envOf(v);
    expect(env.FAWKES_REGISTRY_PUSH).toBeUndefined();
    expect(env.FAWKES_DELIVERY_EVENTS_URL).toBeUndefined();
    expect(env.FAWKES_BUILDER_POD_LABELS).toBe("{}");
  });
});

describe("Jenkins in the laptop stack (fawkes-local): build pods reach the git service at its public URL", () => {
  const v = values(release(synthesized("fawkes-local"), "jenkins"));
  const env = envOf(v);

  test("the git host points at the ingress for the controller and the build pods, and both trust the local CA", () => {
    const [alias] = JSON.parse(env.FAWKES_BUILDER_HOST_ALIASES);
    expect(alias.hostnames).toEqual(["git.localtest.me"]);
    expect(alias.ip).toMatch(/^\$\{kubernetes_service_v1\.[\w]+\.spec\[0\]\.cluster_ip\}$/);
    expect(v.controller.hostAliases[0].hostnames).toEqual(expect.arrayContaining(["git.localtest.me"]));
    expect(env.FAWKES_BUILDER_CA_CONFIGMAP).toBe(v.persistence.volumes.find((x: any) => x.name === "fawkes-ca").configMap.name);
    expect(v.controller.customInitContainers.map((c: any) => c.name)).toEqual(["local-ca-truststore"]);
  });

  test("the library and the API calls go to Gitea in-cluster; the pushes to the in-cluster registry", () => {
    const pipeline = parseYaml(v.controller.JCasC.configScripts.pipeline);
    expect(pipeline.unclassified.globalLibraries.libraries[0].retriever.modernSCM.scm.git.remote).toMatch(
      /^http:\/\/[\w.-]+\.svc\.cluster\.local:\d+\/platform\/pipeline-library\.git$/,
    );
    expect(env.FAWKES_GIT_API_URL).toMatch(/^http:\/\/[\w.-]+\.svc\.cluster\.local:\d+\/api\/v1$/);
    expect(env.FAWKES_REGISTRY_PUSH).toMatch(/\.svc\.cluster\.local:\d+\/fawkes$/);
    expect(env.FAWKES_KANIKO_FLAGS).toContain("--insecure-registry=");
  });
});

describe.each(["fawkes-aws", "fawkes-azure", "fawkes-gcp"] as const)("Jenkins' builder in %s", (stack) => {
  const tf = synthesized(stack);
  const env = envOf(values(release(tf, "jenkins")));

  test("pushes with the cloud's workload identity: annotations on fawkes-builder, credential helpers, no static keys", () => {
    const [, sa] = resources(tf, "kubernetes_service_account_v1").find(([, r]) => r.metadata.name === "fawkes-builder")!;
    expect(Object.keys(sa.metadata.annotations ?? {})).toEqual([
      expect.stringMatching(/^(eks\.amazonaws\.com\/role-arn|azure\.workload\.identity\/client-id|iam\.gke\.io\/gcp-service-account)$/),
    ]);
    const [, cm] = resources(tf, "kubernetes_config_map_v1").find(([, r]) => r.metadata.name === "fawkes-builder-docker-config")!;
    const docker = JSON.parse(cm.data["config.json"]);
    expect(docker.auths).toBeUndefined();
    expect(JSON.stringify(docker)).not.toMatch(/password|auth"/i);
    expect(env.FAWKES_REGISTRY_PUSH).toBe(env.FAWKES_REGISTRY_PULL);
  });

  test("reports deployments to the delivery-events relay (dora installs first) and runs the SonarQube gate", () => {
    expect(env.FAWKES_DELIVERY_EVENTS_URL).toMatch(/^http:\/\/[\w.-]+\.svc(\.cluster\.local)?:\d+\/deployments$/);
    expect(env.FAWKES_SONARQUBE_URL).toMatch(/^http:\/\//);
  });
});
