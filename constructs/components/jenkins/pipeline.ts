import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { RoleBindingV1 } from "@cdktf/provider-kubernetes/lib/role-binding-v1";
import { RoleV1 } from "@cdktf/provider-kubernetes/lib/role-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import type { ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import type { PlatformContext } from "../../context";
import type { Values } from "../../helm";
import type { Installed } from "../../platform";
import type { GitService, SecretKeyRef } from "../../services";

/**
 * The golden path's CI side: the Fawkes pipeline library (pipeline-library/ in this repository,
 * published into the git service and loaded by JCasC as the global library `fawkes`), one
 * organisation folder per team, the builder pods' service account (registry push identity, read
 * access to Argo CD Applications), and the global variables the library reads.
 */

/** Where the library's sources are, read at synth and published as the `pipeline-library` repository. */
const LIBRARY_DIR = path.join(__dirname, "..", "..", "..", "pipeline-library");
export const LIBRARY_NAME = "fawkes";
const LIBRARY_REPOSITORY = "pipeline-library";
/** Credential ids the library uses. */
export const GIT_CREDENTIAL_ID = "fawkes-git";
export const DELIVERY_EVENTS_CREDENTIAL_ID = "fawkes-delivery-events";
/** The builder pods' service account and the ConfigMap kaniko reads its registry config from. */
export const BUILDER_SERVICE_ACCOUNT = "fawkes-builder";
export const BUILDER_DOCKER_CONFIG = "fawkes-builder-docker-config";
/** What a team name may be: it lands in Job DSL strings and folder names. */
export const TEAM_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Every file under pipeline-library/ (path relative to it → UTF-8 content), sorted. */
export function libraryFiles(dir = LIBRARY_DIR): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(p);
      else out[p] = fs.readFileSync(path.join(dir, p), "utf8");
    }
  };
  walk("");
  return out;
}

export interface PipelineWiring {
  /** JCasC documents (credentials are returned apart: one credentials document for Jenkins). */
  readonly casc: Values;
  readonly credentials: Values[];
  /** Jenkins global environment variables the library reads. */
  readonly env: Record<string, string>;
  /** Secret keys the chart mounts for JCasC (`additionalExistingSecrets`). */
  readonly mounted: { name: string; keyName: string }[];
  readonly ready: ITerraformDependable[];
}

/** The JCasC variable of a mounted secret key (`/run/secrets/additional/<secret>-<key>`). */
const variable = (s: { name: string }, key: string) => `\${${s.name}-${key}}`;

/**
 * Job DSL for one organisation folder: every repository of `owner` with a Jenkinsfile becomes a
 * multibranch pipeline. The gitea plugin's symbols (since 1.4): navigator `gitea`, branch discovery
 * `giteaBranchDiscovery` (strategy 3 = all branches, pull requests are not built).
 */
function organizationFolderDsl(git: Pick<GitService, "provider" | "url" | "apiUrl">, folder: string, owner: string): string {
  const navigator =
    git.provider === "gitea"
      ? [
          "    gitea {",
          `      serverUrl('${git.url}')`,
          `      repoOwner('${owner}')`,
          `      credentialsId('${GIT_CREDENTIAL_ID}')`,
          "      traits {",
          "        giteaBranchDiscovery { strategyId(3) }",
          "      }",
          "    }",
        ]
      : [
          "    github {",
          `      repoOwner('${owner}')`,
          `      apiUri('${git.apiUrl}')`,
          `      credentialsId('${GIT_CREDENTIAL_ID}')`,
          "      traits {",
          "        gitHubBranchDiscovery { strategyId(3) }",
          "      }",
          "    }",
        ];
  return [
    `organizationFolder('${folder}') {`,
    `  displayName('${folder}')`,
    `  description('Repositories of ${owner} with a Jenkinsfile, built by the Fawkes pipeline (webhooks from the git service)')`,
    "  organizations {",
    ...navigator,
    "  }",
    "  projectFactories {",
    "    workflowMultiBranchProjectFactory { scriptPath('Jenkinsfile') }",
    "  }",
    "  orphanedItemStrategy {",
    "    discardOldItems { numToKeep(20) }",
    "  }",
    // Webhooks trigger builds; the daily scan catches a missed hook and new repositories.
    "  triggers {",
    "    periodicFolderTrigger { interval('1d') }",
    "  }",
    "}",
  ].join("\n");
}

/**
 * Wires the pipeline into Jenkins: needs the git service (else nothing, and the library is not
 * published). `kanikoImage` is the pinned kaniko of helm-values/jenkins.yaml.
 */
export function pipelineWiring(
  root: Construct,
  ctx: PlatformContext,
  deps: Installed,
  opts: {
    namespace: string;
    after: ITerraformDependable[];
    teams: readonly string[];
    kanikoImage: string;
    inClusterUrl: string;
    /** How build pods reach the git service's public URL (laptop: host aliases, the local CA's ConfigMap). */
    builderReach: { hostAliases: { ip: string; hostnames: string[] }[]; caConfigMap?: string };
  },
): PipelineWiring | undefined {
  const git = deps.maybe("git");
  if (!git) return undefined;
  const ns = opts.namespace;
  const ready: ITerraformDependable[] = [];
  const mounted: { name: string; keyName: string }[] = [];
  const credentials: Values[] = [];

  // The robot `fawkes-ci` (write): clones, the library, commit statuses and GitOps commits.
  const cred = git.credentialsFor(root, { component: "jenkins", namespace: ns, access: "write", after: opts.after });
  ready.push(...cred.ready);
  if (cred.kind === "token") {
    mounted.push({ name: cred.secret.name, keyName: "username" }, { name: cred.secret.name, keyName: "password" });
    credentials.push({
      usernamePassword: {
        scope: "GLOBAL",
        id: GIT_CREDENTIAL_ID,
        description: "Git robot fawkes-ci (token): clones, pipeline library, commit statuses, GitOps promotion",
        username: variable(cred.secret, "username"),
        password: variable(cred.secret, "password"),
      },
    });
  } else {
    mounted.push({ name: cred.secret.name, keyName: "appId" }, { name: cred.secret.name, keyName: "privateKey" });
    credentials.push({
      gitHubApp: {
        scope: "GLOBAL",
        id: GIT_CREDENTIAL_ID,
        description: "GitHub App of the platform",
        appID: variable(cred.secret, "appId"),
        privateKey: variable(cred.secret, "privateKey"),
      },
    });
  }

  // Pushes, pull requests and new repositories reach Jenkins' Gitea webhook endpoint in-cluster.
  git.webhook(root, {
    component: "jenkins",
    url: `${opts.inClusterUrl}/gitea-webhook/post`,
    events: ["push", "pull_request", "create", "delete", "repository"],
    after: opts.after,
  });

  const library = git.publishRepository(root, {
    name: LIBRARY_REPOSITORY,
    description: "The Fawkes pipeline library (Jenkins shared library): fawkesPipeline() and its helpers",
    files: libraryFiles(),
    after: opts.after,
  });
  ready.push(...library.ready);
  const base = git.inClusterUrl ?? git.url;

  const env: Record<string, string> = {
    FAWKES_GIT_URL: git.url,
    FAWKES_GIT_API_URL: git.provider === "gitea" ? `${base}/api/v1` : git.apiUrl,
    FAWKES_KANIKO_IMAGE: opts.kanikoImage,
    // fawkesPod adds these to the build pod: `checkout scm` clones at the public URL.
    FAWKES_BUILDER_HOST_ALIASES: JSON.stringify(opts.builderReach.hostAliases),
    ...(opts.builderReach.caConfigMap ? { FAWKES_BUILDER_CA_CONFIGMAP: opts.builderReach.caConfigMap } : {}),
  };

  // The builder: registry push through workload identity, Argo CD Applications read-only.
  const builder = builderServiceAccount(root, ctx, deps, ns, opts.after);
  ready.push(...builder.ready);
  Object.assign(env, builder.env);

  const events = deps.maybe("deliveryEvents");
  if (events) {
    const token: SecretKeyRef = events.credentialFor(root, { component: "jenkins", namespace: ns, after: opts.after });
    mounted.push({ name: token.name, keyName: token.key });
    credentials.push({
      string: {
        scope: "GLOBAL",
        id: DELIVERY_EVENTS_CREDENTIAL_ID,
        description: "Bearer token for the delivery-events relay (deployment records)",
        secret: variable(token, token.key),
      },
    });
    env.FAWKES_DELIVERY_EVENTS_URL = events.deploymentsUrl;
  }

  const owners = [...new Set(opts.teams.map((t) => git.ownerOf(t)))];
  const casc: Values = {
    unclassified: {
      globalLibraries: {
        libraries: [
          {
            name: LIBRARY_NAME,
            defaultVersion: "main",
            // Jenkinsfiles say `@Library('fawkes') _`: nothing is loaded into pipelines that do not ask.
            implicit: false,
            allowVersionOverride: true,
            includeInChangesets: false,
            retriever: { modernSCM: { scm: { git: { remote: `${base}/${git.platformOwner}/${LIBRARY_REPOSITORY}.git`, credentialsId: GIT_CREDENTIAL_ID } } } },
          },
        ],
      },
      ...(git.provider === "gitea"
        ? // Hooks come from the git service's system webhook, so the plugin manages none.
          { giteaServers: { servers: [{ displayName: "Fawkes Gitea", serverUrl: git.url, manageHooks: false }] } }
        : {}),
    },
    jobs: owners.map((owner) => ({ script: organizationFolderDsl(git, owner, owner) })),
  };
  return { casc, credentials, env, mounted, ready };
}

/**
 * `fawkes-builder` in the Jenkins namespace: the identity that pushes to `ctx.registry` (where the
 * foundation offers one), the Docker config kaniko mounts, and get/list/watch on Argo CD
 * Applications in the `argocd` namespace only (the pipeline waits for Synced and Healthy).
 */
function builderServiceAccount(
  root: Construct,
  ctx: PlatformContext,
  deps: Installed,
  ns: string,
  after: ITerraformDependable[],
): { env: Record<string, string>; ready: ITerraformDependable[] } {
  const registry = ctx.registry;
  const identity = registry ? ctx.workloadIdentity(root, { namespace: ns, name: BUILDER_SERVICE_ACCOUNT }, [{ registry: "push" }]) : undefined;
  const labels = { "app.kubernetes.io/part-of": "fawkes" };
  const sa = new ServiceAccountV1(root, "BuilderServiceAccount", {
    metadata: { name: BUILDER_SERVICE_ACCOUNT, namespace: ns, labels, annotations: identity?.serviceAccountAnnotations ?? {} },
    // The build pod mounts it on purpose (pod.yaml): the helper reads Argo CD Applications.
    automountServiceAccountToken: true,
    dependsOn: [...after, ...(identity?.dependsOn ?? [])],
  });
  const ready: ITerraformDependable[] = [sa];
  const env: Record<string, string> = { FAWKES_BUILDER_POD_LABELS: JSON.stringify(identity?.podLabels ?? {}) };
  if (registry) {
    ready.push(
      new ConfigMapV1(root, "BuilderDockerConfig", {
        metadata: { name: BUILDER_DOCKER_CONFIG, namespace: ns, labels },
        data: { "config.json": JSON.stringify(registry.dockerConfig) },
        dependsOn: after,
      }),
      ...registry.ready,
    );
    Object.assign(env, {
      FAWKES_REGISTRY_PUSH: registry.pushUrl,
      FAWKES_REGISTRY_PULL: registry.pullUrl,
      FAWKES_KANIKO_FLAGS: registry.kanikoFlags.join(" "),
      ...registry.pushEnv,
    });
  }
  if (deps.has("argocd")) {
    const meta = { name: BUILDER_SERVICE_ACCOUNT, namespace: deps.namespaceOf("argocd"), labels };
    const role = new RoleV1(root, "BuilderArgoRole", {
      metadata: meta,
      rule: [{ apiGroups: ["argoproj.io"], resources: ["applications"], verbs: ["get", "list", "watch"] }],
      dependsOn: deps.ready("argocd"),
    });
    ready.push(
      new RoleBindingV1(root, "BuilderArgoBinding", {
        metadata: meta,
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: BUILDER_SERVICE_ACCOUNT },
        subject: [{ kind: "ServiceAccount", name: BUILDER_SERVICE_ACCOUNT, namespace: ns }],
        dependsOn: [role, sa],
      }),
    );
  }
  return { env, ready };
}
