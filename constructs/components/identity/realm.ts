/**
 * The realm `fawkes` as data: a Keycloak RealmRepresentation, as keycloak-config-cli imports it.
 * Pure functions, no constructs: the component feeds them its config and the registered clients,
 * and tests read the very document the Job applies. Secrets never appear in it: each one is a
 * `$(env:NAME)` placeholder that keycloak-config-cli substitutes from the Job's environment.
 */

/** The realm every platform UI signs in to. */
export const REALM = "fawkes";

/** The platform's own groups, the same names in every UI's role mapping. */
export const PLATFORM_GROUPS = ["platform-admins", "developers", "learners"] as const;

/** The claim (OIDC) and attribute (SAML) that carry a user's group names. */
export const GROUPS_CLAIM = "groups";

/** Name of the generated platform administrator in `platform-admins`. */
export const PLATFORM_ADMIN_USERNAME = "fawkes-admin";

/** Built-in client scopes of a Keycloak 26 realm, plus `groups`: the scopes a client may ask for. */
export const KNOWN_SCOPES = [
  "openid",
  "profile",
  "email",
  "roles",
  "web-origins",
  "acr",
  "basic",
  "offline_access",
  "address",
  "phone",
  "microprofile-jwt",
  "organization",
  GROUPS_CLAIM,
];

/** Environment variables the realm Job sets (from Kubernetes secrets), substituted into the document. */
export const ENV = {
  platformAdminPassword: "FAWKES_PLATFORM_ADMIN_PASSWORD",
  brokerClientSecret: "FAWKES_BROKER_CLIENT_SECRET",
  /** One per client: `FAWKES_CLIENT_SECRET_ARGOCD` for component `argocd`. */
  clientSecret: (component: string) => `FAWKES_CLIENT_SECRET_${component.toUpperCase().replace(/-/g, "_")}`,
};

export interface Team {
  readonly name: string;
  /** Usernames put in the team's group (created without a password when they do not exist). */
  readonly members: readonly string[];
}

export type Broker =
  | {
      readonly type: "oidc";
      readonly issuer: string;
      readonly clientId: string;
      readonly groupsClaim: string;
      readonly authorizationUrl?: string;
      readonly tokenUrl?: string;
      readonly jwksUrl?: string;
      readonly groupMappings: Record<string, string>;
    }
  | {
      readonly type: "saml";
      readonly metadataUrl: string;
      readonly groupsAttribute: string;
      readonly groupMappings: Record<string, string>;
    };

/** A client as the realm declares it: what `registerClient` was asked, with its public origins. */
export interface RealmClient {
  readonly component: string;
  readonly protocol: "oidc" | "saml";
  readonly redirectUris: readonly string[];
  readonly scopes: readonly string[];
  readonly pkce: boolean;
  /** A service account that may read users and groups (realm-management roles). */
  readonly readDirectory: boolean;
}

/** What a directory-reading client's service account may do: read users and groups, nothing else. */
const DIRECTORY_ROLES = ["view-users", "query-users", "query-groups"];

export interface RealmInput {
  readonly domain: string;
  readonly teams: readonly Team[];
  readonly clients: readonly RealmClient[];
  readonly broker?: Broker;
}

/** How long things last, in seconds. */
const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Audit trail: sign-in and admin events are kept 90 days (then Keycloak expires them). */
const EVENTS_EXPIRATION_SECONDS = 90 * DAY;
/** A browser session ends after 30 minutes without use, and after 10 hours whatever happens. */
const SESSION_IDLE_SECONDS = 30 * MINUTE;
const SESSION_MAX_SECONDS = 10 * HOUR;

/** Alias of the corporate identity provider in the realm (and in its redirect URI). */
const BROKER_ALIAS = "corporate";

/** `https://host` of a URL. */
function originOf(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}`;
}

export function realmDocument(input: RealmInput): Record<string, unknown> {
  const groups = [...PLATFORM_GROUPS.map((name) => ({ name })), ...input.teams.map((t) => ({ name: t.name, attributes: { "fawkes.dev/team": ["true"] } }))];
  return {
    realm: REALM,
    enabled: true,
    displayName: "Fawkes",
    // TLS is terminated at the ingress; only cluster-internal callers speak plain HTTP.
    sslRequired: "external",
    registrationAllowed: false,
    // Needs an SMTP server, which the platform does not configure: admins reset passwords.
    resetPasswordAllowed: false,
    rememberMe: false,
    loginWithEmailAllowed: true,
    duplicateEmailsAllowed: false,
    editUsernameAllowed: false,
    // Brute-force protection: 5 failures lock an account for 1 minute, growing to at most 15.
    bruteForceProtected: true,
    permanentLockout: false,
    failureFactor: 5,
    waitIncrementSeconds: MINUTE,
    maxFailureWaitSeconds: 15 * MINUTE,
    minimumQuickLoginWaitSeconds: MINUTE,
    quickLoginCheckMilliSeconds: 1000,
    maxDeltaTimeSeconds: 12 * HOUR,
    // Sessions and tokens.
    ssoSessionIdleTimeout: SESSION_IDLE_SECONDS,
    ssoSessionMaxLifespan: SESSION_MAX_SECONDS,
    offlineSessionIdleTimeout: 7 * DAY,
    offlineSessionMaxLifespanEnabled: true,
    offlineSessionMaxLifespan: 30 * DAY,
    accessTokenLifespan: 5 * MINUTE,
    accessCodeLifespan: MINUTE,
    passwordPolicy: "length(12) and notUsername and notEmail and passwordHistory(5) and maxLength(128)",
    // Audit: who signed in where, and who changed what, kept for 90 days.
    eventsEnabled: true,
    eventsExpiration: EVENTS_EXPIRATION_SECONDS,
    eventsListeners: ["jboss-logging"],
    adminEventsEnabled: true,
    adminEventsDetailsEnabled: true,
    attributes: { adminEventsExpiration: String(EVENTS_EXPIRATION_SECONDS) },
    groups,
    clientScopes: [groupsScope()],
    // New clients (including ones an operator adds by hand) get the groups claim too.
    defaultDefaultClientScopes: ["basic", "profile", "email", "roles", "web-origins", "acr", GROUPS_CLAIM],
    users: [...users(input.teams), ...serviceAccounts(input.clients)],
    clients: input.clients.map((c) => (c.protocol === "saml" ? samlClient(c) : oidcClient(c))),
    ...(input.broker ? brokerParts(input.broker) : {}),
  };
}

/** The `groups` client scope: group names (no leading "/", no parents) in ID, access and userinfo tokens. */
function groupsScope(): Record<string, unknown> {
  return {
    name: GROUPS_CLAIM,
    description: "Platform groups of the user (platform-admins, developers, learners, teams)",
    protocol: "openid-connect",
    attributes: { "include.in.token.scope": "true", "display.on.consent.screen": "false" },
    protocolMappers: [
      {
        name: GROUPS_CLAIM,
        protocol: "openid-connect",
        protocolMapper: "oidc-group-membership-mapper",
        consentRequired: false,
        config: {
          "claim.name": GROUPS_CLAIM,
          "full.path": "false",
          "id.token.claim": "true",
          "access.token.claim": "true",
          "userinfo.token.claim": "true",
          "introspection.token.claim": "true",
        },
      },
    ],
  };
}

/** keycloak-config-cli's form for a client's service-account user and its roles. */
function serviceAccounts(clients: readonly RealmClient[]): Record<string, unknown>[] {
  return clients
    .filter((c) => c.readDirectory)
    .map((c) => ({
      username: `service-account-${c.component}`,
      enabled: true,
      serviceAccountClientId: c.component,
      clientRoles: { "realm-management": DIRECTORY_ROLES },
    }));
}

/**
 * The generated administrator (its first password is temporary, and keycloak-config-cli sets it
 * only when it creates the user: `userLabel: initial`), and the teams' members.
 */
function users(teams: readonly Team[]): Record<string, unknown>[] {
  const admin = {
    username: PLATFORM_ADMIN_USERNAME,
    enabled: true,
    groups: ["platform-admins"],
    credentials: [{ type: "password", userLabel: "initial", value: `$(env:${ENV.platformAdminPassword})`, temporary: true }],
  };
  const members = new Map<string, string[]>();
  for (const t of teams) for (const m of t.members) members.set(m, [...(members.get(m) ?? []), t.name]);
  return [admin, ...[...members.entries()].map(([username, gs]) => ({ username, enabled: true, groups: gs }))];
}

function oidcClient(c: RealmClient): Record<string, unknown> {
  const origins = [...new Set(c.redirectUris.map(originOf))];
  return {
    clientId: c.component,
    name: c.component,
    description: `Fawkes ${c.component}: sign-in through the platform identity`,
    enabled: true,
    protocol: "openid-connect",
    publicClient: false,
    clientAuthenticatorType: "client-secret",
    secret: `$(env:${ENV.clientSecret(c.component)})`,
    standardFlowEnabled: true,
    implicitFlowEnabled: false,
    directAccessGrantsEnabled: false,
    serviceAccountsEnabled: c.readDirectory,
    frontchannelLogout: true,
    rootUrl: origins[0],
    baseUrl: origins[0],
    redirectUris: [...c.redirectUris],
    webOrigins: origins,
    attributes: {
      "post.logout.redirect.uris": origins.map((o) => `${o}/`).join("##"),
      ...(c.pkce ? { "pkce.code.challenge.method": "S256" } : {}),
    },
    defaultClientScopes: ["basic", "profile", "email", "roles", "web-origins", "acr", GROUPS_CLAIM],
    optionalClientScopes: ["offline_access", ...c.scopes.filter((s) => !["openid", "profile", "email", GROUPS_CLAIM].includes(s))],
  };
}

function samlClient(c: RealmClient): Record<string, unknown> {
  const origins = [...new Set(c.redirectUris.map(originOf))];
  const property = (name: string, attribute: string) => ({
    name,
    protocol: "saml",
    protocolMapper: "saml-user-property-mapper",
    config: { "user.attribute": name, "attribute.name": attribute, "attribute.nameformat": "Basic" },
  });
  return {
    // A SAML client's id is the service provider's entity id.
    clientId: c.component,
    name: c.component,
    description: `Fawkes ${c.component}: SAML sign-in through the platform identity`,
    enabled: true,
    protocol: "saml",
    frontchannelLogout: true,
    rootUrl: origins[0],
    redirectUris: [...c.redirectUris],
    attributes: {
      "saml.assertion.signature": "true",
      "saml.server.signature": "true",
      "saml.client.signature": "false",
      "saml.signature.algorithm": "RSA_SHA256",
      saml_force_name_id_format: "true",
      saml_name_id_format: "username",
      saml_assertion_consumer_url_post: c.redirectUris[0],
    },
    protocolMappers: [
      property("username", "login"),
      property("email", "email"),
      {
        name: "name",
        protocol: "saml",
        protocolMapper: "saml-user-property-mapper",
        config: { "user.attribute": "firstName", "attribute.name": "name", "attribute.nameformat": "Basic" },
      },
      {
        name: GROUPS_CLAIM,
        protocol: "saml",
        protocolMapper: "saml-group-membership-mapper",
        config: { "attribute.name": GROUPS_CLAIM, "full.path": "false", single: "true", "attribute.nameformat": "Basic" },
      },
    ],
  };
}

/** The corporate identity provider and its group mappers (one per corporate group). */
function brokerParts(b: Broker): Record<string, unknown> {
  const common = {
    alias: BROKER_ALIAS,
    displayName: "Corporate sign-in",
    enabled: true,
    trustEmail: true,
    storeToken: false,
    firstBrokerLoginFlowAlias: "first broker login",
  };
  const identityProvider =
    b.type === "oidc"
      ? {
          ...common,
          providerId: "oidc",
          config: {
            issuer: b.issuer,
            // Endpoints and keys come from the discovery document, re-read when keys rotate.
            metadataDescriptorUrl: `${b.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`,
            useMetadataDescriptorUrl: "true",
            // Explicit endpoints win over discovery, for providers whose discovery Keycloak cannot read.
            ...(b.authorizationUrl ? { authorizationUrl: b.authorizationUrl } : {}),
            ...(b.tokenUrl ? { tokenUrl: b.tokenUrl } : {}),
            ...(b.jwksUrl ? { jwksUrl: b.jwksUrl } : {}),
            useJwksUrl: "true",
            validateSignature: "true",
            clientId: b.clientId,
            clientSecret: `$(env:${ENV.brokerClientSecret})`,
            clientAuthMethod: "client_secret_post",
            pkceEnabled: "true",
            pkceMethod: "S256",
            defaultScope: `openid profile email ${b.groupsClaim}`,
            syncMode: "FORCE",
          },
        }
      : {
          ...common,
          providerId: "saml",
          config: {
            metadataDescriptorUrl: b.metadataUrl,
            useMetadataDescriptorUrl: "true",
            validateSignature: "true",
            wantAssertionsSigned: "true",
            postBindingResponse: "true",
            postBindingAuthnRequest: "true",
            nameIDPolicyFormat: "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
            principalType: "SUBJECT",
            syncMode: "FORCE",
          },
        };
  const claim = b.type === "oidc" ? b.groupsClaim : b.groupsAttribute;
  const identityProviderMappers = Object.entries(b.groupMappings).map(([corporate, platform]) => ({
    name: `group ${corporate} to ${platform}`,
    identityProviderAlias: BROKER_ALIAS,
    identityProviderMapper: b.type === "oidc" ? "oidc-advanced-group-idp-mapper" : "saml-advanced-group-idp-mapper",
    config: {
      syncMode: "FORCE",
      // A JSON list of key/value matches, as Keycloak's "advanced" mappers take it.
      [b.type === "oidc" ? "claims" : "attributes"]: JSON.stringify([{ key: claim, value: corporate }]),
      [b.type === "oidc" ? "are.claim.values.regex" : "are.attribute.values.regex"]: "false",
      group: `/${platform}`,
    },
  }));
  return { identityProviders: [identityProvider], identityProviderMappers };
}
