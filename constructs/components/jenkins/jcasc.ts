import { stringify } from "yaml";
import type { Values } from "../../helm";

/**
 * Configuration as Code documents, one per concern, as the chart's `controller.JCasC.configScripts`
 * takes them (YAML text; the chart passes each through `tpl`, so no `{{` here). `${name}` is JCasC's
 * own variable syntax, resolved at Jenkins start from the files the chart mounts under
 * /run/secrets/additional (`<secret>-<key>`).
 */

/** Id of the credential holding the SonarQube token, and name of the SonarQube server in Jenkins. */
export const SONARQUBE_CREDENTIAL_ID = "sonarqube-token";
export const SONARQUBE_SERVER_NAME = "sonarqube";

export function casc(doc: Values): string {
  return stringify(doc, { lineWidth: 0 });
}

/** Platform defaults: a banner, and old builds discarded so the home volume cannot fill up. */
export function platformCasc(numToKeep: number): Values {
  return {
    jenkins: {
      systemMessage:
        "Fawkes CI: builds run in Kubernetes agent pods on the workloads pool. Images are built with the `kaniko` agent (no Docker daemon, no privileged pods).",
    },
    unclassified: {
      buildDiscarders: {
        configuredBuildDiscarders: ["jobBuildDiscarder", { simpleBuildDiscarder: { discarder: { logRotator: { numToKeepStr: String(numToKeep) } } } }],
      },
    },
  };
}

/**
 * SonarQube wired in: its in-cluster URL as the server `sonarqube` (`withSonarQubeEnv('sonarqube')`
 * in a pipeline), with the analysis token credential (see `sonarqubeCredential`).
 */
export function sonarqubeCasc(url: string): Values {
  return {
    unclassified: {
      sonarglobalconfiguration: {
        buildWrapperEnabled: true,
        installations: [{ name: SONARQUBE_SERVER_NAME, serverUrl: url, credentialsId: SONARQUBE_CREDENTIAL_ID }],
      },
    },
  };
}

/** The analysis token as a secret-text credential, read from the mounted secret. */
export function sonarqubeCredential(tokenVariable: string): Values {
  return {
    string: {
      scope: "GLOBAL",
      id: SONARQUBE_CREDENTIAL_ID,
      description: "SonarQube analysis token (minted by Fawkes)",
      secret: `\${${tokenVariable}}`,
    },
  };
}

/**
 * Every credential in one document: JCasC merges documents, but one list in one place leaves
 * nothing to how it merges sequences.
 */
export function credentialsCasc(credentials: Values[]): Values {
  return { credentials: { system: { domainCredentials: [{ credentials }] } } };
}

/** Jenkins global environment variables (every build sees them), sorted by name. */
export function globalEnvCasc(env: Record<string, string>): Values {
  const entries = Object.entries(env).sort(([a], [b]) => a.localeCompare(b));
  return { jenkins: { globalNodeProperties: [{ envVars: { env: entries.map(([key, value]) => ({ key, value })) } }] } };
}

/** What Jenkins needs of the identity service's client to sign people in. */
export interface JenkinsSso {
  readonly issuer: string;
  readonly clientId: string;
  /** JCasC variable of the mounted client secret (`<secret>-<key>`). */
  readonly secretVariable: string;
  readonly groupsClaim: string;
  readonly url: string;
  /** Keep the generated admin as oic-auth's escape hatch (a platform admin). */
  readonly breakGlass: boolean;
}

/**
 * The chart's `controller.JCasC.securityRealm`: OpenID Connect (oic-auth) against the issuer's
 * discovery document, PKCE, groups from the claim. The escape hatch (the generated admin, at
 * /login with "escape hatch") only when asked for.
 */
export function oicSecurityRealm(sso: JenkinsSso): Values {
  return {
    oic: {
      clientId: sso.clientId,
      clientSecret: `\${${sso.secretVariable}}`,
      serverConfiguration: {
        wellKnown: { wellKnownOpenIDConfigurationUrl: `${sso.issuer}/.well-known/openid-configuration`, scopesOverride: "openid profile email groups" },
      },
      userNameField: "preferred_username",
      fullNameFieldName: "name",
      emailFieldName: "email",
      groupsFieldName: sso.groupsClaim,
      pkceEnabled: true,
      logoutFromOpenidProvider: true,
      postLogoutRedirectUrl: `${sso.url}/`,
      escapeHatchEnabled: sso.breakGlass,
      ...(sso.breakGlass
        ? { escapeHatchUsername: "${chart-admin-username}", escapeHatchSecret: "${chart-admin-password}", escapeHatchGroup: "platform-admins" }
        : {}),
    },
  };
}

/** Permissions of developers: see and run jobs, nothing on the controller's configuration. */
const DEVELOPER_PERMISSIONS = ["Overall/Read", "Job/Read", "Job/Build", "Job/Cancel", "Job/Workspace", "View/Read"];

/**
 * The chart's `controller.JCasC.authorizationStrategy` with SSO: matrix-auth, platform admins
 * administer, developers build; anyone else, anonymous included, has no permission at all.
 */
export function groupMatrix(): Values {
  return {
    globalMatrix: {
      entries: [
        { group: { name: "platform-admins", permissions: ["Overall/Administer"] } },
        { group: { name: "developers", permissions: DEVELOPER_PERMISSIONS } },
      ],
    },
  };
}
