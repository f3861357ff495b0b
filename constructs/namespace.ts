import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import type { Construct } from "constructs";
import type { PlatformContext } from "./context";

/** Pod Security Standard a namespace enforces (https://kubernetes.io/docs/concepts/security/pod-security-standards/). */
export type PodSecurityLevel = "restricted" | "baseline" | "privileged";

/**
 * A component's namespace, labelled with the Pod Security level it enforces. Created by Terraform
 * (not by `helm --create-namespace`) so the labels are there before the first pod.
 */
export function platformNamespace(scope: Construct, ctx: PlatformContext, name: string, podSecurity: PodSecurityLevel = "restricted"): NamespaceV1 {
  return new NamespaceV1(scope, "Namespace", {
    metadata: {
      name,
      labels: {
        "app.kubernetes.io/part-of": "fawkes",
        "pod-security.kubernetes.io/enforce": podSecurity,
        "pod-security.kubernetes.io/warn": "restricted",
      },
    },
    dependsOn: ctx.ready,
  });
}
