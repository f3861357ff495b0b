import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import { Password } from "@cdktf/provider-random/lib/password";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { DatabaseRef, PlatformContext } from "./context";
import { manifestsRelease, type Values } from "./helm";
import type { Installed, SecretLocation } from "./platform";

/** Label on every admin secret: `scripts/secret <component>` finds credentials by it. */
const ADMIN_SECRET_LABEL = "fawkes.dev/admin-secret";

export interface GeneratedSecretProps {
  /** Component id: the label `scripts/secret` looks for. */
  readonly component: string;
  readonly namespace: string;
  readonly name: string;
  /** Keys holding generated passwords, e.g. ["admin-password"]. */
  readonly passwordKeys: string[];
  /** Keys with fixed, non-secret values (user names). @default {} */
  readonly literals?: Record<string, string>;
  /** Password length. @default 32 */
  readonly length?: number;
  /** What the credential is for, shown in outputs. */
  readonly description: string;
  readonly dependsOn?: ITerraformDependable[];
}

export interface GeneratedSecret {
  readonly secret: SecretV1;
  /** The generated values, to feed into a hash or another secret (never into an output). */
  readonly passwords: Record<string, Password>;
  /** Where the first password lives, for `adminSecrets`. */
  readonly location: SecretLocation;
}

/**
 * Generated credentials in a Kubernetes secret: random at apply time, never a literal in code, in
 * the synthesized JSON or in outputs. Letters and digits only, so every chart and shell quotes them safely.
 */
export function generatedSecret(scope: Construct, id: string, props: GeneratedSecretProps): GeneratedSecret {
  const root = new Construct(scope, id);
  const passwords: Record<string, Password> = {};
  const data: Record<string, string> = { ...(props.literals ?? {}) };
  for (const key of props.passwordKeys) {
    passwords[key] = new Password(root, `Password-${key}`, { length: props.length ?? 32, special: false });
    data[key] = passwords[key].result;
  }
  const secret = new SecretV1(root, "Secret", {
    metadata: {
      name: props.name,
      namespace: props.namespace,
      labels: { [ADMIN_SECRET_LABEL]: props.component, "app.kubernetes.io/part-of": "fawkes" },
      annotations: { "fawkes.dev/description": props.description, "fawkes.dev/password-key": props.passwordKeys[0] },
    },
    data,
    dependsOn: props.dependsOn,
  });
  return {
    secret,
    passwords,
    location: { description: props.description, namespace: props.namespace, name: props.name, key: props.passwordKeys[0] },
  };
}

export interface DatabaseSecretProps {
  readonly namespace: string;
  /** Name of the Kubernetes secret. */
  readonly name: string;
  /** Release name for the ExternalSecret (unique per namespace). @default `${name}-sync` */
  readonly releaseName?: string;
  /**
   * The secret's keys besides the password, as external-secrets templates (`{{ .password }}` is the
   * password, under its `passwordKey`). @default - host, port, database, username, uri and jdbc-url
   */
  readonly template?: Record<string, string>;
  /** The key the password lands in (an env var name, for `envFrom` consumers). @default "password" */
  readonly passwordKey?: string;
  /** Anything else to wait for (the namespace). @default [] */
  readonly dependsOn?: ITerraformDependable[];
  /** Extra labels on the Secret (e.g. Grafana's datasource sidecar label). @default {} */
  readonly labels?: Record<string, string>;
}

export interface DatabaseSecret {
  /** The secret's name as a reference to the Terraform resource that owns it: use it in values. */
  readonly name: string;
  /** Wait for these before a pod reads the secret. */
  readonly ready: ITerraformDependable[];
}

/** The default connection keys of a database secret. */
function connectionTemplate(db: DatabaseRef): Record<string, string> {
  const ssl = db.tls ? "?sslmode=require" : "";
  return {
    host: db.host,
    port: String(db.port),
    database: db.database,
    username: db.username,
    uri: `postgresql://${db.username}:{{ .password | urlquery }}@${db.host}:${db.port}/${db.database}${ssl}`,
    "jdbc-url": `jdbc:postgresql://${db.host}:${db.port}/${db.database}${db.tls ? "?ssl=true&sslmode=require" : ""}`,
  };
}

/**
 * The database's connection in a Kubernetes secret of the component's namespace. Terraform owns the
 * Secret object (so its name is a reference, and it goes when the component goes); external-secrets
 * fills it from wherever the foundation keeps the password, which never passes through Terraform.
 */
export function databaseSecret(
  scope: Construct,
  id: string,
  ctx: PlatformContext,
  deps: Installed,
  db: DatabaseRef,
  props: DatabaseSecretProps,
): DatabaseSecret {
  const root = new Construct(scope, id);
  const shell = new SecretV1(root, "Secret", {
    metadata: { name: props.name, namespace: props.namespace, labels: { ...props.labels, "app.kubernetes.io/part-of": "fawkes" } },
    // external-secrets writes the data and its own annotations: Terraform leaves them alone.
    lifecycle: { ignoreChanges: ["data", "metadata[0].annotations", "metadata[0].labels"] },
    dependsOn: props.dependsOn,
  });
  const sync = manifestsRelease(root, "Sync", ctx, {
    name: props.releaseName ?? `${props.name}-sync`,
    namespace: props.namespace,
    dependsOn: [shell, ...deps.ready("secrets"), ...db.dependsOn],
    manifests: [
      externalSecret({
        name: props.name,
        namespace: props.namespace,
        store: { kind: "ClusterSecretStore", name: deps.service("secretStoreName") },
        // Merge into the Secret Terraform created; the fetched `password` key is kept as it is.
        creationPolicy: "Merge",
        template: { engineVersion: "v2", mergePolicy: "Merge", data: props.template ?? connectionTemplate(db) },
        keys: [{ secretKey: props.passwordKey ?? "password", key: db.password.key, property: db.password.property }],
      }),
    ],
  });
  return { name: shell.metadata.name, ready: [shell, sync] };
}

/** One key of an ExternalSecret: the target Secret's key and where its value lives in the store. */
export interface ExternalKey {
  readonly secretKey: string;
  readonly key: string;
  readonly property?: string;
}

/**
 * An external-secrets `ExternalSecret` writing `keys` from `store` into the Secret `name` of
 * `namespace`, refreshed hourly: the one shape every component's sync uses (`creationPolicy`
 * `Merge` into a Secret Terraform created, or `Owner`; `template` renames, adds literals or labels).
 */
export function externalSecret(p: {
  readonly name: string;
  readonly namespace: string;
  readonly store: { readonly kind: "ClusterSecretStore" | "SecretStore"; readonly name: string };
  readonly creationPolicy: "Owner" | "Merge";
  readonly template?: Values;
  readonly keys: readonly ExternalKey[];
}): Values {
  return {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata: { name: p.name, namespace: p.namespace },
    spec: {
      refreshInterval: "1h",
      secretStoreRef: { kind: p.store.kind, name: p.store.name },
      target: { name: p.name, creationPolicy: p.creationPolicy, ...(p.template ? { template: p.template } : {}) },
      data: p.keys.map((k) => ({ secretKey: k.secretKey, remoteRef: { key: k.key, ...(k.property !== undefined ? { property: k.property } : {}) } })),
    },
  };
}
