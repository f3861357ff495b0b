// @ts-check
"use strict";
/**
 * What scripts/fawkes and scripts/smoke share: reaching the platform from an operator's machine
 * (kubectl on their kubeconfig, Gitea at https://git.<domain> with the CI robot's token), argument
 * parsing and durations. No dependencies; every side effect goes through the injected `Io`.
 */
const fs = require("node:fs");
const path = require("node:path");

/** @typedef {{ error?: Error, status: number | null, stdout: string, stderr: string }} SpawnResult */
/**
 * @typedef {object} Io
 * @property {(args: string[], input?: string) => SpawnResult} kubectl kubectl with these arguments (spawnSync's result shape).
 * @property {(url: string, init?: { method?: string, headers?: Record<string, string>, body?: string }) => Promise<{ status: number, ok: boolean, text(): Promise<string> }>} fetch
 * @property {(text: string) => void} stdout
 * @property {(text: string) => void} stderr
 * @property {(ms: number) => Promise<void>} sleep
 * @property {() => number} now Milliseconds since the epoch.
 * @property {Record<string, string | undefined>} env
 * @property {boolean} isTTY Whether stdout is a terminal (colours).
 * @property {string} cwd Where cdktf.out is looked for.
 */
/** @typedef {{ request(method: string, path: string, body?: unknown): Promise<any> }} GitApi */

/** The secret the git component writes for Jenkins (GitService.credentialsFor for component `jenkins`: `<component>-git-credentials`). */
const DEFAULT_GIT_SECRET = "jenkins-git-credentials";
const CI_USER = "fawkes-ci";

class UsageError extends Error {}

/** @param {string} message @returns {never} */
function fail(message) {
  throw new Error(message);
}

/**
 * `<positional…> --flag value --switch`: flags in `switches` take no value.
 * @param {string[]} argv
 * @param {readonly string[]} switches
 * @returns {{ positional: string[], flags: Record<string, string | true> }}
 */
function parseArgs(argv, switches) {
  /** @type {Record<string, string | true>} */
  const flags = {};
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-h" || a === "--help") flags.help = true;
    else if (a.startsWith("--")) {
      const [key, inline] = a.slice(2).split(/=(.*)/s, 2);
      if (switches.includes(key)) flags[key] = true;
      else if (inline !== undefined) flags[key] = inline;
      else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) flags[key] = argv[++i];
      else throw new UsageError(`--${key} needs a value`);
    } else positional.push(a);
  }
  return { positional, flags };
}

/**
 * `90s`, `10m`, `1h`, `1m30s` or plain seconds → milliseconds.
 * @param {string} text
 */
function parseDuration(text) {
  const t = String(text).trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(t);
  if (!m || t === "") throw new UsageError(`a duration must look like 90s, 10m or 1h, got ${JSON.stringify(text)}`);
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

/**
 * `4m07s`, `12s`, `1h02m`.
 * @param {number} ms
 */
function formatDuration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/**
 * An output of the laptop stack as last synthesized here (cdktf.out), if any.
 * @param {string} cwd
 * @param {string} name
 * @returns {string | undefined}
 */
function localStackOutput(cwd, name) {
  try {
    const stack = JSON.parse(fs.readFileSync(path.join(cwd, "cdktf.out", "stacks", "fawkes-local", "cdk.tf.json"), "utf8"));
    const v = stack.output?.[name]?.value;
    return typeof v === "string" ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The platform's domain and kube context: flags, then environment, then the laptop stack's outputs.
 * @param {Record<string, string | true>} flags
 * @param {Io} io
 * @returns {{ domain: string, context?: string }}
 */
function platformTarget(flags, io) {
  const flag = (/** @type {string} */ k) => (typeof flags[k] === "string" ? /** @type {string} */ (flags[k]) : undefined);
  const fromStack = localStackOutput(io.cwd, "domain");
  const domain = flag("domain") ?? io.env.FAWKES_DOMAIN ?? fromStack;
  if (!domain) throw new UsageError("no platform domain: pass --domain <domain> or set FAWKES_DOMAIN (or synthesize fawkes-local here)");
  const context = flag("context") ?? io.env.FAWKES_KUBE_CONTEXT ?? (domain === fromStack ? localStackOutput(io.cwd, "kube_context") : undefined);
  return { domain, context };
}

/**
 * kubectl on the operator's kubeconfig; `get` answers parsed, NotFound as undefined.
 * @param {Io} io
 * @param {string | undefined} context
 */
function kube(io, context) {
  const run = (/** @type {string[]} */ args) => {
    const r = io.kubectl([...(context ? ["--context", context] : []), ...args]);
    if (r.error) fail(`cannot run kubectl: ${r.error.message}`);
    return r;
  };
  return {
    run,
    /**
     * @param {string[]} args e.g. ["application", "-n", "argocd", "orders-staging"]
     * @returns {any}
     */
    getJson(args) {
      const r = run(["get", ...args, "-o", "json"]);
      if (r.status !== 0) {
        if (/NotFound|not found/.test(r.stderr)) return undefined;
        fail(`kubectl get ${args.join(" ")}: ${r.stderr.trim() || `exit ${r.status}`}`);
      }
      return JSON.parse(r.stdout);
    },
  };
}

/**
 * The CI robot's Gitea credential: --git-token / FAWKES_GIT_TOKEN, else its secret in namespace
 * jenkins (FAWKES_GIT_SECRET names another one).
 * @param {Record<string, string | true>} flags
 * @param {Io} io
 * @param {ReturnType<typeof kube>} k
 * @returns {{ username: string, token: string }}
 */
function gitCredential(flags, io, k) {
  const given = typeof flags["git-token"] === "string" ? flags["git-token"] : io.env.FAWKES_GIT_TOKEN;
  if (given) return { username: io.env.FAWKES_GIT_USER ?? CI_USER, token: given };
  const name = io.env.FAWKES_GIT_SECRET ?? DEFAULT_GIT_SECRET;
  const secret = k.getJson(["secret", "-n", "jenkins", name]);
  const data = secret?.data ?? {};
  if (!data.password) fail(`no Gitea token: secret jenkins/${name} has no key password (pass --git-token or set FAWKES_GIT_TOKEN / FAWKES_GIT_SECRET)`);
  const dec = (/** @type {string} */ b64) => Buffer.from(b64, "base64").toString("utf8");
  return { username: data.username ? dec(data.username) : CI_USER, token: dec(data.password) };
}

/**
 * A JSON client of `base` (`https://git.<domain>/api/v1`): errors carry `status`.
 * @param {Io} io
 * @param {string} base
 * @param {{ authorization: string }} auth
 * @returns {GitApi}
 */
function jsonApi(io, base, auth) {
  return {
    async request(method, p, body) {
      /** @type {Record<string, string>} */
      const headers = { accept: "application/json", authorization: auth.authorization };
      if (body !== undefined) headers["content-type"] = "application/json";
      let res;
      try {
        res = await io.fetch(`${base}${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      } catch (e) {
        const cause = /** @type {{ cause?: { code?: string } }} */ (e).cause?.code ?? String(e);
        const hint = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(cause) ? " (on a laptop: scripts/trust-local-ca.sh, or NODE_EXTRA_CA_CERTS=fawkes-ca.crt)" : "";
        throw new Error(`${method} ${base}${p.replace(/\?.*/, "")}: ${cause}${hint}`);
      }
      const text = await res.text();
      if (!res.ok) {
        const err = /** @type {Error & { status?: number }} */ (new Error(`${method} ${p.replace(/\?.*/, "")}: HTTP ${res.status} ${text.slice(0, 300)}`));
        err.status = res.status;
        throw err;
      }
      return text ? JSON.parse(text) : {};
    },
  };
}

/**
 * @param {Io} io
 * @param {string} domain
 * @param {{ username: string, token: string }} cred
 */
function giteaApi(io, domain, cred) {
  return jsonApi(io, `https://git.${domain}/api/v1`, { authorization: `Basic ${Buffer.from(`${cred.username}:${cred.token}`).toString("base64")}` });
}

/**
 * Where service `name` lives: `--team`'s organisation, else the one team repository of that name.
 * @param {GitApi} git
 * @param {string} name
 * @param {string | undefined} team
 * @returns {Promise<{ owner: string, repo: string, url: string }>}
 */
async function findRepository(git, name, team) {
  if (team) {
    try {
      const r = await git.request("GET", `/repos/${team}/${name}`);
      return { owner: team, repo: name, url: r.html_url ?? "" };
    } catch (e) {
      if (/** @type {{ status?: number }} */ (e).status === 404) fail(`no repository ${team}/${name} (is the team right?)`);
      throw e;
    }
  }
  const found = await git.request("GET", `/repos/search?q=${encodeURIComponent(name)}&limit=50`);
  const hits = (found?.data ?? []).filter((/** @type {any} */ r) => r.name === name && r.owner?.login !== "platform");
  if (hits.length === 0) fail(`no repository named ${name} in any team's organisation (pass --team <team>?)`);
  if (hits.length > 1) fail(`${name} is in several organisations (${hits.map((/** @type {any} */ r) => r.full_name).join(", ")}): pass --team`);
  return { owner: hits[0].owner.login, repo: name, url: hits[0].html_url ?? "" };
}

/**
 * The newest commit of `branch` whose `fawkes/image` status is success: the pipeline sets it once the
 * image passed the scan gate, with the digest as its description.
 * @param {GitApi} git
 * @param {{ owner: string, repo: string, branch?: string, depth?: number }} r
 * @returns {Promise<{ sha: string, digest: string, greenAt?: string, targetUrl?: string, message: string } | undefined>}
 */
async function latestGreen(git, { owner, repo, branch = "main", depth = 30 }) {
  const commits = await git.request(
    "GET",
    `/repos/${owner}/${repo}/commits?sha=${encodeURIComponent(branch)}&limit=${depth}&stat=false&verification=false&files=false`,
  );
  for (const c of commits ?? []) {
    const combined = await git.request("GET", `/repos/${owner}/${repo}/commits/${c.sha}/status`);
    const image = (combined?.statuses ?? []).find((/** @type {any} */ s) => s.context === "fawkes/image");
    const digest = image?.description;
    if (image && (image.status ?? image.state) === "success" && /^sha256:[0-9a-f]{64}$/.test(digest ?? "")) {
      return {
        sha: c.sha,
        digest,
        greenAt: image.updated_at ?? image.created_at,
        targetUrl: image.target_url,
        message: String(c.commit?.message ?? "").split("\n")[0],
      };
    }
  }
  return undefined;
}

/** The real world: kubectl ($KUBECTL) as a child process, global fetch, the process's streams. */
function defaultIo() {
  const { spawnSync } = require("node:child_process");
  return /** @type {Io} */ ({
    kubectl: (args, input) => spawnSync(process.env.KUBECTL || "kubectl", args, { input, encoding: "utf8", maxBuffer: 1 << 28 }),
    fetch: (url, init) => fetch(url, init),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    sleep: (ms) => new Promise((res) => setTimeout(res, ms)),
    now: () => Date.now(),
    env: process.env,
    isTTY: Boolean(process.stdout.isTTY),
    cwd: process.cwd(),
  });
}

module.exports = {
  CI_USER,
  DEFAULT_GIT_SECRET,
  UsageError,
  fail,
  parseArgs,
  parseDuration,
  formatDuration,
  localStackOutput,
  platformTarget,
  kube,
  gitCredential,
  jsonApi,
  giteaApi,
  findRepository,
  latestGreen,
  defaultIo,
};
