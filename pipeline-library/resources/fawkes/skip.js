// @ts-check
"use strict";
/**
 * Whether a build should not run: the pipeline's own digest bumps say `[skip ci]` and touch only
 * `deploy/**`, and building them would loop (bump → build → bump). Decided from the head commit.
 */

/** The robot the pipeline commits as (shared contracts). */
const CI_USER = "fawkes-ci";
const MARKERS = ["[skip ci]", "[ci skip]"];

/**
 * @param {{ message: string, author?: string, changedFiles: string[] }} head
 * @returns {{ skip: boolean, reason: string }}
 */
function skipDecision(head) {
  const message = head.message ?? "";
  const files = (head.changedFiles ?? []).map((f) => f.trim()).filter(Boolean);
  const by = head.author ? ` (by ${head.author}${head.author === CI_USER ? ", the pipeline's robot" : ""})` : "";
  const marker = MARKERS.find((m) => message.toLowerCase().includes(m));
  if (marker) return { skip: true, reason: `head commit says ${marker}${by}` };
  if (files.length > 0 && files.every((f) => f.startsWith("deploy/"))) {
    return { skip: true, reason: `head commit changes only deploy/** (${files.length} file${files.length === 1 ? "" : "s"})${by}` };
  }
  return { skip: false, reason: files.length === 0 ? "no changed files known: building" : `${files.length} changed file(s) outside deploy/: building` };
}

module.exports = { skipDecision, CI_USER };
