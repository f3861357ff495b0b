import type { ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import type { BucketRef, PlatformContext } from "../../context";
import { platformRelease, releaseValues, renderYaml, type Values } from "../../helm";
import type { PodGroup } from "../../sizes";

export const LOKI_RELEASE = "loki";
const LOKI_SERVICE_ACCOUNT = "loki";

/** Where a log or trace store keeps its blocks: the foundation's bucket, else a volume (a laptop). */
export type ObjectStore =
  | { readonly kind: "s3"; readonly bucket: string; readonly endpoint: string; readonly region: string; readonly pathStyle: boolean }
  | { readonly kind: "azure"; readonly container: string; readonly accountName: string }
  | { readonly kind: "gcs"; readonly bucket: string }
  | { readonly kind: "filesystem" };

/** What the foundation's bucket speaks, from the BucketRef alone (components never ask which cloud). */
export function objectStore(bucket: BucketRef): ObjectStore {
  if (bucket.s3) return { kind: "s3", bucket: bucket.name, ...bucket.s3 };
  if (bucket.azureBlob) return { kind: "azure", container: bucket.name, accountName: bucket.azureBlob.accountName };
  if (bucket.gcs) return { kind: "gcs", bucket: bucket.name };
  return { kind: "filesystem" };
}

/**
 * Loki's storage values for the store, keyless: S3 through IRSA/Pod Identity (the SDK's default
 * chain), Azure Blob through the federated workload identity token, GCS through workload identity.
 */
function lokiStorage(store: ObjectStore): Values {
  switch (store.kind) {
    case "s3":
      return {
        type: "s3",
        bucketNames: { chunks: store.bucket, ruler: store.bucket, admin: store.bucket },
        s3: { region: store.region, endpoint: store.endpoint, s3ForcePathStyle: store.pathStyle },
      };
    case "azure":
      return {
        type: "azure",
        bucketNames: { chunks: store.container, ruler: store.container, admin: store.container },
        azure: { accountName: store.accountName, useFederatedToken: true },
      };
    case "gcs":
      return { type: "gcs", bucketNames: { chunks: store.bucket, ruler: store.bucket, admin: store.bucket } };
    case "filesystem":
      return { type: "filesystem" };
  }
}

export interface LogStore {
  readonly release: ITerraformDependable;
  /** Query and push API inside the cluster. */
  readonly url: string;
  readonly pods: PodGroup[];
}

/**
 * Loki in its single-binary (Monolithic) mode, single tenant (`auth_enabled: false`; only the
 * observability namespace reaches it, see the network policy), chunks and index (TSDB) in the
 * foundation's bucket under the service account's workload identity, retention by profile
 * (`helm-values/profiles/<profile>/observability-loki.yaml`) enforced by the compactor.
 */
export function installLoki(root: Construct, ctx: PlatformContext, namespace: string, after: ITerraformDependable[]): LogStore {
  const bucket = ctx.bucket(root, "loki");
  const store = objectStore(bucket);
  const identity =
    store.kind === "filesystem" ? undefined : ctx.workloadIdentity(root, { namespace, name: LOKI_SERVICE_ACCOUNT }, [{ bucket, access: "readwrite" }]);
  const objectStoreName = store.kind;
  const pool = ctx.nodePools.workloads;
  const values = releaseValues(ctx, "observability-loki", {
    loki: {
      storage: lokiStorage(store),
      schemaConfig: {
        configs: [{ from: "2026-01-01", store: "tsdb", object_store: objectStoreName, schema: "v13", index: { prefix: "index_", period: "24h" } }],
      },
      // Deletes past the retention period, from the same store the chunks are in.
      compactor: { retention_enabled: true, delete_request_store: objectStoreName },
      podLabels: identity?.podLabels ?? {},
    },
    serviceAccount: { create: true, name: LOKI_SERVICE_ACCOUNT, annotations: identity?.serviceAccountAnnotations ?? {} },
    singleBinary: {
      // A laptop keeps the chunks on the volume too.
      persistence: { enabled: true, storageClass: ctx.storageClass },
      nodeSelector: pool.nodeSelector,
      tolerations: pool.tolerations,
    },
  });
  const release = platformRelease(root, "Loki", ctx, {
    chart: "loki",
    name: LOKI_RELEASE,
    namespace,
    createNamespace: false,
    dependsOn: [...after, ...bucket.dependsOn, ...(identity?.dependsOn ?? [])],
    values: [renderYaml(values)],
  });
  const at = (...path: string[]) => path.reduce<Values>((o, k) => (o[k] ?? {}) as Values, values);
  return {
    release,
    url: `http://${LOKI_RELEASE}.${namespace}.svc:3100`,
    pods: [{ resources: at("singleBinary").resources, replicas: at("singleBinary").replicas }],
  };
}
