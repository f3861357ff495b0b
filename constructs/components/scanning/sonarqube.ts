import type { PlatformContext } from "../../context";
import { poolAffinity, releaseValues, valuesFile, type IngressParts, type Values } from "../../helm";

/** Operator-editable values of the SonarQube chart: `helm-values/scanning-sonarqube.yaml` (+ profiles). */
const SONARQUBE_VALUES = "scanning-sonarqube";

/** Namespace of SonarQube and the Trivy operator (the component id). */
export const SCANNING_NAMESPACE = "scanning";
/** Helm release of SonarQube; the chart names its objects `<release>-sonarqube`. */
export const SONARQUBE_RELEASE = "sonarqube";
/**
 * SonarQube's web API and UI inside the cluster, for CI (Jenkins' sonar plugin, scanners in agent
 * pods). `<service>.<namespace>.svc` resolves through the pods' DNS search path on any cluster domain.
 */
export const SONARQUBE_URL = `http://${SONARQUBE_RELEASE}-sonarqube.${SCANNING_NAMESPACE}.svc:9000`;

/** The generated admin credential: `password` (generated), `username` and the factory `currentPassword`. */
export const SONARQUBE_ADMIN_SECRET = "sonarqube-admin";
/** The generated passcode SonarQube's liveness probe and Prometheus send to /api/monitoring/metrics. */
export const SONARQUBE_PASSCODE_SECRET = "sonarqube-monitoring";
export const SONARQUBE_PASSCODE_KEY = "passcode";
/** The database connection synced by external-secrets (keys of `databaseSecret`). */
export const SONARQUBE_DB_SECRET = "sonarqube-db";

export interface SonarqubeOverlay {
  readonly ingress: IngressParts;
  readonly monitoring: boolean;
  /** The synced database secret (its keys are SonarQube's SONAR_JDBC_* variables). */
  readonly databaseSecret: string;
  /** Settings for sonar.properties (single sign-on). @default - none */
  readonly sonarProperties?: Values;
}

/** The database secret's keys: SonarQube reads SONAR_JDBC_* from its environment. */
export const SONARQUBE_JDBC_PASSWORD_KEY = "SONAR_JDBC_PASSWORD";
export function sonarqubeJdbcTemplate(db: { host: string; port: number; database: string; username: string; tls: boolean }): Record<string, string> {
  return {
    SONAR_JDBC_URL: `jdbc:postgresql://${db.host}:${db.port}/${db.database}${db.tls ? "?ssl=true&sslmode=require" : ""}`,
    SONAR_JDBC_USERNAME: db.username,
  };
}

/**
 * The SonarQube chart's values: `helm-values/scanning-sonarqube.yaml`, the profile's sizes, then what
 * Fawkes computes. Every connection secret comes from a Kubernetes secret, none through the values.
 */
export function sonarqubeValues(ctx: PlatformContext, o: SonarqubeOverlay): Values {
  return releaseValues(ctx, SONARQUBE_VALUES, {
    // URL, user and password all from the synced secret, loaded as environment (envFrom): the
    // chart's jdbcOverwrite would copy URL and user into a ConfigMap.
    extraConfig: { secrets: [o.databaseSecret] },
    monitoringPasscodeSecretName: SONARQUBE_PASSCODE_SECRET,
    monitoringPasscodeSecretKey: SONARQUBE_PASSCODE_KEY,
    // The chart's post-install hook changes the factory admin password to the generated one.
    setAdminPassword: { passwordSecretName: SONARQUBE_ADMIN_SECRET },
    // No ingressClassName (a key the chart only documents in a comment): the platform's IngressClass
    // is the cluster default, which Kubernetes assigns to the Ingress on creation.
    ingress: {
      enabled: true,
      annotations: o.ingress.annotations,
      hosts: [{ name: o.ingress.host, path: "/", pathType: "Prefix" }],
      tls: [{ secretName: o.ingress.tlsSecret, hosts: [o.ingress.host] }],
    },
    // Affinity, not nodeSelector: the chart gives its admin-password hook only affinity and tolerations.
    affinity: poolAffinity(ctx.nodePools.workloads),
    tolerations: ctx.nodePools.workloads.tolerations,
    persistence: { storageClass: ctx.storageClass },
    prometheusMonitoring: { podMonitor: { enabled: o.monitoring } },
    ...(o.sonarProperties ? { sonarProperties: o.sonarProperties } : {}),
  });
}

/**
 * The image the chart runs (`image.tag`, else the pinned Community Build), reused by the analysis
 * token job: it has curl and a shell, and no second image needs pinning or trusting.
 */
function sonarqubeImage(): string {
  const v = valuesFile(SONARQUBE_VALUES) as { image?: { repository?: string; tag?: string }; community?: { buildNumber?: string } };
  const repository = v.image?.repository ?? "sonarqube";
  const tag = v.image?.tag ?? (v.community?.buildNumber ? `${v.community.buildNumber}-community` : undefined);
  if (!tag) throw new Error(`helm-values/${SONARQUBE_VALUES}.yaml must pin community.buildNumber or image.tag`);
  return `${repository}:${tag}`;
}

/** One container of a SonarQube API Job: a POSIX script run in the SonarQube image. */
interface ApiJobContainer {
  readonly name: string;
  readonly script: string;
  readonly env: Values[];
  readonly volumeMounts?: Values[];
}

/**
 * A Helm hook Job that talks to SonarQube's API with the admin password (the token minter, the SAML
 * setup): re-run on every upgrade (a plain Job's spec is immutable) and waited for by Helm, on the
 * workloads pool, "restricted" pod security, the SonarQube image for its curl and sh.
 */
export function sonarqubeApiJob(
  ctx: PlatformContext,
  props: { name: string; labels?: Record<string, string>; serviceAccountName?: string; pod?: Values; container: ApiJobContainer },
): Values {
  const pool = ctx.nodePools.workloads;
  const c = props.container;
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: props.name,
      namespace: SCANNING_NAMESPACE,
      ...(props.labels ? { labels: props.labels } : {}),
      annotations: { "helm.sh/hook": "post-install,post-upgrade", "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded" },
    },
    spec: {
      backoffLimit: 4,
      activeDeadlineSeconds: 840,
      template: {
        spec: {
          ...(props.serviceAccountName ? { serviceAccountName: props.serviceAccountName } : {}),
          restartPolicy: "OnFailure",
          // Without a service account of its own the pod needs no API token.
          ...(props.serviceAccountName ? {} : { automountServiceAccountToken: false }),
          nodeSelector: pool.nodeSelector,
          tolerations: pool.tolerations,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
          ...(props.pod ?? {}),
          containers: [
            {
              name: c.name,
              image: sonarqubeImage(),
              command: ["/bin/sh", "-c", c.script],
              env: c.env,
              ...(c.volumeMounts ? { volumeMounts: c.volumeMounts } : {}),
              resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
              securityContext: { allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
            },
          ],
        },
      },
    },
  };
}
