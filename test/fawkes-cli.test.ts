/**
 * scripts/fawkes (the one-command deploy and rollback), scripts/smoke's timing report, and the GitOps
 * and Argo CD logic they share with the pipeline (pipeline-library/resources/fawkes/gitops.js,
 * argo.js), against an in-memory Gitea and a fake kubectl: no processes, no network.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { applicationStatus, rolloutOf } from "../pipeline-library/resources/fawkes/argo";
import { RECORDED_MARK, bumpImage, deployMessage, promote } from "../pipeline-library/resources/fawkes/gitops";
import { formatDuration, jsonApi, parseDuration } from "../scripts/lib/platform";

const ROOT = path.join(__dirname, "..");
const FIXTURES = path.join(__dirname, "fixtures", "argocd");
/** The revision the recorded Applications were deployed at (replaced by the fake Gitea's head). */
const RECORDED = "9f2c1e7b4a5d6c8e0f1a2b3c4d5e6f7a8b9c0d1e";
const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;
const D3 = `sha256:${"3".repeat(64)}`;
const APP_COMMIT = "c0ffee0123456789abcdef0123456789abcdef01";
const NEW_NAME = "registry.localtest.me/fawkes/orders";

interface Io {
  kubectl: (args: string[], input?: string) => { status: number; stdout: string; stderr: string };
  fetch: (
    url: string,
    init?: { method?: string; headers?: Record<string, string>; body?: string },
  ) => Promise<{ status: number; ok: boolean; text(): Promise<string> }>;
  stdout: (t: string) => void;
  stderr: (t: string) => void;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  env: Record<string, string | undefined>;
  isTTY: boolean;
  cwd: string;
}
// Plain CommonJS without an extension (an executable): loaded as is, typed here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fawkes: { main: (argv: string[], io: Io) => Promise<number> } = require("../scripts/fawkes");
const smoke: {
  main: (argv: string[], io: Io) => Promise<number>;
  stageReport: (r: { name: string; stages: { name: string; ms: number }[]; provisioningMs?: number; greenToHealthyMs?: number }[]) => {
    lines: string[];
    ok: boolean;
  };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
} = require("../scripts/smoke");

/** The staging kustomization the templates generate, values filled in as the scaffolder would. */
function templateKustomization(env: "staging" | "production"): string {
  return fs
    .readFileSync(path.join(ROOT, "templates", "_shared", "deploy", env, "kustomization.yaml"), "utf8")
    .replace(/\$\{\{ values\.team \}\}/g, "payments")
    .replace(/\$\{\{ values\.name \}\}/g, "orders")
    .replace(/\$\{\{ values\.platform\.domain \}\}/g, "localtest.me")
    .replace(/\$\{\{ values\.platform\.registry \}\}/g, "registry.localtest.me/fawkes");
}

// ---------------------------------------------------------------------------------------------
// An in-memory Gitea: commits with whole file trees, branches, statuses, pull requests.
interface Commit {
  sha: string;
  parent?: string;
  message: string;
  files: Record<string, string>;
  author: string;
}
interface Pull {
  number: number;
  body?: string;
  head: string;
  base: string;
  title: string;
  state: "open" | "closed";
  merged: boolean;
  merge_commit_sha?: string;
}
class FakeGitea {
  commits = new Map<string, Commit>();
  branches: Record<string, string> = {};
  statuses: Record<string, any[]> = {};
  pulls: Pull[] = [];
  log: string[] = [];
  auth: string[] = [];
  private n = 0;
  constructor(
    readonly owner = "payments",
    readonly repo = "orders",
  ) {}

  commit(branch: string, message: string, change: Record<string, string>, author = "fawkes-ci"): string {
    const parent = this.branches[branch];
    const files = { ...(parent ? this.commits.get(parent)!.files : {}), ...change };
    const sha = createHash("sha1").update(`${++this.n}${message}`).digest("hex");
    this.commits.set(sha, { sha, parent, message, files, author });
    this.branches[branch] = sha;
    return sha;
  }
  head(branch = "main"): Commit {
    return this.commits.get(this.branches[branch])!;
  }
  history(sha: string | undefined): Commit[] {
    const out: Commit[] = [];
    for (let c = sha ? this.commits.get(sha) : undefined; c; c = c.parent ? this.commits.get(c.parent) : undefined) out.push(c);
    return out;
  }
  blob(text: string): string {
    return createHash("sha1").update(text).digest("hex");
  }

  /** The HTTP surface (global fetch's shape) at https://git.localtest.me/api/v1. */
  fetch = async (url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) => {
    const method = init.method ?? "GET";
    const u = new URL(url);
    const p = decodeURIComponent(u.pathname.replace(/^\/api\/v1/, ""));
    this.log.push(`${method} ${p}`);
    this.auth.push(init.headers?.authorization ?? "");
    const body = init.body ? JSON.parse(init.body) : undefined;
    const reply = (status: number, json: unknown) => ({ status, ok: status < 300, text: async () => JSON.stringify(json) });
    const q = u.searchParams;
    const base = `/repos/${this.owner}/${this.repo}`;
    if (p === "/repos/search") {
      const hit = this.repo.includes(q.get("q") ?? "");
      return reply(200, {
        ok: true,
        data: hit
          ? [
              {
                name: this.repo,
                full_name: `${this.owner}/${this.repo}`,
                owner: { login: this.owner },
                html_url: `https://git.localtest.me/${this.owner}/${this.repo}`,
              },
            ]
          : [],
      });
    }
    if (!p.startsWith(base)) return reply(404, { message: "repository not found" });
    const rest = p.slice(base.length);
    if (rest === "") return reply(200, { name: this.repo, html_url: `https://git.localtest.me/${this.owner}/${this.repo}` });
    let m: RegExpExecArray | null;
    if ((m = /^\/branches\/(.+)$/.exec(rest))) {
      const sha = this.branches[m[1]];
      return sha ? reply(200, { name: m[1], commit: { id: sha } }) : reply(404, { message: "branch not found" });
    }
    if ((m = /^\/contents\/(.+)$/.exec(rest))) {
      const file = m[1];
      if (method === "GET") {
        const ref = q.get("ref") ?? "main";
        const sha = this.branches[ref] ?? ref;
        const text = this.commits.get(sha)?.files[file];
        if (text === undefined) return reply(404, { message: "file not found" });
        return reply(200, {
          type: "file",
          path: file,
          sha: this.blob(text),
          encoding: "base64",
          content: Buffer.from(text).toString("base64"),
          last_commit_sha: sha,
        });
      }
      if (method === "PUT") {
        const from = this.head(body.branch);
        if (this.blob(from.files[file]) !== body.sha) return reply(409, { message: "sha does not match" });
        const target = body.new_branch ?? body.branch;
        if (body.new_branch) {
          if (this.branches[body.new_branch]) return reply(422, { message: "branch already exists" });
          this.branches[body.new_branch] = this.branches[body.branch];
        }
        const sha = this.commit(target, body.message, { [file]: Buffer.from(body.content, "base64").toString("utf8") });
        return reply(200, { content: { path: file }, commit: { sha } });
      }
    }
    if (rest === "/commits" && method === "GET") {
      const file = q.get("path");
      const list = this.history(this.branches[q.get("sha") ?? "main"]).filter(
        (c) => !file || c.files[file] !== (c.parent ? this.commits.get(c.parent)!.files[file] : undefined),
      );
      return reply(
        200,
        list.slice(0, Number(q.get("limit") ?? 30)).map((c) => ({ sha: c.sha, commit: { message: c.message } })),
      );
    }
    if ((m = /^\/commits\/([0-9a-f]+)\/status$/.exec(rest))) return reply(200, { sha: m[1], statuses: this.statuses[m[1]] ?? [] });
    if (rest === "/pulls" && method === "GET")
      return reply(
        200,
        this.pulls.filter((x) => x.state === (q.get("state") ?? "open")).map((x) => this.pullJson(x)),
      );
    if (rest === "/pulls" && method === "POST") {
      const pr: Pull = { number: this.pulls.length + 1, head: body.head, base: body.base, title: body.title, body: body.body, state: "open", merged: false };
      this.pulls.push(pr);
      return reply(201, this.pullJson(pr));
    }
    if ((m = /^\/pulls\/(\d+)\/merge$/.exec(rest))) {
      const pr = this.pulls[Number(m[1]) - 1];
      pr.merge_commit_sha = this.commit(pr.base, `Merge pull request '${pr.title}' (#${pr.number})`, this.head(pr.head).files);
      pr.merged = true;
      pr.state = "closed";
      return reply(200, {});
    }
    if ((m = /^\/pulls\/(\d+)$/.exec(rest))) return reply(200, this.pullJson(this.pulls[Number(m[1]) - 1]));
    return reply(404, { message: `no route ${method} ${p}` });
  };
  pullJson(x: Pull) {
    return {
      number: x.number,
      title: x.title,
      state: x.state,
      merged: x.merged,
      merge_commit_sha: x.merge_commit_sha ?? null,
      head: { ref: x.head },
      base: { ref: x.base },
      html_url: `https://git.localtest.me/${this.owner}/${this.repo}/pulls/${x.number}`,
    };
  }
  api() {
    return jsonApi({ fetch: this.fetch } as any, "https://git.localtest.me/api/v1", { authorization: "token t" });
  }
}

/** A service as the template generates it, with one green commit (image D1) and staging still pending. */
function serviceRepo(t0: number): FakeGitea {
  const g = new FakeGitea();
  g.commit("main", "feat: orders from the Fawkes http-api template", {
    "deploy/staging/kustomization.yaml": templateKustomization("staging"),
    "deploy/production/kustomization.yaml": templateKustomization("production"),
    "src/app.ts": "v1",
  });
  const green = g.commit("main", "fix: faster orders", { "src/app.ts": "v2" }, "dev");
  g.statuses[green] = [
    { context: "ci/jenkins", status: "success", description: "build" },
    {
      context: "fawkes/image",
      status: "success",
      description: D1,
      target_url: "https://jenkins.localtest.me/job/payments/job/orders/job/main/7/",
      updated_at: new Date(t0 - 60_000).toISOString(),
    },
  ];
  return g;
}

// ---------------------------------------------------------------------------------------------
// A fake kubectl: the Application goes through `steps` (recorded fixtures, at the Git head), one per `get`.
interface Cluster {
  steps: string[];
  log: string[];
  secret?: Record<string, string>;
  rolloutDone?: boolean;
}
function fakeKubectl(cluster: Cluster, git: FakeGitea) {
  let i = 0;
  return (argv: string[]) => {
    const args = argv[0] === "--context" ? argv.slice(2) : argv;
    cluster.log.push(args.join(" "));
    const out = (o: unknown) => ({ status: 0, stdout: JSON.stringify(o), stderr: "" });
    const notFound = (what: string) => ({ status: 1, stdout: "", stderr: `Error from server (NotFound): ${what} not found\n` });
    if (args[0] === "annotate") return { status: 0, stdout: "annotated\n", stderr: "" };
    if (args[0] === "get" && args[1] === "application") {
      const step = cluster.steps[Math.min(i++, cluster.steps.length - 1)];
      if (step === "missing") return notFound(`applications.argoproj.io "${args[4]}"`);
      const text = fs
        .readFileSync(path.join(FIXTURES, `${step}.json`), "utf8")
        .split(RECORDED)
        .join(git.head().sha);
      return { status: 0, stdout: text, stderr: "" };
    }
    if (args[0] === "get" && args[1] === "deploy") {
      const done = cluster.rolloutDone ?? true;
      return out({
        items: [
          {
            metadata: { name: "orders", generation: 3 },
            spec: { replicas: 2 },
            status: { observedGeneration: 3, replicas: 2, updatedReplicas: 2, readyReplicas: done ? 2 : 1, availableReplicas: done ? 2 : 1 },
          },
        ],
      });
    }
    if (args[0] === "get" && args[1] === "secret") {
      return cluster.secret
        ? out({ data: Object.fromEntries(Object.entries(cluster.secret).map(([k, v]) => [k, Buffer.from(v).toString("base64")])) })
        : notFound(`secrets "${args[4]}"`);
    }
    return { status: 1, stdout: "", stderr: `unexpected kubectl ${args.join(" ")}` };
  };
}

async function run(
  argv: string[],
  opts: { git?: FakeGitea; steps?: string[]; env?: Record<string, string>; secret?: Record<string, string>; rolloutDone?: boolean; isTTY?: boolean } = {},
) {
  let t = Date.parse("2026-12-01T10:00:00Z");
  const git = opts.git ?? serviceRepo(t);
  const cluster: Cluster = {
    steps: opts.steps ?? ["out-of-sync", "progressing", "progressing", "synced-healthy"],
    log: [],
    secret: opts.secret,
    rolloutDone: opts.rolloutDone,
  };
  let stdout = "";
  let stderr = "";
  const code = await fawkes.main(argv, {
    kubectl: fakeKubectl(cluster, git),
    fetch: git.fetch,
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    sleep: async (ms) => {
      t += ms;
    },
    now: () => t,
    env: { FAWKES_DOMAIN: "localtest.me", FAWKES_GIT_TOKEN: "tok", ...opts.env },
    isTTY: opts.isTTY ?? false,
    cwd: "/nonexistent",
  });
  return { code, stdout, stderr, git, cluster };
}

// ---------------------------------------------------------------------------------------------
describe("gitops.bumpImage", () => {
  it("puts the digest into the template's kustomization and changes nothing else", () => {
    const before = templateKustomization("staging");
    const after = bumpImage(before, { newName: NEW_NAME, digest: D1 });
    const doc = parseYaml(after);
    expect(doc.images).toEqual([{ name: "app", newName: NEW_NAME, digest: D1 }]);
    expect(doc.namespace).toBe("payments-orders-staging");
    const changed = after.split("\n").filter((l, i) => l !== before.split("\n")[i]);
    expect(changed).toEqual([`    digest: ${D1}`]);
    // Again, with the next digest: the digest line is replaced, the file still has one entry.
    const again = bumpImage(after, { newName: NEW_NAME, digest: D2 });
    expect(parseYaml(again).images).toEqual([{ name: "app", newName: NEW_NAME, digest: D2 }]);
    expect(bumpImage(again, { newName: NEW_NAME, digest: D2 })).toBe(again);
  });

  it("refuses any other shape, naming the file and what it expected", () => {
    const ok = templateKustomization("production");
    const cases: [string, RegExp][] = [
      [ok.replace(/images:[\s\S]*$/, ""), /no top-level `images:`/],
      [`${ok}  - name: sidecar\n    newTag: "1"\n`, /2 entries/],
      [ok.replace("- name: app", "- name: web"), /not named `app`/],
      [ok.replace("newTag: pending-first-build", `newTag: x\n    digest: ${D1}`), /both `newTag:` and `digest:`/],
      [ok.replace("    newName:", "    newName: a\n    newName:"), /`newName` twice/],
    ];
    for (const [text, why] of cases) {
      expect(() => bumpImage(text, { newName: NEW_NAME, digest: D1, file: "payments/orders/deploy/production/kustomization.yaml" })).toThrow(why);
      expect(() => bumpImage(text, { newName: NEW_NAME, digest: D1, file: "payments/orders/deploy/production/kustomization.yaml" })).toThrow(
        /^payments\/orders\/deploy\/production\/kustomization\.yaml: cannot bump the image: .*; expected one `images:` entry `- name: app`/,
      );
    }
    expect(() => bumpImage(ok, { newName: NEW_NAME, digest: "sha256:abc" })).toThrow('bumpImage.digest must be sha256:<64 hex>, got "sha256:abc"');
    expect(() => bumpImage(ok, { newName: `${NEW_NAME}:1.0 x`, digest: D1 })).toThrow(/bumpImage.newName must be/);
  });
});

describe("gitops.promote", () => {
  const p = { owner: "payments", repo: "orders", env: "staging", newName: NEW_NAME, digest: D1, commit: APP_COMMIT, service: "orders" } as const;

  it("commits the bump to main as the API's user, with the [skip ci] message", async () => {
    const g = serviceRepo(0);
    const before = g.head().sha;
    const res = await promote(g.api(), { ...p, mode: "commit" });
    expect(res).toEqual({ revision: g.head().sha });
    expect(g.head().parent).toBe(before);
    expect(g.head().message).toBe(`deploy(staging): orders@sha256:111111111111 from c0ffee0 [skip ci]`);
    expect(g.head().message).toBe(deployMessage({ env: "staging", service: "orders", digest: D1, commit: APP_COMMIT }));
    expect(parseYaml(g.head().files["deploy/staging/kustomization.yaml"]).images[0].digest).toBe(D1);
    expect(g.head().files["deploy/production/kustomization.yaml"]).toBe(templateKustomization("production"));
    expect(g.log.filter((l) => l.startsWith("PUT"))).toEqual(["PUT /repos/payments/orders/contents/deploy/staging/kustomization.yaml"]);
    // Promoting the same digest again writes nothing.
    const n = g.log.length;
    expect(await promote(g.api(), { ...p, mode: "commit" })).toEqual({ revision: g.head().sha, unchanged: true });
    expect(g.log.slice(n).some((l) => !l.startsWith("GET"))).toBe(false);
  });

  it("in pull-request mode, opens one pull request from promote/<env>-<commit> and merges it on request", async () => {
    const g = serviceRepo(0);
    const main = g.head().sha;
    const res = await promote(g.api(), { ...p, env: "production", mode: "pull-request" });
    expect(g.head().sha).toBe(main);
    expect(res.pullRequest).toEqual({ number: 1, url: "https://git.localtest.me/payments/orders/pulls/1", merged: false });
    expect(res.revision).toBe(g.branches["promote/production-c0ffee0"]);
    expect(g.pulls[0]).toMatchObject({
      head: "promote/production-c0ffee0",
      base: "main",
      title: "deploy(production): orders@sha256:111111111111 from c0ffee0 [skip ci]",
    });
    // A rerun reuses the branch and its pull request; merge: true merges it and deploys from main.
    const merged = await promote(g.api(), { ...p, env: "production", mode: "pull-request", merge: true });
    expect(g.pulls).toHaveLength(1);
    expect(merged.pullRequest).toMatchObject({ number: 1, merged: true });
    expect(merged.revision).toBe(g.head().sha);
    expect(parseYaml(g.head().files["deploy/production/kustomization.yaml"]).images[0].digest).toBe(D1);
  });

  it("marks the pull request when the pipeline merges and records it (the DORA relay then skips the merge); a person's promotion is unmarked", async () => {
    const byPipeline = serviceRepo(0);
    await promote(byPipeline.api(), { ...p, env: "production", mode: "pull-request", merge: true, recorded: true });
    expect(String(byPipeline.pulls[0].body)).toContain(RECORDED_MARK);
    const forPerson = serviceRepo(0);
    await promote(forPerson.api(), { ...p, env: "production", mode: "pull-request", recorded: true });
    expect(String(forPerson.pulls[0].body)).not.toContain(RECORDED_MARK);
    expect(String(forPerson.pulls[0].body)).toMatch(/`[^`@]+@sha256:[0-9a-f]{64}`, built from [0-9a-f]{7,40}/);
  });

  it("refuses a kustomization it cannot edit without writing", async () => {
    const g = serviceRepo(0);
    g.commit("main", "chore: hand edit", { "deploy/staging/kustomization.yaml": "resources: [../base]\n" });
    await expect(promote(g.api(), { ...p, mode: "commit" })).rejects.toThrow(
      /payments\/orders\/deploy\/staging\/kustomization\.yaml: cannot bump the image: no top-level `images:`/,
    );
    expect(g.log.some((l) => l.startsWith("PUT"))).toBe(false);
  });
});

describe("argo.applicationStatus", () => {
  const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), "utf8"));
  it.each([
    ["synced-healthy", { done: true, ok: true, sync: "Synced", health: "Healthy" }, /^Synced and Healthy at 9f2c1e7$/],
    ["out-of-sync", { done: false, ok: false, sync: "OutOfSync", health: "Healthy" }, /OutOfSync: waiting for the sync/],
    ["progressing", { done: false, ok: false, sync: "Synced", health: "Progressing" }, /Waiting for rollout to finish/],
    [
      "degraded",
      { done: true, ok: false, sync: "Synced", health: "Degraded" },
      /Degraded: Deployment\/orders: Deployment "orders" exceeded its progress deadline/,
    ],
    ["sync-failed", { done: true, ok: false, operation: "Failed" }, /sync failed: Deployment\/orders: Deployment.apps "orders" is invalid/],
  ])("%s", (name, expected, message) => {
    const s = applicationStatus(fixture(name), { revision: RECORDED });
    expect(s).toMatchObject(expected);
    expect(s.message).toMatch(message);
  });

  it("is not done while Argo CD is still at another revision, even Healthy or Degraded there", () => {
    for (const name of ["synced-healthy", "degraded"]) {
      const s = applicationStatus(fixture(name), { revision: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" });
      expect(s).toMatchObject({ done: false, ok: false, atRevision: false });
      expect(s.message).toMatch(/^waiting for revision aaaaaaa \(Argo CD is at 9f2c1e7\)/);
    }
    // A short expected revision matches its full SHA; without one, any revision will do.
    expect(applicationStatus(fixture("synced-healthy"), { revision: RECORDED.slice(0, 7) }).ok).toBe(true);
    expect(applicationStatus(fixture("synced-healthy")).ok).toBe(true);
    expect(() => applicationStatus({ kind: "Deployment" })).toThrow('applicationStatus.app must be an Argo CD Application, got "Deployment"');
  });

  it("reads the rollout from the Deployment", () => {
    const d = {
      metadata: { generation: 2 },
      spec: { replicas: 2 },
      status: { observedGeneration: 2, replicas: 3, updatedReplicas: 1, readyReplicas: 2, availableReplicas: 2 },
    };
    expect(rolloutOf(d)).toMatchObject({ done: false, text: "2/2 ready, 1 updated" });
    expect(rolloutOf({ ...d, status: { ...d.status, replicas: 2, updatedReplicas: 2 } }).done).toBe(true);
  });
});

describe("scripts/fawkes deploy", () => {
  it("promotes the latest green commit to staging and prints one line per change until Synced and Healthy", async () => {
    const r = await run(["deploy", "orders", "--env", "staging"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const head = r.git.head();
    const green = r.git.history(head.sha)[1];
    expect(head.message).toBe(`deploy(staging): orders@sha256:111111111111 from ${green.sha.slice(0, 7)} [skip ci]`);
    expect(parseYaml(head.files["deploy/staging/kustomization.yaml"]).images[0]).toEqual({ name: "app", newName: NEW_NAME, digest: D1 });
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("orders (payments/orders), staging: now tag pending-first-build");
    expect(lines[1]).toMatch(/^latest green commit [0-9a-f]{7} "fix: faster orders": sha256:111111111111$/);
    expect(lines[2]).toBe(`promoted at revision ${head.sha.slice(0, 7)}`);
    // Four Application reads, three distinct states: three status lines.
    expect(lines.slice(3, 6)).toEqual([
      "[0s] sync OutOfSync, health Healthy: OutOfSync: waiting for the sync",
      "[3s] sync Synced, health Progressing, rollout 2/2 ready, 2 updated: Waiting for rollout to finish: 1 old replicas are pending termination...",
      "[9s] sync Synced, health Healthy, rollout 2/2 ready, 2 updated: Synced and Healthy at " + head.sha.slice(0, 7),
    ]);
    expect(lines[6]).toBe("orders is live in staging: https://orders-staging.localtest.me");
    expect(lines[7]).toBe("deploy took 9s; green build to healthy: 1m09s (target 5m00s, met)");
    expect(r.cluster.log).toContain("annotate application -n argocd orders-staging argocd.argoproj.io/refresh=normal --overwrite");
    expect(r.cluster.log).toContain("get deploy -n payments-orders-staging -o json");
  });

  it("colours the states on a terminal, still one line per change", async () => {
    const r = await run(["deploy", "orders", "--env", "staging"], { isTTY: true, steps: ["progressing", "progressing", "synced-healthy"] });
    expect(r.code).toBe(0);
    const status = r.stdout.split("\n").filter((l) => l.startsWith("["));
    expect(status).toHaveLength(2);
    expect(status[0]).toContain("sync \u001b[32mSynced\u001b[0m, health \u001b[33mProgressing\u001b[0m");
    expect(status[1]).toContain("health \u001b[32mHealthy\u001b[0m");
  });

  it("exits 1 with the reason on Degraded, and on timeout", async () => {
    const degraded = await run(["deploy", "orders", "--env", "staging", "--team", "payments"], { steps: ["progressing", "degraded"] });
    expect(degraded.code).toBe(1);
    expect(degraded.stderr).toBe(`fawkes: orders is not live in staging: Degraded: Deployment/orders: Deployment "orders" exceeded its progress deadline\n`);
    const slow = await run(["deploy", "orders", "--env", "staging", "--timeout", "30s"], { steps: ["missing", "progressing"] });
    expect(slow.code).toBe(1);
    expect(slow.stdout).toMatch(/^\[0s\] Application not there yet/m);
    expect(slow.stderr).toMatch(/^fawkes: orders is not live in staging: timed out after 30s \(sync Synced, health Progressing: Waiting for rollout/);
    // Healthy in Argo CD but the Deployment's pods not all ready yet: still waiting.
    const pods = await run(["deploy", "orders", "--env", "staging", "--timeout", "10s"], { steps: ["synced-healthy"], rolloutDone: false });
    expect(pods.code).toBe(1);
    expect(pods.stderr).toMatch(/timed out after 10s/);
  });

  it("opens a pull request for production, and deploys it with --merge", async () => {
    const pr = await run(["deploy", "orders", "--env", "production"]);
    expect(pr.code).toBe(0);
    expect(pr.stdout).toMatch(/pull request #1 opened: https:\/\/git\.localtest\.me\/payments\/orders\/pulls\/1\nmerge it to deploy to production/);
    expect(pr.git.head().message).toBe("fix: faster orders");
    expect(pr.cluster.log.some((l) => l.startsWith("get application"))).toBe(false);

    const merged = await run(["deploy", "orders", "--env", "production", "--merge"]);
    expect(merged.code).toBe(0);
    expect(merged.git.head().message).toMatch(/^Merge pull request 'deploy\(production\): orders@sha256:111111111111 from [0-9a-f]{7} \[skip ci\]' \(#1\)$/);
    expect(merged.stdout).toMatch(/orders is live in production: https:\/\/orders-production\.localtest\.me/);
  });

  it("rolls back to the previous deploy(<env>) revision by a new commit, with the same live status", async () => {
    const g = serviceRepo(0);
    const file = "deploy/staging/kustomization.yaml";
    const at = (d: string) => bumpImage(templateKustomization("staging"), { newName: NEW_NAME, digest: d });
    g.commit("main", `deploy(staging): orders@${D1.slice(0, 19)} from aaaaaaa [skip ci]`, { [file]: at(D1) });
    g.commit("main", `deploy(staging): orders@${D2.slice(0, 19)} from bbbbbbb [skip ci]`, { [file]: at(D2) });
    g.commit("main", "feat: more orders", { "src/app.ts": "v3" }, "dev");
    g.commit("main", `deploy(staging): orders@${D3.slice(0, 19)} from ccccccc [skip ci]`, { [file]: at(D3) });
    const target = g.history(g.head().sha)[2].sha;

    const dry = await run(["deploy", "orders", "--env", "staging", "--rollback", "--dry-run"], { git: g });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/would commit to payments\/orders main: rollback\(staging\): orders to sha256:222222222222 of [0-9a-f]{7} \[skip ci\]/);
    expect(g.log.some((l) => l.startsWith("PUT"))).toBe(false);

    const r = await run(["deploy", "orders", "--env", "staging", "--rollback"], { git: g });
    expect(r.code).toBe(0);
    expect(g.head().message).toBe(`rollback(staging): orders to sha256:222222222222 of ${target.slice(0, 7)} [skip ci]`);
    expect(g.head().files[file]).toBe(at(D2));
    expect(r.stdout).toMatch(/orders is live in staging/);
    expect(r.stdout).not.toMatch(/green build to healthy/);
  });

  it("rolls production back by a pull request (merged with --merge), past the merges of earlier promotions", async () => {
    const g = serviceRepo(0);
    const file = "deploy/production/kustomization.yaml";
    const at = (d: string) => bumpImage(templateKustomization("production"), { newName: NEW_NAME, digest: d });
    g.commit("main", `Merge pull request 'deploy(production): orders@${D1.slice(0, 19)} from aaaaaaa [skip ci]' (#1)`, { [file]: at(D1) });
    g.commit("main", `Merge pull request 'deploy(production): orders@${D2.slice(0, 19)} from bbbbbbb [skip ci]' (#2)`, { [file]: at(D2) });
    const main = g.head().sha;
    const pr = await run(["deploy", "orders", "--env", "production", "--rollback"], { git: g });
    expect(pr.code).toBe(0);
    expect(g.head().sha).toBe(main);
    expect(g.pulls[0]).toMatchObject({
      head: expect.stringMatching(/^rollback\/production-[0-9a-f]{7}$/),
      title: expect.stringMatching(/^rollback\(production\): orders to sha256:111111111111 of/),
    });
    expect(pr.stdout).toMatch(/pull request #1 opened: .*\nmerge it to roll production back/);
    const merged = await run(["deploy", "orders", "--env", "production", "--rollback", "--merge"], { git: g });
    expect(merged.code).toBe(0);
    expect(g.pulls).toHaveLength(1);
    expect(g.head().files[file]).toBe(at(D1));
    expect(merged.stdout).toMatch(/rolled back at revision [0-9a-f]{7} \(pull request #1 merged\)[\s\S]*orders is live in production/);
  });

  it("with --dry-run, says what it would do and writes nothing", async () => {
    const r = await run(["deploy", "orders", "--env", "production", "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /would open a pull request from promote\/production-[0-9a-f]{7}: deploy\(production\): orders@sha256:111111111111 from [0-9a-f]{7} \[skip ci\]/,
    );
    expect(r.git.log.filter((l) => !l.startsWith("GET"))).toEqual([]);
    expect(r.cluster.log).toEqual([]);
  });

  it("reads the fawkes-ci token from its secret in namespace jenkins when none is given", async () => {
    const r = await run(["deploy", "orders", "--env", "staging", "--dry-run"], {
      env: { FAWKES_GIT_TOKEN: "" },
      secret: { username: "fawkes-ci", password: "s3cret" },
    });
    expect(r.code).toBe(0);
    expect(r.cluster.log[0]).toBe("get secret -n jenkins jenkins-git-credentials -o json");
    expect(new Set(r.git.auth)).toEqual(new Set([`Basic ${Buffer.from("fawkes-ci:s3cret").toString("base64")}`]));
    const none = await run(["deploy", "orders", "--env", "staging"], { env: { FAWKES_GIT_TOKEN: "" } });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^fawkes: no Gitea token: secret jenkins\/jenkins-git-credentials/);
  });

  it("fails clearly without a green commit or a repository", async () => {
    const g = new FakeGitea();
    g.commit("main", "init", { "deploy/staging/kustomization.yaml": templateKustomization("staging") });
    const red = await run(["deploy", "orders", "--env", "staging"], { git: g });
    expect(red.code).toBe(1);
    expect(red.stderr).toMatch(/payments\/orders has no green commit on main yet/);
    const missing = await run(["deploy", "billing", "--env", "staging"]);
    expect(missing.stderr).toMatch(/no repository named billing in any team's organisation/);
    const wrongTeam = await run(["deploy", "orders", "--env", "staging", "--team", "search"]);
    expect(wrongTeam.stderr).toMatch(/no repository search\/orders/);
  });

  it("names the usage on argument errors (exit 2)", async () => {
    for (const [argv, why] of [
      [["deploy"], "deploy needs a service name"],
      [["deploy", "orders"], "--env must be staging or production, got null"],
      [["deploy", "orders", "--env", "qa"], '--env must be staging or production, got "qa"'],
      [["deploy", "Orders!", "--env", "staging"], "the service name must match"],
      [["deploy", "orders", "--env", "staging", "--timeout", "soon"], "a duration must look like 90s"],
      [["ship", "orders"], 'unknown command "ship"'],
      [[], "no command"],
    ] as [string[], string][]) {
      const r = await run(argv, { env: { FAWKES_DOMAIN: "" } });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`fawkes: ${why}`);
      expect(r.stderr).toContain("usage: scripts/fawkes deploy <service> --env staging|production");
    }
    const noDomain = await run(["deploy", "orders", "--env", "staging"], { env: { FAWKES_DOMAIN: "" } });
    expect(noDomain.stderr).toMatch(/no platform domain: pass --domain/);
  });
});

describe("durations", () => {
  it("parses and prints them", () => {
    expect([parseDuration("90"), parseDuration("90s"), parseDuration("10m"), parseDuration("1h"), parseDuration("1m30s")]).toEqual([
      90_000, 90_000, 600_000, 3_600_000, 90_000,
    ]);
    expect([formatDuration(9_400), formatDuration(69_000), formatDuration(3_720_000)]).toEqual(["9s", "1m09s", "1h02m"]);
  });
});

describe("scripts/smoke", () => {
  it("reports each stage's duration and the total against the targets", () => {
    const r = smoke.stageReport([
      {
        name: "smoke-http-api",
        stages: [
          { name: "scaffold", ms: 40_000 },
          { name: "first build", ms: 300_000 },
          { name: "staging", ms: 100_000 },
        ],
        provisioningMs: 440_000,
        greenToHealthyMs: 100_000,
      },
    ]);
    expect(r.ok).toBe(true);
    expect(r.lines.join("\n")).toMatch(/smoke-http-api: scaffold 40s, first build 5m00s, staging 1m40s; total 7m20s/);
    const slow = smoke.stageReport([{ name: "smoke-worker", stages: [{ name: "scaffold", ms: 1000 }], provisioningMs: 660_000, greenToHealthyMs: 400_000 }]);
    expect(slow.ok).toBe(false);
    expect(slow.lines.join("\n")).toMatch(/provisioning 11m00s \(target < 10m00s: missed\)/);
    expect(slow.lines.join("\n")).toMatch(/green build to healthy 6m40s \(target < 5m00s: missed\)/);
  });
});

describe("scripts/smoke walk", () => {
  it("creates the service through the scaffolder, waits for its first green build and staging, and reports", async () => {
    let t = Date.parse("2026-12-01T10:00:00Z");
    const start = t;
    let git: FakeGitea | undefined;
    let polls = 0;
    const posted: any[] = [];
    const backstageFetch = async (url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) => {
      const reply = (status: number, json: unknown) => ({ status, ok: status < 300, text: async () => JSON.stringify(json) });
      expect(init.headers?.authorization).toBe("Bearer bs-token");
      if (init.method === "POST" && url === "https://backstage.localtest.me/api/scaffolder/v2/tasks") {
        posted.push(JSON.parse(init.body!));
        return reply(201, { id: "task-1" });
      }
      if (url === "https://backstage.localtest.me/api/scaffolder/v2/tasks/task-1") {
        if (++polls < 3) return reply(200, { id: "task-1", status: "processing" });
        if (!git) {
          // The scaffolder published the repository; the pipeline goes green two minutes later.
          git = new FakeGitea("payments", posted[0].values.name);
          const sha = git.commit("main", "feat: from the template", { "src/app.ts": "v1" });
          git.statuses[sha] = [{ context: "fawkes/image", status: "success", description: D1, updated_at: new Date(t + 120_000).toISOString() }];
        }
        return reply(200, { id: "task-1", status: "completed" });
      }
      return reply(404, {});
    };
    let appReads = 0;
    let stdout = "";
    const code = await smoke.main(["--team", "payments", "--templates", "http-api", "--token", "bs-token", "--interval", "10s"], {
      kubectl: (argv) => {
        if (argv[1] !== "application") return { status: 1, stdout: "", stderr: "unexpected" };
        // The Application appears once the build is green, then gets Healthy with the built image.
        if (!git || t < start + 150_000) return { status: 1, stdout: "", stderr: "Error from server (NotFound): not found" };
        const step = ++appReads < 3 ? "progressing" : "synced-healthy";
        return {
          status: 0,
          stdout: fs
            .readFileSync(path.join(FIXTURES, `${step}.json`), "utf8")
            .split("ab".repeat(32))
            .join(D1.slice(7)),
          stderr: "",
        };
      },
      fetch: (url, init) => (url.startsWith("https://git.") ? (git ?? new FakeGitea()).fetch(url, init) : backstageFetch(url, init)),
      stdout: (s) => (stdout += s),
      stderr: (s) => (stdout += s),
      sleep: async (ms) => {
        t += ms;
      },
      now: () => t,
      env: { FAWKES_DOMAIN: "localtest.me", FAWKES_GIT_TOKEN: "tok" },
      isTTY: false,
      cwd: "/nonexistent",
    });
    expect(posted).toEqual([
      {
        templateRef: "template:default/fawkes-http-api",
        values: { name: expect.stringMatching(/^smoke-http-api-[0-9a-z]{4}$/), owner: "group:default/payments", description: expect.any(String) },
      },
    ]);
    expect(stdout).toMatch(/: scaffold done in 20s\n/);
    expect(stdout).toMatch(/: first build done in 2m00s\n/);
    expect(stdout).toMatch(/smoke-http-api-[0-9a-z]{4}: scaffold 20s, first build 2m00s, staging 30s; total 2m50s/);
    expect(stdout).toMatch(/provisioning 2m50s \(target < 10m00s: met\)\n {2}green build to healthy 30s \(target < 5m00s: met\)\nsmoke: all targets met/);
    expect(code).toBe(0);
  });

  it("needs a team", async () => {
    let err = "";
    const code = await smoke.main([], { stderr: (s: string) => (err += s) } as any);
    expect(code).toBe(2);
    expect(err).toMatch(/^smoke: --team is required[\s\S]*usage: scripts\/smoke --team <team>/);
  });
});
