// @ts-check
"use strict";
/**
 * Who a learner is, when the platform has identity (Keycloak): an enabled user of the realm in group
 * `learners` (or `platform-admins`). scripts/dojo asks before an instructor claims for someone, and
 * records the user's id on the slot. The decision (`learnerDecision`) is pure; `lookupLearner` does
 * the three Admin REST API calls through an injected `http(url, options)` (tests use recorded answers).
 * Not shipped to the cluster: only scripts/dojo uses it, with the instructor's own access.
 */

/**
 * `send` from kube.js has this shape.
 * @typedef {(url: string, options?: { method?: string, headers?: Record<string, string>, body?: string }) => Promise<{ status: number, text: string }>} Http
 */
/** @typedef {{ id: string, username: string, email?: string, enabled?: boolean }} KeycloakUser */
/** @typedef {{ id?: string, name: string, path?: string }} KeycloakGroup */
/** @typedef {{ ok: true, id: string, email?: string } | { ok: false, reason: string }} Decision */

/** Groups whose members may hold a lab slot (the realm's names, issue 11). */
const LEARNER_GROUPS = ["learners", "platform-admins"];

/**
 * Keycloak's base URL and realm from an issuer such as https://sso.example.com/realms/fawkes.
 * @param {string} issuer
 * @returns {{ base: string, realm: string }}
 */
function parseIssuer(issuer) {
  const m = /^(https?:\/\/[^/]+(?:\/[^/]+)*?)\/realms\/([^/]+)\/?$/.exec(String(issuer));
  if (!m) throw new Error(`the issuer must look like https://sso.<domain>/realms/<realm>, got "${issuer}"`);
  return { base: m[1], realm: m[2] };
}

/**
 * Whether `learner` may claim: exactly that user name, enabled, in one of LEARNER_GROUPS.
 * @param {string} learner
 * @param {KeycloakUser[]} users the answer of GET /admin/realms/<realm>/users?username=<learner>&exact=true
 * @param {KeycloakGroup[]} groups the answer of GET /admin/realms/<realm>/users/<id>/groups (ignored without a user)
 * @param {string} [realm]
 * @returns {Decision}
 */
function learnerDecision(learner, users, groups, realm = "fawkes") {
  // exact=true already filters; the comparison guards older servers that match by prefix.
  const user = (users || []).find((u) => u && typeof u.username === "string" && u.username.toLowerCase() === learner.toLowerCase());
  if (!user) return { ok: false, reason: `${learner} is not a user of realm ${realm}: create them in Keycloak → Users and add them to the learners group` };
  if (user.enabled === false) return { ok: false, reason: `${learner} is disabled in Keycloak: enable them in Keycloak → Users → ${learner}` };
  const names = (groups || []).map((g) => g.name);
  if (!names.some((n) => LEARNER_GROUPS.includes(n)))
    return { ok: false, reason: `${learner} is not in the learners group: add them in Keycloak → Users → ${learner} → Groups` };
  return user.email ? { ok: true, id: user.id, email: user.email } : { ok: true, id: user.id };
}

/**
 * @param {string} what
 * @param {{ status: number, text: string }} res
 * @returns {any}
 */
function json(what, res) {
  if (res.status >= 400) {
    // Keycloak's error code only: the body of a token answer is never echoed.
    let code = "";
    try {
      code = JSON.parse(res.text).error || "";
    } catch {
      /* not JSON */
    }
    throw new Error(`Keycloak ${what}: HTTP ${res.status}${code ? ` ${code}` : ""}`);
  }
  return JSON.parse(res.text);
}

/**
 * Looks the learner up with the master realm's admin (password grant, client admin-cli) and decides.
 * The credentials travel only in the token request's body.
 * @param {Http} http
 * @param {{ issuer: string, username: string, password: string, learner: string }} options
 * @returns {Promise<Decision>}
 */
async function lookupLearner(http, { issuer, username, password, learner }) {
  const { base, realm } = parseIssuer(issuer);
  const form = new URLSearchParams({ grant_type: "password", client_id: "admin-cli", username, password }).toString();
  const token = json(
    "token",
    await http(`${base}/realms/master/protocol/openid-connect/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: form,
    }),
  ).access_token;
  const headers = { Authorization: `Bearer ${token}`, Accept: "application/json" };
  const admin = `${base}/admin/realms/${encodeURIComponent(realm)}`;
  /** @type {KeycloakUser[]} */
  const users = json("users", await http(`${admin}/users?username=${encodeURIComponent(learner)}&exact=true`, { headers }));
  const user = users.find((u) => u.username.toLowerCase() === learner.toLowerCase());
  /** @type {KeycloakGroup[]} */
  const groups = user ? json("groups", await http(`${admin}/users/${encodeURIComponent(user.id)}/groups`, { headers })) : [];
  return learnerDecision(learner, users, groups, realm);
}

module.exports = { LEARNER_GROUPS, parseIssuer, learnerDecision, lookupLearner };
