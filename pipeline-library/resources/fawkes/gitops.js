// @ts-check
"use strict";
/**
 * GitOps promotion: the image digest written into a service's `deploy/<env>/kustomization.yaml`
 * through the Gitea contents API (never kubectl). Shared by the pipeline (cli.js `promote`) and
 * scripts/fawkes (deploy, rollback). `bumpImage` is pure; `promote` takes an injected API client.
 */

/**
 * The Gitea REST API at `/api/v1`, as the robot `fawkes-ci`: parsed JSON answers; HTTP errors throw
 * (an error whose `status` is the HTTP status, or whose message says `HTTP <status>`).
 * @typedef {{ request(method: string, path: string, body?: unknown): Promise<any> }} GitApi
 */

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const SHAPE = "one `images:` entry `- name: app` with `newName:` and either `newTag:` or `digest:`";

/**
 * Points the `app` image of a kustomization at `newName@digest`: the `newTag:`/`digest:` line becomes
 * `digest: <digest>` and `newName:` becomes `newName`. Edits the shared-contract shape only (exactly
 * one `images:` entry, named `app`) and keeps every other line, comments included, byte for byte.
 * @param {string} text
 * @param {{ newName: string, digest: string, file?: string }} target
 * @returns {string}
 */
function bumpImage(text, { newName, digest, file = "kustomization.yaml" }) {
  if (!DIGEST.test(digest)) throw new Error(`bumpImage.digest must be sha256:<64 hex>, got ${JSON.stringify(digest)}`);
  if (!newName || /[\s@:]$/.test(newName) || /\s/.test(newName))
    throw new Error(`bumpImage.newName must be an image name without tag or digest, got ${JSON.stringify(newName)}`);
  const refuse = (/** @type {string} */ why) => new Error(`${file}: cannot bump the image: ${why}; expected ${SHAPE}`);
  const lines = text.split("\n");
  const starts = lines.flatMap((l, i) => (/^images:\s*(#.*)?$/.test(l) ? [i] : []));
  if (starts.length !== 1) throw refuse(starts.length ? "more than one top-level `images:` key" : "no top-level `images:` key");
  const start = starts[0];
  let end = start + 1;
  // The block: every following line that is indented, a list item, blank or a comment.
  while (end < lines.length && (/^(\s+|-)/.test(lines[end]) || /^\s*(#.*)?$/.test(lines[end]))) end++;
  while (end > start + 1 && /^\s*(#.*)?$/.test(lines[end - 1])) end--;
  const block = lines.slice(start + 1, end);
  const items = block.filter((l) => /^\s*- /.test(l));
  if (items.length !== 1) throw refuse(`${items.length} entries under \`images:\``);
  /** @type {Record<string, number>} */
  const keys = {};
  for (let i = 0; i < block.length; i++) {
    const l = block[i];
    if (/^\s*(#.*)?$/.test(l)) continue;
    const m = /^\s*(?:- )?\s*([A-Za-z]+):\s*(.*?)\s*(#.*)?$/.exec(l);
    if (!m) throw refuse(`unexpected line ${JSON.stringify(l)}`);
    if (m[1] in keys) throw refuse(`\`${m[1]}\` twice`);
    keys[m[1]] = start + 1 + i;
  }
  const value = (/** @type {string} */ k) => /^\s*(?:- )?\s*[A-Za-z]+:\s*(.*?)\s*(#.*)?$/.exec(lines[keys[k]])?.[1].replace(/^["']|["']$/g, "");
  if (keys.name === undefined || value("name") !== "app")
    throw refuse(`the entry is not named \`app\` (name: ${JSON.stringify(keys.name === undefined ? null : value("name"))})`);
  const extra = Object.keys(keys).filter((k) => !["name", "newName", "newTag", "digest"].includes(k));
  if (extra.length) throw refuse(`unexpected key ${extra.map((k) => `\`${k}\``).join(", ")}`);
  if (keys.newName === undefined) throw refuse("no `newName:`");
  const versions = ["newTag", "digest"].filter((k) => keys[k] !== undefined);
  if (versions.length !== 1) throw refuse(versions.length ? "both `newTag:` and `digest:`" : "neither `newTag:` nor `digest:`");
  const out = [...lines];
  const indentOf = (/** @type {number} */ i) => /^(\s*(?:- )?\s*)/.exec(lines[i])?.[1] ?? "";
  out[keys.newName] = `${indentOf(keys.newName)}newName: ${newName}`;
  out[keys[versions[0]]] = `${indentOf(keys[versions[0]])}digest: ${digest}`;
  return out.join("\n");
}

/**
 * The `app` image's `newName` and digest (or tag) in a kustomization of the shared-contract shape.
 * @param {string} text
 * @returns {{ newName?: string, digest?: string, newTag?: string }}
 */
function currentImage(text) {
  const block = /^images:\s*\n((?:[ \t-].*\n?|\s*\n)*)/m.exec(text)?.[1] ?? "";
  const get = (/** @type {string} */ k) => new RegExp(`^\\s*(?:- )?\\s*${k}:\\s*["']?([^"'\\s#]+)`, "m").exec(block)?.[1];
  return { newName: get("newName"), digest: get("digest"), newTag: get("newTag") };
}

/**
 * `sha256:` and the first 12 hex digits, as image tools shorten ids.
 * @param {string} digest
 */
function shortDigest(digest) {
  return digest.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]*$/, "$1");
}

/**
 * The commit (and pull request title) of a promotion: `deploy(<env>): <service>@<digest short> from <commit short> [skip ci]`.
 * @param {{ env: string, service: string, digest: string, commit: string }} p
 */
function deployMessage({ env, service, digest, commit }) {
  return `deploy(${env}): ${service}@${shortDigest(digest)} from ${commit.slice(0, 7)} [skip ci]`;
}

/** @param {unknown} e */
function isNotFound(e) {
  return /** @type {{ status?: number }} */ (e)?.status === 404 || /HTTP 404\b/.test(String(/** @type {Error} */ (e)?.message ?? e));
}

/**
 * @param {string} path
 */
function encodePath(path) {
  return path.split("/").map(encodeURIComponent).join("/");
}

/**
 * Writes `content` to `path` on `branch` by one commit (Gitea `PUT /contents`), from the file's `sha`.
 * With `newBranch`, the commit goes to a new branch made from `branch`. Resolves to the commit SHA.
 * @param {GitApi} api
 * @param {{ owner: string, repo: string, path: string, content: string, sha: string, message: string, branch: string, newBranch?: string }} w
 * @returns {Promise<string>}
 */
async function writeFile(api, { owner, repo, path, content, sha, message, branch, newBranch }) {
  const res = await api.request("PUT", `/repos/${owner}/${repo}/contents/${encodePath(path)}`, {
    content: Buffer.from(content, "utf8").toString("base64"),
    sha,
    message,
    branch,
    ...(newBranch ? { new_branch: newBranch } : {}),
  });
  const revision = res?.commit?.sha;
  if (typeof revision !== "string") throw new Error(`PUT ${path}: Gitea's answer has no commit.sha`);
  return revision;
}

/**
 * A file's text and blob sha on `ref` (Gitea `GET /contents`, base64).
 * @param {GitApi} api
 * @param {{ owner: string, repo: string, path: string, ref?: string }} f
 * @returns {Promise<{ text: string, sha: string, lastCommit?: string }>}
 */
async function readFile(api, { owner, repo, path, ref }) {
  const file = await api.request("GET", `/repos/${owner}/${repo}/contents/${encodePath(path)}${ref ? `?ref=${encodeURIComponent(ref)}` : ""}`);
  if (!file || file.type !== "file" || typeof file.content !== "string") throw new Error(`${owner}/${repo}: ${path} is not a file`);
  return { text: Buffer.from(file.content, "base64").toString("utf8"), sha: file.sha, lastCommit: file.last_commit_sha };
}

/**
 * The head commit SHA of a branch.
 * @param {GitApi} api
 * @param {string} owner
 * @param {string} repo
 * @param {string} branch
 * @returns {Promise<string>}
 */
async function branchHead(api, owner, repo, branch) {
  const b = await api.request("GET", `/repos/${owner}/${repo}/branches/${encodeURIComponent(branch)}`);
  return b.commit.id;
}

/** In a promotion pull request's body: its deployment is recorded by the pipeline, not by its merge. */
const RECORDED_MARK = "(fawkes:recorded)";

/**
 * Promotes `newName@digest` (built from app commit `commit`) to `env`: reads
 * `deploy/<env>/kustomization.yaml` on main, bumps it, and writes it back as the API's user
 * (`fawkes-ci`) with the `[skip ci]` message, either straight to main (`mode: "commit"`) or on branch
 * `promote/<env>-<commit short>` with a pull request (`mode: "pull-request"`; `merge: true` merges it).
 * Nothing is written when the file already deploys that digest. `revision` is the commit that
 * deploys it on main (for an unmerged pull request, the branch's commit). `recorded: true` (the
 * pipeline, which merges and then records the deployment itself) marks the pull request with
 * `RECORDED_MARK`, so the DORA relay does not count its merge a second time.
 * @param {GitApi} api
 * @param {{ owner: string, repo: string, env: string, newName: string, digest: string, commit: string, service: string, mode: "commit" | "pull-request", merge?: boolean, recorded?: boolean, branch?: string }} p
 * @returns {Promise<{ revision: string, unchanged?: boolean, pullRequest?: { number: number, url: string, merged: boolean } }>}
 */
async function promote(api, p) {
  const { owner, repo, env, newName, digest, commit, service, mode, merge = false, recorded = false, branch = "main" } = p;
  if (!/^[0-9a-f]{7,40}$/.test(commit)) throw new Error(`promote.commit must be a commit SHA, got ${JSON.stringify(commit)}`);
  if (mode !== "commit" && mode !== "pull-request") throw new Error(`promote.mode must be "commit" or "pull-request", got ${JSON.stringify(mode)}`);
  const path = `deploy/${env}/kustomization.yaml`;
  const file = await readFile(api, { owner, repo, path, ref: branch });
  const next = bumpImage(file.text, { newName, digest, file: `${owner}/${repo}/${path}` });
  if (next === file.text) return { revision: file.lastCommit ?? (await branchHead(api, owner, repo, branch)), unchanged: true };
  const message = deployMessage({ env, service, digest, commit });
  if (mode === "commit") return { revision: await writeFile(api, { owner, repo, path, content: next, sha: file.sha, message, branch }) };

  return proposeFile(api, {
    owner,
    repo,
    path,
    content: next,
    sha: file.sha,
    message,
    branch,
    head: `promote/${env}-${commit.slice(0, 7)}`,
    body:
      `Promotes ${service} to ${env}: \`${newName}@${digest}\`, built from ${commit}.\n\nMerging deploys it (Argo CD syncs \`deploy/${env}/\`).` +
      (merge && recorded ? `\n\nThe pipeline merges it and records the deployment ${RECORDED_MARK}.` : ""),
    merge,
  });
}

/**
 * Proposes `content` for `path` by a pull request from branch `head` into `branch` (title: the commit
 * message); `merge: true` merges it at once. Idempotent: a rerun reuses the branch and its open pull
 * request. `revision` is the merge commit, or the branch's commit while unmerged.
 * @param {GitApi} api
 * @param {{ owner: string, repo: string, path: string, content: string, sha: string, message: string, branch: string, head: string, body: string, merge?: boolean }} p
 * @returns {Promise<{ revision: string, pullRequest: { number: number, url: string, merged: boolean } }>}
 */
async function proposeFile(api, { owner, repo, path, content, sha, message, branch, head, body, merge = false }) {
  let exists = true;
  try {
    await api.request("GET", `/repos/${owner}/${repo}/branches/${encodeURIComponent(head)}`);
  } catch (e) {
    if (!isNotFound(e)) throw e;
    exists = false;
  }
  let revision;
  if (exists) {
    const onBranch = await readFile(api, { owner, repo, path, ref: head });
    revision =
      onBranch.text === content
        ? (onBranch.lastCommit ?? (await branchHead(api, owner, repo, head)))
        : await writeFile(api, { owner, repo, path, content, sha: onBranch.sha, message, branch: head });
  } else {
    revision = await writeFile(api, { owner, repo, path, content, sha, message, branch, newBranch: head });
  }
  const open = /** @type {any[]} */ (await api.request("GET", `/repos/${owner}/${repo}/pulls?state=open&limit=50`));
  let pr = (open ?? []).find((x) => x?.head?.ref === head);
  if (!pr) pr = await api.request("POST", `/repos/${owner}/${repo}/pulls`, { head, base: branch, title: message, body });
  const pullRequest = { number: Number(pr.number), url: String(pr.html_url ?? pr.url ?? ""), merged: false };
  if (!merge) return { revision, pullRequest };
  await api.request("POST", `/repos/${owner}/${repo}/pulls/${pullRequest.number}/merge`, {
    Do: "merge",
    merge_message_field: message,
    delete_branch_after_merge: true,
  });
  const merged = await api.request("GET", `/repos/${owner}/${repo}/pulls/${pullRequest.number}`);
  return { revision: merged?.merge_commit_sha ?? (await branchHead(api, owner, repo, branch)), pullRequest: { ...pullRequest, merged: true } };
}

module.exports = {
  RECORDED_MARK,
  bumpImage,
  currentImage,
  shortDigest,
  deployMessage,
  promote,
  proposeFile,
  readFile,
  writeFile,
  branchHead,
  isNotFound,
};
