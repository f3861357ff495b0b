import type { ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import { stringify } from "yaml";
import type { PlatformContext } from "../../context";
import { ingressFor, platformRelease, releaseValues, renderYaml, type Values } from "../../helm";
import { issuerReach, type CaBundle, type HostAlias, type IssuerReach } from "../../in-cluster-issuer";
import { monitoringCrds } from "../../monitoring";
import { platformNamespace } from "../../namespace";
import type { Component, ComponentOutput, Installed } from "../../platform";
import { generatedSecret } from "../../secrets";
import { sumRequests } from "../../sizes";
import { defaultAgentPod, kanikoAgentPod } from "./agents";
import { casc, credentialsCasc, globalEnvCasc, groupMatrix, oicSecurityRealm, platformCasc, sonarqubeCasc, sonarqubeCredential } from "./jcasc";
import { pipelineWiring, TEAM_NAME } from "./pipeline";

export { KANIKO_DOCKER_CONFIG } from "./agents";
export { SONARQUBE_CREDENTIAL_ID, SONARQUBE_SERVER_NAME } from "./jcasc";
export { BUILDER_DOCKER_CONFIG, BUILDER_SERVICE_ACCOUNT, DELIVERY_EVENTS_CREDENTIAL_ID, GIT_CREDENTIAL_ID, LIBRARY_NAME, libraryFiles } from "./pipeline";

export interface JenkinsProps {
  /**
   * DNS label Jenkins is served under: `ci` gives https://ci.<domain>.
   * @default "jenkins"
   */
  readonly subdomain?: string;
  /**
   * How long Helm may wait for Jenkins to become ready; the first start downloads the plugins.
   * @default 15
   */
  readonly installTimeoutMinutes?: number;
  /**
   * Builds kept per job when the job sets no discarder of its own.
   * @default 50
   */
  readonly buildsToKeep?: number;
  /**
   * Break-glass: keep the generated `admin` (secret `jenkins-admin`) as oic-auth's escape hatch while
   * SSO is on, for when the identity provider is down. Without identity the local admin is the realm.
   * @default false - with identity installed, only SSO signs in
   */
  readonly breakGlass?: boolean;
  /**
   * Teams (identity groups): each gets an organisation folder building its repositories with the
   * Fawkes pipeline, when a git service is offered.
   * @default []
   */
  readonly teams?: readonly string[];
}

const ADMIN_SECRET = "jenkins-admin";

/**
 * Jenkins configured as code: pinned plugins, a generated admin password, builds in Kubernetes agent
 * pods on the workloads pool (none privileged; images built with kaniko, no Docker daemon), and,
 * when a code-analysis service is offered (scanning), SonarQube wired in with a token minted for Jenkins.
 */
export class JenkinsComponent implements Component {
  readonly id = "jenkins";
  readonly needs = ["ingress", "tls"];
  // Argo CD first: the builder may read its Applications. git: the pipeline's repositories. dora:
  // the delivery-events seam the pipeline reports deployments to.
  readonly uses = ["scanning", "observability", "identity", "git", "argocd", "dora"];
  readonly info: Component["info"];

  private readonly subdomain: string;
  private readonly timeout: number;
  private readonly buildsToKeep: number;
  private readonly breakGlass: boolean;
  private readonly teams: readonly string[];

  constructor(props: JenkinsProps = {}) {
    this.subdomain = props.subdomain ?? "jenkins";
    this.timeout = props.installTimeoutMinutes ?? 15;
    this.buildsToKeep = props.buildsToKeep ?? 50;
    this.breakGlass = props.breakGlass ?? false;
    this.teams = props.teams ?? [];
    for (const t of this.teams) {
      if (!TEAM_NAME.test(t)) throw new Error(`JenkinsProps.teams must be team names (a-z, 0-9, "-"), got "${t}"`);
    }
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(this.subdomain)) {
      throw new Error(`JenkinsProps.subdomain must be a DNS label (a-z, 0-9, "-"), got "${this.subdomain}"`);
    }
    if (!(Number.isInteger(this.timeout) && this.timeout >= 5 && this.timeout <= 60)) {
      throw new Error(`JenkinsProps.installTimeoutMinutes must be a whole number from 5 to 60, got ${props.installTimeoutMinutes}`);
    }
    if (!(Number.isInteger(this.buildsToKeep) && this.buildsToKeep >= 1)) {
      throw new Error(`JenkinsProps.buildsToKeep must be a whole number of at least 1, got ${props.buildsToKeep}`);
    }
    this.info = {
      title: "Jenkins",
      description: "CI server: pipelines as code in Kubernetes agent pods, rootless image builds with kaniko, SonarQube analysis",
      subdomain: this.subdomain,
      docs: "https://www.jenkins.io/doc/",
      lifecycle: "production",
    };
  }

  install(root: Construct, ctx: PlatformContext, deps: Installed): ComponentOutput {
    // Baseline, not restricted: kaniko runs as uid 0 in its (unprivileged) container. Baseline still
    // refuses privileged pods, host paths (the Docker socket) and host namespaces for every pod here,
    // including pod templates that pipelines define themselves.
    const ns = platformNamespace(root, ctx, this.id, "baseline");
    const ingress = ingressFor(this.subdomain, ctx, deps);
    const pool = ctx.nodePools.workloads;

    const admin = generatedSecret(root, "AdminSecret", {
      component: this.id,
      namespace: this.id,
      name: ADMIN_SECRET,
      passwordKeys: ["jenkins-admin-password"],
      literals: { "jenkins-admin-user": "admin" },
      description: "Jenkins admin password (user admin)",
      dependsOn: [ns],
    });

    const configScripts: Record<string, string> = { fawkes: casc(platformCasc(this.buildsToKeep)) };
    const waitFor: ITerraformDependable[] = [];
    const credentials: Values[] = [];
    const env: Record<string, string> = {};
    // SonarQube, if some component offers code analysis: a token minted for Jenkins, in its namespace.
    const analysis = deps.maybe("codeAnalysis");
    const token = analysis?.tokenFor(root, this.id, this.id, [ns]);
    if (analysis && token) {
      waitFor.push(...token.ready);
      configScripts.sonarqube = casc(sonarqubeCasc(analysis.url));
      credentials.push(sonarqubeCredential(`${token.secret.name}-${token.secret.key}`));
      // The pipeline runs its SAST stage only where this is set.
      env.FAWKES_SONARQUBE_URL = analysis.url;
    }

    // The git service at its public URL (folder scans from the controller, clones in build pods):
    // on a laptop through a host alias to the ingress, trusting the local CA (one bundle for all).
    const git = deps.maybe("git");
    const gitReach = git ? issuerReach(deps, git.url) : undefined;
    let caBundle: CaBundle | undefined;
    const bundleCa = (ca: NonNullable<IssuerReach["ca"]>) => (caBundle ??= ca.bundle(root, this.id, [ns]));
    if (gitReach?.ca) bundleCa(gitReach.ca);

    // The golden path, with a git service: the pipeline library, team folders, the builder.
    const pipeline = pipelineWiring(root, ctx, deps, {
      builderReach: { hostAliases: gitReach?.hostAliases ?? [], caConfigMap: caBundle?.configMap.name },
      namespace: this.id,
      after: [ns],
      teams: this.teams,
      kanikoImage: kanikoImage(releaseValues(ctx, this.id)),
      inClusterUrl: `http://jenkins.${this.id}.svc.cluster.local:8080`,
    });
    if (pipeline) {
      waitFor.push(...pipeline.ready);
      credentials.push(...pipeline.credentials);
      Object.assign(env, pipeline.env);
      configScripts.pipeline = casc(pipeline.casc);
    }
    if (credentials.length) configScripts.credentials = casc(credentialsCasc(credentials));
    if (Object.keys(env).length) configScripts.environment = casc(globalEnvCasc(env));

    // Single sign-on, if the identity service is offered: OpenID Connect realm and a group matrix.
    const url = `https://${ingress.host}`;
    const identity = deps.maybe("identity");
    const client = identity?.registerClient(root, {
      component: this.id,
      namespace: deps.namespaceOf(this.id),
      redirectUris: [`${url}/securityRealm/finishLogin`],
      // oic-auth sends a code challenge (pkceEnabled): Keycloak may require one.
      pkce: true,
      roles: { "platform-admins": "platform-admins", developers: "developers" },
      scopes: ["groups"],
    });
    const mounted = [
      ...(token ? [{ name: token.secret.name, keyName: token.secret.key }] : []),
      ...(client ? [{ name: client.secret.name, keyName: client.secret.key }] : []),
      ...(pipeline?.mounted ?? []),
    ];
    if (client) waitFor.push(...client.ready);
    // oic-auth calls the issuer from the controller: on a laptop, through a host alias to the ingress,
    // and the JVM must trust the local CA (a trust store built at pod start, see localCaTrust).
    const reach = client ? issuerReach(deps, client.issuer) : undefined;
    const hostAliases = mergeAliases([...(reach?.hostAliases ?? []), ...(gitReach?.hostAliases ?? [])]);
    if (reach?.ca) bundleCa(reach.ca);
    if (caBundle) waitFor.push(...caBundle.ready);
    const security = client
      ? {
          securityRealm: casc(
            oicSecurityRealm({
              issuer: client.issuer,
              clientId: client.clientId,
              secretVariable: `${client.secret.name}-${client.secret.key}`,
              groupsClaim: client.groupsClaim,
              url,
              breakGlass: this.breakGlass,
            }),
          ),
          authorizationStrategy: casc(groupMatrix()),
        }
      : {};

    const monitored = deps.has("observability");
    const values = releaseValues(ctx, this.id, {
      controller: {
        // The chart mounts this secret for JCasC's local security realm; it creates none of its own.
        admin: { existingSecret: ADMIN_SECRET },
        ingress: {
          enabled: true,
          ingressClassName: ingress.className,
          annotations: ingress.annotations,
          hostName: ingress.host,
          tls: [{ secretName: ingress.tlsSecret, hosts: [ingress.host] }],
        },
        nodeSelector: pool.nodeSelector,
        tolerations: pool.tolerations,
        JCasC: { configScripts, ...security },
        ...(hostAliases.length ? { hostAliases } : {}),
        // Mounted as /run/secrets/additional/<secret>-<key>, which JCasC reads as ${<secret>-<key>}.
        additionalExistingSecrets: mounted.length > 0 ? mounted : undefined,
        // The chart's ServiceMonitor.
        prometheus: { enabled: monitored },
      },
      agent: { nodeSelector: pool.nodeSelector, yamlTemplate: stringify(defaultAgentPod(pool)) },
      additionalAgents: { kaniko: { nodeSelector: pool.nodeSelector, yamlTemplate: stringify(kanikoAgentPod(pool)) } },
      persistence: { storageClass: ctx.storageClass },
    });
    if (caBundle) trustLocalCa(values, (caBundle as CaBundle).configMap.name);

    const release = platformRelease(root, "Release", ctx, {
      chart: "jenkins",
      name: "jenkins",
      namespace: this.id,
      createNamespace: false,
      timeoutMinutes: this.timeout,
      // Its secrets (the SonarQube token is read at start), the monitoring CRDs for its ServiceMonitor.
      // Not Traefik or cert-manager: the Ingress names its class, the certificate follows its annotation.
      dependsOn: [ns, admin.secret, ...waitFor, ...(monitored ? monitoringCrds(deps) : [])],
      values: [renderYaml(values)],
    });

    const controller = values.controller as { resources?: Values; sidecars?: { configAutoReload?: { enabled?: boolean; resources?: Values } } };
    const reload = controller.sidecars?.configAutoReload;
    return {
      ready: [release],
      endpoints: { jenkins: url },
      adminSecrets: [admin.location],
      // The controller pod; agent pods come and go with builds (bounded by the cloud's container cap).
      requests: sumRequests([{ resources: controller.resources }, { resources: reload?.enabled === false ? undefined : reload?.resources }]),
    };
  }
}

/** Host aliases with one entry per address (the issuer and the git service share the ingress). */
function mergeAliases(aliases: HostAlias[]): HostAlias[] {
  const byIp = new Map<string, Set<string>>();
  for (const a of aliases) for (const h of a.hostnames) byIp.set(a.ip, (byIp.get(a.ip) ?? new Set()).add(h));
  return [...byIp].map(([ip, hosts]) => ({ ip, hostnames: [...hosts] }));
}

/** The pinned kaniko image of helm-values/jenkins.yaml (the `kaniko` agent's container), for the pipeline's pod. */
function kanikoImage(values: Values): string {
  const agents = values.additionalAgents as { kaniko?: { additionalContainers?: { image?: { repository?: string; tag?: string } }[] } } | undefined;
  const image = agents?.kaniko?.additionalContainers?.[0]?.image;
  if (!image?.repository || !image.tag) throw new Error(`helm-values/jenkins.yaml additionalAgents.kaniko must pin its image, got ${JSON.stringify(image)}`);
  return `${image.repository}:${image.tag}`;
}

/** Where the controller's JVM finds its trust store when the issuer is signed by the local CA. */
const LOCAL_TRUSTSTORE = "/var/jenkins_truststore/cacerts.p12";

/**
 * The JDK's own CAs plus the local CA, as a PKCS12 store with no integrity password (Java reads it
 * without one). `changeit` is the JDK's public default password of its own cacerts, not a secret.
 */
const TRUSTSTORE_SCRIPT = [
  "set -eu",
  `out=${LOCAL_TRUSTSTORE}`,
  "pw=\"$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \\n')\"",
  "nomac='-J-Dkeystore.pkcs12.certProtectionAlgorithm=NONE -J-Dkeystore.pkcs12.macAlgorithm=NONE'",
  'keytool $nomac -importkeystore -noprompt -srckeystore "$JAVA_HOME/lib/security/cacerts" -srcstorepass changeit -destkeystore "$out" -deststoretype PKCS12 -deststorepass "$pw"',
  'keytool $nomac -importcert -noprompt -alias fawkes-local-ca -file /var/run/fawkes-ca/ca.crt -keystore "$out" -storetype PKCS12 -storepass "$pw"',
].join("\n");

/**
 * Makes the controller's JVM trust the local CA: an init container (the controller's own image, for
 * its keytool and JDK) builds the store into a volume the controller mounts, and javaOpts point at it.
 */
function trustLocalCa(values: Values, caConfigMap: string): void {
  const controller = values.controller as Values & { javaOpts?: string; image?: Values };
  const image = controller.image as { registry?: string; repository?: string; tag?: string } | undefined;
  controller.javaOpts = `${controller.javaOpts ?? ""} -Djavax.net.ssl.trustStore=${LOCAL_TRUSTSTORE} -Djavax.net.ssl.trustStoreType=PKCS12`.trim();
  controller.customInitContainers = [
    {
      name: "local-ca-truststore",
      image: `${image?.registry ?? "docker.io"}/${image?.repository ?? "jenkins/jenkins"}:${image?.tag}`,
      imagePullPolicy: "IfNotPresent",
      command: ["/bin/sh", "-c", TRUSTSTORE_SCRIPT],
      securityContext: { runAsNonRoot: true, runAsUser: 1000, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
      volumeMounts: [
        { name: "fawkes-ca", mountPath: "/var/run/fawkes-ca", readOnly: true },
        { name: "local-truststore", mountPath: "/var/jenkins_truststore" },
      ],
    },
  ];
  const persistence = (values.persistence ?? {}) as Values;
  persistence.volumes = [
    { name: "fawkes-ca", configMap: { name: caConfigMap } },
    { name: "local-truststore", emptyDir: {} },
  ];
  persistence.mounts = [{ name: "local-truststore", mountPath: "/var/jenkins_truststore", readOnly: true }];
  values.persistence = persistence;
}
