// @ts-check
"use strict";
/**
 * The delivery-events relay: routes, authentication, DevLake connections and retries, with every
 * piece of I/O injected (main.js wires Node's http server, fetch and the mounted secrets).
 *   POST /deployments           a Fawkes deployment record (bearer token of the reporting component)
 *   POST /alertmanager          Alertmanager's webhook v4 (only the monitoring namespace reaches it: NetworkPolicy)
 *   POST /gitea                 Gitea's push and pull_request webhooks (HMAC signature)
 *   POST /incidents             an incident opened by hand (bearer token `operator`)
 *   POST /incidents/close       … closed by hand
 *   GET  /healthz               liveness and readiness
 * The relay keeps no state of its own beyond a cache of connection ids: a request is answered 2xx
 * only once DevLake took it, else 4xx (the sender's mistake, logged) or 502/503 (the sender retries).
 */
const t = require("./translate");

/**
 * @typedef {{ status: number, body: any }} ApiAnswer
 * @typedef {{ request(method: string, path: string, body?: unknown): Promise<ApiAnswer> }} DevLakeApi
 *   DevLake's REST API with the API key (paths as DevLake routes them: `/plugins/webhook/connections`); throws on network errors
 * @typedef {{
 *   devlake: DevLakeApi,
 *   tokens: () => Record<string, string>,
 *   giteaSecret: () => string,
 *   apiKeyPresent: () => boolean,
 *   sleep: (ms: number) => Promise<void>,
 *   log: (entry: Record<string, unknown>) => void,
 *   now?: () => Date,
 *   retry?: { attempts: number, baseMs: number, maxMs: number },
 * }} Deps
 * @typedef {{ method: string, url: string, headers: Record<string, string | string[] | undefined>, body: Buffer }} Request
 * @typedef {{ status: number, body: Record<string, unknown> }} Response
 */

/** DevLake answered but could not take it for now (restarting, its database away): worth retrying. */
class Unavailable extends Error {}
/** DevLake refused the body itself: retrying the same body will not help. */
class Refused extends Error {
  /**
   * @param {string} message
   * @param {unknown} answer
   */
  constructor(message, answer) {
    super(message);
    this.answer = answer;
  }
}

const DEFAULT_RETRY = { attempts: 5, baseMs: 250, maxMs: 4000 };

/**
 * Calls DevLake, retrying network errors, 429 and 5xx with exponential backoff (bounded: a few seconds
 * in all, inside the sender's own timeout), then gives up with `Unavailable`.
 * @param {Deps} deps
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<ApiAnswer>}
 */
async function callDevLake(deps, method, path, body) {
  const { attempts, baseMs, maxMs } = deps.retry ?? DEFAULT_RETRY;
  let last = "";
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const answer = await deps.devlake.request(method, path, body);
      if (answer.status < 300 || answer.status === 404) return answer;
      if (answer.status === 429 || answer.status >= 500) last = `DevLake answered ${answer.status} to ${method} ${path}`;
      else throw new Refused(`DevLake refused ${method} ${path} with ${answer.status}: ${JSON.stringify(answer.body)}`, answer.body);
    } catch (e) {
      if (e instanceof Refused) throw e;
      last = `DevLake unreachable for ${method} ${path}: ${/** @type {Error} */ (e).message}`;
    }
    if (attempt < attempts) {
      deps.log({ level: "warn", msg: "retrying", reason: last, attempt });
      await deps.sleep(Math.min(maxMs, baseMs * 2 ** (attempt - 1)));
    }
  }
  throw new Unavailable(last);
}

/**
 * The relay, as a function from request to response.
 * @param {Deps} deps
 * @returns {(req: Request) => Promise<Response>}
 */
function createRelay(deps) {
  const now = deps.now ?? (() => new Date());
  /** @type {Map<string, number>} Connection name → id: DevLake ids never change, so a cache is safe (and lost on restart, harmlessly). */
  const connections = new Map();
  /**
   * The service's webhook connection, created if missing. The config Job adds it to its team's project
   * (it owns the projects' blueprints, and the relay's API key may call the webhook plugin only).
   * @param {string} service
   * @returns {Promise<number>}
   */
  async function connectionFor(service) {
    const name = t.connectionName(service);
    const cached = connections.get(name);
    if (cached !== undefined) return cached;
    const list = await callDevLake(deps, "GET", "/plugins/webhook/connections");
    const all = Array.isArray(list.body) ? list.body : Array.isArray(list.body?.connections) ? list.body.connections : [];
    const found = all.find((/** @type {any} */ c) => c && c.name === name);
    let id;
    if (found) id = Number(found.id);
    else {
      const created = await callDevLake(deps, "POST", "/plugins/webhook/connections", { name });
      if (created.status >= 300 || !created.body || created.body.id === undefined)
        throw new Unavailable(`DevLake did not create connection ${name}: ${created.status}`);
      id = Number(created.body.id);
      deps.log({ level: "info", msg: "connection created", connection: name, id });
    }
    connections.set(name, id);
    return id;
  }

  /**
   * @param {string} service
   * @param {t.DevLakeCall} call
   */
  async function send(service, call) {
    const id = await connectionFor(service);
    const answer = await callDevLake(deps, "POST", `/plugins/webhook/connections/${id}${call.path}`, call.body);
    if (answer.status === 404) {
      connections.delete(t.connectionName(service));
      // The route itself is missing when the connection is still there: the webhook plugin takes pull
      // requests from DevLake v1.0.3 on. Retrying will not help; saying so in the log will.
      if ((await connectionFor(service)) === id)
        throw new Refused(
          `DevLake has no route POST /plugins/webhook/connections/:id${call.path} (its webhook plugin takes pull requests from v1.0.3)`,
          answer.body,
        );
      // Else the connection went away (deleted in the UI) and was made again: the sender's retry lands there.
      throw new Unavailable(`DevLake had no connection ${id} for ${service} any more`);
    }
  }

  /** @param {Request} req */
  function bearer(req) {
    const h = req.headers.authorization;
    const m = typeof h === "string" ? /^Bearer (\S+)$/.exec(h) : null;
    return m ? m[1] : undefined;
  }

  /**
   * Which component a bearer token belongs to.
   * @param {Request} req
   * @param {string[]} [only]
   */
  function caller(req, only) {
    const token = bearer(req);
    if (!token) return undefined;
    const found = Object.entries(deps.tokens()).find(([, v]) => v && v === token);
    if (!found || (only && !only.includes(found[0]))) return undefined;
    return found[0];
  }

  /** @param {Buffer} raw */
  function json(raw) {
    try {
      return JSON.parse(raw.toString("utf8"));
    } catch (e) {
      throw new t.BadRequest(`body must be JSON: ${/** @type {Error} */ (e).message}`);
    }
  }

  /** @type {Record<string, (req: Request) => Promise<Response>>} */
  const routes = {
    async "POST /deployments"(req) {
      const who = caller(req);
      if (!who) return { status: 401, body: { error: "a bearer token of a reporting component is required" } };
      const { record, call } = t.deploymentCall(json(req.body));
      await send(record.service, call);
      deps.log({
        level: "info",
        msg: "deployment relayed",
        from: who,
        service: record.service,
        environment: record.environment,
        id: call.body.id,
        commit: record.commit,
      });
      return { status: 200, body: { id: call.body.id } };
    },
    async "POST /alertmanager"(req) {
      const { calls, ignored } = t.alertmanagerCalls(json(req.body));
      for (const i of ignored) deps.log({ level: "info", msg: "alert ignored", ...i });
      for (const c of calls) await send(c.service, c.call);
      if (calls.length) deps.log({ level: "info", msg: "incidents relayed", keys: calls.map((c) => c.call.body.issueKey) });
      return { status: 200, body: { incidents: calls.map((c) => c.call.body.issueKey), ignored: ignored.length } };
    },
    async "POST /gitea"(req) {
      const sig = req.headers["x-gitea-signature"];
      if (!t.giteaSignatureValid(req.body, typeof sig === "string" ? sig : undefined, deps.giteaSecret()))
        return { status: 401, body: { error: "X-Gitea-Signature does not match" } };
      const ev = req.headers["x-gitea-event"];
      const out = t.giteaCall(typeof ev === "string" ? ev : undefined, json(req.body));
      if (!out.call) {
        deps.log({ level: "info", msg: "gitea event ignored", event: ev, repository: `${out.team}/${out.service}`, reason: out.ignored });
        return { status: 202, body: { ignored: out.ignored } };
      }
      await send(out.service, out.call);
      deps.log({ level: "info", msg: "gitea event relayed", event: ev, repository: `${out.team}/${out.service}`, key: out.call.body.pullRequestKey });
      return { status: 200, body: { pullRequestKey: out.call.body.pullRequestKey } };
    },
    async "POST /incidents"(req) {
      if (!caller(req, ["operator"])) return { status: 401, body: { error: "the operator's bearer token is required" } };
      const c = t.manualIncidentCall({ ...json(req.body), now: now().toISOString() }, "open");
      await send(c.service, c.call);
      deps.log({ level: "info", msg: "incident opened by hand", service: c.service, id: c.call.body.issueKey });
      return { status: 200, body: { id: c.call.body.issueKey } };
    },
    async "POST /incidents/close"(req) {
      if (!caller(req, ["operator"])) return { status: 401, body: { error: "the operator's bearer token is required" } };
      const c = t.manualIncidentCall({ ...json(req.body), now: now().toISOString() }, "close");
      await send(c.service, c.call);
      deps.log({ level: "info", msg: "incident closed by hand", service: c.service, id: c.call.body.issueKey });
      return { status: 200, body: { id: c.call.body.issueKey } };
    },
  };

  return async function handle(req) {
    const path = req.url.split("?")[0];
    if (req.method === "GET" && path === "/healthz") return { status: 200, body: { ok: true } };
    const route = routes[`${req.method} ${path}`];
    if (!route) return { status: 404, body: { error: `no route ${req.method} ${path}` } };
    if (!deps.apiKeyPresent()) {
      deps.log({ level: "warn", msg: "no DevLake API key yet (the config Job writes it)", route: path });
      return { status: 503, body: { error: "DevLake API key not provisioned yet: retry later" } };
    }
    try {
      return await route(req);
    } catch (e) {
      if (e instanceof t.BadRequest) {
        deps.log({ level: "warn", msg: "rejected", route: path, status: e.status, error: e.message });
        return { status: e.status, body: { error: e.message } };
      }
      if (e instanceof Refused) {
        deps.log({ level: "error", msg: "DevLake refused", route: path, error: e.message });
        return { status: 422, body: { error: e.message } };
      }
      const message = /** @type {Error} */ (e).message;
      deps.log({ level: "error", msg: "not delivered: the sender retries", route: path, error: message });
      return { status: 502, body: { error: message } };
    }
  };
}

module.exports = { createRelay, callDevLake, Unavailable, Refused, DEFAULT_RETRY };
