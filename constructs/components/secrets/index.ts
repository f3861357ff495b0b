import type { Construct } from "constructs";
import type { PlatformContext } from "../../context";
import { manifestsRelease, platformRelease, releaseValues, renderYaml } from "../../helm";
import { platformNamespace } from "../../namespace";
import type { Component, ComponentOutput, Installed } from "../../platform";

/** The ClusterSecretStore every component's ExternalSecrets read from. */
const SECRET_STORE = "fawkes";
const SERVICE_ACCOUNT = "external-secrets";

/**
 * external-secrets with one ClusterSecretStore over the foundation's secret manager (Secrets
 * Manager, Key Vault, Secret Manager, or in-cluster), reached with workload identity.
 */
export class SecretsComponent implements Component {
  readonly id = "secrets";
  readonly needs = [];
  readonly info = {
    title: "External Secrets",
    description: "Syncs database passwords and other secrets from the cloud secret manager into namespaces",
    docs: "https://external-secrets.io/",
    lifecycle: "production",
  } as const;

  install(root: Construct, ctx: PlatformContext, _deps: Installed): ComponentOutput {
    const ns = platformNamespace(root, ctx, this.id);
    const identity = ctx.workloadIdentity(root, { namespace: this.id, name: SERVICE_ACCOUNT }, [{ secrets: "read" }]);
    const placement = { nodeSelector: ctx.nodePools.system.nodeSelector, tolerations: ctx.nodePools.system.tolerations };
    const operator = platformRelease(root, "Release", ctx, {
      chart: "external-secrets",
      name: "external-secrets",
      namespace: ns.metadata.name,
      createNamespace: false,
      dependsOn: [ns, ...identity.dependsOn],
      values: [
        renderYaml(
          releaseValues(ctx, this.id, {
            serviceAccount: { create: true, name: SERVICE_ACCOUNT, annotations: identity.serviceAccountAnnotations },
            podLabels: identity.podLabels,
            ...placement,
            webhook: placement,
            certController: placement,
          }),
        ),
      ],
    });
    const store = manifestsRelease(root, "Store", ctx, {
      name: "cluster-secret-store",
      namespace: ns.metadata.name,
      dependsOn: [operator],
      manifests: [
        {
          apiVersion: "external-secrets.io/v1",
          kind: "ClusterSecretStore",
          metadata: { name: SECRET_STORE },
          spec: { provider: ctx.secretStore.provider },
        },
      ],
    });
    return {
      ready: [operator, store],
      services: { secretStoreName: SECRET_STORE },
      monitors: [
        { kind: "PodMonitor", namespace: this.id, name: "external-secrets", selector: { "app.kubernetes.io/name": "external-secrets" }, port: "metrics" },
      ],
    };
  }
}
