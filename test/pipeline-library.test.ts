import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { parseConfig, toolchain } from "../pipeline-library/resources/fawkes/config";
import { skipDecision } from "../pipeline-library/resources/fawkes/skip";
import { sonarGate, trivyGate, trivyMarkdown } from "../pipeline-library/resources/fawkes/gates";
import { deploymentRecord } from "../pipeline-library/resources/fawkes/record";
import { COMMANDS, main, type Io } from "../pipeline-library/resources/fawkes/cli";

/**
 * The pipeline library's logic (pipeline-library/resources/fawkes/*.js) on recorded payloads: what
 * fawkes.yaml may say, when a build is skipped, both gates, the deployment record, and the helper
 * commands the Groovy steps run (with fake I/O).
 */

// gitops.js (the CLI helper's) stubbed: its own tests cover the Gitea calls. argo.js runs for real.
const promoteCalls: any[] = [];
jest.mock("../pipeline-library/resources/fawkes/gitops.js", () => ({
  promote: async (_api: unknown, req: any) => {
    promoteCalls.push(req);
    if (req.mode === "commit") return { revision: "b".repeat(40) };
    const pullRequest = { number: 7, url: "https://git.fawkes.test/payments/orders/pulls/7", merged: !!req.merge };
    return { revision: req.merge ? "e".repeat(40) : "c".repeat(40), pullRequest };
  },
}));

const LIB = path.join(__dirname, "..", "pipeline-library");
const FIXTURES = path.join(__dirname, "fixtures", "pipeline");
const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), "utf8"));
const NOW = Date.parse("2026-12-01T10:00:00Z");
const APP_COMMIT = "3f7c2a9d1e4b5c6a7f8e9d0c1b2a3f4e5d6c7b8a";
const DIGEST = `sha256:${"d".repeat(64)}`;

const EXAMPLE = {
  service: "orders",
  team: "payments",
  language: "node",
  quality: { coverage: 80 },
  scan: { severity: ["HIGH", "CRITICAL"], ignoreFile: ".trivyignore.yaml" },
  deploy: { staging: { smokePath: "/readyz" }, production: { promotion: "pull-request" } },
};

/** In-memory I/O: files in a map, HTTP answered by `routes` (method + URL prefix → status, body). */
function fakeIo(files: Record<string, string> = {}, routes: [string, (body: any) => [number, unknown]][] = [], env: Record<string, string> = {}) {
  const calls: { method: string; url: string; headers: Record<string, string>; body: any }[] = [];
  const lines: string[] = [];
  let now = NOW;
  const io: Io = {
    env: { BUILD_URL: "https://jenkins.fawkes.test/job/payments/job/orders/job/main/12/", ...env },
    fetch: (async (url: string, init: any) => {
      const method = init?.method ?? "GET";
      const body = init?.body ? JSON.parse(init.body) : undefined;
      calls.push({ method, url, headers: init?.headers ?? {}, body });
      const route = routes.find(([r]) => `${method} ${url}`.startsWith(r));
      const [status, answer] = route ? route[1](body) : [404, { message: "not found" }];
      return { ok: status < 300, status, text: async () => (answer === undefined ? "" : JSON.stringify(answer)) };
    }) as any,
    readFile: (f) => {
      if (!(f in files)) throw new Error(`ENOENT ${f}`);
      return files[f];
    },
    writeFile: (f, t) => {
      files[f] = t;
    },
    exists: (f) => f in files,
    log: (l) => lines.push(l),
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  };
  return { io, files, calls, lines };
}

describe("fawkes.yaml (config.js)", () => {
  test("the shared contract's example is valid and kept as it is", () => {
    expect(parseConfig(EXAMPLE)).toEqual(EXAMPLE);
  });

  test("only service, team and language are required; the rest has the platform's defaults", () => {
    expect(parseConfig({ service: "orders", team: "payments", language: "go" })).toEqual({ ...EXAMPLE, language: "go" });
  });

  test.each([
    [{ ...EXAMPLE, language: "java" }, 'fawkes.yaml language must be one of node, python, go, got "java"'],
    [{ ...EXAMPLE, service: "Orders" }, "fawkes.yaml service must match"],
    [{ ...EXAMPLE, quality: { coverage: 120 } }, "fawkes.yaml quality.coverage must be a percentage from 0 to 100, got 120"],
    [{ ...EXAMPLE, scan: { severity: ["SEVERE"] } }, "fawkes.yaml scan.severity must be a non-empty list"],
    [{ ...EXAMPLE, scan: { ignoreFile: "../secrets" } }, "fawkes.yaml scan.ignoreFile must be a relative path"],
    [{ ...EXAMPLE, deploy: { production: { promotion: "manual" } } }, 'fawkes.yaml deploy.production.promotion must be "pull-request" or "auto", got "manual"'],
    [{ ...EXAMPLE, deploy: { prod: {} } }, "fawkes.yaml deploy.prod must be one of the known keys"],
    [{ ...EXAMPLE, deploy: { staging: { smokePath: "readyz" } } }, "fawkes.yaml deploy.staging.smokePath must be a path starting with"],
    ["service: orders", "fawkes.yaml (the document) must be a mapping"],
  ])("refuses %j naming the key", (raw, message) => {
    expect(() => parseConfig(raw)).toThrow(message);
  });

  test("each language has a pinned toolchain image and a coverage report SonarQube reads", () => {
    expect(toolchain("go").build).toBe("go test -mod=mod ./... -coverprofile=coverage.out");
    expect(toolchain("python").build).toContain("--cov-report=xml:coverage.xml");
    for (const language of ["node", "python", "go"] as const) {
      const t = toolchain(language);
      expect(t.image).toMatch(/^docker\.io\/library\/(node|python|golang):\d+\.\d+\.\d+-[a-z0-9.-]+$/);
      expect(t.coverageReport).toMatch(/^(coverage\/lcov\.info|coverage\.xml|coverage\.out)$/);
      expect(t.sonarCoverageProperty).toMatch(/^sonar\.(javascript\.lcov|python\.coverage|go\.coverage)\.reportPaths$/);
    }
  });
});

describe("skip check (skip.js)", () => {
  test("the pipeline's own digest bump is skipped: [skip ci], or only deploy/** changed", () => {
    expect(
      skipDecision({
        author: "fawkes-ci",
        message: "deploy(staging): orders@sha256:abc1234 from 3f7c2a9 [skip ci]",
        changedFiles: ["deploy/staging/kustomization.yaml"],
      }),
    ).toEqual({
      skip: true,
      reason: "head commit says [skip ci] (by fawkes-ci, the pipeline's robot)",
    });
    expect(skipDecision({ message: "merge promotion", changedFiles: ["deploy/production/kustomization.yaml"] }).skip).toBe(true);
  });

  test("an application change builds, also when it touches deploy/ too", () => {
    expect(skipDecision({ author: "dev", message: "feat: orders API", changedFiles: ["src/app.ts", "deploy/base/deployment.yaml"] }).skip).toBe(false);
    expect(skipDecision({ message: "first commit", changedFiles: [] }).skip).toBe(false);
  });
});

describe("Trivy gate (gates.js) on a recorded schema-2 report", () => {
  const report = fixture("trivy-image-report.json");
  const ignores = fixture("trivyignore.json");
  const severity = ["HIGH", "CRITICAL"];

  test("a HIGH finding fails the gate; MEDIUM is below the threshold", () => {
    const gate = trivyGate(report, { severity, now: NOW });
    expect(gate.pass).toBe(false);
    expect(gate.findings.map((f) => f.id)).toEqual(["CVE-2024-21538", "CVE-2025-9230"]);
    expect(gate.findings.find((f) => f.id === "CVE-2025-9230")).toMatchObject({
      pkg: "libcrypto3",
      installed: "3.5.2-r0",
      fixed: "3.5.4-r0",
      severity: "HIGH",
    });
    expect(gate.summary).toContain("2 HIGH, 0 CRITICAL");
  });

  test("an ignored finding (valid entry, matching path) passes; an expired entry no longer applies", () => {
    const gate = trivyGate(report, { severity, ignores, now: NOW });
    expect(gate.ignored!.map((f) => [f.id, f.ignored])).toEqual([
      ["CVE-2024-21538", "Only a build-time dependency of the test runner; not reachable at run time"],
    ]);
    expect(gate.expiredIgnores).toEqual([{ id: "CVE-2025-9230", expiredAt: "2026-10-01" }]);
    expect(gate.findings.map((f) => f.id)).toEqual(["CVE-2025-9230"]);
    expect(gate.pass).toBe(false);
    expect(gate.summary).toContain("expired ignores no longer applied: CVE-2025-9230 (2026-10-01)");
  });

  test("with every HIGH covered by a valid entry the gate passes; after its expiry it fails again", () => {
    const valid = { vulnerabilities: [...ignores.vulnerabilities.slice(0, 1), { id: "CVE-2025-9230", expired_at: "2027-01-15" }] };
    expect(trivyGate(report, { severity, ignores: valid, now: NOW }).pass).toBe(true);
    expect(trivyGate(report, { severity, ignores: valid, now: Date.parse("2027-01-16T00:00:00Z") }).pass).toBe(false);
    // An unquoted YAML date arrives from readYaml/writeJSON as a java.util.Date bean.
    const bean = { vulnerabilities: [{ id: "CVE-2024-21538" }, { id: "CVE-2025-9230", expired_at: { time: Date.parse("2027-01-15T00:00:00Z"), year: 127 } }] };
    expect(trivyGate(report, { severity, ignores: bean, now: NOW }).pass).toBe(true);
  });

  test("an entry for another path does not ignore the finding", () => {
    const other = { vulnerabilities: [{ id: "CVE-2024-21538", paths: ["other/package-lock.json"] }] };
    expect(trivyGate(report, { severity, ignores: other, now: NOW }).findings.map((f) => f.id)).toContain("CVE-2024-21538");
  });

  test("CRITICAL only: the HIGHs do not block", () => {
    expect(trivyGate(report, { severity: ["CRITICAL"], now: NOW }).pass).toBe(true);
  });

  test("refuses a report that is not schema 2", () => {
    expect(() => trivyGate({ ...report, SchemaVersion: 1 }, { severity, now: NOW })).toThrow("TrivyReport.SchemaVersion must be 2, got 1");
  });

  test("the markdown report lists the blocking findings with their fixed versions and what to do", () => {
    const md = trivyMarkdown(trivyGate(report, { severity, ignores, now: NOW }), {
      image: "orders@sha256:abc",
      buildUrl: "https://jenkins.fawkes.test/job/x/1/",
    });
    expect(md).toContain("# Image scan: failed");
    expect(md).toContain("| HIGH | [CVE-2025-9230](https://avd.aquasec.com/nvd/cve-2025-9230) | libcrypto3 | 3.5.2-r0 | 3.5.4-r0 |");
    expect(md).toContain("## Expired ignore entries (no longer applied)");
    expect(md).toContain("https://jenkins.fawkes.test/job/x/1/artifact/trivy-report.json");
  });
});

describe("SonarQube gate (gates.js) on recorded Web API answers", () => {
  const ok = fixture("sonar-project-status-ok.json");
  const error = fixture("sonar-project-status-error.json");
  const measures = fixture("sonar-measures-coverage.json");

  test("quality gate OK and coverage above the service's threshold: pass", () => {
    const gate = sonarGate(ok, measures, { coverage: 80 });
    expect(gate).toMatchObject({ pass: true, findings: [] });
    expect(gate.summary).toBe("SonarQube: passed: quality gate OK, coverage 86.7% (threshold 80%)");
  });

  test("the threshold is fawkes.yaml's: 90% fails a gate SonarQube passed", () => {
    const gate = sonarGate(ok, measures, { coverage: 90 });
    expect(gate.pass).toBe(false);
    expect(gate.findings.map((f) => f.title)).toEqual(["coverage is 86.7% (fawkes.yaml quality.coverage wants at least 90%)"]);
  });

  test("a failed quality gate fails, naming each failing condition", () => {
    const gate = sonarGate(error, measures, { coverage: 80 });
    expect(gate.pass).toBe(false);
    expect(gate.findings.map((f) => f.id)).toEqual(["new_coverage", "new_security_hotspots_reviewed"]);
    expect(gate.summary).toContain("new_coverage is 42.9 (must be at least 80)");
  });

  test("no coverage measure (the report never reached SonarQube) fails", () => {
    const gate = sonarGate(ok, { component: { key: "x", measures: [] } }, { coverage: 80 });
    expect(gate.pass).toBe(false);
    expect(gate.findings[0].title).toBe("no coverage measure: the coverage report did not reach SonarQube");
  });
});

describe("deployment record (record.js)", () => {
  const input = {
    service: "orders",
    team: "payments",
    environment: "staging",
    repository: "https://git.fawkes.test/payments/orders",
    commit: APP_COMMIT,
    pullUrl: "pull.registry.fake/fawkes",
    digest: DIGEST,
    startedAt: "2026-12-01T10:00:00Z",
    finishedAt: "2026-12-01T10:03:12.5Z",
    result: "SUCCESS",
    pipelineUrl: "https://jenkins.fawkes.test/job/payments/job/orders/job/main/12/",
    deployRevision: "b".repeat(40),
  };

  test("has exactly the shape the DORA relay consumes, naming the app commit and the image by digest", () => {
    const r = deploymentRecord(input);
    expect(Object.keys(r).sort()).toEqual(
      [
        "commit",
        "deployRevision",
        "digest",
        "environment",
        "finishedAt",
        "image",
        "pipelineUrl",
        "repository",
        "result",
        "service",
        "startedAt",
        "team",
      ].sort(),
    );
    expect(r).toMatchObject({
      commit: APP_COMMIT,
      image: `pull.registry.fake/fawkes/orders@${DIGEST}`,
      startedAt: "2026-12-01T10:00:00.000Z",
      finishedAt: "2026-12-01T10:03:12.500Z",
    });
  });

  test("refuses a deploy commit as the commit, a short SHA, a tag instead of a digest, a time travel", () => {
    expect(() => deploymentRecord({ ...input, commit: "b".repeat(40) })).toThrow("DeploymentRecord.deployRevision must differ from the app commit");
    expect(() => deploymentRecord({ ...input, commit: "3f7c2a9" })).toThrow('DeploymentRecord.commit must be the app commit\'s 40-hex SHA, got "3f7c2a9"');
    expect(() => deploymentRecord({ ...input, digest: "latest" })).toThrow("DeploymentRecord.digest must be sha256:<64 hex>");
    expect(() => deploymentRecord({ ...input, finishedAt: "2026-12-01T09:00:00Z" })).toThrow("DeploymentRecord.finishedAt must not be before startedAt");
    expect(deploymentRecord({ ...input, result: "FAILURE", deployRevision: null }).result).toBe("FAILURE");
  });
});

describe("helper commands (cli.js) with fake I/O", () => {
  test("trivy-gate: exit 1 on the HIGH, the summary logged, JSON and markdown written", async () => {
    const { io, files, lines } = fakeIo({
      "r.json": JSON.stringify(fixture("trivy-image-report.json")),
      "i.json": JSON.stringify(fixture("trivyignore.json")),
    });
    const code = await main(
      ["trivy-gate", "--report", "r.json", "--severity", "HIGH,CRITICAL", "--ignores", "i.json", "--out", "g.json", "--markdown", "s.md"],
      io,
    );
    expect(code).toBe(1);
    expect(lines[0]).toMatch(/^Trivy: FAILED/);
    expect(JSON.parse(files["g.json"]).findings).toHaveLength(1);
    expect(files["s.md"]).toContain("Image scan: failed");
    // The threshold from the validated fawkes.yaml, as the Groovy passes it: CRITICAL only passes.
    files["c.json"] = JSON.stringify(parseConfig({ ...EXAMPLE, scan: { severity: ["CRITICAL"] } }));
    expect(await main(["trivy-gate", "--report", "r.json", "--config", "c.json"], io)).toBe(0);
  });

  test("sonar-gate: waits for the background task, then reads the gate of that analysis and the coverage", async () => {
    const host = "http://sonarqube-sonarqube.scanning:9000";
    let polls = 0;
    const { io, calls } = fakeIo(
      { "report-task.txt": fs.readFileSync(path.join(FIXTURES, "report-task.txt"), "utf8") },
      [
        [
          `GET ${host}/api/ce/task?id=AZNj3tN6bQk2y5YV7xRk`,
          () => (++polls < 2 ? [200, { task: { status: "IN_PROGRESS" } }] : [200, fixture("sonar-ce-task-success.json")]),
        ],
        [`GET ${host}/api/qualitygates/project_status?analysisId=AZNj3tSZc1o6oGvQK0pZ`, () => [200, fixture("sonar-project-status-ok.json")]],
        [`GET ${host}/api/measures/component?component=payments-orders&metricKeys=coverage`, () => [200, fixture("sonar-measures-coverage.json")]],
      ],
      { SONAR_HOST_URL: host, SONAR_AUTH_TOKEN: "squ_fake" },
    );
    expect(await main(["sonar-gate", "--report-task", "report-task.txt", "--coverage", "80"], io)).toBe(0);
    expect(polls).toBe(2);
    // The token as SonarQube's basic-auth user, no password.
    expect(calls[0].headers.authorization).toBe(`Basic ${Buffer.from("squ_fake:").toString("base64")}`);
    expect(await main(["sonar-gate", "--report-task", "report-task.txt", "--coverage", "95"], io)).toBe(1);
  });

  test("commit-status: fawkes/image on the app commit, the digest as description, the build as target", async () => {
    const { io, calls } = fakeIo({}, [["POST https://git.fawkes.test/api/v1/repos/payments/orders/statuses/", () => [201, {}]]], {
      FAWKES_GIT_API_URL: "https://git.fawkes.test/api/v1",
      GIT_USERNAME: "fawkes-ci",
      GIT_TOKEN: "t0ken",
    });
    const args = [
      "--repo-url",
      "https://git.fawkes.test/payments/orders.git",
      "--sha",
      APP_COMMIT,
      "--digest",
      DIGEST,
      "--target-url",
      "https://jenkins.fawkes.test/job/x/1/",
    ];
    expect(await main(["commit-status", ...args], io)).toBe(0);
    expect(calls[0].url).toBe(`https://git.fawkes.test/api/v1/repos/payments/orders/statuses/${APP_COMMIT}`);
    expect(calls[0].body).toEqual({ state: "success", context: "fawkes/image", description: DIGEST, target_url: "https://jenkins.fawkes.test/job/x/1/" });
  });

  test("promote: gitops.promote with the shared contract's request; promotion auto asks it to merge", async () => {
    const { io, files } = fakeIo({}, [], { FAWKES_GIT_API_URL: "https://git.fawkes.test/api/v1", GIT_TOKEN: "t0ken" });
    const common = [
      "--repo-url",
      "https://git.fawkes.test/payments/orders.git",
      "--service",
      "orders",
      "--commit",
      APP_COMMIT,
      "--new-name",
      "pull.registry.fake/fawkes/orders",
      "--digest",
      DIGEST,
    ];
    expect(await main(["promote", "--env", "staging", "--mode", "commit", ...common, "--out", "p.json"], io)).toBe(0);
    expect(promoteCalls.at(-1)).toEqual({
      owner: "payments",
      repo: "orders",
      env: "staging",
      newName: "pull.registry.fake/fawkes/orders",
      digest: DIGEST,
      commit: APP_COMMIT,
      service: "orders",
      mode: "commit",
      merge: false,
      recorded: true,
    });
    expect(JSON.parse(files["p.json"])).toEqual({ startedAt: "2026-12-01T10:00:00.000Z", revision: "b".repeat(40), pullRequest: null });
    expect(await main(["promote", "--env", "production", "--mode", "pull-request", "--merge", ...common, "--out", "pp.json"], io)).toBe(0);
    expect(promoteCalls.at(-1)).toMatchObject({ env: "production", mode: "pull-request", merge: true, recorded: true });
    expect(JSON.parse(files["pp.json"])).toMatchObject({ revision: "e".repeat(40), pullRequest: { number: 7, merged: true } });
  });

  test("wait-argo: reads the Application with the pod's token until Synced and Healthy at the revision; bounded", async () => {
    const rev = "b".repeat(40);
    const app = (revision: string, health: string) => ({
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Application",
      metadata: { name: "orders-staging", namespace: "argocd" },
      status: { sync: { status: "Synced", revision }, health: { status: health } },
    });
    let n = 0;
    const url = "GET https://10.0.0.1:443/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/orders-staging";
    const { io, calls } = fakeIo(
      { "/var/run/secrets/kubernetes.io/serviceaccount/token": "sa-token\n" },
      [[url, () => (++n === 1 ? [404, {}] : n < 4 ? [200, app("a".repeat(40), "Healthy")] : [200, app(rev, "Healthy")])]],
      { KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" },
    );
    expect(await main(["wait-argo", "--app", "orders-staging", "--revision", rev], io)).toBe(0);
    expect(calls[0].headers.authorization).toBe("Bearer sa-token");
    const stuck = fakeIo({ "/var/run/secrets/kubernetes.io/serviceaccount/token": "t" }, [[url, () => [200, app("a".repeat(40), "Progressing")]]], {
      KUBERNETES_SERVICE_HOST: "10.0.0.1",
    });
    expect(await main(["wait-argo", "--app", "orders-staging", "--revision", rev, "--timeout", "60"], stuck.io)).toBe(1);
    expect(stuck.calls.length).toBeLessThan(20);
  });

  test("smoke: retries until the Service answers 2xx, fails after the last attempt", async () => {
    let n = 0;
    const { io } = fakeIo({}, [["GET http://orders.payments-orders-staging.svc/readyz", () => (++n < 3 ? [503, {}] : [200, { ok: true }])]]);
    expect(await main(["smoke", "--url", "http://orders.payments-orders-staging.svc/readyz"], io)).toBe(0);
    const down = fakeIo({}, []);
    expect(await main(["smoke", "--url", "http://x.svc/readyz", "--attempts", "3"], down.io)).toBe(1);
  });

  test("record: the record archived and POSTed with the bearer token; the app commit, not the deploy commit", async () => {
    const { io, files, calls } = fakeIo(
      { "p.json": JSON.stringify({ startedAt: "2026-12-01T09:58:00.000Z", revision: "b".repeat(40) }) },
      [["POST http://relay.dora/deployments", () => [202, {}]]],
      { FAWKES_DELIVERY_EVENTS_URL: "http://relay.dora/deployments", FAWKES_DELIVERY_EVENTS_TOKEN: "ev-token" },
    );
    const args = [
      "--env",
      "staging",
      "--result",
      "FAILURE",
      "--service",
      "orders",
      "--team",
      "payments",
      "--repo-url",
      "https://git.fawkes.test/payments/orders.git",
    ];
    const more = [
      "--commit",
      APP_COMMIT,
      "--pull-url",
      "pull.registry.fake/fawkes",
      "--digest",
      DIGEST,
      "--promotion",
      "p.json",
      "--out",
      "deployment-staging.json",
    ];
    expect(await main(["record", ...args, ...more], io)).toBe(0);
    const record = JSON.parse(files["deployment-staging.json"]);
    expect(record).toMatchObject({
      environment: "staging",
      result: "FAILURE",
      commit: APP_COMMIT,
      deployRevision: "b".repeat(40),
      repository: "https://git.fawkes.test/payments/orders",
      startedAt: "2026-12-01T09:58:00.000Z",
    });
    expect(calls[0].headers.authorization).toBe("Bearer ev-token");
    expect(calls[0].body).toEqual(record);
  });

  test("an unknown command exits 2 and lists the known ones", async () => {
    const { io, lines } = fakeIo();
    expect(await main(["deploy-everything"], io)).toBe(2);
    expect(lines[0]).toContain("commands: config, skip, sonar-gate, trivy-gate");
  });
});

describe("the Groovy steps and the pod (vars/, resources/fawkes/pod.yaml)", () => {
  const groovy = fs
    .readdirSync(path.join(LIB, "vars"))
    .filter((f) => f.endsWith(".groovy"))
    .map((f) => fs.readFileSync(path.join(LIB, "vars", f), "utf8"))
    .join("\n");
  const pod = parseYaml(fs.readFileSync(path.join(LIB, "resources", "fawkes", "pod.yaml"), "utf8"));

  test("the Groovy runs only helper commands cli.js implements, and each command is used", () => {
    const used = [...groovy.matchAll(/fawkesHelper(?:\.status\(|\s+)"([a-z-]+)/g)].map((m) => m[1]);
    expect(used.length).toBeGreaterThan(5);
    for (const c of used) expect(Object.keys(COMMANDS)).toContain(c);
    expect(new Set(used)).toEqual(new Set(Object.keys(COMMANDS)));
  });

  test("every container the Groovy enters is in the pod, and every module cli.js requires is installed", () => {
    const names = pod.spec.containers.map((c: any) => c.name);
    for (const [, c] of groovy.matchAll(/container\('([a-z-]+)'\)/g)) expect(names).toContain(c);
    const installed = /FILES = \[([^\]]+)\]/.exec(groovy)![1];
    const cli = fs.readFileSync(path.join(LIB, "resources", "fawkes", "cli.js"), "utf8");
    for (const [, m] of cli.matchAll(/require\("\.\/([\w.-]+)"\)/g)) expect(installed).toContain(`'${m}'`);
  });

  test("the stages of the golden path are all there, in order", () => {
    const stages = ["Skip check", "Build & unit tests", "SAST: SonarQube", "Image: build & push", "Image scan: Trivy", "Commit status fawkes/image"];
    const at = stages.map((s) => groovy.indexOf(`stage('${s}')`));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(groovy).toContain("fawkesDeploy(d + [env: 'staging', mode: 'commit'");
    expect(groovy).toContain("fawkesDeploy(d + [env: 'production', mode: 'pull-request', merge: auto])");
  });

  test("the pod: service account fawkes-builder, every image pinned, only kaniko as root and none privileged", () => {
    expect(pod.spec.serviceAccountName).toBe("fawkes-builder");
    for (const c of pod.spec.containers) {
      expect(c.image).toMatch(/^[a-z0-9.-]+\/[a-z0-9/._-]+:[\w.-]+$/);
      expect(c.image).not.toMatch(/:latest$/);
      expect(c.securityContext.privileged ?? false).toBe(false);
      expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
      if (c.name !== "kaniko") expect(c.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
      expect(c.resources).toMatchObject({ requests: { cpu: expect.anything(), memory: expect.anything() }, limits: { memory: expect.anything() } });
    }
    const kaniko = pod.spec.containers.find((c: any) => c.name === "kaniko");
    expect(kaniko.volumeMounts).toEqual([{ name: "docker-config", mountPath: "/kaniko/.docker", readOnly: true }]);
    expect(pod.spec.volumes[0].configMap).toMatchObject({ name: "fawkes-builder-docker-config", items: [{ key: "config.json", path: "config.json" }] });
  });

  test("kaniko pushes the commit tag, writes the digest and the tarball Trivy scans", () => {
    expect(groovy).toMatch(/--destination '\$\{image\}' --digest-file '\$\{F\}\/digest' --tar-path '\$\{F\}\/image\.tar' \\\$FAWKES_KANIKO_FLAGS/);
    expect(groovy).toContain('String image = "${env.FAWKES_REGISTRY_PUSH}/${cfg.service}:${commit}"');
    expect(groovy).toContain("trivy image --input '${F}/image.tar' --format json");
  });
});
