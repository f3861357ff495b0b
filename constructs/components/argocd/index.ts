import { IngressV1 } from "@cdktf/provider-kubernetes/lib/ingress-v1";
import type { Construct } from "constructs";
import { stringify } from "yaml";
import { Fn, type ITerraformDependable } from "cdktf";
import type { PlatformContext } from "../../context";
import { ingressFor, manifestsRelease, platformRelease, releaseValues, renderYaml, type Values } from "../../helm";
import { issuerReach } from "../../in-cluster-issuer";
import { monitoringCrds } from "../../monitoring";
import { platformNamespace } from "../../namespace";
import type { Component, ComponentOutput, Installed, SecretKeyRef } from "../../platform";
import { externalSecret, generatedSecret } from "../../secrets";
// Quantity arithmetic shared with Backstage (a candidate for constructs/).
import { sumRequests, type PodGroup } from "../../sizes";
import type { GitService } from "../../services";
import { teamApplicationSetManifest, teamPolicy, teamProjectManifest, type TeamScm } from "./teams";

/** The AppProject platform applications belong to (other components may create Applications in it). */
export const PLATFORM_PROJECT = "platform";
/** The cluster Argo CD runs in, as Applications address it. */
export const IN_CLUSTER = "https://kubernetes.default.svc";

export interface ArgocdProps {
  /**
   * Namespaces Applications of the "platform" project may deploy into (this cluster only).
   * Never Argo CD's own namespace: an Application there could create Applications in any project.
   * @default - the namespace of every enabled platform component, except argocd
   */
  readonly projectNamespaces?: string[];
  /**
   * Repositories (Git or Helm) the "platform" project may deploy from.
   * @default ["*"] - any repository Argo CD has access to
   */
  readonly sourceRepos?: string[];
  /**
   * Namespaces (globs) besides `argocd` where Applications may live ("apps in any namespace"), e.g.
   * the Dojo's lab slots. Each such Application is still bound by its AppProject's `sourceNamespaces`.
   * @default [] - Applications only in the argocd namespace
   */
  readonly applicationNamespaces?: string[];
  /**
   * Break-glass: keep the local `admin` user (password in `argocd-admin`) signing in while SSO is on,
   * for when the identity provider is down. Without identity the local admin is always on.
   * @default false - with identity installed, only SSO signs in
   */
  readonly breakGlass?: boolean;
  /**
   * Teams (identity groups of the same name). With the git service, each gets an AppProject
   * `team-<team>` (its repositories, its namespaces `<team>-*`) and an ApplicationSet deploying
   * every service repository of the team to staging and production; its group may see and sync them.
   * @default [] - no team projects
   */
  readonly teams?: readonly string[];
}

/**
 * Groups of the identity service's `groups` claim and what they may do. Nobody else has any access
 * (`policy.default` is empty): a signed-in user in no platform group sees nothing.
 */
export const ARGOCD_POLICY = [
  // Developers see and sync applications, run their actions and read logs; they change no settings.
  "p, role:developer, applications, get, */*, allow",
  "p, role:developer, applications, sync, */*, allow",
  "p, role:developer, applications, action/*, */*, allow",
  "p, role:developer, logs, get, */*, allow",
  "p, role:developer, projects, get, *, allow",
  "p, role:developer, clusters, get, *, allow",
  "p, role:developer, repositories, get, *, allow",
  "g, platform-admins, role:admin",
  "g, developers, role:developer",
].join("\n");

const SUBDOMAIN = "argocd";
/** The chart's server Service (release "argocd", nameOverride "argocd"). */
const SERVER_SERVICE = "argocd-server";
/** Groups the SSO client asks for: the claim carries platform group names, mapped to roles by ARGOCD_POLICY. */
const SSO_GROUPS = { "platform-admins": "platform-admins", developers: "developers" };
const ADMIN_SECRET = "argocd-admin";
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Argo CD: GitOps delivery for the platform and its teams, behind the platform ingress (TLS ends at
 * Traefik), with notifications, metrics for every part, and an AppProject "platform" that may only
 * deploy to this cluster's platform namespaces.
 */
export class ArgocdComponent implements Component {
  readonly id = "argocd";
  readonly needs = ["ingress", "tls"];
  // backstage: the portal's read-only account (PortalService), so services' pages show their deployments.
  readonly uses = ["observability", "identity", "secrets", "git", "backstage"];
  readonly info = {
    title: "Argo CD",
    description: "GitOps continuous delivery: syncs applications from Git to the cluster",
    subdomain: SUBDOMAIN,
    docs: "https://argo-cd.readthedocs.io/en/stable/",
    lifecycle: "production",
  } as const;

  constructor(private readonly props: ArgocdProps = {}) {
    for (const ns of props.projectNamespaces ?? []) {
      if (!DNS_LABEL.test(ns)) throw new Error(`ArgocdProps.projectNamespaces must be namespace names (DNS labels), got "${ns}"`);
      if (ns === this.id) throw new Error(`ArgocdProps.projectNamespaces must not include Argo CD's own namespace, got "${ns}"`);
    }
    for (const team of props.teams ?? []) {
      if (!DNS_LABEL.test(team) || team.length > 40) throw new Error(`ArgocdProps.teams must be DNS labels of at most 40 characters, got "${team}"`);
    }
    if (props.sourceRepos && props.sourceRepos.length === 0) throw new Error(`ArgocdProps.sourceRepos must list at least one repository (or "*"), got []`);
  }

  install(root: Construct, ctx: PlatformContext, deps: Installed): ComponentOutput {
    const ns = platformNamespace(root, ctx, this.id);
    const ingress = ingressFor(SUBDOMAIN, ctx, deps);
    const url = `https://${ingress.host}`;
    const teams = this.props.teams ?? [];
    const git = deps.maybe("git");
    const portal = deps.maybe("portal")?.argocdAccount;
    if (portal && (!DNS_LABEL.test(portal.username) || portal.username === "admin"))
      throw new Error(`PortalService.argocdAccount.username must be a DNS label other than admin, got "${portal.username}"`);
    const portalPolicy = portal ? portalAccountPolicy(portal.username) : [];

    // The operator reads the plain password here (scripts/secret argocd); Argo CD only gets its bcrypt hash.
    const admin = generatedSecret(root, "AdminSecret", {
      component: this.id,
      namespace: this.id,
      name: ADMIN_SECRET,
      passwordKeys: ["password"],
      literals: { username: "admin" },
      description: "Argo CD admin password (user admin)",
      dependsOn: [ns],
    });

    // Single sign-on when the identity service is offered: one client, its secret read by reference.
    const identity = deps.maybe("identity");
    const client = identity?.registerClient(root, {
      component: this.id,
      namespace: deps.namespaceOf(this.id),
      redirectUris: [`${url}/auth/callback`],
      // Each team's group too: the claim carries it, and the team's policy lines map it to its role.
      roles: { ...SSO_GROUPS, ...Object.fromEntries(teams.map((t) => [t, t])) },
      scopes: ["groups"],
    });
    // The server calls the issuer at its public URL: on a laptop that needs a host alias and the local CA.
    const reach = client ? issuerReach(deps, client.issuer) : undefined;
    // The repo server clones at the git service's public URL: on a laptop through a host alias to the
    // ingress, trusting the local CA for that host (argocd-tls-certs-cm, JSON-quoted like rootCA).
    const gitReach = git ? issuerReach(deps, git.url) : undefined;
    const hostAliases = mergeAliases([...(reach?.hostAliases ?? []), ...(gitReach?.hostAliases ?? [])]);
    const gitTls = git && gitReach?.ca ? { tls: { certificates: { [new URL(git.url).hostname]: Fn.jsonencode(gitReach.ca.pem) } } } : {};
    const clientSecret = client ? this.ssoSecret(root, ctx, deps, client.secret, [ns, ...client.ready]) : undefined;
    const sso = client
      ? {
          cm: {
            "admin.enabled": this.props.breakGlass ?? false,
            "oidc.config": stringify(
              {
                name: "Fawkes SSO",
                issuer: client.issuer,
                clientID: client.clientId,
                // `$<secret>:<key>`: Argo CD reads it from that secret, which must be labelled part-of: argocd.
                clientSecret: `$${clientSecret!.ref.name}:${clientSecret!.ref.key}`,
                requestedScopes: ["openid", "profile", "email", "groups"],
                requestedIDTokenClaims: { [client.groupsClaim]: { essential: true } },
                // A laptop's local CA signs the issuer's certificate: the server trusts it for this issuer
                // only. JSON-quoted by Terraform: a multi-line PEM spliced into YAML text would break it.
                ...(reach?.ca ? { rootCA: Fn.jsonencode(reach.ca.pem) } : {}),
              },
              { lineWidth: 0 },
            ),
          },
          // No access by default: only the platform groups get a role.
          rbac: {
            "policy.default": "",
            "policy.csv": [ARGOCD_POLICY, ...teams.flatMap(teamPolicy), ...portalPolicy].join("\n"),
            scopes: `[${client.groupsClaim}]`,
          },
        }
      : portal
        ? { rbac: { "policy.csv": portalPolicy.join("\n") } }
        : {};
    // The portal's local account: sign-in only (no API keys), its password as a bcrypt hash.
    const portalAccount = portal
      ? {
          cm: { ...(sso.cm ?? {}), [`accounts.${portal.username}`]: "login" },
          secretExtra: { [`accounts.${portal.username}.password`]: portal.passwordBcryptHash },
        }
      : undefined;

    const monitors = deps.has("observability");
    // The server and the application controller both need to know where Applications may live.
    const appNamespaces = this.props.applicationNamespaces?.length ? [`--application-namespaces=${this.props.applicationNamespaces.join(",")}`] : [];
    const serviceMonitor = { serviceMonitor: { enabled: monitors } };
    const pool = ctx.nodePools.workloads;
    const values = releaseValues(ctx, this.id, {
      global: {
        domain: ingress.host,
        // The chart's default nodeSelector is not empty: its node affinity preset places the pods.
        affinity: {
          nodeAffinity: { type: "hard", matchExpressions: Object.entries(pool.nodeSelector).map(([key, value]) => ({ key, operator: "In", values: [value] })) },
        },
        tolerations: pool.tolerations,
        ...(hostAliases.length ? { hostAliases } : {}),
      },
      configs: {
        // Expects a bcrypt hash: a reference to random_password.bcrypt_hash, computed at apply time.
        secret: { argocdServerAdminPassword: admin.passwords.password.bcryptHash, ...(portalAccount ? { extra: portalAccount.secretExtra } : {}) },
        ...sso,
        ...(portalAccount ? { cm: portalAccount.cm } : {}),
        ...gitTls,
      },
      server: {
        // TLS ends at Traefik: the server speaks plain HTTP behind the Ingress below.
        extraArgs: ["--insecure", ...appNamespaces],
        // The chart's Ingress picks its backend port from configs.params, a free-form map; Fawkes renders
        // its own Ingress to the `http` port instead, so every value key it sets is one the chart declares.
        ingress: { enabled: false },
        metrics: serviceMonitor,
      },
      controller: { metrics: serviceMonitor, extraArgs: appNamespaces },
      repoServer: { metrics: serviceMonitor },
      applicationSet: { metrics: serviceMonitor },
      notifications: { metrics: serviceMonitor },
      redis: { metrics: serviceMonitor },
    });

    const release = platformRelease(root, "Release", ctx, {
      chart: "argo-cd",
      name: "argocd",
      namespace: ns.metadata.name,
      createNamespace: false,
      // The monitoring CRDs when its ServiceMonitors are on: the chart renders them only if the CRDs are
      // there at install (`.Capabilities`), and Terraform never renders it again. Not Traefik or
      // cert-manager: the Ingress below names its class, and the certificate follows its annotation.
      dependsOn: [ns, admin.secret, ...(client?.ready ?? []), ...(clientSecret?.ready ?? []), ...(monitors ? monitoringCrds(deps) : [])],
      values: [renderYaml(values)],
    });

    new IngressV1(root, "Ingress", {
      metadata: { name: "argocd-server", namespace: this.id, annotations: ingress.annotations },
      spec: {
        ingressClassName: ingress.className,
        tls: [{ hosts: [ingress.host], secretName: ingress.tlsSecret }],
        rule: [
          {
            host: ingress.host,
            http: { path: [{ path: "/", pathType: "Prefix", backend: { service: { name: SERVER_SERVICE, port: { name: "http" } } } }] },
          },
        ],
      },
      dependsOn: [release],
    });

    const namespaces =
      this.props.projectNamespaces ??
      deps
        .catalog()
        .map((c) => c.namespace)
        .filter((namespace) => namespace !== deps.namespaceOf(this.id));
    const projects = manifestsRelease(root, "Projects", ctx, {
      name: "argocd-projects",
      namespace: this.id,
      dependsOn: [release],
      manifests: [
        {
          apiVersion: "argoproj.io/v1alpha1",
          kind: "AppProject",
          metadata: { name: PLATFORM_PROJECT, namespace: this.id },
          spec: {
            description: "Fawkes platform applications: this cluster, platform namespaces, no cluster-scoped resources",
            sourceRepos: this.props.sourceRepos ?? ["*"],
            destinations: namespaces.map((namespace) => ({ server: IN_CLUSTER, namespace })),
            clusterResourceWhitelist: [],
            namespaceResourceWhitelist: [{ group: "*", kind: "*" }],
          },
        },
      ],
    });

    const environments = git && teams.length ? this.teamEnvironments(root, ctx, deps, git, teams, [ns, release]) : [];

    return {
      ready: [release, projects, ...environments],
      endpoints: { argocd: url },
      adminSecrets: [admin.location],
      requests: sumRequests(podGroups(values)),
    };
  }

  /**
   * The golden path's environments: per team an AppProject and an ApplicationSet (shared contract:
   * Application `<service>-<env>` in project `team-<team>`, from `deploy/<env>`), Argo CD's read
   * credential for every repository of the git service, and (Gitea) a push webhook so a commit
   * syncs at once instead of at the next 3-minute poll.
   */
  private teamEnvironments(
    root: Construct,
    ctx: PlatformContext,
    deps: Installed,
    git: GitService,
    teams: readonly string[],
    after: ITerraformDependable[],
  ): ITerraformDependable[] {
    const [ns] = after;
    const ready: ITerraformDependable[] = [];
    let scm: (team: string) => TeamScm;
    if (git.provider === "gitea") {
      // One repo-creds secret for every repository under the server (a URL prefix), also the token the
      // SCM provider generator lists organisations with.
      const creds = git.credentialsFor(root, {
        component: this.id,
        namespace: this.id,
        access: "read",
        secretLabels: { "argocd.argoproj.io/secret-type": "repo-creds" },
        secretLiterals: { url: `${git.url}/`, type: "git" },
        after: [ns!],
      });
      if (creds.kind !== "token") throw new Error(`GitService.credentialsFor must give Gitea a token credential, got kind "${creds.kind}"`);
      ready.push(...creds.ready);
      // In-cluster when the service offers it: no TLS to a local CA, no trip through the ingress.
      const api = git.inClusterUrl ?? git.url;
      scm = (team) => ({ provider: "gitea", api, owner: git.ownerOf(team), tokenSecret: { name: creds.secret.name, key: "password" } });
    } else {
      // GitHub: the App's credential, copied into the keys Argo CD reads (githubApp*) as repo-creds.
      if (!deps.has("secrets")) throw new Error(`ArgocdComponent with git provider "github" needs the secrets component (external-secrets), got it disabled`);
      const creds = git.credentialsFor(root, { component: this.id, namespace: this.id, access: "read", after: [ns!] });
      if (creds.kind !== "githubApp") throw new Error(`GitService.credentialsFor must give GitHub an App credential, got kind "${creds.kind}"`);
      const relay = manifestsRelease(root, "GithubApp", ctx, {
        name: GITHUB_APP_SECRET,
        namespace: this.id,
        dependsOn: [...after, ...creds.ready, ...deps.ready("secrets")],
        manifests: secretCopy(this.id, "argocd-github-app-reader", creds.secret.namespace, creds.secret.name, {
          name: GITHUB_APP_SECRET,
          labels: { "argocd.argoproj.io/secret-type": "repo-creds" },
          keys: { githubAppID: "appId", githubAppInstallationID: "installationId", githubAppPrivateKey: "privateKey" },
          literals: { url: `${git.url}/${git.ownerOf(teams[0]!)}`, type: "git" },
        }),
      });
      ready.push(relay);
      scm = (team) => ({ provider: "github", organization: git.ownerOf(team), appSecretName: GITHUB_APP_SECRET });
    }

    const manifests = teams.flatMap((team) => {
      const props = {
        team,
        allTeams: teams,
        namespace: this.id,
        server: IN_CLUSTER,
        sourceRepos: [`${git.url}/${git.ownerOf(team)}/*`],
        scm: scm(team),
      };
      return [teamProjectManifest(props), teamApplicationSetManifest(props)];
    });
    const environments = manifestsRelease(root, "Teams", ctx, {
      name: "argocd-teams",
      namespace: this.id,
      dependsOn: [...after, ...ready],
      // AppProjects first: an ApplicationSet's Applications name their project.
      manifests: [...manifests.filter((m) => m.kind === "AppProject"), ...manifests.filter((m) => m.kind === "ApplicationSet")],
    });

    if (git.provider === "gitea") {
      git.webhook(root, { component: this.id, url: `http://${SERVER_SERVICE}.${this.id}.svc/api/webhook`, events: ["push"], after: [environments] });
    }
    return [environments];
  }

  /**
   * Argo CD resolves `$<secret>:<key>` only in secrets labelled `app.kubernetes.io/part-of: argocd`,
   * and the identity service's secret carries the platform's label. external-secrets copies it, in
   * this namespace, into `argocd-sso` with Argo CD's label: a SecretStore reading this namespace as a
   * service account that may get that one secret and nothing else. Without external-secrets (the
   * `secrets` component off) Argo CD reads the service's secret, which then needs the label itself.
   */
  private ssoSecret(
    root: Construct,
    ctx: PlatformContext,
    deps: Installed,
    source: SecretKeyRef,
    after: ITerraformDependable[],
  ): { ref: SecretKeyRef; ready: ITerraformDependable[] } {
    if (!deps.has("secrets")) return { ref: source, ready: [] };
    const relay = manifestsRelease(root, "SsoSecret", ctx, {
      name: SSO_SECRET,
      namespace: this.id,
      dependsOn: [...after, ...deps.ready("secrets")],
      manifests: secretCopy(this.id, "argocd-sso-reader", source.namespace, source.name, {
        name: SSO_SECRET,
        labels: { "app.kubernetes.io/part-of": "argocd" },
        keys: { [source.key]: source.key },
      }),
    });
    return { ref: { namespace: this.id, name: SSO_SECRET, key: source.key }, ready: [relay] };
  }
}

/** The portal's account sees applications and projects, and changes nothing. */
function portalAccountPolicy(username: string): string[] {
  return [
    "p, role:portal, applications, get, */*, allow",
    "p, role:portal, projects, get, *, allow",
    "p, role:portal, clusters, get, *, allow",
    `g, ${username}, role:portal`,
  ];
}

/** The copy of the SSO client secret Argo CD reads (`$argocd-sso:client-secret`). */
const SSO_SECRET = "argocd-sso";
/** GitHub only: the App's credential under Argo CD's key names, repo-creds for the organisation. */
export const GITHUB_APP_SECRET = "argocd-github-app";

/**
 * external-secrets copying one secret of `sourceNamespace` into `namespace` as `target.name`, with
 * target's labels, keys renamed (`target key → source key`) and literal keys added: a SecretStore
 * reading as a service account that may get that one secret and nothing else.
 */
function secretCopy(
  namespace: string,
  reader: string,
  sourceNamespace: string,
  sourceName: string,
  target: { name: string; labels: Record<string, string>; keys: Record<string, string>; literals?: Record<string, string> },
): Record<string, unknown>[] {
  const renamed = Object.entries(target.keys).some(([to, from]) => to !== from) || target.literals;
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: reader, namespace }, automountServiceAccountToken: false },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: reader, namespace },
      rules: [{ apiGroups: [""], resources: ["secrets"], resourceNames: [sourceName], verbs: ["get"] }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: reader, namespace },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: reader },
      subjects: [{ kind: "ServiceAccount", name: reader, namespace }],
    },
    {
      apiVersion: "external-secrets.io/v1",
      kind: "SecretStore",
      metadata: { name: reader, namespace },
      spec: {
        provider: {
          kubernetes: {
            remoteNamespace: sourceNamespace,
            server: { caProvider: { type: "ConfigMap", name: "kube-root-ca.crt", key: "ca.crt" } },
            auth: { serviceAccount: { name: reader } },
          },
        },
      },
    },
    externalSecret({
      name: target.name,
      namespace,
      store: { kind: "SecretStore", name: reader },
      creationPolicy: "Owner",
      template: {
        metadata: { labels: target.labels },
        // Renamed keys from the fetched ones (the template sees each by its secretKey).
        ...(renamed ? { data: { ...Object.fromEntries(Object.keys(target.keys).map((k) => [k, `{{ .${k} }}`])), ...target.literals } } : {}),
      },
      keys: Object.entries(target.keys).map(([to, from]) => ({ secretKey: to, key: sourceName, property: from })),
    }),
  ];
}

/** Host aliases of one address in one entry (a pod spec takes each IP once). */
function mergeAliases(aliases: readonly { ip: string; hostnames: string[] }[]): { ip: string; hostnames: string[] }[] {
  const byIp = new Map<string, Set<string>>();
  for (const a of aliases) byIp.set(a.ip, new Set([...(byIp.get(a.ip) ?? []), ...a.hostnames]));
  return [...byIp].map(([ip, names]) => ({ ip, hostnames: [...names] }));
}

/** Argo CD's long-running pods in rendered values (the redis-secret-init Job is not counted). */
function podGroups(values: Values): PodGroup[] {
  const part = (key: string) => (values[key] ?? {}) as Values;
  const groups: PodGroup[] = ["controller", "server", "repoServer", "applicationSet"].map((key) => ({
    resources: part(key).resources,
    replicas: part(key).replicas,
  }));
  if (part("notifications").enabled !== false) groups.push({ resources: part("notifications").resources });
  if (part("dex").enabled) groups.push({ resources: part("dex").resources });
  if (part("redis").enabled !== false) {
    groups.push({ resources: part("redis").resources });
    const exporter = (part("redis").exporter ?? {}) as Values;
    if (exporter.enabled) groups.push({ resources: exporter.resources });
  }
  return groups;
}
