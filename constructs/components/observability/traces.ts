import type { ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import type { PlatformContext } from "../../context";
import { platformRelease, releaseValues, renderYaml, type Values } from "../../helm";
import type { PodGroup } from "../../sizes";
import { objectStore, type ObjectStore } from "./logs";

export const TEMPO_RELEASE = "tempo";
const TEMPO_SERVICE_ACCOUNT = "tempo";

/** Tempo's `storage.trace` for the store, keyless like Loki's (workload identity on every cloud). */
function tempoStorage(store: ObjectStore): Values {
  const wal = { path: "/var/tempo/wal" };
  switch (store.kind) {
    case "s3":
      return { backend: "s3", wal, s3: { bucket: store.bucket, endpoint: store.endpoint, region: store.region, forcepathstyle: store.pathStyle } };
    case "azure":
      return { backend: "azure", wal, azure: { container_name: store.container, storage_account_name: store.accountName, use_federated_token: true } };
    case "gcs":
      return { backend: "gcs", wal, gcs: { bucket_name: store.bucket } };
    case "filesystem":
      return { backend: "local", wal, local: { path: "/var/tempo/traces" } };
  }
}

export interface TraceStore {
  readonly release: ITerraformDependable;
  /** Query API inside the cluster. */
  readonly url: string;
  /** OTLP gRPC receiver (`host:port`), where Alloy sends. */
  readonly otlpGrpc: string;
  readonly pods: PodGroup[];
}

/**
 * Tempo, monolithic (the `tempo` chart; `tempo-distributed` is the larger option), single tenant,
 * blocks in the foundation's bucket under workload identity, retention by profile. Its metrics
 * generator writes service-graph and span metrics to Prometheus (remote write), which Grafana's
 * service map and traces-to-metrics read.
 */
export function installTempo(root: Construct, ctx: PlatformContext, namespace: string, prometheusUrl: string, after: ITerraformDependable[]): TraceStore {
  const bucket = ctx.bucket(root, "tempo");
  const store = objectStore(bucket);
  const identity =
    store.kind === "filesystem" ? undefined : ctx.workloadIdentity(root, { namespace, name: TEMPO_SERVICE_ACCOUNT }, [{ bucket, access: "readwrite" }]);
  const pool = ctx.nodePools.workloads;
  const values = releaseValues(ctx, "observability-tempo", {
    tempo: {
      multitenancyEnabled: false,
      storage: { trace: tempoStorage(store) },
      metricsGenerator: { enabled: true, remoteWriteUrl: `${prometheusUrl}/api/v1/write` },
    },
    serviceAccount: { create: true, name: TEMPO_SERVICE_ACCOUNT, annotations: identity?.serviceAccountAnnotations ?? {} },
    podLabels: identity?.podLabels ?? {},
    // The WAL (and, on a laptop, the blocks) survive restarts.
    persistence: { enabled: true, storageClassName: ctx.storageClass },
    nodeSelector: pool.nodeSelector,
    tolerations: pool.tolerations,
  });
  const release = platformRelease(root, "Tempo", ctx, {
    chart: "tempo",
    name: TEMPO_RELEASE,
    namespace,
    createNamespace: false,
    dependsOn: [...after, ...bucket.dependsOn, ...(identity?.dependsOn ?? [])],
    values: [renderYaml(values)],
  });
  const tempo = (values.tempo ?? {}) as Values;
  return {
    release,
    url: `http://${TEMPO_RELEASE}.${namespace}.svc:3200`,
    otlpGrpc: `${TEMPO_RELEASE}.${namespace}.svc:4317`,
    pods: [{ resources: tempo.resources, replicas: values.replicas }],
  };
}
