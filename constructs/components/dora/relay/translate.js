// @ts-check
"use strict";
/**
 * Pure translations from what Fawkes' senders post (the pipeline's deployment record, Alertmanager's
 * webhook v4, Gitea's push and pull_request webhooks) into the bodies of DevLake's webhook plugin
 * (backend/plugins/webhook/api/{deployments,issues,pull_requests}.go). No I/O here: relay.js sends.
 */
const crypto = require("node:crypto");

/** A request the sender got wrong: the relay answers 4xx and logs it. */
class BadRequest extends Error {
  /**
   * @param {string} message
   * @param {number} [status]
   */
  constructor(message, status = 400) {
    super(message);
    this.status = status;
  }
}

const SERVICE = /^[a-z][a-z0-9-]{1,29}$/;
/** A team is a DNS label (stacks/config/schema.ts). */
const TEAM = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const SHA = /^[0-9a-f]{40}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
/** DevLake's environments; only PRODUCTION counts for DORA (its project's production pattern). */
const ENVIRONMENTS = /** @type {const} */ ({ production: "PRODUCTION", staging: "STAGING" });

/**
 * @typedef {{ service: string, team: string, environment: string, repository: string, commit: string,
 *   image: string, digest: string, startedAt: string, finishedAt: string, result: "SUCCESS" | "FAILURE",
 *   pipelineUrl: string, deployRevision?: string, commitMessage?: string, ref?: string }} DeploymentRecord
 */
/** @typedef {{ path: string, body: Record<string, unknown> }} DevLakeCall a POST, path relative to the connection (`/deployments`) */

/** The webhook connection of a service: one per service, as DevLake relates incidents to deployments per connection. */
function connectionName(/** @type {string} */ service) {
  return `fawkes-${service}`;
}

/** @param {unknown} v */
function isObject(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * @param {unknown} v
 * @param {string} where
 */
function isoDate(v, where) {
  if (typeof v !== "string" || Number.isNaN(Date.parse(v))) throw new BadRequest(`${where} must be an ISO-8601 date, got ${JSON.stringify(v)}`);
  return new Date(v).toISOString();
}

/**
 * @param {Record<string, unknown>} o
 * @param {string} key
 * @param {string} where
 * @param {RegExp} [pattern]
 */
function text(o, key, where, pattern) {
  const v = o[key];
  if (typeof v !== "string" || !v || (pattern && !pattern.test(v)))
    throw new BadRequest(`${where}.${key} must be ${pattern ? `like ${pattern}` : "a string"}, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * The deployment's id in DevLake: the same record (a retry by Jenkins, or the relay's own) gives the
 * same id, which DevLake upserts, so a deployment is never counted twice. A new pipeline run is a new id.
 * @param {Pick<DeploymentRecord, "service" | "environment" | "pipelineUrl" | "commit" | "digest">} r
 */
function deploymentId(r) {
  const h = crypto.createHash("sha256").update([r.pipelineUrl, r.environment, r.commit, r.digest].join("\n")).digest("hex");
  return `fawkes:${r.service}:${r.environment}:${h.slice(0, 20)}`;
}

/**
 * Checks a deployment record (pipeline-library/resources/fawkes/record.js) and maps it to DevLake's
 * `POST /plugins/webhook/connections/:id/deployments`, with the application repository's commit.
 * @param {unknown} input
 * @returns {{ record: DeploymentRecord, call: DevLakeCall }}
 */
function deploymentCall(input) {
  if (!isObject(input)) throw new BadRequest(`DeploymentRecord must be a JSON object, got ${JSON.stringify(input)}`);
  const o = /** @type {Record<string, unknown>} */ (input);
  const where = "DeploymentRecord";
  const service = text(o, "service", where, SERVICE);
  const team = text(o, "team", where, TEAM);
  const environment = text(o, "environment", where, /^(production|staging)$/);
  const repository = text(o, "repository", where, /^https?:\/\/\S+$/);
  const commit = text(o, "commit", where, SHA);
  const digest = text(o, "digest", where, DIGEST);
  const image = text(o, "image", where);
  const pipelineUrl = text(o, "pipelineUrl", where, /^https?:\/\/\S+$/);
  const result = text(o, "result", where, /^(SUCCESS|FAILURE)$/);
  const startedAt = isoDate(o.startedAt, `${where}.startedAt`);
  const finishedAt = isoDate(o.finishedAt, `${where}.finishedAt`);
  if (finishedAt < startedAt) throw new BadRequest(`${where}.finishedAt must not be before startedAt, got ${finishedAt} < ${startedAt}`);
  const commitMessage = typeof o.commitMessage === "string" ? o.commitMessage : undefined;
  const ref = typeof o.ref === "string" ? o.ref : undefined;
  const record = /** @type {DeploymentRecord} */ ({
    ...o,
    service,
    team,
    environment,
    repository,
    commit,
    digest,
    image,
    pipelineUrl,
    result,
    startedAt,
    finishedAt,
  });
  const title = `${service} ${digest.slice(7, 19)} (${commit.slice(0, 7)}) to ${environment}`;
  /** @type {Record<string, unknown>} */
  const deploymentCommit = {
    repoUrl: repository.replace(/\.git$/, ""),
    commitSha: commit,
    startedDate: startedAt,
    finishedDate: finishedAt,
    result,
    displayTitle: title,
  };
  if (ref) deploymentCommit.refName = ref;
  if (commitMessage) deploymentCommit.commitMsg = commitMessage;
  return {
    record,
    call: {
      path: "/deployments",
      body: {
        id: deploymentId(record),
        displayTitle: title,
        name: `${service}@${digest.slice(0, 19)}`,
        result,
        environment: ENVIRONMENTS[/** @type {keyof typeof ENVIRONMENTS} */ (environment)],
        originalEnvironment: environment,
        startedDate: startedAt,
        finishedDate: finishedAt,
        deploymentCommits: [deploymentCommit],
      },
    },
  };
}

/**
 * The incident's key in DevLake: stable for one firing of one alert (its fingerprint and start), so
 * Alertmanager's repeats update it and its resolution closes it; a new firing is a new incident.
 * @param {string} fingerprint
 * @param {string} startsAt
 */
function incidentKey(fingerprint, startsAt) {
  return `alert-${fingerprint}-${Math.floor(Date.parse(startsAt) / 1000)}`;
}

/**
 * @typedef {{ service: string, team?: string, call: DevLakeCall }} IncidentCall
 */

/**
 * Alertmanager's webhook (version 4): one DevLake incident per alert with a `service` label, open
 * while firing, DONE with its resolution date once resolved (DevLake's time to restore reads
 * `resolution_date`, which its `issue/:key/close` endpoint does not set: the upsert does both).
 * @param {unknown} input
 * @returns {{ calls: IncidentCall[], ignored: { alertname: string, reason: string }[] }}
 */
function alertmanagerCalls(input) {
  if (!isObject(input)) throw new BadRequest(`Alertmanager payload must be a JSON object, got ${JSON.stringify(input)}`);
  const o = /** @type {Record<string, unknown>} */ (input);
  if (o.version !== "4") throw new BadRequest(`Alertmanager payload.version must be "4", got ${JSON.stringify(o.version)}`);
  if (!Array.isArray(o.alerts)) throw new BadRequest(`Alertmanager payload.alerts must be a list, got ${JSON.stringify(o.alerts)}`);
  /** @type {IncidentCall[]} */
  const calls = [];
  const ignored = [];
  for (const [i, a] of o.alerts.entries()) {
    const where = `Alertmanager payload.alerts[${i}]`;
    if (!isObject(a) || !isObject(a.labels)) throw new BadRequest(`${where} must be an alert with labels, got ${JSON.stringify(a)}`);
    const labels = /** @type {Record<string, string>} */ (a.labels);
    const annotations = /** @type {Record<string, string>} */ (isObject(a.annotations) ? a.annotations : {});
    const alertname = labels.alertname ?? "unnamed";
    if (!labels.service) {
      ignored.push({ alertname, reason: "no service label" });
      continue;
    }
    if (!SERVICE.test(labels.service)) {
      ignored.push({ alertname, reason: `service label ${JSON.stringify(labels.service)} is not a service name` });
      continue;
    }
    const status = text(a, "status", where, /^(firing|resolved)$/);
    const fingerprint = text(a, "fingerprint", where, /^[0-9a-f]+$/);
    const startsAt = isoDate(a.startsAt, `${where}.startsAt`);
    const resolved = status === "resolved";
    const summary = annotations.summary || annotations.description || "";
    /** @type {Record<string, unknown>} */
    const body = {
      issueKey: incidentKey(fingerprint, startsAt),
      title: summary ? `${alertname}: ${summary}` : alertname,
      description: annotations.description ?? "",
      type: "INCIDENT",
      status: resolved ? "DONE" : "IN_PROGRESS",
      originalStatus: status,
      createdDate: startsAt,
      updatedDate: resolved ? isoDate(a.endsAt, `${where}.endsAt`) : startsAt,
      severity: labels.severity ?? "",
      component: labels.service,
      url: typeof a.generatorURL === "string" ? a.generatorURL : "",
    };
    if (resolved) body.resolutionDate = body.updatedDate;
    calls.push({ service: labels.service, team: labels.team, call: { path: "/issues", body } });
  }
  return { calls, ignored };
}

/**
 * An incident an operator opens or closes by hand (`scripts/fawkes incident`).
 * @param {unknown} input `{ service, team?, title, severity?, description?, id?, now }`
 * @param {"open" | "close"} action
 * @returns {IncidentCall}
 */
function manualIncidentCall(input, action) {
  if (!isObject(input)) throw new BadRequest(`Incident must be a JSON object, got ${JSON.stringify(input)}`);
  const o = /** @type {Record<string, unknown>} */ (input);
  const service = text(o, "service", "Incident", SERVICE);
  const team = typeof o.team === "string" ? o.team : undefined;
  const now = isoDate(o.now, "Incident.now");
  if (action === "close") {
    const id = text(o, "id", "Incident", /^manual-[0-9]+$/);
    // The upsert needs the incident's title and creation date again: both are in the key's timestamp and the body.
    const createdDate = new Date(Number(id.slice(7)) * 1000).toISOString();
    const title = typeof o.title === "string" && o.title ? o.title : `incident ${id}`;
    return {
      service,
      team,
      call: {
        path: "/issues",
        body: {
          issueKey: id,
          title,
          type: "INCIDENT",
          status: "DONE",
          originalStatus: "closed by hand",
          createdDate,
          updatedDate: now,
          resolutionDate: now,
          component: service,
        },
      },
    };
  }
  const title = text(o, "title", "Incident");
  const severity = typeof o.severity === "string" ? o.severity : "";
  return {
    service,
    team,
    call: {
      path: "/issues",
      body: {
        issueKey: `manual-${Math.floor(Date.parse(now) / 1000)}`,
        title,
        description: typeof o.description === "string" ? o.description : "",
        type: "INCIDENT",
        status: "IN_PROGRESS",
        originalStatus: "opened by hand",
        createdDate: now,
        updatedDate: now,
        severity,
        component: service,
      },
    },
  };
}

/**
 * Gitea signs the raw body with HMAC-SHA256 (hex, header `X-Gitea-Signature`).
 * @param {Buffer | string} raw
 * @param {string | undefined} signature
 * @param {string} secret
 */
function giteaSignatureValid(raw, signature, secret) {
  if (!secret || typeof signature !== "string" || !/^[0-9a-f]{64}$/i.test(signature)) return false;
  const expected = crypto.createHmac("sha256", secret).update(raw).digest();
  return crypto.timingSafeEqual(expected, Buffer.from(signature, "hex"));
}

/** Pull-request actions that change what DevLake knows of a PR (labels, reviews, assignments do not). */
const PR_ACTIONS = new Set(["opened", "reopened", "edited", "synchronized", "closed"]);
/** Offset of the keys of direct pushes, far above any repository's pull request numbers. */
const PUSH_KEY_BASE = 1_000_000_000;
/** Organisation of the platform's own repositories: not services. */
const PLATFORM_OWNER = "platform";

/** gitops.js `RECORDED_MARK`: the pipeline merged this promotion and records its deployment itself. */
const RECORDED_MARK = "(fawkes:recorded)";

/**
 * A merged `promote/production-<commit>` pull request (by a person, or `scripts/fawkes deploy --merge`)
 * as DevLake's production deployment: the application commit and digest come from the body gitops.js
 * `promote` writes (`` `<image>@<digest>`, built from <commit> ``). The id is the pull request's, so
 * a redelivery upserts it. Skipped when the body carries `RECORDED_MARK`: the pipeline merged it
 * (`promotion: auto`) and posts its own record, so the deployment is never counted twice.
 * Start and finish are the merge time: Argo CD syncs within minutes of it.
 * @param {Record<string, any>} o the Gitea payload
 * @param {Record<string, any>} pr
 * @param {string} service
 * @param {string} team
 * @returns {DevLakeCall | undefined}
 */
function productionPromotionCall(o, pr, service, team) {
  if (!/^promote\/production-/.test(String(pr.head?.ref ?? "")) || pr.merged !== true) return undefined;
  if (String(pr.body ?? "").includes(RECORDED_MARK)) return undefined;
  const m = /`([^`@\s]+)@(sha256:[0-9a-f]{64})`, built from ([0-9a-f]{40})/.exec(String(pr.body ?? ""));
  if (!m)
    throw new BadRequest(`Gitea payload.pull_request.body of a promotion must name \`<image>@<digest>\`, built from <commit>, got ${JSON.stringify(pr.body)}`);
  const at = isoDate(pr.merged_at, "Gitea payload.pull_request.merged_at");
  const [, image, digest, commit] = m;
  const repository = String(o.repository.html_url ?? o.repository.clone_url ?? "").replace(/\.git$/, "");
  const title = `${service} ${digest.slice(7, 19)} (${commit.slice(0, 7)}) to production`;
  return {
    path: "/deployments",
    body: {
      id: `fawkes:${service}:production:${team}/${service}#${pr.number}`,
      displayTitle: title,
      name: `${service}@${digest.slice(0, 19)}`,
      result: "SUCCESS",
      environment: ENVIRONMENTS.production,
      originalEnvironment: "production",
      startedDate: at,
      finishedDate: at,
      deploymentCommits: [
        {
          repoUrl: repository,
          commitSha: commit,
          startedDate: at,
          finishedDate: at,
          result: "SUCCESS",
          displayTitle: title,
          refName: "main",
          commitMsg: `${image}@${digest}`,
        },
      ],
    },
  };
}

/**
 * Gitea's `pull_request` and `push` webhooks → DevLake's `POST …/pull_requests` (the webhook plugin
 * takes pull requests, deployments and issues; it has no commit endpoint). A pull request is upserted
 * by its number. A direct push to the default branch (not a pull request's merge, not the pipeline's
 * `[skip ci]` digest bump) becomes a merged change of its own, so lead time counts it too; its key is
 * derived from the head commit.
 * @param {string | undefined} event `X-Gitea-Event`
 * @param {unknown} input
 * @returns {{ service: string, team: string, call?: DevLakeCall, ignored?: string }}
 */
function giteaCall(event, input) {
  if (!isObject(input)) throw new BadRequest(`Gitea payload must be a JSON object, got ${JSON.stringify(input)}`);
  const o = /** @type {Record<string, any>} */ (input);
  if (!isObject(o.repository) || typeof o.repository.name !== "string" || !isObject(o.repository.owner))
    throw new BadRequest(`Gitea payload.repository must name the repository and its owner, got ${JSON.stringify(o.repository)}`);
  const service = o.repository.name;
  const team = o.repository.owner.login ?? o.repository.owner.username;
  if (team === PLATFORM_OWNER) return { service, team, ignored: "a platform repository, not a service" };
  if (!SERVICE.test(service)) return { service, team, ignored: `repository name ${JSON.stringify(service)} is not a service name` };
  if (event === "pull_request") {
    const pr = o.pull_request;
    if (!isObject(pr) || !Number.isInteger(pr.number))
      throw new BadRequest(`Gitea pull_request payload.pull_request must have a number, got ${JSON.stringify(pr)}`);
    if (!PR_ACTIONS.has(o.action)) return { service, team, ignored: `pull request action ${JSON.stringify(o.action)}` };
    // A merged production promotion is the production deployment (Argo CD syncs it), unless the
    // pipeline merged it (`promotion: auto`) and records it itself.
    const promotion = productionPromotionCall(o, pr, service, team);
    if (promotion) return { service, team, call: promotion };
    // The pipeline's own promotion and rollback pull requests move a digest: no change of code.
    if (/\[skip ci\]/.test(String(pr.title ?? "")) || /^(promote|rollback)\//.test(String(pr.head?.ref ?? "")))
      return { service, team, ignored: "the platform's promotion or rollback pull request" };
    const merged = pr.merged === true;
    const closed = pr.state === "closed";
    /** @type {Record<string, unknown>} */
    const body = {
      id: `${o.repository.full_name ?? `${team}/${service}`}#${pr.number}`,
      pullRequestKey: pr.number,
      displayTitle: text(pr, "title", "Gitea payload.pull_request"),
      description: typeof pr.body === "string" ? pr.body : "",
      url: pr.html_url ?? "",
      status: merged ? "MERGED" : closed ? "CLOSED" : "OPEN",
      originalStatus: merged ? "merged" : String(pr.state ?? ""),
      authorName: pr.user?.login ?? "",
      authorId: pr.user?.id !== undefined ? String(pr.user.id) : "",
      createdDate: isoDate(pr.created_at, "Gitea payload.pull_request.created_at"),
      headRef: pr.head?.ref ?? "",
      baseRef: pr.base?.ref ?? "",
      headCommitSha: pr.head?.sha ?? "",
      baseCommitSha: pr.base?.sha ?? "",
      additions: Number.isInteger(pr.additions) ? pr.additions : 0,
      deletions: Number.isInteger(pr.deletions) ? pr.deletions : 0,
      isDraft: pr.draft === true,
    };
    if (merged) {
      body.mergedDate = isoDate(pr.merged_at, "Gitea payload.pull_request.merged_at");
      body.mergeCommitSha = pr.merge_commit_sha ?? "";
      body.mergedByName = pr.merged_by?.login ?? "";
      if (pr.merged_by?.id !== undefined) body.mergedById = String(pr.merged_by.id);
    }
    if (closed) body.closedDate = isoDate(pr.closed_at ?? pr.merged_at, "Gitea payload.pull_request.closed_at");
    return { service, team, call: { path: "/pull_requests", body } };
  }
  if (event === "push") {
    const defaultBranch = o.repository.default_branch || "main";
    if (o.ref !== `refs/heads/${defaultBranch}`) return { service, team, ignored: `push to ${o.ref}, not the default branch` };
    if (typeof o.after !== "string" || !SHA.test(o.after) || /^0+$/.test(o.after)) return { service, team, ignored: "a branch deletion" };
    const commits = Array.isArray(o.commits) ? o.commits.filter(isObject) : [];
    const head = isObject(o.head_commit) ? o.head_commit : commits[commits.length - 1];
    if (!head) return { service, team, ignored: "a push without commits" };
    const message = String(head.message ?? "");
    if (message.includes("[skip ci]")) return { service, team, ignored: "the pipeline's own commit ([skip ci])" };
    // Gitea's merge and squash messages name the pull request: its own event carries that change.
    if (/\(#\d+\)|^Merge pull request /m.test(message)) return { service, team, ignored: "a pull request's merge" };
    const dates = commits.map((c) => Date.parse(c.timestamp)).filter((t) => !Number.isNaN(t));
    const pushed = isoDate(head.timestamp, "Gitea payload.head_commit.timestamp");
    const first = dates.length ? new Date(Math.min(...dates)).toISOString() : pushed;
    const key = PUSH_KEY_BASE + parseInt(o.after.slice(0, 7), 16);
    const author = head.author?.username || head.author?.name || o.pusher?.login || "";
    return {
      service,
      team,
      call: {
        path: "/pull_requests",
        body: {
          id: `${o.repository.full_name ?? `${team}/${service}`}@${o.after}`,
          pullRequestKey: key,
          displayTitle: message.split("\n")[0] || o.after,
          description: `direct push of ${commits.length || 1} commit(s) to ${defaultBranch}`,
          url: head.url ?? o.compare_url ?? "",
          status: "MERGED",
          originalStatus: "pushed",
          type: "direct-push",
          authorName: author,
          mergedByName: o.pusher?.login ?? author,
          createdDate: first,
          mergedDate: pushed,
          closedDate: pushed,
          mergeCommitSha: o.after,
          headCommitSha: o.after,
          baseCommitSha: typeof o.before === "string" ? o.before : "",
          headRef: defaultBranch,
          baseRef: defaultBranch,
        },
      },
    };
  }
  return { service, team, ignored: `event ${JSON.stringify(event)}` };
}

module.exports = {
  BadRequest,
  ENVIRONMENTS,
  connectionName,
  deploymentId,
  deploymentCall,
  incidentKey,
  alertmanagerCalls,
  manualIncidentCall,
  giteaSignatureValid,
  giteaCall,
};
