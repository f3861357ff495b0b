import type { Values } from "../../helm";

/**
 * Dynamic plugins of Red Hat Developer Hub 1.10, as `global.dynamic.plugins` entries. Two kinds:
 * - bundled in the image (`./dynamic-plugins/dist/...`): pinned by the image tag;
 * - OCI artifacts of redhat-developer/rhdh-plugin-export-overlays, pinned by digest. The digests are
 *   the ones its `catalog-index-release-1.10` branch (50fdf4f, 2026-08-21) recorded for the tags in
 *   the comments (`bs_<Backstage version>__<plugin version>`, built for Backstage 1.49.4 = RHDH 1.10).
 * An entry the image's dynamic-plugins.default.yaml also lists overrides it key by key: an entry
 * without `pluginConfig` keeps the default wiring (Kubernetes and TechDocs frontends).
 */
const OVERLAYS = "oci://ghcr.io/redhat-developer/rhdh-plugin-export-overlays";
const oci = (name: string, digest: string) => `${OVERLAYS}/${name}@sha256:${digest}!${name}`;

/** Red Hat's telemetry (usage analytics to Segment), on in the image's defaults: Fawkes switches it off. */
export const TELEMETRY_PACKAGE = "./dynamic-plugins/dist/backstage-community-plugin-analytics-provider-segment";

/**
 * The scaffolder's `publish:gitea` action. RHDH 1.10 bundles no Gitea module (its image has the
 * GitHub, GitLab and Azure ones); the overlays repository exports it (workspaces/backstage,
 * plugins-list.yaml) but its catalog index lists no default for it, so no digest could be read
 * here: this is the overlays' tag scheme for Backstage 1.49.4 and the module's 0.2.19 (the version
 * of Backstage 1.49). Verify and pin it (`skopeo inspect docker://ghcr.io/…:<tag>`, then
 * `@sha256:<digest>`), or set BackstageProps.giteaScaffolderPackage to your own export.
 */
export const GITEA_SCAFFOLDER_PACKAGE = `${OVERLAYS}/backstage-plugin-scaffolder-backend-module-gitea:bs_1.49.4__0.2.19!backstage-plugin-scaffolder-backend-module-gitea`;

/** The scaffolder's `publish:github` action: bundled in the image, off in its defaults. */
export const GITHUB_SCAFFOLDER_PACKAGE = "./dynamic-plugins/dist/backstage-plugin-scaffolder-backend-module-github-dynamic";

export const PLUGIN_PACKAGES = {
  keycloak: "./dynamic-plugins/dist/backstage-community-plugin-catalog-backend-module-keycloak-dynamic",
  kubernetes: "./dynamic-plugins/dist/backstage-plugin-kubernetes",
  kubernetesBackend: "./dynamic-plugins/dist/backstage-plugin-kubernetes-backend-dynamic",
  techdocs: "./dynamic-plugins/dist/backstage-plugin-techdocs",
  techdocsBackend: "./dynamic-plugins/dist/backstage-plugin-techdocs-backend-dynamic",
  // bs_1.49.4__2.8.0 and bs_1.49.4__1.4.0 (the Red Hat Argo CD plugin and its backend)
  argocd: oci("backstage-community-plugin-argocd", "a359632458c901e6b22019b161c45ec3d45398f74ad0c4dccfdf46974b9152a7"),
  argocdBackend: oci("backstage-community-plugin-argocd-backend", "c6941b3308c8b8d1e12e1ba5e98181d28d5658ec846d0d3a574e978603fba6c5"),
  // bs_1.49.4__0.30.0 and bs_1.49.4__0.27.0
  jenkins: oci("backstage-community-plugin-jenkins", "ed1c26d284595babb3689bb83efecd3b252172f5c38f66210691f7987bae286d"),
  jenkinsBackend: oci("backstage-community-plugin-jenkins-backend", "2a984e93b88becd0d91f031a66af5e0a7a58f782c2c4c94aa61e122ec948a458"),
  // bs_1.49.4__1.1.0 and bs_1.49.4__1.1.1
  sonarqube: oci("backstage-community-plugin-sonarqube", "36cb47920422c64a472e23f0484f76c68f04c4f20e913f55fbf45e555bdebfd3"),
  sonarqubeBackend: oci("backstage-community-plugin-sonarqube-backend", "a675e2df6bda1da0d8789e32a49f33d67cb3455baf586cb7a31608cea20a1faa"),
} as const;

export interface DynamicPlugin {
  readonly package: string;
  readonly disabled: boolean;
  readonly pluginConfig?: Values;
}

const plugin = (pkg: string, pluginConfig?: Values): DynamicPlugin => ({ package: pkg, disabled: false, ...(pluginConfig ? { pluginConfig } : {}) });

/** A frontend plugin's wiring: its cards on the entity pages (from the packages' default configuration). */
const mount = (scope: string, mountPoint: string, importName: string, condition: string, layout: Values = { gridColumn: "1 / -1" }) => ({
  dynamicPlugins: { frontend: { [scope]: { mountPoints: [{ mountPoint, importName, config: { layout, if: { allOf: [condition] } } }] } } },
});

/** What the portal's plugins are told about the platform; a tool that is absent gets no plugin. */
export interface PluginSettings {
  /** The Keycloak org provider's settings, when the identity service is there. */
  readonly keycloak?: { readonly baseUrl: string; readonly realm: string; readonly clientId: string };
  /** Argo CD's URL, when it is enabled. */
  readonly argocdUrl?: string;
  /** Jenkins' URL, when it is enabled. */
  readonly jenkinsUrl?: string;
  /** SonarQube's in-cluster API and public URL, when code analysis is installed before Backstage. */
  readonly sonarqube?: { readonly url: string; readonly externalUrl?: string };
  /** The scaffolder's publish action for the git service, when there is one. */
  readonly scaffolder?: { readonly provider: "gitea" | "github"; readonly giteaPackage?: string };
}

/** Resource kinds the Kubernetes plugin reads: what the read-only ClusterRole grants, nothing else (no Secrets, no ConfigMaps). */
const KUBERNETES_OBJECT_TYPES = [
  "pods",
  "services",
  "deployments",
  "replicasets",
  "statefulsets",
  "daemonsets",
  "horizontalpodautoscalers",
  "jobs",
  "cronjobs",
  "ingresses",
  "limitranges",
  "resourcequotas",
];

export function dynamicPlugins(s: PluginSettings): DynamicPlugin[] {
  const plugins: DynamicPlugin[] = [
    { package: TELEMETRY_PACKAGE, disabled: true },
    // The cluster Backstage runs in, read with its own service account (token and CA mounted in the pod).
    plugin(PLUGIN_PACKAGES.kubernetes),
    plugin(PLUGIN_PACKAGES.kubernetesBackend, {
      kubernetes: {
        serviceLocatorMethod: { type: "multiTenant" },
        objectTypes: KUBERNETES_OBJECT_TYPES,
        clusterLocatorMethods: [
          {
            type: "config",
            clusters: [
              {
                name: "platform",
                url: "https://kubernetes.default.svc",
                authProvider: "serviceAccount",
                skipTLSVerify: false,
                caFile: "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
              },
            ],
          },
        ],
      },
    }),
    // Docs built in the pod (mkdocs ships in the image) into /tmp, the chart's writable emptyDir.
    plugin(PLUGIN_PACKAGES.techdocs),
    plugin(PLUGIN_PACKAGES.techdocsBackend, {
      techdocs: { builder: "local", generator: { runIn: "local" }, publisher: { type: "local", local: { publishDirectory: "/tmp/techdocs" } } },
    }),
  ];
  if (s.scaffolder) {
    // The templates' publish step (publish:gitea or publish:github); credentials from the integration.
    plugins.push(plugin(s.scaffolder.provider === "gitea" ? (s.scaffolder.giteaPackage ?? GITEA_SCAFFOLDER_PACKAGE) : GITHUB_SCAFFOLDER_PACKAGE));
  }
  if (s.keycloak) {
    plugins.push(
      plugin(PLUGIN_PACKAGES.keycloak, {
        catalog: {
          providers: {
            keycloakOrg: {
              default: {
                baseUrl: s.keycloak.baseUrl,
                loginRealm: s.keycloak.realm,
                realm: s.keycloak.realm,
                clientId: s.keycloak.clientId,
                clientSecret: "${OIDC_CLIENT_SECRET}",
                schedule: { frequency: { minutes: 30 }, timeout: { minutes: 5 }, initialDelay: { seconds: 15 } },
              },
            },
          },
        },
      }),
    );
  }
  if (s.argocdUrl) {
    plugins.push(
      plugin(PLUGIN_PACKAGES.argocd, {
        ...mount("backstage-community.plugin-argocd", "entity.page.cd/cards", "ArgocdDeploymentLifecycle", "isArgocdConfigured"),
      }),
      plugin(PLUGIN_PACKAGES.argocdBackend, {
        // The portal's own read-only account (Argo CD creates it from PortalService); a token an
        // operator puts in backstage-integrations takes precedence.
        argocd: {
          appLocatorMethods: [
            {
              type: "config",
              instances: [
                { name: "platform", url: s.argocdUrl, token: "${ARGOCD_AUTH_TOKEN}", username: "${ARGOCD_USERNAME}", password: "${ARGOCD_PASSWORD}" },
              ],
            },
          ],
        },
      }),
    );
  }
  if (s.jenkinsUrl) {
    plugins.push(
      plugin(PLUGIN_PACKAGES.jenkins, mount("backstage-community.plugin-jenkins", "entity.page.ci/cards", "EntityJenkinsContent", "isJenkinsAvailable")),
      plugin(PLUGIN_PACKAGES.jenkinsBackend, {
        jenkins: { instances: [{ name: "default", baseUrl: s.jenkinsUrl, username: "${JENKINS_USERNAME}", apiKey: "${JENKINS_API_TOKEN}" }] },
      }),
    );
  }
  if (s.sonarqube) {
    plugins.push(
      plugin(
        PLUGIN_PACKAGES.sonarqube,
        mount("backstage-community.plugin-sonarqube", "entity.page.overview/cards", "EntitySonarQubeCard", "isSonarQubeAvailable", {
          gridColumnEnd: { lg: "span 4", md: "span 6", xs: "span 12" },
        }),
      ),
      plugin(PLUGIN_PACKAGES.sonarqubeBackend, {
        sonarqube: { baseUrl: s.sonarqube.url, externalBaseUrl: s.sonarqube.externalUrl, apiKey: "${SONARQUBE_TOKEN}" },
      }),
    );
  }
  return plugins;
}
