/**
 * keycloak-config-cli as a Helm hook Job (its chart has no working Helm repository): it reads the
 * realm document from a ConfigMap and makes Keycloak match it, through the admin API.
 *
 * Idempotent and re-run on every change: a post-install/post-upgrade hook, the previous run deleted
 * before the next (a Job's template is immutable), and the realm document's hash is an annotation of
 * the Job, so a changed document changes the release's values and Helm upgrades (re-running it); an
 * unchanged one leaves the release alone. keycloak-config-cli itself skips an import whose checksum
 * it has already applied.
 *
 * What it may delete: with remote state on, keycloak-config-cli records in the realm what it created
 * and only ever removes those (a client Fawkes no longer declares). Groups, clients, identity
 * providers and mappers an operator adds by hand are left alone (`no-delete`) unless
 * `identity.realm.manage: full` says the document is the whole truth for them.
 */

/** keycloak-config-cli built against Keycloak 26.5 (the server runs 26.5.6; the admin API is the same in a minor). */
const CONFIG_CLI_IMAGE = "docker.io/adorsys/keycloak-config-cli:6.5.0-26.5.4";

/** `additive`: never delete what Fawkes did not create; `full`: the document is the whole truth. */
export type RealmManagement = "additive" | "full";

/** Resource types keycloak-config-cli fully manages unless told `no-delete` (its docs/MANAGED.md). */
const MANAGED_TYPES = ["group", "client", "client-scope", "identity-provider", "identity-provider-mapper", "required-action", "role"] as const;

export interface RealmJobProps {
  readonly namespace: string;
  /** In-cluster admin URL of Keycloak (its Service). */
  readonly keycloakUrl: string;
  /** Secret with `username` and `password` of the master realm's admin. */
  readonly adminSecret: string;
  /** ConfigMap holding the realm document (`*.json`). */
  readonly realmConfigMap: string;
  /** Annotation value that changes whenever the document does. */
  readonly realmHash: string;
  /** Secret with one key per environment variable the document substitutes (client secrets, admin password). */
  readonly envSecrets: string[];
  readonly manage: RealmManagement;
  readonly deadlineSeconds: number;
}

/** keycloak-config-cli's settings, as the Spring environment variables it reads. */
export function configCliSettings(manage: RealmManagement): Record<string, string> {
  const mode = manage === "full" ? "full" : "no-delete";
  return {
    IMPORT_FILES_LOCATIONS: "/config/*.json",
    IMPORT_VARSUBSTITUTION_ENABLED: "true",
    // Remember what Fawkes created, so only that is ever purged.
    IMPORT_REMOTESTATE_ENABLED: "true",
    // Skip an import whose checksum was already applied: a re-run with no change changes nothing.
    IMPORT_CACHE_ENABLED: "true",
    IMPORT_VALIDATE: "true",
    ...Object.fromEntries(MANAGED_TYPES.map((t) => [`IMPORT_MANAGED_${t.toUpperCase().replace(/-/g, "")}`, mode])),
    KEYCLOAK_AVAILABILITYCHECK_ENABLED: "true",
    KEYCLOAK_AVAILABILITYCHECK_TIMEOUT: "600s",
  };
}

export function realmJob(props: RealmJobProps): Record<string, unknown> {
  const fromAdmin = (key: string) => ({ valueFrom: { secretKeyRef: { name: props.adminSecret, key } } });
  const settings = configCliSettings(props.manage);
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: "keycloak-realm",
      namespace: props.namespace,
      labels: { "app.kubernetes.io/part-of": "fawkes", "app.kubernetes.io/name": "keycloak-config-cli" },
      annotations: {
        "helm.sh/hook": "post-install,post-upgrade",
        "helm.sh/hook-delete-policy": "before-hook-creation",
        "fawkes.dev/realm-hash": props.realmHash,
      },
    },
    spec: {
      backoffLimit: 3,
      activeDeadlineSeconds: props.deadlineSeconds,
      ttlSecondsAfterFinished: 86400,
      template: {
        metadata: { labels: { "app.kubernetes.io/name": "keycloak-config-cli" }, annotations: { "fawkes.dev/realm-hash": props.realmHash } },
        spec: {
          restartPolicy: "Never",
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: 1001, runAsGroup: 1001, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: "keycloak-config-cli",
              image: CONFIG_CLI_IMAGE,
              env: [
                { name: "KEYCLOAK_URL", value: props.keycloakUrl },
                { name: "KEYCLOAK_USER", ...fromAdmin("username") },
                { name: "KEYCLOAK_PASSWORD", ...fromAdmin("password") },
                ...Object.entries(settings).map(([name, value]) => ({ name, value })),
              ],
              // Client secrets, the broker's and the platform admin's password: substituted as $(env:...).
              envFrom: props.envSecrets.map((name) => ({ secretRef: { name } })),
              volumeMounts: [
                { name: "realm", mountPath: "/config", readOnly: true },
                { name: "tmp", mountPath: "/tmp" },
              ],
              resources: { requests: { cpu: "100m", memory: "384Mi" }, limits: { memory: "768Mi" } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
            },
          ],
          volumes: [
            { name: "realm", configMap: { name: props.realmConfigMap } },
            { name: "tmp", emptyDir: {} },
          ],
        },
      },
    },
  };
}
