/**
 * cluster-autoscaler image tag per Kubernetes minor: the autoscaler must run the cluster's minor
 * (it vendors that minor's scheduler), whatever the chart defaults to. Patch tags are the latest
 * released for each minor (registry.k8s.io/autoscaling/cluster-autoscaler); bump them here, and
 * add a row before offering a new minor.
 */
export const CLUSTER_AUTOSCALER_TAGS: Readonly<Record<string, string>> = {
  "1.31": "v1.31.2",
  "1.32": "v1.32.5",
  "1.33": "v1.33.5",
  "1.34": "v1.34.4",
  "1.35": "v1.35.1",
  "1.36": "v1.36.0",
  "1.37": "v1.37.0",
};

/** The image tag for a cluster's minor; fails synth for a minor with no matching autoscaler. */
export function clusterAutoscalerTag(kubernetesVersion: string): string {
  const tag = CLUSTER_AUTOSCALER_TAGS[kubernetesVersion];
  if (!tag) {
    throw new Error(
      `EksFoundationProps.kubernetesVersion must be a minor with a known cluster-autoscaler release (${Object.keys(CLUSTER_AUTOSCALER_TAGS).join(", ")}; see constructs/foundations/eks/autoscaler.ts), got "${kubernetesVersion}"`,
    );
  }
  return tag;
}
