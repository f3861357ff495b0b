import * as crypto from "node:crypto";
import {
  appJwt,
  blobSha,
  bootstrapGitea,
  bootstrapGithub,
  hookMatches,
  planFileChanges,
  substitute,
  validateConfig,
} from "../constructs/components/git/bootstrap/bootstrap.js";

type Http = { request(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> };
type Config = Parameters<typeof bootstrapGitea>[0];

/** A Gitea that keeps state in memory and records every call (method and path). */
function fakeGitea() {
  const state = {
    users: new Set(["gitea_admin"]),
    orgs: new Set<string>(),
    teams: [] as { id: number; org: string; name: string; permission: string; members: Set<string> }[],
    /** token → owner */
    tokens: new Map<string, { user: string; name: string; scopes: string[] }>(),
    hooks: [] as any[],
    repos: new Map<string, { description: string; files: Record<string, string> }>(),
    commits: 0,
  };
  const calls: string[] = [];
  const ok = (status: number, body: any) => ({ status, body });
  const client = (token?: string): Http => ({
    async request(method, path, body) {
      const b = body as any;
      calls.push(`${method} ${path}${token ? " (token)" : ""}`);
      const [p] = path.split("?");
      let m: RegExpExecArray | null;
      if (token) {
        const t = state.tokens.get(token);
        return p === "/user" && t ? ok(200, { login: t.user }) : ok(401, { message: "invalid token" });
      }
      if ((m = /^\/users\/([^/]+)$/.exec(p))) return state.users.has(m[1]) ? ok(200, { login: m[1] }) : ok(404, {});
      if (p === "/admin/users" && method === "POST") return (state.users.add(b.username), ok(201, { login: b.username }));
      if ((m = /^\/orgs\/([^/]+)$/.exec(p))) return state.orgs.has(m[1]) ? ok(200, { username: m[1] }) : ok(404, {});
      if (p === "/orgs" && method === "POST") return (state.orgs.add(b.username), ok(201, {}));
      if ((m = /^\/orgs\/([^/]+)\/teams$/.exec(p))) {
        const org = m[1];
        if (method === "GET")
          return ok(
            200,
            state.teams.filter((t) => t.org === org),
          );
        const team = { id: state.teams.length + 1, org, name: b.name, permission: b.permission, members: new Set<string>() };
        state.teams.push(team);
        return ok(201, team);
      }
      if ((m = /^\/teams\/(\d+)\/members\/([^/]+)$/.exec(p))) {
        const team = state.teams[Number(m[1]) - 1];
        if (method === "GET") return team.members.has(m[2]) ? ok(200, {}) : ok(404, {});
        return (team.members.add(m[2]), ok(204, undefined));
      }
      if ((m = /^\/users\/([^/]+)\/tokens\/([^/]+)$/.exec(p))) {
        const [, user, name] = m;
        const found = [...state.tokens].find(([, t]) => t.user === user && t.name === name);
        if (!found) return ok(404, {});
        state.tokens.delete(found[0]);
        return ok(204, undefined);
      }
      if ((m = /^\/users\/([^/]+)\/tokens$/.exec(p))) {
        const sha1 = crypto.randomBytes(20).toString("hex");
        state.tokens.set(sha1, { user: m[1], name: b.name, scopes: b.scopes });
        return ok(201, { name: b.name, sha1 });
      }
      if (p === "/admin/hooks" && method === "GET") return ok(200, state.hooks);
      // Gitea lists events expanded: pull_request comes back with its refinements.
      const expand = (events: string[]) => events.flatMap((e) => (e === "pull_request" ? [e, "pull_request_assign", "pull_request_review_approved"] : [e]));
      if (p === "/admin/hooks" && method === "POST") return (state.hooks.push({ id: state.hooks.length + 1, ...b, events: expand(b.events) }), ok(201, {}));
      if ((m = /^\/admin\/hooks\/(\d+)$/.exec(p))) return (Object.assign(state.hooks[Number(m[1]) - 1], b, { events: expand(b.events) }), ok(200, {}));
      if ((m = /^\/orgs\/([^/]+)\/repos$/.exec(p))) {
        state.repos.set(`${m[1]}/${b.name}`, { description: b.description, files: { "README.md": `# ${b.name}\n` } });
        return ok(201, {});
      }
      if ((m = /^\/repos\/([^/]+\/[^/]+)$/.exec(p))) {
        const r = state.repos.get(m[1]);
        if (!r) return ok(404, {});
        if (method === "PATCH") r.description = b.description;
        return ok(200, { description: r.description });
      }
      if ((m = /^\/repos\/([^/]+\/[^/]+)\/branches\/main$/.exec(p)))
        return state.repos.has(m[1]) ? ok(200, { commit: { id: `head-of-${m[1]}` } }) : ok(404, {});
      if ((m = /^\/repos\/([^/]+\/[^/]+)\/git\/trees\/head-of-\1$/.exec(p))) {
        const files = state.repos.get(m[1])?.files ?? {};
        return ok(200, { tree: Object.entries(files).map(([path, c]) => ({ path, type: "blob", sha: blobSha(c) })), truncated: false });
      }
      if ((m = /^\/repos\/([^/]+\/[^/]+)\/contents$/.exec(p))) {
        const r = state.repos.get(m[1])!;
        for (const f of b.files) {
          if (f.operation !== "create" && blobSha(r.files[f.path]) !== f.sha) return ok(409, { message: `sha mismatch for ${f.path}` });
          if (f.operation === "delete") delete r.files[f.path];
          else r.files[f.path] = Buffer.from(f.content, "base64").toString("utf8");
        }
        state.commits++;
        return ok(201, {});
      }
      return ok(500, { message: `fake gitea: no route ${method} ${path}` });
    },
  });
  return { state, calls, admin: client(), asToken: client };
}

/** Kubernetes secrets in memory, created empty by "Terraform". */
function fakeKube(...names: string[]) {
  const secrets = new Map<string, any>(names.map((n) => [n, { metadata: { labels: {} }, data: {} }]));
  const patches: string[] = [];
  return {
    secrets,
    patches,
    async get(ns: string, name: string) {
      return structuredClone(secrets.get(`${ns}/${name}`));
    },
    async patch(ns: string, name: string, patch: any) {
      patches.push(`${ns}/${name}`);
      const s = secrets.get(`${ns}/${name}`);
      Object.assign(s.metadata.labels, patch.metadata.labels);
      Object.assign(s.data, patch.data);
    },
  };
}

const decode = (s: string) => Buffer.from(s, "base64").toString("utf8");

const config = (): Config => ({
  provider: "gitea",
  domain: "fawkes.test",
  platformOwner: "platform",
  owners: ["payments"],
  credentials: [
    { component: "jenkins", namespace: "jenkins", name: "jenkins-git", access: "write", labels: {}, literals: {} },
    {
      component: "argocd",
      namespace: "argocd",
      name: "argocd-git",
      access: "read",
      labels: { "argocd.argoproj.io/secret-type": "repo-creds" },
      literals: { url: "https://git.fawkes.test", type: "git" },
    },
  ],
  webhooks: [{ component: "jenkins", url: "http://jenkins.jenkins:8080/gitea-webhook/post", events: ["push", "pull_request"] }],
  repositories: [
    { name: "platform-templates", description: "Backstage templates", files: { "catalog-info.yaml": "kind: Location\n", "http-api/template.yaml": "x: 1\n" } },
  ],
});

function setup() {
  const gitea = fakeGitea();
  const kube = fakeKube("jenkins/jenkins-git", "argocd/argocd-git");
  const io = { admin: gitea.admin, asToken: gitea.asToken, kube, log: () => {}, randomPassword: () => "robot-password" };
  return { gitea, kube, io };
}

describe("git bootstrap: pure helpers", () => {
  test("substitute writes apply-time values into every file, and refuses an empty one", () => {
    const repo = { name: "platform-templates", description: "", files: { "a.yaml": "image: PH/orders\nalso: PH\n", "b.md": "none" } };
    expect(substitute(repo, { PH: "123.dkr.ecr.eu-west-1.amazonaws.com/fawkes" }).files).toEqual({
      "a.yaml": "image: 123.dkr.ecr.eu-west-1.amazonaws.com/fawkes/orders\nalso: 123.dkr.ecr.eu-west-1.amazonaws.com/fawkes\n",
      "b.md": "none",
    });
    expect(substitute(repo)).toBe(repo);
    expect(() => substitute(repo, { PH: "" })).toThrow(/Repository.substitutions must map a placeholder to a value, got "PH" → "" \(platform-templates\)/);
  });

  test("blobSha is git's blob id", () => {
    // `printf 'hello\n' | git hash-object --stdin`
    expect(blobSha("hello\n")).toBe("ce013625030ba8dba906f756967f9e9ca394464a");
  });

  test("planFileChanges creates, updates and deletes, and is empty when equal", () => {
    const tree = { "a.txt": blobSha("a"), "b.txt": blobSha("old"), "README.md": blobSha("r") };
    expect(planFileChanges(tree, { "a.txt": "a", "b.txt": "new", "c/d.txt": "d" })).toEqual([
      { operation: "update", path: "b.txt", content: "new", sha: blobSha("old") },
      { operation: "create", path: "c/d.txt", content: "d" },
      { operation: "delete", path: "README.md", sha: blobSha("r") },
    ]);
    expect(planFileChanges({ "a.txt": blobSha("a") }, { "a.txt": "a" })).toEqual([]);
  });

  test("a hook matches when Gitea lists the asked events expanded, not when one is missing or extra", () => {
    const hook = { active: true, config: { content_type: "json" }, events: ["push", "pull_request", "pull_request_assign", "pull_request_sync"] };
    const req = { component: "jenkins", url: "u", events: ["push", "pull_request"] };
    expect(hookMatches(hook, req)).toBe(true);
    expect(hookMatches(hook, { ...req, events: ["push"] })).toBe(false);
    expect(hookMatches(hook, { ...req, events: ["push", "pull_request", "create"] })).toBe(false);
    expect(hookMatches({ ...hook, active: false }, req)).toBe(false);
  });

  test("a config with a bad path or a secret named twice is refused before any call", () => {
    const bad = config();
    bad.repositories[0].files["../escape"] = "x";
    expect(() => validateConfig(bad)).toThrow('Repository.files paths must be relative without . or .. segments, got "../escape" (platform-templates)');
    const twice = config();
    twice.credentials.push({ ...twice.credentials[0], component: "other" });
    expect(() => validateConfig(twice)).toThrow("Config.credentials must name each secret once, got jenkins/jenkins-git twice");
  });
});

describe("git bootstrap against a fake Gitea", () => {
  test("a first run creates users, organisations, robot teams, tokens, the webhook and the repository", async () => {
    const { gitea, kube, io } = setup();
    await bootstrapGitea(config(), io);
    const writes = gitea.calls.filter((c) => !c.startsWith("GET"));
    expect(writes).toEqual([
      "POST /admin/users",
      "POST /admin/users",
      "POST /orgs",
      "POST /orgs/platform/teams",
      "PUT /teams/1/members/fawkes-ci",
      "POST /orgs/platform/teams",
      "PUT /teams/2/members/fawkes-argocd",
      "POST /orgs",
      "POST /orgs/payments/teams",
      "PUT /teams/3/members/fawkes-ci",
      "POST /orgs/payments/teams",
      "PUT /teams/4/members/fawkes-argocd",
      "DELETE /users/fawkes-ci/tokens/fawkes-jenkins-jenkins",
      "POST /users/fawkes-ci/tokens",
      "DELETE /users/fawkes-argocd/tokens/fawkes-argocd-argocd",
      "POST /users/fawkes-argocd/tokens",
      "POST /admin/hooks",
      "POST /orgs/platform/repos",
      "POST /repos/platform/platform-templates/contents",
    ]);
    expect([...gitea.state.orgs]).toEqual(["platform", "payments"]);
    expect(gitea.state.teams.map((t) => `${t.org}/${t.name}:${t.permission}`)).toEqual([
      "platform/robots-write:write",
      "platform/robots-read:read",
      "payments/robots-write:write",
      "payments/robots-read:read",
    ]);
    const argo = kube.secrets.get("argocd/argocd-git");
    expect(decode(argo.data.username)).toBe("fawkes-argocd");
    expect(decode(argo.data.url)).toBe("https://git.fawkes.test");
    expect(argo.metadata.labels).toEqual({ "argocd.argoproj.io/secret-type": "repo-creds" });
    expect(gitea.state.tokens.get(decode(argo.data.password))?.scopes).toEqual(["read:repository", "read:organization", "read:user"]);
    const ci = kube.secrets.get("jenkins/jenkins-git");
    expect(gitea.state.tokens.get(decode(ci.data.password))?.user).toBe("fawkes-ci");
    expect(gitea.state.hooks[0]).toMatchObject({ active: true, config: { content_type: "json", is_system_webhook: "true" } });
    expect(gitea.state.hooks[0].events).toEqual(expect.arrayContaining(["pull_request", "push"]));
    // README.md of auto_init is removed: the branch holds exactly the files.
    expect(gitea.state.repos.get("platform/platform-templates")?.files).toEqual({
      "catalog-info.yaml": "kind: Location\n",
      "http-api/template.yaml": "x: 1\n",
    });
  });

  test("a second run writes nothing", async () => {
    const { gitea, kube, io } = setup();
    await bootstrapGitea(config(), io);
    const before = gitea.calls.length;
    const patches = kube.patches.length;
    const { writes } = await bootstrapGitea(config(), io);
    expect(writes).toEqual([]);
    expect(gitea.calls.slice(before).filter((c) => !c.startsWith("GET"))).toEqual([]);
    expect(kube.patches.length).toBe(patches);
    expect(gitea.state.commits).toBe(1);
  });

  test("a revoked token is minted again; a valid one is kept", async () => {
    const { gitea, kube, io } = setup();
    await bootstrapGitea(config(), io);
    const ciToken = decode(kube.secrets.get("jenkins/jenkins-git").data.password);
    const argoToken = decode(kube.secrets.get("argocd/argocd-git").data.password);
    gitea.state.tokens.delete(ciToken); // revoked in Gitea's UI
    const { writes } = await bootstrapGitea(config(), io);
    expect(writes).toEqual(["minted token into secret jenkins/jenkins-git (fawkes-ci)"]);
    expect(decode(kube.secrets.get("jenkins/jenkins-git").data.password)).not.toBe(ciToken);
    expect(decode(kube.secrets.get("argocd/argocd-git").data.password)).toBe(argoToken);
  });

  test("a changed file set is one commit; a changed webhook is updated, not duplicated", async () => {
    const { gitea, io } = setup();
    await bootstrapGitea(config(), io);
    const next = config();
    next.repositories[0].files = { "catalog-info.yaml": "kind: Location\nv: 2\n" };
    next.webhooks[0].events = ["push"];
    const { writes } = await bootstrapGitea(next, io);
    expect(writes).toEqual([
      "updated system webhook http://jenkins.jenkins:8080/gitea-webhook/post (jenkins)",
      "committed 2 change(s) to platform/platform-templates",
    ]);
    expect(gitea.state.hooks).toHaveLength(1);
    expect(gitea.state.repos.get("platform/platform-templates")?.files).toEqual({ "catalog-info.yaml": "kind: Location\nv: 2\n" });
  });

  test("a secret Terraform did not create, and an API error, fail naming what", async () => {
    const { gitea, io } = setup();
    const missing = config();
    missing.credentials[0] = { ...missing.credentials[0], name: "nope" };
    await expect(bootstrapGitea(missing, io)).rejects.toThrow("Secret jenkins/nope must exist before the bootstrap (Terraform creates it), got none");
    const broken = { ...io, admin: { request: async () => ({ status: 401, body: { message: "user does not exist" } }) } };
    await expect(bootstrapGitea(config(), broken)).rejects.toThrow("reading user fawkes-ci: HTTP 401 user does not exist");
    expect(gitea.calls.length).toBeGreaterThan(0);
  });
});

describe("git bootstrap against a fake GitHub", () => {
  test("the App's JWT is RS256 over iss, iat and exp, verifiable with the public key", () => {
    const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 1024 });
    const jwt = appJwt({ appId: "42", privateKey: privateKey.export({ type: "pkcs1", format: "pem" }).toString(), now: 1_700_000_000_000 });
    const [h, p, s] = jwt.split(".");
    expect(JSON.parse(Buffer.from(h, "base64url").toString())).toEqual({ alg: "RS256", typ: "JWT" });
    expect(JSON.parse(Buffer.from(p, "base64url").toString())).toEqual({ iss: "42", iat: 1_699_999_940, exp: 1_700_000_540 });
    expect(crypto.createVerify("RSA-SHA256").update(`${h}.${p}`).verify(publicKey, Buffer.from(s, "base64url"))).toBe(true);
  });

  test("publishes through one tree, one commit and one ref update, and nothing when equal", async () => {
    const files: Record<string, string> = { "README.md": "# r\n" };
    const calls: string[] = [];
    let exists = false;
    const http = {
      async request(method: string, path: string, body?: any) {
        calls.push(`${method} ${path}`);
        if (path === "/repos/acme/platform-templates")
          return exists ? { status: 200, body: { description: "T", default_branch: "main" } } : { status: 404, body: {} };
        if (path === "/orgs/acme/repos") return ((exists = true), { status: 201, body: { description: "T", default_branch: "main" } });
        if (path.endsWith("/git/ref/heads/main")) return { status: 200, body: { object: { sha: "head" } } };
        if (path.includes("/git/trees/head"))
          return {
            status: 200,
            body: { sha: "tree0", truncated: false, tree: Object.entries(files).map(([p, c]) => ({ path: p, type: "blob", sha: blobSha(c) })) },
          };
        if (path.endsWith("/git/trees")) {
          for (const e of body.tree)
            if (e.sha === null) delete files[e.path];
            else files[e.path] = e.content;
          return { status: 201, body: { sha: "tree1" } };
        }
        if (path.endsWith("/git/commits")) return { status: 201, body: { sha: "c1" } };
        if (path.endsWith("/git/refs/heads/main")) return { status: 200, body: {} };
        return { status: 500, body: { message: `no route ${method} ${path}` } };
      },
    };
    const cfg = {
      ...config(),
      provider: "github" as const,
      platformOwner: "acme",
      repositories: [{ name: "platform-templates", description: "T", files: { "a.yaml": "a\n" } }],
    };
    await bootstrapGithub(cfg, { http, log: () => {} });
    expect(calls.filter((c) => !c.startsWith("GET"))).toEqual([
      "POST /orgs/acme/repos",
      "POST /repos/acme/platform-templates/git/trees",
      "POST /repos/acme/platform-templates/git/commits",
      "PATCH /repos/acme/platform-templates/git/refs/heads/main",
    ]);
    expect(files).toEqual({ "a.yaml": "a\n" });
    calls.length = 0;
    expect((await bootstrapGithub(cfg, { http, log: () => {} })).writes).toEqual([]);
    expect(calls.every((c) => c.startsWith("GET"))).toBe(true);
  });
});
