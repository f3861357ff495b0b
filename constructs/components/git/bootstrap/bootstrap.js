// @ts-check
"use strict";
/**
 * The git service's bootstrap, as pure decisions over injected clients: organisations, robot users and
 * their tokens (written to Kubernetes secrets), system webhooks and published repositories. Every step
 * reads first and writes only what differs, so a second run writes nothing.
 */
const crypto = require("node:crypto");

/**
 * @typedef {{ status: number, body: any }} Response
 * @typedef {{ request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response> }} Http
 * @typedef {{ get(namespace: string, name: string): Promise<any | undefined>, patch(namespace: string, name: string, patch: unknown): Promise<void> }} Kube
 * @typedef {{ component: string, namespace: string, name: string, access: "read" | "write", labels: Record<string, string>, literals: Record<string, string> }} CredentialRequest
 * @typedef {{ component: string, url: string, events: string[], signingSecret?: { namespace: string, name: string, key: string } }} WebhookRequest
 * @typedef {{ name: string, description: string, files: Record<string, string> }} Repository
 * @typedef {{ provider: "gitea" | "github", domain: string, platformOwner: string, owners: string[], credentials: CredentialRequest[], webhooks: WebhookRequest[], repositories: Repository[], branch?: string }} Config
 * @typedef {{ operation: "create" | "update" | "delete", path: string, content?: string, sha?: string }} FileChange
 */

/** Robot users by access: one writes (CI, the scaffolder), one reads (Argo CD). */
const ROBOTS = /** @type {const} */ ({ write: "fawkes-ci", read: "fawkes-argocd" });
/** Token scopes per access (Gitea's scoped tokens). */
const TOKEN_SCOPES = {
  write: ["write:repository", "write:organization", "write:issue", "read:user"],
  read: ["read:repository", "read:organization", "read:user"],
};
/** Every repository unit, for the robots' teams in each organisation. */
const UNITS = ["repo.code", "repo.issues", "repo.pulls", "repo.releases", "repo.wiki", "repo.projects", "repo.packages", "repo.actions"];

/**
 * Git's blob id of a file: what a tree listing returns, so contents compare without downloading them.
 * @param {string} content
 */
function blobSha(content) {
  const bytes = Buffer.from(content, "utf8");
  return crypto.createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

/**
 * What turns a branch holding `tree` (path → blob sha) into exactly `files`.
 * @param {Record<string, string>} tree
 * @param {Record<string, string>} files
 * @returns {FileChange[]}
 */
function planFileChanges(tree, files) {
  /** @type {FileChange[]} */
  const changes = [];
  for (const path of Object.keys(files).sort()) {
    if (!(path in tree)) changes.push({ operation: "create", path, content: files[path] });
    else if (tree[path] !== blobSha(files[path])) changes.push({ operation: "update", path, content: files[path], sha: tree[path] });
  }
  for (const path of Object.keys(tree).sort()) if (!(path in files)) changes.push({ operation: "delete", path, sha: tree[path] });
  return changes;
}

/**
 * Whether an existing hook already says what the request asks. Gitea lists a hook's events expanded
 * (`pull_request` comes back with `pull_request_assign`, `pull_request_review_…`): an event counts as
 * covered by a requested one of which it is the name or a `<name>_` refinement.
 * @param {any} hook
 * @param {WebhookRequest} request
 */
function hookMatches(hook, request) {
  const covers = (/** @type {string} */ wanted, /** @type {string} */ got) => got === wanted || got.startsWith(`${wanted}_`);
  const events = /** @type {string[]} */ (hook.events ?? []);
  const same = request.events.every((w) => events.some((g) => covers(w, g))) && events.every((g) => request.events.some((w) => covers(w, g)));
  return same && hook.active === true && hook.config?.content_type === "json";
}

/**
 * The checks a config must pass before anything is written.
 * @param {Config} config
 */
function validateConfig(config) {
  if (config.provider !== "gitea" && config.provider !== "github") throw new Error(`Config.provider must be gitea or github, got ${config.provider}`);
  const seen = new Set();
  for (const c of config.credentials) {
    if (c.access !== "read" && c.access !== "write") throw new Error(`Config.credentials[].access must be read or write, got ${c.access} (${c.component})`);
    const key = `${c.namespace}/${c.name}`;
    if (seen.has(key)) throw new Error(`Config.credentials must name each secret once, got ${key} twice`);
    seen.add(key);
  }
  for (const r of config.repositories) {
    for (const path of Object.keys(r.files)) {
      if (path.startsWith("/") || path.split("/").some((p) => p === "" || p === "." || p === "..")) {
        throw new Error(`Repository.files paths must be relative without . or .. segments, got "${path}" (${r.name})`);
      }
    }
  }
}

/**
 * Throws unless the response has one of `ok` statuses.
 * @param {Response} res
 * @param {string} what
 * @param {number[]} [ok]
 */
function expect(res, what, ok = [200, 201, 204]) {
  if (!ok.includes(res.status)) {
    const detail = res.body && typeof res.body === "object" ? (res.body.message ?? JSON.stringify(res.body)) : String(res.body ?? "");
    throw new Error(`${what}: HTTP ${res.status} ${detail}`.trim());
  }
  return res.body;
}

const b64 = (/** @type {string} */ s) => Buffer.from(s, "utf8").toString("base64");
const unb64 = (/** @type {string | undefined} */ s) => (s === undefined ? undefined : Buffer.from(s, "base64").toString("utf8"));

/**
 * Gitea: everything, as the admin (basic auth in `admin`), `asToken` validates a robot's token.
 * @param {Config} config
 * @param {{ admin: Http, asToken(token: string): Http, kube: Kube, log(line: string): void, randomPassword(): string }} io
 * @returns {Promise<{ writes: string[] }>}
 */
async function bootstrapGitea(config, io) {
  validateConfig(config);
  const { admin, kube, log } = io;
  /** @type {string[]} */
  const writes = [];
  const wrote = (/** @type {string} */ w) => {
    writes.push(w);
    log(w);
  };

  // Robot users first: organisations' teams add them.
  for (const [access, username] of Object.entries(ROBOTS)) {
    const res = await admin.request("GET", `/users/${username}`);
    if (res.status === 404) {
      expect(
        await admin.request("POST", "/admin/users", {
          username,
          email: `${username}@noreply.${config.domain}`,
          full_name: `Fawkes robot (${access})`,
          password: io.randomPassword(),
          must_change_password: false,
          send_notify: false,
          visibility: "private",
        }),
        `creating robot user ${username}`,
      );
      wrote(`created user ${username}`);
    } else expect(res, `reading user ${username}`, [200]);
  }

  for (const org of [config.platformOwner, ...config.owners.filter((o) => o !== config.platformOwner)]) {
    const res = await admin.request("GET", `/orgs/${org}`);
    if (res.status === 404) {
      // "limited": every signed-in user sees the repositories; only members write.
      expect(
        await admin.request("POST", "/orgs", { username: org, visibility: "limited", repo_admin_change_team_access: false }),
        `creating organisation ${org}`,
      );
      wrote(`created organisation ${org}`);
    } else expect(res, `reading organisation ${org}`, [200]);
    const teams = /** @type {any[]} */ (expect(await admin.request("GET", `/orgs/${org}/teams?limit=50`), `listing teams of ${org}`, [200]));
    for (const [access, username] of Object.entries(ROBOTS)) {
      const name = `robots-${access}`;
      let team = teams.find((t) => t.name === name);
      if (!team) {
        team = expect(
          await admin.request("POST", `/orgs/${org}/teams`, {
            name,
            description: `Fawkes robot ${username}: ${access} on every repository`,
            permission: access,
            includes_all_repositories: true,
            can_create_org_repo: access === "write",
            units: UNITS,
            units_map: Object.fromEntries(UNITS.map((u) => [u, access])),
          }),
          `creating team ${name} in ${org}`,
        );
        wrote(`created team ${org}/${name}`);
      }
      const member = await admin.request("GET", `/teams/${team.id}/members/${username}`);
      if (member.status === 404) {
        expect(await admin.request("PUT", `/teams/${team.id}/members/${username}`), `adding ${username} to ${org}/${name}`);
        wrote(`added ${username} to ${org}/${name}`);
      } else expect(member, `reading members of ${org}/${name}`, [200]);
    }
  }

  for (const c of config.credentials) {
    const username = ROBOTS[c.access];
    const secret = await kube.get(c.namespace, c.name);
    if (secret === undefined) throw new Error(`Secret ${c.namespace}/${c.name} must exist before the bootstrap (Terraform creates it), got none`);
    const data = secret.data ?? {};
    const current = unb64(data.password);
    let valid = false;
    if (current && unb64(data.username) === username) {
      const me = await io.asToken(current).request("GET", "/user");
      valid = me.status === 200 && me.body?.login === username;
    }
    /** @type {Record<string, string>} */
    const want = { ...c.literals, username };
    if (!valid) {
      const tokenName = `fawkes-${c.component}-${c.namespace}`;
      // Names are unique per user: a revoked or lost token of that name goes first.
      expect(await admin.request("DELETE", `/users/${username}/tokens/${tokenName}`), `deleting old token ${tokenName}`, [204, 404]);
      const minted = expect(
        await admin.request("POST", `/users/${username}/tokens`, { name: tokenName, scopes: TOKEN_SCOPES[c.access] }),
        `minting token ${tokenName}`,
        [201],
      );
      want.password = minted.sha1;
    }
    const labels = secret.metadata?.labels ?? {};
    const dataPatch = Object.fromEntries(
      Object.entries(want)
        .filter(([k, v]) => unb64(data[k]) !== v)
        .map(([k, v]) => [k, b64(v)]),
    );
    const labelPatch = Object.fromEntries(Object.entries(c.labels).filter(([k, v]) => labels[k] !== v));
    if (Object.keys(dataPatch).length || Object.keys(labelPatch).length) {
      await kube.patch(c.namespace, c.name, { metadata: { labels: labelPatch }, data: dataPatch });
      wrote(`${valid ? "updated" : "minted token into"} secret ${c.namespace}/${c.name} (${username})`);
    }
  }

  if (config.webhooks.length) {
    const hooks = /** @type {any[]} */ (expect(await admin.request("GET", "/admin/hooks?limit=50"), "listing system webhooks", [200]));
    for (const w of config.webhooks) {
      const found = hooks.find((h) => h.config?.url === w.url);
      const signing = w.signingSecret ? await readKey(kube, w.signingSecret) : undefined;
      const body = {
        type: "gitea",
        // Gitea reads is_system_webhook from the config map, as a string.
        config: { url: w.url, content_type: "json", is_system_webhook: "true", ...(signing ? { secret: signing } : {}) },
        events: [...w.events].sort(),
        active: true,
      };
      if (!found) {
        expect(await admin.request("POST", "/admin/hooks", body), `creating system webhook for ${w.component}`, [201]);
        wrote(`created system webhook ${w.url} (${w.component})`);
      } else if (!hookMatches(found, w)) {
        expect(await admin.request("PATCH", `/admin/hooks/${found.id}`, body), `updating system webhook for ${w.component}`, [200]);
        wrote(`updated system webhook ${w.url} (${w.component})`);
      }
    }
  }

  for (const repo of config.repositories) await publishGitea(config, admin, repo, wrote);
  return { writes };
}

/**
 * @param {Kube} kube
 * @param {{ namespace: string, name: string, key: string }} ref
 */
async function readKey(kube, ref) {
  const s = await kube.get(ref.namespace, ref.name);
  const v = unb64(s?.data?.[ref.key]);
  if (!v) throw new Error(`WebhookRequest.signingSecret must name an existing key, got ${ref.namespace}/${ref.name}:${ref.key} empty`);
  return v;
}

/**
 * @param {Config} config
 * @param {Http} admin
 * @param {Repository} repo
 * @param {(w: string) => void} wrote
 */
async function publishGitea(config, admin, repo, wrote) {
  const owner = config.platformOwner;
  const branch = config.branch ?? "main";
  const full = `${owner}/${repo.name}`;
  const res = await admin.request("GET", `/repos/${full}`);
  if (res.status === 404) {
    expect(
      await admin.request("POST", `/orgs/${owner}/repos`, {
        name: repo.name,
        description: repo.description,
        private: false,
        auto_init: true,
        default_branch: branch,
      }),
      `creating repository ${full}`,
      [201],
    );
    wrote(`created repository ${full}`);
  } else {
    const existing = expect(res, `reading repository ${full}`, [200]);
    if (existing.description !== repo.description) {
      expect(await admin.request("PATCH", `/repos/${full}`, { description: repo.description }), `updating ${full}`, [200]);
      wrote(`updated description of ${full}`);
    }
  }
  // The tree of the branch's head commit (the trees API takes a commit id).
  const head = expect(await admin.request("GET", `/repos/${full}/branches/${branch}`), `reading branch ${branch} of ${full}`, [200]);
  /** @type {Record<string, string>} */
  const tree = {};
  for (let page = 1; ; page++) {
    const t = expect(
      await admin.request("GET", `/repos/${full}/git/trees/${head.commit.id}?recursive=true&per_page=1000&page=${page}`),
      `reading the tree of ${full}@${branch}`,
      [200],
    );
    for (const e of t.tree ?? []) if (e.type === "blob") tree[e.path] = e.sha;
    if (!t.truncated) break;
  }
  const changes = planFileChanges(tree, repo.files);
  if (changes.length === 0) return;
  expect(
    await admin.request("POST", `/repos/${full}/contents`, {
      branch,
      message: commitMessage(repo, changes),
      files: changes.map((c) => ({
        operation: c.operation,
        path: c.path,
        ...(c.content !== undefined ? { content: b64(c.content) } : {}),
        ...(c.sha ? { sha: c.sha } : {}),
      })),
    }),
    `committing to ${full}`,
    [201],
  );
  wrote(`committed ${changes.length} change(s) to ${full}`);
}

/**
 * @param {Repository} repo
 * @param {FileChange[]} changes
 */
function commitMessage(repo, changes) {
  const n = (/** @type {string} */ op) => changes.filter((c) => c.operation === op).length;
  return `chore: publish ${repo.name} from Fawkes (${n("create")} added, ${n("update")} changed, ${n("delete")} removed)`;
}

/**
 * A GitHub App's JWT (RS256, valid 9 minutes, backdated 60 s for clock drift).
 * @param {{ appId: string, privateKey: string, now?: number }} app
 */
function appJwt({ appId, privateKey, now = Date.now() }) {
  const seconds = Math.floor(now / 1000);
  const part = (/** @type {unknown} */ o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const unsigned = `${part({ alg: "RS256", typ: "JWT" })}.${part({ iat: seconds - 60, exp: seconds + 540, iss: appId })}`;
  const signature = crypto.createSign("RSA-SHA256").update(unsigned).sign(privateKey).toString("base64url");
  return `${unsigned}.${signature}`;
}

/**
 * GitHub: only published repositories (credentials are the App's own, webhooks the App's setting),
 * through the git data API (one tree, one commit, one ref update) as the App's installation.
 * @param {Config} config
 * @param {{ http: Http, log(line: string): void }} io  `http` authenticated as the installation
 * @returns {Promise<{ writes: string[] }>}
 */
async function bootstrapGithub(config, io) {
  validateConfig(config);
  /** @type {string[]} */
  const writes = [];
  const wrote = (/** @type {string} */ w) => {
    writes.push(w);
    io.log(w);
  };
  const org = config.platformOwner;
  for (const repo of config.repositories) {
    const full = `${org}/${repo.name}`;
    let res = await io.http.request("GET", `/repos/${full}`);
    if (res.status === 404) {
      res = {
        status: 200,
        body: expect(
          await io.http.request("POST", `/orgs/${org}/repos`, { name: repo.name, description: repo.description, private: true, auto_init: true }),
          `creating repository ${full}`,
          [201],
        ),
      };
      wrote(`created repository ${full}`);
    }
    const info = expect(res, `reading repository ${full}`, [200]);
    if (info.description !== repo.description) {
      expect(await io.http.request("PATCH", `/repos/${full}`, { description: repo.description }), `updating ${full}`, [200]);
      wrote(`updated description of ${full}`);
    }
    const branch = info.default_branch ?? "main";
    const ref = expect(await io.http.request("GET", `/repos/${full}/git/ref/heads/${branch}`), `reading ${full}@${branch}`, [200]);
    const head = ref.object.sha;
    const t = expect(await io.http.request("GET", `/repos/${full}/git/trees/${head}?recursive=1`), `reading the tree of ${full}`, [200]);
    if (t.truncated) throw new Error(`Repository ${full} must have a tree GitHub lists in one response, got a truncated one`);
    /** @type {Record<string, string>} */
    const tree = {};
    for (const e of t.tree ?? []) if (e.type === "blob") tree[e.path] = e.sha;
    const changes = planFileChanges(tree, repo.files);
    if (changes.length === 0) continue;
    const newTree = expect(
      await io.http.request("POST", `/repos/${full}/git/trees`, {
        base_tree: t.sha,
        tree: changes.map((c) =>
          c.operation === "delete"
            ? { path: c.path, mode: "100644", type: "blob", sha: null }
            : { path: c.path, mode: "100644", type: "blob", content: c.content },
        ),
      }),
      `writing the tree of ${full}`,
      [201],
    );
    const commit = expect(
      await io.http.request("POST", `/repos/${full}/git/commits`, { message: commitMessage(repo, changes), tree: newTree.sha, parents: [head] }),
      `committing to ${full}`,
      [201],
    );
    expect(await io.http.request("PATCH", `/repos/${full}/git/refs/heads/${branch}`, { sha: commit.sha }), `moving ${full}@${branch}`, [200]);
    wrote(`committed ${changes.length} change(s) to ${full}`);
  }
  return { writes };
}

/**
 * A published repository with its placeholders replaced (values Terraform knew only at apply, e.g. a
 * registry's login server): every occurrence, in every file. An empty value is refused: it would
 * silently publish broken files.
 * @param {Repository} repo
 * @param {Record<string, string>} [substitutions]
 * @returns {Repository}
 */
function substitute(repo, substitutions = {}) {
  const pairs = Object.entries(substitutions);
  for (const [placeholder, value] of pairs) {
    if (!placeholder || !value)
      throw new Error(
        `Repository.substitutions must map a placeholder to a value, got ${JSON.stringify(placeholder)} → ${JSON.stringify(value)} (${repo.name})`,
      );
  }
  if (pairs.length === 0) return repo;
  const files = Object.fromEntries(Object.entries(repo.files).map(([p, text]) => [p, pairs.reduce((t, [ph, v]) => t.split(ph).join(v), text)]));
  return { ...repo, files };
}

module.exports = { ROBOTS, substitute, TOKEN_SCOPES, blobSha, planFileChanges, hookMatches, validateConfig, bootstrapGitea, bootstrapGithub, appJwt };
