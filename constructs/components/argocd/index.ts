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
import { generatedSecret } from "../../secrets";
// Quantity arithmetic shared with Backstage (a candidate for constructs/).
import { sumRequests, type PodGroup } from "../../sizes";

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
  readonly uses = ["observability", "identity", "secrets"];
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
    if (props.sourceRepos && props.sourceRepos.length === 0) throw new Error(`ArgocdProps.sourceRepos must list at least one repository (or "*"), got []`);
  }

  install(root: Construct, ctx: PlatformContext, deps: Installed): ComponentOutput {
    const ns = platformNamespace(root, ctx, this.id);
    const ingress = ingressFor(SUBDOMAIN, ctx, deps);
    const url = `https://${ingress.host}`;

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
      roles: SSO_GROUPS,
      scopes: ["groups"],
    });
    // The server calls the issuer at its public URL: on a laptop that needs a host alias and the local CA.
    const reach = client ? issuerReach(deps, client.issuer) : undefined;
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
          rbac: { "policy.default": "", "policy.csv": ARGOCD_POLICY, scopes: `[${client.groupsClaim}]` },
        }
      : {};

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
        ...(reach?.hostAliases.length ? { hostAliases: reach.hostAliases } : {}),
      },
      configs: {
        // Expects a bcrypt hash: a reference to random_password.bcrypt_hash, computed at apply time.
        secret: { argocdServerAdminPassword: admin.passwords.password.bcryptHash },
        ...sso,
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

    return {
      ready: [release, projects],
      endpoints: { argocd: url },
      adminSecrets: [admin.location],
      requests: sumRequests(podGroups(values)),
    };
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
    const reader = "argocd-sso-reader";
    const relay = manifestsRelease(root, "SsoSecret", ctx, {
      name: SSO_SECRET,
      namespace: this.id,
      dependsOn: [...after, ...deps.ready("secrets")],
      manifests: [
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: reader, namespace: this.id }, automountServiceAccountToken: false },
        {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "Role",
          metadata: { name: reader, namespace: this.id },
          rules: [{ apiGroups: [""], resources: ["secrets"], resourceNames: [source.name], verbs: ["get"] }],
        },
        {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "RoleBinding",
          metadata: { name: reader, namespace: this.id },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: reader },
          subjects: [{ kind: "ServiceAccount", name: reader, namespace: this.id }],
        },
        {
          apiVersion: "external-secrets.io/v1",
          kind: "SecretStore",
          metadata: { name: reader, namespace: this.id },
          spec: {
            provider: {
              kubernetes: {
                remoteNamespace: source.namespace,
                server: { caProvider: { type: "ConfigMap", name: "kube-root-ca.crt", key: "ca.crt" } },
                auth: { serviceAccount: { name: reader } },
              },
            },
          },
        },
        {
          apiVersion: "external-secrets.io/v1",
          kind: "ExternalSecret",
          metadata: { name: SSO_SECRET, namespace: this.id },
          spec: {
            refreshInterval: "1h",
            secretStoreRef: { kind: "SecretStore", name: reader },
            target: {
              name: SSO_SECRET,
              creationPolicy: "Owner",
              template: { metadata: { labels: { "app.kubernetes.io/part-of": "argocd" } } },
            },
            data: [{ secretKey: source.key, remoteRef: { key: source.name, property: source.key } }],
          },
        },
      ],
    });
    return { ref: { namespace: this.id, name: SSO_SECRET, key: source.key }, ready: [relay] };
  }
}

/** The copy of the SSO client secret Argo CD reads (`$argocd-sso:client-secret`). */
const SSO_SECRET = "argocd-sso";

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
