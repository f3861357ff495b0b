/**
 * The golden path's environments as Argo CD objects, one AppProject and one ApplicationSet per team
 * (pure builders; the component renders them through a fawkes-manifests release after Argo CD).
 */

/** The environments every service gets, in promotion order. */
export const ENVIRONMENTS = ["staging", "production"] as const;
/** A service's repository is deployed only once it has this file (the templates render it). */
const DEPLOY_MARKER = "deploy/staging/kustomization.yaml";
/** How often the ApplicationSet lists the team's repositories (new services show up within it). */
const SCM_REQUEUE_SECONDS = 60;

/**
 * What a team's Applications may create in their namespaces: the kinds the templates render and the
 * ones a service grows into. No Secret (credentials come from the secret store, never from Git), no
 * RBAC objects, no ServiceAccount tokens.
 */
export const TEAM_NAMESPACED_KINDS: readonly { group: string; kind: string }[] = [
  { group: "apps", kind: "Deployment" },
  { group: "", kind: "Service" },
  { group: "", kind: "ConfigMap" },
  { group: "networking.k8s.io", kind: "Ingress" },
  { group: "networking.k8s.io", kind: "NetworkPolicy" },
  { group: "policy", kind: "PodDisruptionBudget" },
  { group: "autoscaling", kind: "HorizontalPodAutoscaler" },
  { group: "monitoring.coreos.com", kind: "ServiceMonitor" },
  { group: "monitoring.coreos.com", kind: "PrometheusRule" },
];

/** Where a team's repositories are listed: the git service, as the SCM provider generator takes it. */
export type TeamScm =
  /** Gitea: one organisation per team, read with the robot token (`tokenRef`). */
  | { readonly provider: "gitea"; readonly api: string; readonly owner: string; readonly tokenSecret: { readonly name: string; readonly key: string } }
  /**
   * GitHub: the one organisation, read as the App whose repo-creds secret is `appSecretName`; a team's
   * repositories are those with the topic `team-<team>` (teamTopic), every team sharing the organisation.
   */
  | { readonly provider: "github"; readonly organization: string; readonly appSecretName: string };

export interface TeamEnvironmentsProps {
  readonly team: string;
  /** Every team (to keep another team's namespaces out of this one's globs). */
  readonly allTeams: readonly string[];
  /** Argo CD's namespace (where AppProjects and ApplicationSets live). */
  readonly namespace: string;
  /** The cluster's API as Applications name it. */
  readonly server: string;
  /** Repository URL patterns the team's Applications may deploy from (`<git url>/<owner>/*`). */
  readonly sourceRepos: string[];
  readonly scm: TeamScm;
}

/** The AppProject of a team (`team-<team>`). */
const teamProject = (team: string) => `team-${team}`;
/** GitHub only: the repository topic that says which team a service belongs to (the organisation is shared). */
export const teamTopic = (team: string) => `team-${team}`;

/** Namespace of a service's environment: `<team>-<service>-<env>`. */
const environmentNamespace = (team: string, service: string, env: string) => `${team}-${service}-${env}`;

/**
 * A team's AppProject: its repositories only, this cluster only, namespaces `<team>-*` only (minus
 * those of a team whose name extends this one's, e.g. `pay` and `pay-ops`), Namespace the one
 * cluster-scoped kind (CreateNamespace), and the namespaced kinds of TEAM_NAMESPACED_KINDS.
 */
export function teamProjectManifest(p: TeamEnvironmentsProps): Record<string, unknown> {
  const longer = p.allTeams.filter((t) => t !== p.team && t.startsWith(`${p.team}-`));
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "AppProject",
    metadata: { name: teamProject(p.team), namespace: p.namespace, labels: { "fawkes.dev/team": p.team } },
    spec: {
      description: `Team ${p.team}: its repositories, deployed to its namespaces ${p.team}-* on this cluster`,
      sourceRepos: p.sourceRepos,
      // Argo CD denies a destination matched by a "!" entry whatever else allows it.
      destinations: [{ server: p.server, namespace: `${p.team}-*` }, ...longer.map((t) => ({ server: p.server, namespace: `!${t}-*` }))],
      clusterResourceWhitelist: [{ group: "", kind: "Namespace" }],
      namespaceResourceWhitelist: TEAM_NAMESPACED_KINDS.map((k) => ({ ...k })),
      // Orphaned resources in the team's namespaces show as warnings in the UI.
      orphanedResources: { warn: true },
    },
  };
}

/**
 * A team's ApplicationSet: every repository of the team that has DEPLOY_MARKER (SCM provider
 * generator) × every environment (list generator) → Application `<repo>-<env>` from `deploy/<env>`
 * of the default branch into `<team>-<repo>-<env>`, synced automatically (prune, self-heal), its
 * namespace created with the restricted Pod Security level.
 */
export function teamApplicationSetManifest(p: TeamEnvironmentsProps): Record<string, unknown> {
  const scmProvider =
    p.scm.provider === "gitea"
      ? { gitea: { owner: p.scm.owner, api: p.scm.api, tokenRef: { secretName: p.scm.tokenSecret.name, key: p.scm.tokenSecret.key } } }
      : { github: { organization: p.scm.organization, appSecretName: p.scm.appSecretName } };
  // Conditions of one filter all hold: on GitHub, the team's topic as well as the deploy marker.
  const filter = p.scm.provider === "gitea" ? { pathsExist: [DEPLOY_MARKER] } : { pathsExist: [DEPLOY_MARKER], labelMatch: `^${teamTopic(p.team)}$` };
  const labels = { "fawkes.dev/team": p.team, "fawkes.dev/environment": "{{.env}}" };
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "ApplicationSet",
    metadata: { name: teamProject(p.team), namespace: p.namespace, labels: { "fawkes.dev/team": p.team } },
    spec: {
      goTemplate: true,
      // A typo in the template fails the generation instead of rendering "<no value>".
      goTemplateOptions: ["missingkey=error"],
      generators: [
        {
          matrix: {
            generators: [
              { scmProvider: { ...scmProvider, filters: [filter], requeueAfterSeconds: SCM_REQUEUE_SECONDS } },
              { list: { elements: ENVIRONMENTS.map((env) => ({ env })) } },
            ],
          },
        },
      ],
      template: {
        metadata: {
          name: "{{.repository}}-{{.env}}",
          labels: { "app.kubernetes.io/name": "{{.repository}}", ...labels },
        },
        spec: {
          project: teamProject(p.team),
          source: { repoURL: "{{.url}}", targetRevision: "{{.branch}}", path: "deploy/{{.env}}" },
          destination: { server: p.server, namespace: environmentNamespace(p.team, "{{.repository}}", "{{.env}}") },
          syncPolicy: {
            automated: { prune: true, selfHeal: true },
            syncOptions: ["CreateNamespace=true"],
            managedNamespaceMetadata: {
              labels: {
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": "latest",
                "app.kubernetes.io/part-of": "{{.repository}}",
                ...labels,
              },
            },
            retry: { limit: 5, backoff: { duration: "10s", factor: 2, maxDuration: "3m" } },
          },
        },
      },
    },
  };
}

/**
 * Argo CD RBAC lines for a team's group: see, sync and act on (restart, ...) the applications of its
 * project, read their logs, see the project. Appended to ARGOCD_POLICY.
 */
export function teamPolicy(team: string): string[] {
  const role = `role:${teamProject(team)}`;
  const project = teamProject(team);
  return [
    `p, ${role}, applications, get, ${project}/*, allow`,
    `p, ${role}, applications, sync, ${project}/*, allow`,
    `p, ${role}, applications, action/*, ${project}/*, allow`,
    `p, ${role}, logs, get, ${project}/*, allow`,
    `p, ${role}, projects, get, ${project}, allow`,
    `g, ${team}, ${role}`,
  ];
}
