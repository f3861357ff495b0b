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
 * in a pipeline) and the analysis token as a secret-text credential, read from the mounted secret.
 */
export function sonarqubeCasc(url: string, tokenVariable: string): Values {
  return {
    credentials: {
      system: {
        domainCredentials: [
          {
            credentials: [
              {
                string: {
                  scope: "GLOBAL",
                  id: SONARQUBE_CREDENTIAL_ID,
                  description: "SonarQube analysis token (minted by Fawkes)",
                  secret: `\${${tokenVariable}}`,
                },
              },
            ],
          },
        ],
      },
    },
    unclassified: {
      sonarglobalconfiguration: {
        buildWrapperEnabled: true,
        installations: [{ name: SONARQUBE_SERVER_NAME, serverUrl: url, credentialsId: SONARQUBE_CREDENTIAL_ID }],
      },
    },
  };
}
