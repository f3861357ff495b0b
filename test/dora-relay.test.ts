import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Construct } from "constructs";
import { RELAY_ALERTMANAGER_URL, RELAY_IMAGE, eventsRelay } from "../constructs/components/dora/relay";
import { createServer } from "../constructs/components/dora/relay/main";
import { createRelay, type DevLakeApi } from "../constructs/components/dora/relay/relay";
import { alertmanagerConfig } from "../constructs/components/observability/alerting";
import type { Component } from "../constructs/platform";
import type { GitWebhookRequest, SecretKeyRef } from "../constructs/services";
import { RECORDED_MARK } from "../pipeline-library/resources/fawkes/gitops";
import { deploymentRecord } from "../pipeline-library/resources/fawkes/record";
import * as dora from "../scripts/lib/dora";
import { fakeObservability, manifests, release, resources, synthWith } from "./support";
import { deploymentCall, deploymentId, giteaCall, incidentKey } from "../constructs/components/dora/relay/translate";

const FIXTURES = path.join(__dirname, "fixtures", "dora");
const fixture = (name: string): any => JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), "utf8"));
const JENKINS_TOKEN = "jenkins-token-0123456789";
const OPERATOR_TOKEN = "operator-token-0123456789";
const GITEA_SECRET = "gitea-signing-secret";

interface Call {
  method: string;
  path: string;
  body?: any;
}

/** DevLake's webhook plugin and the project/blueprint routes, in memory; `down` answers 503 that many times. */
class FakeDevLake implements DevLakeApi {
  calls: Call[] = [];
  connections: { id: number; name: string }[] = [];
  nextId = 10;
  deployments = new Map<string, any>();
  issues = new Map<string, any>();
  pulls = new Map<string, any>();
  down = 0;
  unreachable = 0;

  async request(method: string, p: string, body?: unknown) {
    this.calls.push({ method, path: p, body });
    if (this.unreachable > 0) {
      this.unreachable--;
      throw new Error("connect ECONNREFUSED 10.0.0.9:8080");
    }
    if (this.down > 0) {
      this.down--;
      return { status: 503, body: "upstream connect error" };
    }
    if (method === "GET" && p === "/plugins/webhook/connections") return { status: 200, body: this.connections };
    if (method === "POST" && p === "/plugins/webhook/connections") {
      // Ids grow and are never reused, as DevLake's.
      const c = { id: this.nextId++, name: (body as any).name };
      this.connections.push(c);
      return { status: 200, body: c };
    }
    const m = /^\/plugins\/webhook\/connections\/(\d+)\/(deployments|issues|pull_requests)$/.exec(p);
    if (m && method === "POST") {
      if (!this.connections.some((c) => c.id === Number(m[1]))) return { status: 404, body: "connection not found" };
      const b = body as any;
      if (m[2] === "deployments") this.deployments.set(b.id, b);
      if (m[2] === "issues") this.issues.set(`${m[1]}:${b.issueKey}`, b);
      if (m[2] === "pull_requests") this.pulls.set(`${m[1]}:${b.pullRequestKey}`, b);
      return { status: 200, body: null };
    }
    return { status: 400, body: `unexpected ${method} ${p}` };
  }

  writes(): Call[] {
    return this.calls.filter((c) => c.method !== "GET");
  }
}

function setup(opts: { apiKey?: boolean } = {}) {
  const devlake = new FakeDevLake();
  const logs: Record<string, unknown>[] = [];
  const sleeps: number[] = [];
  const relay = createRelay({
    devlake,
    tokens: () => ({ jenkins: JENKINS_TOKEN, operator: OPERATOR_TOKEN }),
    giteaSecret: () => GITEA_SECRET,
    apiKeyPresent: () => opts.apiKey ?? true,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    log: (e) => logs.push(e),
    now: () => new Date("2026-11-30T18:00:00Z"),
  });
  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    relay({ method: "POST", url, headers, body: Buffer.from(typeof body === "string" ? body : JSON.stringify(body)) });
  const asJenkins = { authorization: `Bearer ${JENKINS_TOKEN}` };
  const gitea = (event: string, payload: unknown, secret = GITEA_SECRET) => {
    const raw = JSON.stringify(payload);
    const sig = crypto.createHmac("sha256", secret).update(raw).digest("hex");
    return relay({ method: "POST", url: "/gitea", headers: { "x-gitea-event": event, "x-gitea-signature": sig }, body: Buffer.from(raw) });
  };
  return { devlake, logs, sleeps, relay, post, asJenkins, gitea };
}

describe("delivery-events relay: deployments", () => {
  test("a deployment record becomes DevLake's webhook deployment, with the app commit and PRODUCTION, on the service's connection (created once; the config Job puts it in the team's project)", async () => {
    const { devlake, post, asJenkins } = setup();
    const record = fixture("deployment-record");
    const res = await post("/deployments", record, asJenkins);
    expect(res.status).toBe(200);
    expect(devlake.writes()).toEqual([
      { method: "POST", path: "/plugins/webhook/connections", body: { name: "fawkes-orders" } },
      {
        method: "POST",
        path: "/plugins/webhook/connections/10/deployments",
        body: {
          id: deploymentId(record),
          displayTitle: "orders 0d3f1a2b3c4d (9f1c2d3) to production",
          name: "orders@sha256:0d3f1a2b3c4d",
          result: "SUCCESS",
          environment: "PRODUCTION",
          originalEnvironment: "production",
          startedDate: "2026-11-30T14:10:00.000Z",
          finishedDate: "2026-11-30T14:16:30.000Z",
          deploymentCommits: [
            {
              repoUrl: "https://git.fawkes.example.com/payments/orders",
              commitSha: "9f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c",
              startedDate: "2026-11-30T14:10:00.000Z",
              finishedDate: "2026-11-30T14:16:30.000Z",
              result: "SUCCESS",
              displayTitle: "orders 0d3f1a2b3c4d (9f1c2d3) to production",
            },
          ],
        },
      },
    ]);
    // The deploy commit (the GitOps bump) is never what DevLake counts.
    expect(JSON.stringify(devlake.writes())).not.toContain(record.deployRevision);
  });

  test("the pipeline's own record (pipeline-library record.js) is what the relay takes", () => {
    const f = fixture("deployment-record");
    const record = deploymentRecord({ ...f, image: undefined, pullUrl: "registry.fawkes.example.com" });
    expect(deploymentCall(record).call.body.deploymentCommits).toEqual([expect.objectContaining({ commitSha: f.commit })]);
    expect(deploymentCall({ ...record, deployRevision: null }).record.commit).toBe(f.commit);
  });

  test("staging maps to STAGING (DevLake's DORA counts PRODUCTION only)", () => {
    const { call } = deploymentCall({ ...fixture("deployment-record"), environment: "staging" });
    expect(call.body.environment).toBe("STAGING");
  });

  test("a retried record keeps its id: DevLake upserts it, the deployment is counted once; a new pipeline run is a new deployment", async () => {
    const { devlake, post, asJenkins } = setup();
    const record = fixture("deployment-record");
    await post("/deployments", record, asJenkins);
    await post("/deployments", record, asJenkins);
    expect(devlake.deployments.size).toBe(1);
    // The connection is looked up once (cached), the deployment posted twice with one id.
    expect(devlake.calls.filter((c) => c.path === "/plugins/webhook/connections" && c.method === "POST")).toHaveLength(1);
    await post("/deployments", { ...record, pipelineUrl: record.pipelineUrl.replace("/42/", "/43/") }, asJenkins);
    expect(devlake.deployments.size).toBe(2);
  });

  test("an existing connection is reused; the relay never touches projects or blueprints (its API key may call the webhook plugin only)", async () => {
    const { devlake, post, asJenkins } = setup();
    devlake.connections.push({ id: 4, name: "fawkes-orders" });
    await post("/deployments", fixture("deployment-record"), asJenkins);
    expect(devlake.writes().map((c) => `${c.method} ${c.path}`)).toEqual(["POST /plugins/webhook/connections/4/deployments"]);
    expect(devlake.calls.every((c) => c.path.startsWith("/plugins/webhook/"))).toBe(true);
  });

  test("without a valid bearer token: 401, nothing sent", async () => {
    const { devlake, post } = setup();
    expect((await post("/deployments", fixture("deployment-record"))).status).toBe(401);
    expect((await post("/deployments", fixture("deployment-record"), { authorization: "Bearer wrong" })).status).toBe(401);
    expect(devlake.calls).toEqual([]);
  });

  test.each([
    ["not JSON", "{service: orders"],
    ["a list", "[]"],
    ["a short commit", JSON.stringify({ ...fixture("deployment-record"), commit: "9f1c2d3" })],
    ["an unknown environment", JSON.stringify({ ...fixture("deployment-record"), environment: "prod" })],
    ["no finish date", JSON.stringify({ ...fixture("deployment-record"), finishedAt: undefined })],
    ["a result DevLake does not know", JSON.stringify({ ...fixture("deployment-record"), result: "ABORTED" })],
  ])("a malformed record (%s): 400 and a log line, nothing sent", async (_what, body) => {
    const { devlake, post, asJenkins, logs } = setup();
    const res = await post("/deployments", body, asJenkins);
    expect(res.status).toBe(400);
    expect(devlake.calls).toEqual([]);
    expect(logs).toContainEqual(expect.objectContaining({ level: "warn", msg: "rejected", route: "/deployments", status: 400 }));
  });

  test("DevLake briefly down: retried with growing backoff, then delivered once", async () => {
    const { devlake, post, asJenkins, sleeps } = setup();
    devlake.unreachable = 1;
    devlake.down = 2;
    const res = await post("/deployments", fixture("deployment-record"), asJenkins);
    expect(res.status).toBe(200);
    expect(sleeps).toEqual([250, 500, 1000]);
    expect(devlake.deployments.size).toBe(1);
    expect(devlake.calls.filter((c) => c.path.endsWith("/deployments"))).toHaveLength(1);
  });

  test("DevLake down for longer: bounded retries, then 502 so the sender retries (nothing lost silently)", async () => {
    const { devlake, post, asJenkins, sleeps, logs } = setup();
    devlake.down = 100;
    const res = await post("/deployments", fixture("deployment-record"), asJenkins);
    expect(res.status).toBe(502);
    expect(sleeps).toHaveLength(4);
    expect(logs).toContainEqual(expect.objectContaining({ level: "error", msg: "not delivered: the sender retries" }));
    devlake.down = 0;
    expect((await post("/deployments", fixture("deployment-record"), asJenkins)).status).toBe(200);
    expect(devlake.deployments.size).toBe(1);
  });

  test("no DevLake API key yet: 503 (retry later), DevLake not called", async () => {
    const { devlake, post, asJenkins } = setup({ apiKey: false });
    expect((await post("/deployments", fixture("deployment-record"), asJenkins)).status).toBe(503);
    expect(devlake.calls).toEqual([]);
  });

  test("DevLake refusing the body is not retried: 422", async () => {
    const { devlake, post, asJenkins, sleeps } = setup();
    devlake.request = async (method: string, p: string, body?: unknown) =>
      p.endsWith("/deployments") ? { status: 400, body: "input json error" } : FakeDevLake.prototype.request.call(devlake, method, p, body);
    expect((await post("/deployments", fixture("deployment-record"), asJenkins)).status).toBe(422);
    expect(sleeps).toEqual([]);
  });
});

describe("delivery-events relay: incidents", () => {
  test("a firing alert with a service label opens a DevLake incident on the service's connection; one without is ignored and logged", async () => {
    const { devlake, post, logs } = setup();
    const res = await post("/alertmanager", fixture("alertmanager-firing"));
    expect(res.status).toBe(200);
    const key = incidentKey("c4a8f9e0d1b2a3f4", "2026-11-30T17:00:00.123Z");
    expect(key).toBe("alert-c4a8f9e0d1b2a3f4-1796058000");
    expect(devlake.writes().filter((c) => c.path.endsWith("/issues"))).toEqual([
      {
        method: "POST",
        path: "/plugins/webhook/connections/10/issues",
        body: {
          issueKey: key,
          title: "HighErrorRate: 5xx above 5% for 10 minutes",
          description: "orders answers 7% of requests with 5xx.",
          type: "INCIDENT",
          status: "IN_PROGRESS",
          originalStatus: "firing",
          createdDate: "2026-11-30T17:00:00.123Z",
          updatedDate: "2026-11-30T17:00:00.123Z",
          severity: "critical",
          component: "orders",
          url: "https://prometheus.fawkes.example.com/graph?g0.expr=...",
        },
      },
    ]);
    expect(logs).toContainEqual(expect.objectContaining({ msg: "alert ignored", alertname: "KubeNodeNotReady", reason: "no service label" }));
  });

  test("the resolved alert closes the same incident with its resolution date (time to restore)", async () => {
    const { devlake, post } = setup();
    await post("/alertmanager", fixture("alertmanager-firing"));
    await post("/alertmanager", fixture("alertmanager-resolved"));
    expect(devlake.issues.size).toBe(1);
    const [issue] = devlake.issues.values();
    expect(issue).toMatchObject({
      status: "DONE",
      originalStatus: "resolved",
      createdDate: "2026-11-30T17:00:00.123Z",
      resolutionDate: "2026-11-30T17:42:00.000Z",
    });
  });

  test.each([
    ["version 3", { ...fixture("alertmanager-firing"), version: "3" }],
    ["no alerts list", { version: "4" }],
    ["an alert without fingerprint", { version: "4", alerts: [{ status: "firing", labels: { service: "orders" }, startsAt: "2026-11-30T17:00:00Z" }] }],
  ])("a malformed Alertmanager payload (%s): 400", async (_what, body) => {
    const { devlake, post } = setup();
    expect((await post("/alertmanager", body)).status).toBe(400);
    expect(devlake.calls).toEqual([]);
  });

  test("an operator opens and closes an incident by hand with the operator token", async () => {
    const { devlake, post } = setup();
    const auth = { authorization: `Bearer ${OPERATOR_TOKEN}` };
    expect(
      (await post("/incidents", { service: "orders", team: "payments", title: "Card payments failing" }, { authorization: `Bearer ${JENKINS_TOKEN}` })).status,
    ).toBe(401);
    const opened = await post("/incidents", { service: "orders", team: "payments", title: "Card payments failing", severity: "critical" }, auth);
    expect(opened).toEqual({ status: 200, body: { id: "manual-1796061600" } });
    const closed = await post("/incidents/close", { service: "orders", id: "manual-1796061600", title: "Card payments failing" }, auth);
    expect(closed.status).toBe(200);
    expect([...devlake.issues.values()]).toEqual([
      expect.objectContaining({
        issueKey: "manual-1796061600",
        type: "INCIDENT",
        status: "DONE",
        title: "Card payments failing",
        resolutionDate: "2026-11-30T18:00:00.000Z",
      }),
    ]);
  });
});

describe("delivery-events relay: Gitea", () => {
  test("a merged pull request becomes DevLake's webhook pull request, upserted by its number", async () => {
    const { devlake, gitea } = setup();
    const res = await gitea("pull_request", fixture("gitea-pull-request-merged"));
    expect(res.status).toBe(200);
    expect(devlake.writes().find((c) => c.path.endsWith("/pull_requests"))).toEqual({
      method: "POST",
      path: "/plugins/webhook/connections/10/pull_requests",
      body: {
        id: "payments/orders#7",
        pullRequestKey: 7,
        displayTitle: "Add refunds endpoint",
        description: "Refunds for card payments.",
        url: "https://git.fawkes.example.com/payments/orders/pulls/7",
        status: "MERGED",
        originalStatus: "merged",
        authorName: "ada",
        authorId: "12",
        createdDate: "2026-11-30T09:30:00.000Z",
        headRef: "refunds",
        baseRef: "main",
        headCommitSha: "2222222222222222222222222222222222222222",
        baseCommitSha: "1111111111111111111111111111111111111111",
        additions: 120,
        deletions: 8,
        isDraft: false,
        mergedDate: "2026-11-30T14:05:00.000Z",
        mergeCommitSha: "9f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c",
        mergedByName: "grace",
        mergedById: "13",
        closedDate: "2026-11-30T14:05:00.000Z",
      },
    });
  });

  test("an opened pull request is OPEN; merging it later updates the same key", async () => {
    const { devlake, gitea } = setup();
    await gitea("pull_request", fixture("gitea-pull-request-opened"));
    expect(devlake.pulls.get("10:8")).toMatchObject({ status: "OPEN", pullRequestKey: 8, createdDate: "2026-11-30T15:00:00.000Z" });
    const merged = fixture("gitea-pull-request-opened");
    Object.assign(merged.pull_request, {
      state: "closed",
      merged: true,
      merged_at: "2026-11-30T16:00:00Z",
      closed_at: "2026-11-30T16:00:00Z",
      merge_commit_sha: "4".repeat(40),
    });
    await gitea("pull_request", { ...merged, action: "closed" });
    expect(devlake.pulls.size).toBe(1);
    expect(devlake.pulls.get("10:8")).toMatchObject({ status: "MERGED", mergeCommitSha: "4".repeat(40) });
  });

  test("a direct push to the default branch is a change of its own (first commit to push); merges, [skip ci] bumps and other branches are not", async () => {
    const { devlake, gitea } = setup();
    const push = fixture("gitea-push");
    expect((await gitea("push", push)).status).toBe(200);
    const [pr] = devlake.pulls.values();
    expect(pr).toMatchObject({
      pullRequestKey: 1_000_000_000 + 0xabcdef0,
      status: "MERGED",
      type: "direct-push",
      createdDate: "2026-11-30T16:00:00.000Z",
      mergedDate: "2026-11-30T16:20:00.000Z",
      mergeCommitSha: "abcdef0123456789abcdef0123456789abcdef01",
      displayTitle: "Bump the HTTP client",
    });
    const headWith = (message: string) => ({ ...push, head_commit: { ...push.head_commit, message } });
    for (const ignored of [
      headWith("deploy(staging): orders@0d3f1a2 from 9f1c2d3 [skip ci]"),
      headWith("Merge pull request 'Add refunds endpoint' (#7) from refunds into main"),
      headWith("Add refunds endpoint (#7)"),
      { ...push, ref: "refs/heads/feature" },
      { ...push, after: "0".repeat(40) },
      { ...push, repository: { ...push.repository, owner: { login: "platform" } } },
    ]) {
      expect((await gitea("push", ignored)).status).toBe(202);
    }
    expect(devlake.pulls.size).toBe(1);
  });

  test("a DevLake without the webhook plugin's pull request route (before v1.0.3): 422, said in the log, not retried", async () => {
    const { devlake, gitea, logs, sleeps } = setup();
    devlake.request = async (method: string, p: string, body?: unknown) =>
      p.endsWith("/pull_requests") ? { status: 404, body: "404 page not found" } : FakeDevLake.prototype.request.call(devlake, method, p, body);
    expect((await gitea("pull_request", fixture("gitea-pull-request-merged"))).status).toBe(422);
    expect(sleeps).toEqual([]);
    expect(logs).toContainEqual(expect.objectContaining({ level: "error", msg: "DevLake refused", error: expect.stringContaining("from v1.0.3") }));
  });

  test("a connection deleted in DevLake's UI: 502 (the sender retries), and the retry goes to the new connection", async () => {
    const { devlake, post, asJenkins } = setup();
    await post("/deployments", fixture("deployment-record"), asJenkins);
    devlake.connections = [];
    expect((await post("/deployments", fixture("deployment-record"), asJenkins)).status).toBe(502);
    expect((await post("/deployments", fixture("deployment-record"), asJenkins)).status).toBe(200);
    expect(devlake.calls.filter((c) => c.method === "POST").map((c) => c.path)).toEqual([
      "/plugins/webhook/connections",
      "/plugins/webhook/connections/10/deployments",
      "/plugins/webhook/connections/10/deployments",
      "/plugins/webhook/connections",
      "/plugins/webhook/connections/11/deployments",
    ]);
  });

  test("the pipeline's promotion pull requests (deploy/production digest bumps) are no changes of code: ignored", async () => {
    const { devlake, gitea } = setup();
    const pr = fixture("gitea-pull-request-merged");
    const promotion = {
      ...pr,
      pull_request: {
        ...pr.pull_request,
        title: "deploy(production): orders@0d3f1a2b3c4d from 9f1c2d3 [skip ci]",
        head: { ...pr.pull_request.head, ref: "promote/production-9f1c2d3" },
        // merged by the pipeline (promotion: auto), which records that deployment itself
        body: "Promotes orders to production. The pipeline merges it and records the deployment (fawkes:recorded).",
      },
    };
    expect((await gitea("pull_request", promotion)).status).toBe(202);
    const rollback = { ...pr, pull_request: { ...pr.pull_request, head: { ...pr.pull_request.head, ref: "rollback/production-1234567" } } };
    expect((await gitea("pull_request", rollback)).status).toBe(202);
    expect(devlake.pulls.size).toBe(0);
  });

  test("a merged production promotion is the production deployment (app commit from its body), unless the pipeline merged and recorded it", () => {
    const pr = fixture("gitea-pull-request-merged");
    const commit = "9f1c2d3e4b5a69788796a5b4c3d2e1f0a9b8c7d6";
    const digest = `sha256:${"0d3f1a2b".repeat(8)}`;
    const promotion = {
      ...pr,
      pull_request: {
        ...pr.pull_request,
        title: `deploy(production): orders@0d3f1a2b3c4d from 9f1c2d3 [skip ci]`,
        body: `Promotes orders to production: \`registry.example/fawkes/orders@${digest}\`, built from ${commit}.\n\nMerging deploys it.`,
        head: { ...pr.pull_request.head, ref: "promote/production-9f1c2d3" },
      },
    };
    const { call } = giteaCall("pull_request", promotion);
    expect(call?.path).toBe("/deployments");
    const body = call?.body as { id: string; environment: string; deploymentCommits: { commitSha: string }[] };
    expect(body.environment).toBe("PRODUCTION");
    expect(body.deploymentCommits[0].commitSha).toBe(commit);
    expect(giteaCall("pull_request", promotion).call?.body).toEqual(body); // a redelivery: the same id
    const byPipeline = {
      ...promotion,
      pull_request: { ...promotion.pull_request, body: `${promotion.pull_request.body}\n\nThe pipeline merges it ${RECORDED_MARK}.` },
    };
    expect(giteaCall("pull_request", byPipeline).call).toBeUndefined();
    const unmerged = { ...promotion, action: "opened", pull_request: { ...promotion.pull_request, merged: false, state: "open" } };
    expect(giteaCall("pull_request", unmerged).call).toBeUndefined();
  });

  test("a bad or missing signature: 401, nothing sent", async () => {
    const { devlake, gitea, relay } = setup();
    expect((await gitea("push", fixture("gitea-push"), "another-secret")).status).toBe(401);
    const raw = Buffer.from(JSON.stringify(fixture("gitea-push")));
    expect((await relay({ method: "POST", url: "/gitea", headers: { "x-gitea-event": "push" }, body: raw })).status).toBe(401);
    expect(devlake.calls).toEqual([]);
  });

  test("a signed but malformed payload: 400; review and label events: ignored (202)", async () => {
    const { gitea } = setup();
    expect((await gitea("pull_request", { action: "opened", repository: { name: "orders", owner: { login: "payments" } } })).status).toBe(400);
    expect((await gitea("pull_request", { ...fixture("gitea-pull-request-opened"), action: "label_updated" })).status).toBe(202);
    expect(giteaCall("issues", fixture("gitea-push")).ignored).toBe('event "issues"');
  });

  test("unknown routes: 404; health: 200", async () => {
    const { relay } = setup();
    expect((await relay({ method: "GET", url: "/nope", headers: {}, body: Buffer.alloc(0) })).status).toBe(404);
    expect((await relay({ method: "GET", url: "/healthz", headers: {}, body: Buffer.alloc(0) })).status).toBe(200);
  });
});

describe("delivery-events relay: over HTTP, against a fake DevLake server", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fawkes-events-"));
  const seen: { method: string; url: string; auth?: string; body: string }[] = [];
  let failNext = 0;
  const devlake = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body });
      if (failNext > 0) {
        failNext--;
        res.writeHead(503).end("starting");
      } else if (req.url === "/rest/plugins/webhook/connections" && req.method === "GET")
        res.writeHead(200).end(JSON.stringify([{ id: 7, name: "fawkes-orders" }]));
      else res.writeHead(200).end("");
    });
  });
  let relay: http.Server;
  let url = "";
  beforeAll(async () => {
    fs.mkdirSync(path.join(dir, "tokens"));
    fs.writeFileSync(path.join(dir, "tokens", "jenkins"), JENKINS_TOKEN);
    fs.writeFileSync(path.join(dir, "api-key"), "devlake-api-key\n");
    await new Promise<void>((r) => devlake.listen(0, "127.0.0.1", r));
    relay = createServer({
      base: `http://127.0.0.1:${(devlake.address() as AddressInfo).port}/rest`,
      keyFile: path.join(dir, "api-key"),
      tokensDir: path.join(dir, "tokens"),
      retry: { attempts: 3, baseMs: 1, maxMs: 2 },
      paths: ["/deployments", "/gitea"],
      log: () => {},
    });
    await new Promise<void>((r) => relay.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => relay.close(r));
    await new Promise((r) => devlake.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("a record posted to the relay reaches DevLake's webhook with the API key, once, after DevLake's brief 503", async () => {
    failNext = 1;
    const res = await fetch(`${url}/deployments`, {
      method: "POST",
      headers: { authorization: `Bearer ${JENKINS_TOKEN}` },
      body: JSON.stringify(fixture("deployment-record")),
    });
    expect(res.status).toBe(200);
    const posts = seen.filter((s) => s.method === "POST");
    expect(posts.map((s) => s.url)).toEqual(["/rest/plugins/webhook/connections/7/deployments"]);
    expect(seen.every((s) => s.auth === "Bearer devlake-api-key")).toBe(true);
    expect(JSON.parse(posts[0].body)).toMatchObject({ id: deploymentId(fixture("deployment-record")), environment: "PRODUCTION" });
  });

  test("a route of the other port: 404, DevLake not called", async () => {
    const before = seen.length;
    const res = await fetch(`${url}/alertmanager`, { method: "POST", body: JSON.stringify(fixture("alertmanager-firing")) });
    expect(res.status).toBe(404);
    expect(seen.length).toBe(before);
  });

  test("a body over 1 MiB is refused", async () => {
    const res = await fetch(`${url}/gitea`, { method: "POST", body: "x".repeat(1024 * 1024 + 1) }).catch(() => ({ status: 413 }));
    expect(res.status).toBe(413);
  });
});

describe("delivery-events relay: in the cluster", () => {
  const webhooks: GitWebhookRequest[] = [];
  let credential: SecretKeyRef | undefined;
  const named = (id: string, install: Component["install"], extra: Partial<Component> = {}): Component => ({
    id,
    needs: [],
    info: { title: id, description: id, docs: "https://example.test", lifecycle: "experimental" },
    install,
    ...extra,
  });
  const git = named("git", (scope) => {
    new Construct(scope, "FakeGit");
    const svc: any = { webhook: (_s: unknown, r: GitWebhookRequest) => webhooks.push(r) };
    return { ready: [], services: { git: svc } };
  });
  const jenkins = named("jenkins", (scope) => {
    new Construct(scope, "FakeJenkins");
    return { ready: [] };
  });
  const dora = named(
    "dora",
    (scope, ctx, deps) => {
      const relay = eventsRelay(scope, ctx, deps, {
        namespace: "dora",
        devlakeApiUrl: "http://devlake-lake.dora.svc:8080/rest",
        apiKey: { namespace: "dora", name: "devlake-api-key", key: "token" },
        after: [],
      });
      credential = relay.credentialFor(scope, { component: "jenkins", namespace: "jenkins" });
      expect(relay.deploymentsUrl).toBe("http://fawkes-events.dora.svc:8080/deployments");
      expect(relay.incidentsUrl).toBe(RELAY_ALERTMANAGER_URL);
      expect(relay.requests).toEqual({ cpu: 0.04, memoryGiB: 0.094 });
      return { ready: relay.ready };
    },
    // As the real dora: not after observability (Alertmanager finds the relay by convention).
    { uses: ["git", "jenkins"] },
  );
  let tf: any;
  beforeAll(() => {
    tf = synthWith([git, jenkins, dora, { ...fakeObservability(), uses: ["dora"] }]);
  });
  const objects = () => manifests(release(tf, "fawkes-events"));
  const kind = (k: string) => objects().find((o) => o.kind === k);

  test("two restricted replicas of the pinned node image run the relay's files from a ConfigMap", () => {
    const d = kind("Deployment");
    expect(d.spec.replicas).toBe(2);
    const pod = d.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.automountServiceAccountToken).toBe(false);
    const c = pod.containers[0];
    expect(c.image).toBe(RELAY_IMAGE);
    expect(RELAY_IMAGE).toMatch(/^docker\.io\/library\/node:\d+\.\d+\.\d+-alpine[\d.]+$/);
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(c.env).toContainEqual({ name: "DEVLAKE_API_URL", value: "http://devlake-lake.dora.svc:8080/rest" });
    // The API key is optional: the relay answers 503 until the config Job writes it.
    expect(pod.volumes).toContainEqual({ name: "devlake", secret: { secretName: "devlake-api-key", optional: true } });
    const [, code] = resources(tf, "kubernetes_config_map_v1").find(([, r]) => r.metadata.name === "fawkes-events")!;
    expect(Object.keys(code.data).sort()).toEqual(["main.js", "relay.js", "translate.js"]);
    expect(d.spec.template.metadata.annotations["fawkes.dev/code-hash"]).toMatch(/^[0-9a-f]{16}$/);
  });

  test("a ClusterIP Service: 8080 reachable from the jenkins and git namespaces only, Alertmanager's 8081 from monitoring only", () => {
    expect(kind("Service").spec).toMatchObject({ type: "ClusterIP", ports: [{ port: 8080 }, { port: 8081 }] });
    const np = kind("NetworkPolicy");
    expect(np.spec.policyTypes).toEqual(["Ingress"]);
    const rules = np.spec.ingress.map((r: any) => ({
      ports: r.ports.map((p: any) => p.port),
      from: r.from.map((f: any) => f.namespaceSelector.matchLabels["kubernetes.io/metadata.name"]).sort(),
    }));
    expect(rules).toEqual([
      { ports: [8080], from: ["git", "jenkins"] },
      { ports: [8081], from: ["observability"] },
    ]);
    expect(RELAY_ALERTMANAGER_URL).toBe("http://fawkes-events.dora.svc:8081/alertmanager");
  });

  test("Gitea's webhook is registered, signed with the relay's generated secret", () => {
    expect(webhooks).toEqual([
      expect.objectContaining({
        component: "dora",
        url: "http://fawkes-events.dora.svc:8080/gitea",
        events: ["push", "pull_request"],
        signingSecret: { namespace: "dora", name: "fawkes-events-gitea", key: "secret" },
      }),
    ]);
    const [, signing] = resources(tf, "kubernetes_secret_v1").find(([, r]) => r.metadata.name === "fawkes-events-gitea")!;
    expect(signing.data.secret).toMatch(/^\$\{random_password\./);
  });

  test("a component's token is one generated password, in its namespace and in the relay's token secret", () => {
    expect(credential).toEqual({ namespace: "jenkins", name: "fawkes-events-jenkins", key: "token" });
    const secrets = resources(tf, "kubernetes_secret_v1").map(([, r]) => r);
    const mine = secrets.find((r) => r.metadata.name === "fawkes-events-jenkins" && r.metadata.namespace === "jenkins");
    const relayTokens = secrets.find((r) => r.metadata.name === "fawkes-events-tokens");
    expect(mine.data.token).toMatch(/^\$\{random_password\./);
    expect(relayTokens.data.jenkins).toBe(mine.data.token);
    expect(relayTokens.data.operator).toMatch(/^\$\{random_password\./);
  });

  test("Alertmanager sends alerts with a service label to the relay (continue: true), only when dora is enabled", () => {
    const withDora = alertmanagerConfig(RELAY_ALERTMANAGER_URL) as any;
    expect(withDora.route.routes[0]).toEqual({ receiver: "fawkes-events", matchers: ['service =~ ".+"'], continue: true });
    expect(withDora.receivers).toContainEqual({ name: "fawkes-events", webhook_configs: [{ url: RELAY_ALERTMANAGER_URL, send_resolved: true }] });
    // observability is installed before dora, so it writes the URL by convention: the same one.
    expect(fs.readFileSync(path.join(__dirname, "..", "constructs", "components", "observability", "index.ts"), "utf8")).toContain(
      `"${RELAY_ALERTMANAGER_URL}"`,
    );
    const without = alertmanagerConfig() as any;
    expect(JSON.stringify(without)).not.toContain("fawkes-events");
  });
});

describe("scripts/fawkes incident and dora export", () => {
  const io = (answer: { status: number; stdout: string; stderr?: string }) => {
    const calls: { args: string[]; input?: string }[] = [];
    const out: string[] = [];
    const err: string[] = [];
    return {
      calls,
      out,
      err,
      io: {
        kubectl: (args: string[], input?: string) => {
          calls.push({ args, input });
          return { status: answer.status, stdout: answer.stdout, stderr: answer.stderr ?? "" };
        },
        stdout: (s: string) => out.push(s),
        stderr: (s: string) => err.push(s),
        now: () => Date.parse("2026-12-01T09:00:00Z"),
      },
    };
  };

  test("incident open posts to the relay from inside its pod (the operator token never leaves the cluster) and prints the id", () => {
    const t = io({ status: 0, stdout: JSON.stringify({ status: 200, body: JSON.stringify({ id: "manual-1796115600" }) }) });
    expect(dora.run(["incident", "open", "orders", "--title", "Card payments failing", "--severity", "critical", "--team", "payments"], t.io)).toBe(0);
    expect(t.calls[0].args.slice(0, 9)).toEqual(["-n", "dora", "exec", "-i", "deploy/fawkes-events", "-c", "relay", "--", "node"]);
    expect(t.calls[0].args[t.calls[0].args.length - 1]).toBe("/incidents");
    expect(JSON.parse(t.calls[0].input!)).toEqual({ service: "orders", team: "payments", title: "Card payments failing", severity: "critical" });
    expect(t.out.join("")).toContain("opened incident manual-1796115600 on orders");
  });

  test("scripts/fawkes dispatches incident and dora to these commands", async () => {
    // Plain CommonJS without an extension (an executable): loaded as is.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fawkes: { main: (argv: string[], io: unknown) => Promise<number> } = require("../scripts/fawkes");
    const t = io({ status: 0, stdout: JSON.stringify({ status: 200, body: JSON.stringify({ id: "manual-1796115600" }) }) });
    expect(await fawkes.main(["incident", "open", "orders", "--title", "Card payments failing"], t.io)).toBe(0);
    expect(t.calls).toHaveLength(1);
    expect(await fawkes.main(["dora"], t.io)).toBe(2);
    expect(t.err.join("")).toContain("fawkes dora export --team <team>");
  });

  test("incident close, and its errors: a bad id is a usage error (2), a relay refusal an error (1)", () => {
    const ok = io({ status: 0, stdout: JSON.stringify({ status: 200, body: JSON.stringify({ id: "manual-1796115600" }) }) });
    expect(dora.run(["incident", "close", "orders", "manual-1796115600"], ok.io)).toBe(0);
    expect(ok.calls[0].args[ok.calls[0].args.length - 1]).toBe("/incidents/close");
    const bad = io({ status: 0, stdout: "" });
    expect(dora.run(["incident", "close", "orders", "42"], bad.io)).toBe(2);
    expect(bad.calls).toEqual([]);
    const refused = io({ status: 0, stdout: JSON.stringify({ status: 502, body: JSON.stringify({ error: "DevLake unreachable" }) }) });
    expect(dora.run(["incident", "open", "orders", "--title", "x"], refused.io)).toBe(1);
    expect(refused.err.join("")).toContain("the relay answered 502: DevLake unreachable");
  });

  // What `mysql --batch` prints for the export query: two production deployments of orders (one blamed
  // for an incident, resolved in 90 minutes), a staging one, two merged changes.
  const batch = [
    dora.COLUMNS.join("\t"),
    [
      "deployment",
      "fawkes:orders:production:aaa",
      "orders",
      "2026-11-20 10:00:00",
      "NULL",
      "SUCCESS",
      "PRODUCTION",
      "NULL",
      "NULL",
      "NULL",
      "NULL",
      "NULL",
      "NULL",
    ],
    [
      "deployment",
      "fawkes:orders:production:bbb",
      "orders",
      "2026-11-27 10:00:00",
      "NULL",
      "SUCCESS",
      "PRODUCTION",
      "NULL",
      "NULL",
      "NULL",
      "NULL",
      "NULL",
      "NULL",
    ],
    ["deployment", "fawkes:orders:staging:ccc", "orders", "2026-11-27 09:00:00", "NULL", "SUCCESS", "STAGING", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL"],
    ["change", "webhook:10:7", "orders", "2026-11-20 09:00:00", "NULL", "MERGED", "NULL", "NULL", "600", "300", "120", "150", "30"],
    ["change", "webhook:10:8", "orders", "2026-11-27 09:00:00", "NULL", "MERGED", "NULL", "NULL", "1800", "1200", "300", "240", "60"],
    [
      "incident",
      "webhook:10:alert-c4a8-1",
      "NULL",
      "2026-11-27 11:00:00",
      "2026-11-27 12:30:00",
      "DONE",
      "NULL",
      "fawkes:orders:production:bbb",
      "90",
      "NULL",
      "NULL",
      "NULL",
      "NULL",
    ],
  ]
    .map((r) => (Array.isArray(r) ? r.join("\t") : r))
    .join("\n");

  test("the export query is validated and scoped to the team's project and window", () => {
    const sql = dora.exportSql({ team: "payments", days: 30 });
    expect(sql.match(/project_name = 'payments'/g)).toHaveLength(3);
    expect(sql).toContain("INTERVAL 30 DAY");
    expect(() => dora.exportSql({ team: "x'; DROP TABLE issues; --", days: 30 })).toThrow("--team must be a team name");
    expect(() => dora.exportSql({ team: "payments", days: 0 })).toThrow("--days must be a whole number");
  });

  test("mysql batch output parses, NULLs and escapes included", () => {
    expect(dora.parseMysqlBatch("a\tb\nx\\ty\tNULL\n")).toEqual([{ a: "x\ty", b: null }]);
  });

  test("the four keys and the flow per service and for the team, with DORA levels", () => {
    const [orders, team] = dora.summarize(dora.parseMysqlBatch(batch), 28);
    expect(orders).toEqual({
      service: "orders",
      deployments: 2,
      deploymentsPerWeek: 0.5,
      deploymentFrequencyLevel: "medium",
      leadTimeHours: 20,
      leadTimeLevel: "elite",
      changeFailureRate: 0.5,
      changeFailureRateLevel: "low",
      timeToRestoreHours: 1.5,
      timeToRestoreLevel: "high",
      codingHours: 12.5,
      pickupHours: 3.5,
      reviewHours: 3.3,
      deployHours: 0.8,
      slowestStage: "coding",
      changes: 2,
      incidents: 1,
    });
    expect(team).toEqual({ ...orders, service: "*" });
  });

  test("an incident DevLake linked to no deployment still counts for its service (its component) in time to restore, not in failure rate", () => {
    const rows = dora.parseMysqlBatch(batch);
    rows.push({
      ...rows[rows.length - 1],
      id: "webhook:10:manual-1",
      service: "orders",
      deployment_id: null,
      at: "2026-11-28 10:00:00",
      until: "2026-11-28 10:30:00",
      cycle: null,
    });
    const [orders] = dora.summarize(rows, 28);
    expect(orders).toMatchObject({ incidents: 2, changeFailureRate: 0.5, timeToRestoreHours: 1 });
  });

  test("dora export runs the query in a restricted throwaway mysql pod and prints CSV or JSON", () => {
    const t = io({ status: 0, stdout: batch + "\n" });
    expect(dora.run(["dora", "export", "--team", "payments", "--days", "28", "--format", "csv"], t.io)).toBe(0);
    const args = t.calls[0].args;
    expect(args.slice(0, 4)).toEqual(["-n", "dora", "run", "fawkes-dora-export-1796115600000"]);
    expect(args).toEqual(expect.arrayContaining(["--rm", "-i", "--restart=Never", `--image=${dora.MYSQL_IMAGE}`]));
    const overrides = JSON.parse(args.find((a) => a.startsWith("--overrides="))!.slice("--overrides=".length));
    expect(overrides.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(overrides.spec.containers[0].env).toContainEqual({ name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "devlake-db", key: "password" } } });
    expect(JSON.stringify(overrides)).not.toMatch(/--password|-p"\$/);
    expect(t.calls[0].input).toBe(dora.exportSql({ team: "payments", days: 28 }));
    const csv = t.out.join("").split("\r\n");
    expect(csv[0]).toBe(
      "team,days,service,deployments,deploymentsPerWeek,deploymentFrequencyLevel,leadTimeHours,leadTimeLevel,changeFailureRate,changeFailureRateLevel,timeToRestoreHours,timeToRestoreLevel,codingHours,pickupHours,reviewHours,deployHours,slowestStage,changes,incidents",
    );
    expect(csv[1]).toBe("payments,28,orders,2,0.5,medium,20,elite,0.5,low,1.5,high,12.5,3.5,3.3,0.8,coding,2,1");
    expect(csv[2].startsWith("payments,28,*,")).toBe(true);
    const j = io({ status: 0, stdout: batch });
    dora.run(["dora", "export", "--team", "payments", "--days", "28", "--format", "json"], j.io);
    expect(JSON.parse(j.out.join(""))).toMatchObject({
      team: "payments",
      days: 28,
      services: [{ service: "orders", deployments: 2 }],
      team_total: { service: "*" },
    });
  });

  test("dora export refuses a bad format, and reports a failed query", () => {
    expect(dora.run(["dora", "export", "--team", "payments", "--format", "xlsx"], io({ status: 0, stdout: "" }).io)).toBe(2);
    const failed = io({ status: 1, stdout: "", stderr: "ERROR 1045 (28000): Access denied" });
    expect(dora.run(["dora", "export", "--team", "payments"], failed.io)).toBe(1);
    expect(failed.err.join("")).toContain("Access denied");
  });
});
