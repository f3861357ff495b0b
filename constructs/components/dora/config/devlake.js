// @ts-check
"use strict";
/**
 * DevLake's configuration, through its REST API only, idempotently: what the platform says (teams,
 * their members, their services) becomes webhook connections, one project per team with DORA on, its
 * blueprint (scopes and schedule), the org plugin's teams and users, and the relay's API key. Each
 * step reads first and writes only what differs, so a second run makes no write call.
 * Plain Node 22, no dependencies: the HTTP client is injected (`Api`), so tests run against a fake.
 */

/**
 * @typedef {{ name: string, members: string[] }} Team
 * @typedef {{ name: string, team: string, repository?: string }} Service
 * @typedef {{
 *   teams: Team[],
 *   services: Service[],
 *   cron: string,
 *   apiKeyName: string,
 *   jenkins?: { endpoint: string, username: string, password: string },
 *   github?: { appId: string, installationId: number, secretKey: string },
 * }} DesiredConfig
 * @typedef {{ status: number, body: any }} Response
 * @typedef {{
 *   get(path: string): Promise<Response>,
 *   post(path: string, body: unknown): Promise<Response>,
 *   patch(path: string, body: unknown): Promise<Response>,
 *   put(path: string, body: unknown): Promise<Response>,
 *   putCsv(path: string, csv: string): Promise<Response>,
 *   getText(path: string): Promise<{ status: number, text: string }>,
 * }} Api
 * @typedef {{ read(): Promise<string | undefined>, write(key: string): Promise<void> }} KeyStore
 * @typedef {{ log?: (msg: string) => void, sleep?: (ms: number) => Promise<void>, attempts?: number, baseDelayMs?: number, maxDelayMs?: number }} RunOptions
 */

/** The webhook connection of a service: the relay finds it by this name. @param {string} service */
function webhookName(service) {
  return `fawkes-${service}`;
}

/** What the relay's key may call: the webhook plugin's endpoints, nothing else. */
const API_KEY_PATH = "/plugins/webhook/.*";

/**
 * Delays between readiness probes: exponential from `base`, capped at `max`, `attempts - 1` of them.
 * @param {number} attempts @param {number} base @param {number} max
 */
function backoff(attempts, base, max) {
  return Array.from({ length: Math.max(0, attempts - 1) }, (_, i) => Math.min(max, base * 2 ** i));
}

/**
 * Waits for DevLake's `/ping` (it answers only after its database migrations), with bounded
 * exponential backoff; then throws a clear error.
 * @param {Api} api @param {RunOptions} opts
 */
async function waitReady(api, opts = {}) {
  const delays = backoff(opts.attempts ?? 30, opts.baseDelayMs ?? 2000, opts.maxDelayMs ?? 30000);
  const sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  let last = "";
  for (let i = 0; ; i++) {
    try {
      const res = await api.get("/ping");
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = /** @type {Error} */ (e).message;
    }
    if (i >= delays.length) break;
    opts.log?.(`DevLake not ready (${last}), retrying in ${delays[i]} ms`);
    await sleep(delays[i]);
  }
  throw new Error(`DevLake did not become ready after ${delays.length + 1} attempts (last: ${last}): check the lake pod and its database`);
}

/** @param {Response} res @param {string} what @param {string} [system] */
function ok(res, what, system = "DevLake") {
  if (res.status < 200 || res.status >= 300) {
    throw new Error(`${system} ${what} failed: HTTP ${res.status} ${JSON.stringify(res.body)?.slice(0, 300)}`);
  }
  return res.body;
}

/** A list answer: DevLake returns either an array or a page object. @param {any} body @param {string} key */
function listOf(body, key) {
  if (Array.isArray(body)) return body;
  return body?.[key] ?? [];
}

/**
 * The org plugin's teams CSV (Id,Name,Alias,ParentId,SortingIndex): one row per team, ids stable (the team name).
 * @param {Team[]} teams
 */
function teamsCsv(teams) {
  const rows = [...teams].sort((a, b) => a.name.localeCompare(b.name)).map((t, i) => `${t.name},${t.name},${t.name},,${i + 1}`);
  return ["Id,Name,Alias,ParentId,SortingIndex", ...rows].join("\n") + "\n";
}

/**
 * The org plugin's users CSV (Id,Name,Email,TeamIds): one row per member, their teams joined by `;`.
 * @param {Team[]} teams
 */
function usersCsv(teams) {
  /** @type {Map<string, string[]>} */
  const byUser = new Map();
  for (const t of teams) for (const m of t.members) byUser.set(m, [...(byUser.get(m) ?? []), t.name]);
  const rows = [...byUser.keys()].sort().map((u) => `${u},${u},,${[...(byUser.get(u) ?? [])].sort().join(";")}`);
  return ["Id,Name,Email,TeamIds", ...rows].join("\n") + "\n";
}

/** CSV equality that ignores line endings and trailing blank lines. @param {string} a @param {string} b */
function sameCsv(a, b) {
  const norm = (/** @type {string} */ s) => s.replace(/\r/g, "").trim();
  return norm(a) === norm(b);
}

/**
 * A blueprint's connections as DevLake stores them, in a stable order for comparison.
 * @param {{ pluginName: string, connectionId: number, scopes?: { scopeId: string }[] }[]} connections
 */
function normConnections(connections) {
  return [...(connections ?? [])]
    .map((c) => ({
      pluginName: c.pluginName,
      connectionId: Number(c.connectionId),
      scopes: [...(c.scopes ?? [])].map((s) => ({ scopeId: String(s.scopeId) })),
    }))
    .sort((a, b) => `${a.pluginName}/${a.connectionId}`.localeCompare(`${b.pluginName}/${b.connectionId}`));
}

/**
 * Applies `desired` to DevLake. Returns what it wrote (for the log and the tests).
 * @param {Api} api @param {DesiredConfig} desired @param {KeyStore} keys @param {RunOptions} opts
 * @returns {Promise<string[]>}
 */
async function configure(api, desired, keys, opts = {}) {
  const log = opts.log ?? (() => {});
  /** @type {string[]} */
  const writes = [];
  const did = (/** @type {string} */ w) => {
    writes.push(w);
    log(w);
  };

  await waitReady(api, opts);

  // The relay's API key: kept while DevLake still has it and the secret holds it; else minted again.
  const existingKeys = listOf(ok(await api.get("/api-keys?page=1&pageSize=100"), "listing API keys"), "apikeys");
  const mine = existingKeys.find((/** @type {any} */ k) => k.name === desired.apiKeyName);
  const stored = await keys.read();
  if (!mine) {
    const created = ok(
      await api.post("/api-keys", { name: desired.apiKeyName, type: "devlake", allowedPath: API_KEY_PATH, expiredAt: null }),
      "creating the API key",
    );
    await keys.write(created.apiKey);
    did(`created API key ${desired.apiKeyName}`);
  } else if (!stored) {
    const renewed = ok(await api.put(`/api-keys/${mine.id}`, {}), "regenerating the API key");
    await keys.write(renewed.apiKey);
    did(`regenerated API key ${desired.apiKeyName} (the secret had none)`);
  }

  // One webhook connection per service: deployments and incidents of that service.
  const hooks = listOf(ok(await api.get("/plugins/webhook/connections"), "listing webhook connections"), "connections");
  /** @type {Map<string, number>} */
  const hookIds = new Map(hooks.map((/** @type {any} */ h) => [h.name, Number(h.id)]));
  for (const s of [...desired.services].sort((a, b) => a.name.localeCompare(b.name))) {
    const name = webhookName(s.name);
    if (hookIds.has(name)) continue;
    const created = ok(await api.post("/plugins/webhook/connections", { name }), `creating webhook connection ${name}`);
    hookIds.set(name, Number(created.id));
    did(`created webhook connection ${name}`);
  }

  // Jenkins and GitHub connections, when their credentials were given.
  if (desired.jenkins)
    await upsertConnection(
      api,
      "jenkins",
      {
        name: "fawkes-jenkins",
        endpoint: desired.jenkins.endpoint,
        username: desired.jenkins.username,
        password: desired.jenkins.password,
        rateLimitPerHour: 0,
      },
      ["endpoint", "username"],
      did,
    );
  if (desired.github) {
    await upsertConnection(
      api,
      "github",
      {
        name: "fawkes-github",
        endpoint: "https://api.github.com/",
        authMethod: "AppKey",
        appId: desired.github.appId,
        installationId: desired.github.installationId,
        secretKey: desired.github.secretKey,
        enableGraphql: true,
      },
      ["endpoint", "authMethod", "appId", "installationId"],
      did,
    );
  }

  // One project per team, DORA on, its blueprint scoped to the team's services.
  const projects = listOf(ok(await api.get("/projects?page=1&pageSize=500"), "listing projects"), "projects");
  const projectNames = new Set(projects.map((/** @type {any} */ p) => p.name));
  for (const team of [...desired.teams].sort((a, b) => a.name.localeCompare(b.name))) {
    const metrics = [{ pluginName: "dora", pluginOption: {}, enable: true }];
    if (!projectNames.has(team.name)) {
      ok(
        await api.post("/projects", { name: team.name, description: `Team ${team.name} (managed by Fawkes)`, metrics, enable: true }),
        `creating project ${team.name}`,
      );
      did(`created project ${team.name}`);
    }
    const project = ok(await api.get(`/projects/${encodeURIComponent(team.name)}`), `reading project ${team.name}`);
    const dora = (project.metrics ?? []).find((/** @type {any} */ m) => m.pluginName === "dora");
    if (!dora?.enable) {
      ok(
        await api.patch(`/projects/${encodeURIComponent(team.name)}`, { name: team.name, description: project.description, metrics, enable: true }),
        `enabling DORA on ${team.name}`,
      );
      did(`enabled DORA on project ${team.name}`);
    }
    const bp = project.blueprint;
    if (!bp?.id) throw new Error(`DevLake project ${team.name} has no blueprint: DevLake creates one with the project`);
    const connections = desired.services
      .filter((s) => s.team === team.name)
      .map((s) => ({ pluginName: "webhook", connectionId: /** @type {number} */ (hookIds.get(webhookName(s.name))), scopes: [] }));
    const want = { enable: true, isManual: false, cronConfig: desired.cron, connections: normConnections(connections) };
    const have = { enable: bp.enable, isManual: bp.isManual, cronConfig: bp.cronConfig, connections: normConnections(bp.connections) };
    if (JSON.stringify(want) !== JSON.stringify(have)) {
      ok(await api.patch(`/blueprints/${bp.id}`, want), `updating blueprint of ${team.name}`);
      did(`updated blueprint of project ${team.name}`);
    }
  }

  // Teams and users of the org plugin (who belongs where), from the identity provider's teams.
  for (const [kind, csv] of /** @type {const} */ ([
    ["teams", teamsCsv(desired.teams)],
    ["users", usersCsv(desired.teams)],
  ])) {
    const current = await api.getText(`/plugins/org/${kind}.csv?fake_data=false`);
    if (current.status === 200 && sameCsv(current.text, csv)) continue;
    ok(await api.putCsv(`/plugins/org/${kind}.csv`, csv), `uploading ${kind}.csv`);
    did(`uploaded ${kind}.csv`);
  }
  return writes;
}

/**
 * Creates the connection `body.name` of `plugin`, or updates it when one of `compare` differs
 * (secrets are not returned by DevLake, so a changed secret alone is not seen: rotate by renaming).
 * @param {Api} api @param {string} plugin @param {Record<string, unknown>} body @param {string[]} compare @param {(w: string) => void} did
 */
async function upsertConnection(api, plugin, body, compare, did) {
  const list = listOf(ok(await api.get(`/plugins/${plugin}/connections`), `listing ${plugin} connections`), "connections");
  const found = list.find((/** @type {any} */ c) => c.name === body.name);
  if (!found) {
    ok(await api.post(`/plugins/${plugin}/connections`, body), `creating ${plugin} connection`);
    did(`created ${plugin} connection ${body.name}`);
  } else if (compare.some((k) => String(found[k]) !== String(body[k]))) {
    ok(await api.patch(`/plugins/${plugin}/connections/${found.id}`, body), `updating ${plugin} connection`);
    did(`updated ${plugin} connection ${body.name}`);
  }
}

/**
 * The services on the platform: every repository of a team's organisation that has the golden
 * path's deploy layout (Gitea API, read-only robot). Injected fetch-like `get` for tests.
 * @param {(path: string) => Promise<Response>} get Gitea API GET (path under /api/v1)
 * @param {string[]} teams
 * @returns {Promise<Service[]>}
 */
async function discoverServices(get, teams) {
  /** @type {Service[]} */
  const out = [];
  for (const team of teams) {
    for (let page = 1; page < 100; page++) {
      const res = await get(`/orgs/${encodeURIComponent(team)}/repos?page=${page}&limit=50`);
      if (res.status === 404) break; // the team's organisation does not exist yet
      const repos = ok(res, `listing repositories of ${team}`, "Gitea");
      for (const r of repos) {
        const probe = await get(`/repos/${encodeURIComponent(team)}/${encodeURIComponent(r.name)}/contents/deploy/staging/kustomization.yaml`);
        if (probe.status === 200) out.push({ name: r.name, team, repository: r.html_url });
      }
      if (repos.length < 50) break;
    }
  }
  return out;
}

module.exports = { API_KEY_PATH, backoff, configure, discoverServices, teamsCsv, usersCsv, waitReady, webhookName };
