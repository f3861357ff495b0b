import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import type { Construct } from "constructs";
import type { ClusterAccess } from "../constructs/context";

/**
 * The helm and kubernetes providers, wired to the foundation's cluster in the same stack: endpoint
 * and CA from the cluster resource, credentials from the cloud's exec plugin at apply time (a token
 * fetched at plan time would expire during a long apply, and would be written into the plan).
 */
export function clusterProviders(scope: Construct, access: ClusterAccess): void {
  const exec = access.exec && { apiVersion: access.exec.apiVersion, command: access.exec.command, args: access.exec.args, env: access.exec.env };
  new KubernetesProvider(scope, "Kubernetes", {
    host: access.host,
    clusterCaCertificate: access.clusterCaCertificate,
    exec: exec ? [exec] : undefined,
    configPath: access.configPath,
    configContext: access.configContext,
  });
  new HelmProvider(scope, "Helm", {
    kubernetes: {
      host: access.host,
      clusterCaCertificate: access.clusterCaCertificate,
      exec,
      configPath: access.configPath,
      configContext: access.configContext,
    },
  });
  // Generated admin passwords (random_password) for components.
  new RandomProvider(scope, "Random");
}
