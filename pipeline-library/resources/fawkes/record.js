// @ts-check
"use strict";
/**
 * The deployment record: what the pipeline reports per environment (archived as
 * deployment-<env>.json, POSTed to the delivery-events URL). The DORA relay consumes exactly this.
 */

/**
 * @typedef {object} DeploymentRecord
 * @property {string} service
 * @property {string} team
 * @property {"staging" | "production"} environment
 * @property {string} repository The app repository's URL.
 * @property {string} commit The app commit (40 hex), never the deploy commit.
 * @property {string} image `<pullUrl>/<service>@sha256:…`
 * @property {string} digest `sha256:…`
 * @property {string} startedAt ISO-8601
 * @property {string} finishedAt ISO-8601
 * @property {"SUCCESS" | "FAILURE"} result
 * @property {string} pipelineUrl
 * @property {string | null} deployRevision The GitOps commit Argo CD syncs (null when promotion never committed).
 */

const SHA = /^[0-9a-f]{40}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * @param {boolean} ok
 * @param {string} key
 * @param {string} must
 * @param {unknown} got
 */
function check(ok, key, must, got) {
  if (!ok) throw new Error(`DeploymentRecord.${key} must ${must}, got ${JSON.stringify(got)}`);
}

/** @param {string} v */
const iso = (v) => typeof v === "string" && !Number.isNaN(Date.parse(v)) && /T/.test(v);

/**
 * @param {{ service: string, team: string, environment: string, repository: string, commit: string, image?: string,
 *   pullUrl?: string, digest: string, startedAt: string, finishedAt: string, result: string, pipelineUrl: string,
 *   deployRevision?: string | null }} input
 * @returns {DeploymentRecord}
 */
function deploymentRecord(input) {
  const image = input.image ?? (input.pullUrl ? `${input.pullUrl}/${input.service}@${input.digest}` : "");
  check(typeof input.service === "string" && input.service.length > 0, "service", "be set", input.service);
  check(typeof input.team === "string" && input.team.length > 0, "team", "be set", input.team);
  check(input.environment === "staging" || input.environment === "production", "environment", 'be "staging" or "production"', input.environment);
  check(/^https?:\/\//.test(input.repository), "repository", "be the app repository's URL", input.repository);
  check(SHA.test(input.commit), "commit", "be the app commit's 40-hex SHA", input.commit);
  check(DIGEST.test(input.digest), "digest", "be sha256:<64 hex>", input.digest);
  check(image.endsWith(`@${input.digest}`), "image", "name the image by its digest", image);
  check(iso(input.startedAt), "startedAt", "be an ISO-8601 time", input.startedAt);
  check(iso(input.finishedAt), "finishedAt", "be an ISO-8601 time", input.finishedAt);
  check(Date.parse(input.finishedAt) >= Date.parse(input.startedAt), "finishedAt", "not be before startedAt", input.finishedAt);
  check(input.result === "SUCCESS" || input.result === "FAILURE", "result", 'be "SUCCESS" or "FAILURE"', input.result);
  check(/^https?:\/\//.test(input.pipelineUrl), "pipelineUrl", "be the build's URL", input.pipelineUrl);
  const deployRevision = input.deployRevision ?? null;
  check(deployRevision === null || SHA.test(deployRevision), "deployRevision", "be a 40-hex SHA or null", deployRevision);
  check(deployRevision !== input.commit, "deployRevision", "differ from the app commit (the record names the app commit)", deployRevision);
  return {
    service: input.service,
    team: input.team,
    environment: /** @type {"staging" | "production"} */ (input.environment),
    repository: input.repository,
    commit: input.commit,
    image,
    digest: input.digest,
    startedAt: new Date(input.startedAt).toISOString(),
    finishedAt: new Date(input.finishedAt).toISOString(),
    result: /** @type {"SUCCESS" | "FAILURE"} */ (input.result),
    pipelineUrl: input.pipelineUrl,
    deployRevision,
  };
}

module.exports = { deploymentRecord };
