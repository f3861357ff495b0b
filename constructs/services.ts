import type { ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";

/**
 * What components offer each other. A component offers a service in `ComponentOutput.services`; another
 * uses it through `deps.service(key)` (required: fails synth naming both) or `deps.maybe(key)`
 * (optional integration), and never imports the offering component's folder. Who offers and who uses
 * each one is listed beside it; `test/imports.test.ts` refuses imports between component folders.
 */
export interface PlatformServices {
  /** The front door (offered by `ingress`; used by `ingressFor`, `tls`). */
  readonly ingress: IngressService;
  /** ClusterIssuer that signs the platform's certificates (offered by `tls`; used by `ingressFor`). */
  readonly clusterIssuer: string;
  /** The local CA, where certificates are not publicly trusted (offered by `tls` on a laptop; used by UIs that call the issuer). */
  readonly localCa: LocalCaService;
  /** ClusterSecretStore that external-secrets reads from (offered by `secrets`; used by `databaseSecret`). */
  readonly secretStoreName: string;
  /** Prometheus, Grafana and the monitor CRDs (offered by `observability`; used by every component with metrics). */
  readonly monitoring: MonitoringService;
  /** Code analysis with SonarQube (offered by `scanning`; used by `jenkins`). */
  readonly codeAnalysis: CodeAnalysisService;
  /** Single sign-on for the platform's UIs (offered by `identity`; used by every component with a UI). */
  readonly identity: IdentityService;
  /** Where repositories live (offered by `git`; used by backstage, argocd, jenkins, dora). */
  readonly git: GitService;
  /** Where deployments and incidents are reported (offered by `dora`; used by jenkins, observability). */
  readonly deliveryEvents: DeliveryEventsService;
  /** The developer portal's accounts in the tools it shows (offered by `backstage`; used by `argocd`). */
  readonly portal: PortalService;
}

/** What the portal signs in to other tools with; each tool creates the account, the portal keeps the password. */
export interface PortalService {
  /** A local Argo CD account (read-only) for the portal's Argo CD plugin: its name and a bcrypt hash of its password. */
  readonly argocdAccount: { readonly username: string; readonly passwordBcryptHash: string };
}

/** What answers `service(key)`: a component's `deps`. */
export interface ServiceLookup {
  service<K extends keyof PlatformServices>(key: K): PlatformServices[K];
}

/** A key of a Kubernetes secret: where a credential lives, never its value. */
export interface SecretKeyRef {
  readonly namespace: string;
  readonly name: string;
  readonly key: string;
}

/** The ingress controller every UI is served through. */
export interface IngressService {
  /** IngressClass every UI names. */
  readonly className: string;
  /** Annotations the controller needs on every platform Ingress (e.g. Traefik's TLS-only entrypoint). */
  readonly annotations: Record<string, string>;
  /**
   * The ingress' ClusterIP where platform hosts do not resolve to it inside pods (a laptop:
   * `*.localtest.me` is 127.0.0.1): a pod that calls a platform host adds a host alias to it.
   * @default - undefined: platform hosts resolve to the ingress everywhere
   */
  readonly inClusterAddress?: string;
}

/** A CA pods must trust to call platform hosts over HTTPS (the local CA; Let's Encrypt needs none). */
export interface LocalCaService {
  /** The CA certificate, PEM (public). */
  readonly certificatePem: string;
  /** Writes the certificate into a ConfigMap of `namespace` (under `scope`, id `LocalCa`), key `ca.crt`. */
  bundleFor(scope: Construct, namespace: string, after?: ITerraformDependable[]): { readonly configMap: SecretKeyRef; readonly ready: ITerraformDependable[] };
}

/**
 * Prometheus Operator is installed (ServiceMonitor, PodMonitor, PrometheusRule CRDs exist) and selects
 * every monitor in the cluster; Grafana loads dashboards by the conventions in constructs/monitoring.ts.
 */
export interface MonitoringService {
  /** Namespace of Prometheus (for network policies that let it scrape). */
  readonly namespace: string;
  /** Prometheus' API inside the cluster. */
  readonly prometheusUrl: string;
  /** Grafana's public URL, for links (catalog entries, alerts). */
  readonly grafanaUrl: string;
  /** Loki's API inside the cluster (LogQL queries; Alloy is the only writer). */
  readonly lokiUrl: string;
  /** Tempo's API inside the cluster (TraceQL queries). */
  readonly tempoUrl: string;
  /** Where workloads send OTLP traces (HTTP, `OTEL_EXPORTER_OTLP_ENDPOINT`): the Alloy collector; gRPC is on port 4317 of the same host. */
  readonly otlpEndpoint: string;
  /**
   * What creates the monitoring.coreos.com CRDs (and the operator's admission webhook): every
   * release that renders a ServiceMonitor, PodMonitor or PrometheusRule waits for it. Charts that
   * check `.Capabilities` (Argo CD) otherwise render no monitor at all, and others fail the install.
   */
  readonly crds: ITerraformDependable[];
}

/** SonarQube, for CI servers and scanners. */
export interface CodeAnalysisService {
  /** SonarQube's web API inside the cluster (scanners and CI plugins call it). */
  readonly url: string;
  /**
   * Mints an analysis token (analysis only, not administration) for `forComponent`, into a secret of
   * `namespace` named after that component. Creates its resources under `scope` (id `SonarqubeToken`):
   * one token per component and scope. `after` is what must exist first, at least the namespace.
   */
  tokenFor(scope: Construct, namespace: string, forComponent: string, after?: ITerraformDependable[]): AnalysisToken;
}

export interface AnalysisToken {
  /** Where the token lands; the minting job fills it after SonarQube runs, and refreshes it when revoked. */
  readonly secret: SecretKeyRef;
  /** Wait for these before a pod reads the token. */
  readonly ready: ITerraformDependable[];
}

/**
 * Single sign-on: a component registers its UI as a client once, and gets back what its chart needs.
 * The identity issue adds SSO to a UI with one `deps.maybe("identity")?.registerClient(...)` per component.
 */
export interface IdentityService {
  /** The issuer every client trusts (OIDC discovery at `<issuer>/.well-known/openid-configuration`). */
  readonly issuer: string;
  /** Registers a client; its resources go under `scope`, named after `request.component`. */
  registerClient(scope: Construct, request: ClientRequest): RegisteredClient;
}

export interface ClientRequest {
  /** Id of the asking component: the client id and the secret's name derive from it. */
  readonly component: string;
  /** Namespace the client secret is written to (the component's, `deps.namespaceOf(component)`). */
  readonly namespace: string;
  /** Redirect (callback) URIs, e.g. `https://argocd.<domain>/auth/callback`. */
  readonly redirectUris: string[];
  /** @default "oidc" */
  readonly protocol?: "oidc" | "saml";
  /**
   * Platform groups mapped to the application's own roles, e.g. `{ "platform-admins": "admin" }`; the
   * mapping is delivered as the `groups` claim (OIDC) or attribute (SAML). @default - no group claim
   */
  readonly roles?: Record<string, string>;
  /** Extra scopes beyond `openid profile email`. @default [] */
  readonly scopes?: string[];
  /**
   * Require PKCE (S256) for this client: only for UIs that send a code challenge, since Keycloak then
   * refuses a login without one. @default false
   */
  readonly pkce?: boolean;
  /**
   * The client reads the realm's users and groups with its own credentials (a service account with
   * realm-management's view-users, query-users and query-groups), e.g. a portal syncing its catalog.
   * @default false
   */
  readonly readDirectory?: boolean;
  /**
   * What must exist before the client secret is written to `namespace` (at least the namespace).
   * @default - the Terraform namespace of that name, when a component created one
   */
  readonly after?: ITerraformDependable[];
}

export interface RegisteredClient {
  readonly issuer: string;
  readonly clientId: string;
  /** The client secret, generated and kept in a Kubernetes secret of the request's namespace. */
  readonly secret: SecretKeyRef;
  /** The claim that carries the mapped groups. */
  readonly groupsClaim: string;
  /** Wait for these before the UI starts with SSO. */
  readonly ready: ITerraformDependable[];
}

/**
 * Where repositories live (offered by `git`: the built-in Gitea, or an existing GitHub organisation;
 * used by `backstage` (scaffolder, catalog), `argocd` (ApplicationSets), `jenkins` (organisation
 * folders, the pipeline library), `dora` (webhooks)).
 */
export interface GitService {
  readonly provider: "gitea" | "github";
  /** Web and clone base, no owner: `https://git.<domain>` or `https://github.com`. A repository is `<url>/<owner>/<name>.git`. */
  readonly url: string;
  /** REST API base (`https://git.<domain>/api/v1`, `https://api.github.com`), as the scaffolder and Argo CD's SCM generator take it. */
  readonly apiUrl: string;
  /** In-cluster base URL of the same server, for Jobs and webhooks that must not leave the cluster. @default - `url` */
  readonly inClusterUrl?: string;
  /** Owner (organisation) of the platform's own repositories: `platform-templates`, `pipeline-library`. */
  readonly platformOwner: string;
  /** Owner of a team's repositories: Gitea has one organisation per team; GitHub, the one configured organisation. */
  ownerOf(team: string): string;
  /**
   * A robot credential for `component` with `read` (Argo CD) or `write` (CI, the scaffolder) access to
   * every team's repositories, written to a secret of `namespace`. Resources under `scope`.
   */
  credentialsFor(scope: Construct, request: GitCredentialsRequest): GitCredentials;
  /** Calls `url` on `events` of every team repository (a system webhook in Gitea; the App's webhook on GitHub). */
  webhook(scope: Construct, request: GitWebhookRequest): void;
  /**
   * A repository of `platformOwner` whose default branch holds exactly `files` (path → UTF-8 content):
   * created if missing, one commit when anything differs, nothing when equal. Resources under `scope`.
   */
  publishRepository(scope: Construct, request: PublishRequest): PublishedRepository;
}

export interface GitCredentialsRequest {
  readonly component: string;
  readonly namespace: string;
  readonly access: "read" | "write";
  /** Labels on the secret (e.g. Argo CD's `argocd.argoproj.io/secret-type: repo-creds`). @default {} */
  readonly secretLabels?: Record<string, string>;
  /** Non-secret keys written beside the credential (e.g. Argo CD's `url`, `type`). @default {} */
  readonly secretLiterals?: Record<string, string>;
  /** What must exist first in `namespace` (at least the namespace). */
  readonly after?: ITerraformDependable[];
}

/**
 * Where a robot credential lives. `token`: keys `username` and `password` (an access token), as
 * Argo CD repository credentials and Jenkins username/password credentials read them. `githubApp`:
 * keys `appId`, `installationId` and `privateKey` (PEM), and `clientId`, `clientSecret` and
 * `webhookSecret` (Backstage's GitHub integration refuses an App without them).
 */
export interface GitCredentials {
  readonly kind: "token" | "githubApp";
  /** The secret (its `key` is the main key: `password` or `privateKey`). */
  readonly secret: SecretKeyRef;
  readonly ready: ITerraformDependable[];
}

export interface GitWebhookRequest {
  /** Who asks: the webhook's name derives from it. */
  readonly component: string;
  readonly url: string;
  readonly events: ("push" | "pull_request" | "create" | "delete" | "repository")[];
  /** A secret key whose value signs the payloads (HMAC), when the receiver checks it. @default - unsigned */
  readonly signingSecret?: SecretKeyRef;
  readonly after?: ITerraformDependable[];
}

export interface PublishRequest {
  /** Repository name under `platformOwner`. */
  readonly name: string;
  readonly description: string;
  /** Path → content; the commit removes files not listed. Static text: values known only at apply go in `substitutions`. */
  readonly files: Record<string, string>;
  /**
   * Placeholder → value, replaced in every file by the publishing Job: for values Terraform knows only
   * at apply (a registry's account id or login server), so the files themselves stay static. @default {}
   */
  readonly substitutions?: Record<string, string>;
  readonly after?: ITerraformDependable[];
}

export interface PublishedRepository {
  /** `<url>/<platformOwner>/<name>`. */
  readonly url: string;
  /** A file's browsable URL on the default branch: `<url>/src/branch/main/<path>` (Gitea) or `<url>/blob/main/<path>`. */
  fileUrl(path: string): string;
  readonly ready: ITerraformDependable[];
}

/**
 * Where CI reports deployments and Alertmanager reports incidents (offered by `dora`; used by
 * `jenkins` (the pipeline's deployment record), `observability` (Alertmanager), `scripts/fawkes`).
 */
export interface DeliveryEventsService {
  /** In-cluster URL accepting a deployment record: `POST`, JSON, the shape of `DeploymentRecord` (pipeline-library/resources/fawkes/record.js). */
  readonly deploymentsUrl: string;
  /** In-cluster URL accepting Alertmanager's webhook payload (version 4). */
  readonly incidentsUrl: string;
  /** A bearer token for the reporting component, written to a secret of `namespace` (key `token`). */
  credentialFor(scope: Construct, request: { readonly component: string; readonly namespace: string; readonly after?: ITerraformDependable[] }): SecretKeyRef;
}

/** One enabled component as the platform describes it (Backstage's catalog, outputs). */
export interface CatalogEntry {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  /** Its UI, `https://<subdomain>.<domain>`; absent for components without one. */
  readonly url?: string;
  readonly docs: string;
  readonly lifecycle: "production" | "experimental";
  /** The namespace it runs in. */
  readonly namespace: string;
}
