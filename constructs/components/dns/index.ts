import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import type { Construct } from "constructs";
import type { PlatformContext } from "../../context";
import { platformRelease, releaseValues, renderYaml } from "../../helm";
import { platformNamespace } from "../../namespace";
import type { Component, ComponentOutput, Installed } from "../../platform";

const SERVICE_ACCOUNT = "external-dns";

/**
 * external-dns: publishes every platform Ingress host in the foundation's DNS zone, with the
 * foundation's workload identity (no static keys). Where names resolve without DNS (local), the
 * context has no DNS provider and nothing is installed.
 */
export class DnsComponent implements Component {
  readonly id = "dns";
  readonly needs = ["ingress"];
  readonly info = {
    title: "external-dns",
    description: "DNS records for every platform host, kept in sync with the Ingresses",
    docs: "https://kubernetes-sigs.github.io/external-dns/",
    lifecycle: "production",
  } as const;

  install(root: Construct, ctx: PlatformContext, deps: Installed): ComponentOutput {
    if (!ctx.dns.provider) return { ready: deps.ready("ingress") };
    const ns = platformNamespace(root, ctx, this.id);
    const identity = ctx.workloadIdentity(root, { namespace: this.id, name: SERVICE_ACCOUNT }, [{ dns: "write" }]);
    // A provider config file the foundation asks for (Azure's azure.json): identifiers, mounted read-only.
    const file = ctx.dns.configFile;
    const config =
      file &&
      new SecretV1(root, "ProviderConfig", {
        metadata: { name: "external-dns-provider", namespace: ns.metadata.name },
        data: { [file.fileName]: file.content },
      });
    const release = platformRelease(root, "Release", ctx, {
      chart: "external-dns",
      name: "external-dns",
      namespace: ns.metadata.name,
      createNamespace: false,
      // Not after Traefik: external-dns watches Ingresses and publishes their addresses whenever they appear.
      dependsOn: [ns, ...identity.dependsOn, ...(config ? [config] : [])],
      values: [
        renderYaml(
          releaseValues(ctx, this.id, {
            provider: { name: ctx.dns.provider },
            domainFilters: [ctx.domain],
            txtOwnerId: ctx.cluster.name,
            extraArgs: ctx.dns.extraArgs,
            serviceAccount: { create: true, name: SERVICE_ACCOUNT, annotations: identity.serviceAccountAnnotations },
            podLabels: identity.podLabels,
            extraVolumes: config && [{ name: "provider-config", secret: { secretName: config.metadata.name } }],
            extraVolumeMounts: file && [{ name: "provider-config", mountPath: file.mountPath, readOnly: true }],
            nodeSelector: ctx.nodePools.system.nodeSelector,
            tolerations: ctx.nodePools.system.tolerations,
          }),
        ),
      ],
    });
    return {
      ready: [release],
      monitors: [{ kind: "PodMonitor", namespace: this.id, name: "external-dns", selector: { "app.kubernetes.io/name": "external-dns" }, port: "http" }],
    };
  }
}
