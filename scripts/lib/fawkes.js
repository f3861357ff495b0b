// @ts-check
// scripts/fawkes: the one-command deploy of a golden-path service (README, "Your first service").
// Promotes the service's latest green commit (commit status fawkes/image) through Git, exactly as
// the pipeline does (pipeline-library/resources/fawkes/gitops.js), then watches Argo CD until the
// new revision is Synced and Healthy. Needs kubectl on the platform's cluster and https://git.<domain>.
// Importable: `main(argv, io)` resolves to the exit code (0 done, 1 failed or timed out, 2 usage);
// tests drive it with a fake kubectl and a fake Gitea.
"use strict";
const path = require("node:path");
const lib = require("./platform.js");
const gitops = require(path.join(__dirname, "..", "..", "pipeline-library", "resources", "fawkes", "gitops.js"));
const argo = require(path.join(__dirname, "..", "..", "pipeline-library", "resources", "fawkes", "argo.js"));

const USAGE = `usage: scripts/fawkes deploy <service> --env staging|production [options]
  Deploys the service's latest green commit (its image passed the scan gate) through Git and
  prints Argo CD's sync, health and the rollout until it is live; exits non-zero on failure.
  --team <team>        the owning team (default: the one team organisation with that repository)
  --timeout <d>        how long to wait for Synced and Healthy (default 10m; 90s, 10m, 1h)
  --merge              production: merge the promotion pull request at once (default: open it)
  --rollback           go back to the previous deploy(<env>) revision of deploy/<env>/, by a new commit
                       (production: by a pull request, merged at once with --merge)
  --dry-run            print what it would do, change nothing
  --domain <domain>    the platform's domain (default: $FAWKES_DOMAIN, else fawkes-local's in cdktf.out)
  --context <ctx>      kubeconfig context (default: $FAWKES_KUBE_CONTEXT, else fawkes-local's, else current)
  --git-token <token>  Gitea token of fawkes-ci (default: $FAWKES_GIT_TOKEN, else secret jenkins/${lib.DEFAULT_GIT_SECRET})
  On a laptop, trust the local CA first: scripts/trust-local-ca.sh (or NODE_EXTRA_CA_CERTS=fawkes-ca.crt).`;

const ENVS = ["staging", "production"];
const SERVICE = /^[a-z][a-z0-9-]{1,29}$/;
const SWITCHES = ["merge", "rollback", "dry-run", "help"];
/** The story's target: green build to healthy in staging. */
const TARGET_MS = 5 * 60 * 1000;

/**
 * @param {boolean} tty
 * @param {string} word
 */
function paint(tty, word) {
  if (!tty) return word;
  const code = /^(Synced|Healthy|Succeeded)$/.test(word) ? 32 : /^(Degraded|Failed|Error|Missing)$/.test(word) ? 31 : 33;
  return `\u001b[${code}m${word}\u001b[0m`;
}

/**
 * One status line: what changed is what gets printed (the caller compares lines without colours).
 * @param {import("../../pipeline-library/resources/fawkes/argo.js").ApplicationStatus | undefined} s
 * @param {{ text: string } | undefined} rollout
 * @param {boolean} tty
 */
function statusLine(s, rollout, tty) {
  if (!s) return "Application not there yet (the ApplicationSet creates it on its next scan)";
  const parts = [`sync ${paint(tty, s.sync)}`, `health ${paint(tty, s.health)}`];
  if (rollout) parts.push(`rollout ${rollout.text}`);
  return `${parts.join(", ")}: ${s.message}`;
}

/**
 * Watches `<service>-<env>` until it is Synced and Healthy at `revision` with its rollout complete.
 * @param {{ io: lib.Io, k: ReturnType<typeof lib.kube>, service: string, team: string, env: string, revision: string, timeoutMs: number, startedAt: number, intervalMs: number }} w
 * @returns {Promise<{ ok: boolean, reason: string, at: number }>}
 */
async function watch({ io, k, service, team, env, revision, timeoutMs, startedAt, intervalMs }) {
  const app = `${service}-${env}`;
  const ns = `${team}-${service}-${env}`;
  const deadline = io.now() + timeoutMs;
  let last = "";
  for (;;) {
    const json = k.getJson(["application", "-n", "argocd", app]);
    const s = json ? argo.applicationStatus(json, { revision }) : undefined;
    // The rollout of this revision starts once Argo CD synced it.
    const deploys = s?.atRevision && s.sync === "Synced" ? (k.getJson(["deploy", "-n", ns])?.items ?? []) : [];
    const deploy = deploys.find((/** @type {any} */ d) => d.metadata?.name === service) ?? deploys[0];
    const rollout = deploy ? argo.rolloutOf(deploy) : undefined;
    const plain = statusLine(s, rollout, false);
    if (plain !== last) io.stdout(`[${lib.formatDuration(io.now() - startedAt)}] ${statusLine(s, rollout, io.isTTY)}\n`);
    last = plain;
    if (s?.done && (!s.ok || !rollout || rollout.done)) return { ok: s.ok, reason: s.message, at: io.now() };
    if (io.now() >= deadline) {
      const where = s ? `sync ${s.sync}, health ${s.health}: ${s.message}` : "no Application";
      return { ok: false, reason: `timed out after ${lib.formatDuration(timeoutMs)} (${where})`, at: io.now() };
    }
    await io.sleep(intervalMs);
  }
}

/**
 * Asks Argo CD to compare with Git now rather than at its next poll (its documented refresh annotation).
 * @param {ReturnType<typeof lib.kube>} k
 * @param {string} app
 */
function refresh(k, app) {
  k.run(["annotate", "application", "-n", "argocd", app, "argocd.argoproj.io/refresh=normal", "--overwrite"]);
}

/**
 * The rollback target: the newest `deploy(<env>)` commit of the file, before its current state,
 * whose content differs from the current one.
 * @param {lib.GitApi} git
 * @param {{ owner: string, repo: string, env: string, file: string, current: string }} r
 * @returns {Promise<{ sha: string, text: string, message: string } | undefined>}
 */
async function previousDeploy(git, { owner, repo, env, file, current }) {
  const commits = await git.request(
    "GET",
    `/repos/${owner}/${repo}/commits?sha=main&path=${encodeURIComponent(file)}&limit=30&stat=false&verification=false&files=false`,
  );
  for (const c of (commits ?? []).slice(1)) {
    const message = String(c.commit?.message ?? "");
    // The pipeline's commit, or the merge of its pull request (production).
    if (!message.startsWith(`deploy(${env}):`) && !message.startsWith(`Merge pull request 'deploy(${env}):`)) continue;
    const then = await gitops.readFile(git, { owner, repo, path: file, ref: c.sha });
    if (then.text !== current) return { sha: c.sha, text: then.text, message: message.split("\n")[0] };
  }
  return undefined;
}

/**
 * @param {Record<string, string | true>} flags
 * @param {string[]} args
 * @param {lib.Io} io
 */
async function deploy(flags, args, io) {
  const service = args[0];
  if (!service) throw new lib.UsageError("deploy needs a service name");
  if (args.length > 1) throw new lib.UsageError(`unexpected argument ${JSON.stringify(args[1])}`);
  if (!SERVICE.test(service)) throw new lib.UsageError(`the service name must match ${SERVICE.source}, got ${JSON.stringify(service)}`);
  const env = flags.env;
  if (typeof env !== "string" || !ENVS.includes(env)) throw new lib.UsageError(`--env must be staging or production, got ${JSON.stringify(env ?? null)}`);
  const timeoutMs = lib.parseDuration(typeof flags.timeout === "string" ? flags.timeout : "10m");
  const intervalMs = lib.parseDuration(typeof flags.interval === "string" ? flags.interval : "3s");
  const dry = flags["dry-run"] === true;
  const { domain, context } = lib.platformTarget(flags, io);
  const k = lib.kube(io, context);
  const git = lib.giteaApi(io, domain, lib.gitCredential(flags, io, k));
  const startedAt = io.now();
  const say = (/** @type {string} */ line) => io.stdout(`${line}\n`);

  const { owner, repo } = await lib.findRepository(git, service, typeof flags.team === "string" ? flags.team : undefined);
  const file = `deploy/${env}/kustomization.yaml`;
  const current = await gitops.readFile(git, { owner, repo, path: file, ref: "main" });
  const image = gitops.currentImage(current.text);
  if (!image.newName) throw new Error(`${owner}/${repo}/${file}: no image newName (expected the golden-path kustomization)`);
  say(`${service} (${owner}/${repo}), ${env}: now ${image.digest ? gitops.shortDigest(image.digest) : `tag ${image.newTag ?? "none"}`}`);

  let revision;
  /** @type {number | undefined} */
  let greenAt;
  if (flags.rollback === true) {
    const prev = await previousDeploy(git, { owner, repo, env, file, current: current.text });
    if (!prev) throw new Error(`no earlier deploy(${env}) revision of ${file} to roll back to`);
    const target = gitops.currentImage(prev.text);
    const message = `rollback(${env}): ${service} to ${target.digest ? gitops.shortDigest(target.digest) : (target.newTag ?? "?")} of ${prev.sha.slice(0, 7)} [skip ci]`;
    // Production changes only by a pull request (shared contract), a rollback too; --merge merges it.
    const viaPr = env === "production";
    if (dry) {
      say(
        `would ${viaPr ? `open${flags.merge === true ? " and merge" : ""} a pull request from rollback/${env}-${prev.sha.slice(0, 7)}` : `commit to ${owner}/${repo} main`}: ${message}`,
      );
      say(`  (restores ${file} as of "${prev.message}")`);
      return 0;
    }
    if (viaPr) {
      const res = await gitops.proposeFile(git, {
        owner,
        repo,
        path: file,
        content: prev.text,
        sha: current.sha,
        message,
        branch: "main",
        head: `rollback/${env}-${prev.sha.slice(0, 7)}`,
        body: `Rolls ${service} back in ${env} to ${file} as of ${prev.sha} ("${prev.message}").`,
        merge: flags.merge === true,
      });
      if (!res.pullRequest.merged) {
        say(`pull request #${res.pullRequest.number} opened: ${res.pullRequest.url}`);
        say(`merge it to roll ${env} back (or run again with --merge)`);
        return 0;
      }
      revision = res.revision;
      say(`rolled back at revision ${revision.slice(0, 7)} (pull request #${res.pullRequest.number} merged)`);
    } else {
      revision = await gitops.writeFile(git, { owner, repo, path: file, content: prev.text, sha: current.sha, message, branch: "main" });
      say(`committed ${revision.slice(0, 7)}: ${message}`);
    }
  } else {
    const green = await lib.latestGreen(git, { owner, repo });
    if (!green) throw new Error(`${owner}/${repo} has no green commit on main yet (no fawkes/image success status: has the pipeline passed?)`);
    greenAt = green.greenAt ? Date.parse(green.greenAt) : undefined;
    // Production changes only by a pull request (shared contract); --merge merges it at once.
    const mode = env === "production" ? "pull-request" : "commit";
    const merge = mode === "pull-request" && flags.merge === true;
    say(`latest green commit ${green.sha.slice(0, 7)} "${green.message}": ${gitops.shortDigest(green.digest)}`);
    if (dry) {
      const how = mode === "commit" ? "commit to main" : `open${merge ? " and merge" : ""} a pull request from promote/${env}-${green.sha.slice(0, 7)}`;
      say(`would ${how}: ${gitops.deployMessage({ env, service, digest: green.digest, commit: green.sha })}`);
      return 0;
    }
    const res = await gitops.promote(git, {
      owner,
      repo,
      env,
      service,
      newName: image.newName,
      digest: green.digest,
      commit: green.sha,
      mode,
      merge,
    });
    if (res.pullRequest && !res.pullRequest.merged) {
      say(`pull request #${res.pullRequest.number} opened: ${res.pullRequest.url}`);
      say(`merge it to deploy to ${env} (or run again with --merge)`);
      return 0;
    }
    revision = res.revision;
    say(
      res.unchanged
        ? `${env} already deploys ${gitops.shortDigest(green.digest)} (revision ${revision.slice(0, 7)}): watching it`
        : `promoted at revision ${revision.slice(0, 7)}${res.pullRequest ? ` (pull request #${res.pullRequest.number} merged)` : ""}`,
    );
  }

  refresh(k, `${service}-${env}`);
  const url = `https://${service}-${env}.${domain}`;
  const r = await watch({ io, k, service, team: owner, env, revision, timeoutMs, startedAt, intervalMs });
  if (!r.ok) {
    io.stderr(`fawkes: ${service} is not live in ${env}: ${r.reason}\n`);
    return 1;
  }
  say(`${service} is live in ${env}: ${url}`);
  const took = `deploy took ${lib.formatDuration(r.at - startedAt)}`;
  if (greenAt !== undefined && !Number.isNaN(greenAt)) {
    const ms = r.at - greenAt;
    say(`${took}; green build to healthy: ${lib.formatDuration(ms)} (target ${lib.formatDuration(TARGET_MS)}${ms <= TARGET_MS ? ", met" : ", missed"})`);
  } else say(took);
  return 0;
}

/**
 * @param {string[]} argv
 * @param {lib.Io} [io]
 * @returns {Promise<number>}
 */
async function main(argv, io = lib.defaultIo()) {
  try {
    // incident and dora: the DORA commands, with arguments of their own (scripts/lib/dora.js).
    if (argv[0] === "incident" || argv[0] === "dora") return require("./dora.js").run(argv, io);
    const { positional, flags } = lib.parseArgs(argv, SWITCHES);
    if (flags.help) {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    const [command, ...args] = positional;
    if (command === "deploy") return await deploy(flags, args, io);
    throw new lib.UsageError(command ? `unknown command ${JSON.stringify(command)}` : "no command");
  } catch (e) {
    if (e instanceof lib.UsageError) {
      io.stderr(`fawkes: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    io.stderr(`fawkes: ${/** @type {Error} */ (e).message}\n`);
    return 1;
  }
}

module.exports = { main, statusLine, previousDeploy, USAGE };
