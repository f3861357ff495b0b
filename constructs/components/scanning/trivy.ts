import type { PlatformContext } from "../../context";
import { releaseValues, type Values } from "../../helm";

/** Operator-editable values of the Trivy operator chart: `helm-values/scanning-trivy-operator.yaml` (+ profiles). */
const TRIVY_VALUES = "scanning-trivy-operator";
export const TRIVY_RELEASE = "trivy-operator";

/**
 * The Trivy operator's values: it and its scan jobs on the workloads pool, the chart's
 * ServiceMonitor when Prometheus is there. What is scanned and how is in the values file.
 */
export function trivyValues(ctx: PlatformContext, monitoring: boolean): Values {
  const pool = ctx.nodePools.workloads;
  return releaseValues(ctx, TRIVY_VALUES, {
    nodeSelector: pool.nodeSelector,
    tolerations: pool.tolerations,
    trivyOperator: { scanJobNodeSelector: pool.nodeSelector, scanJobTolerations: pool.tolerations },
    serviceMonitor: { enabled: monitoring },
  });
}
