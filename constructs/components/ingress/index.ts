import { ServiceV1 } from "@cdktf/provider-kubernetes/lib/service-v1";
import type { Construct } from "constructs";
import type { PlatformContext } from "../../context";
import { platformRelease, releaseValues, renderYaml } from "../../helm";
import { platformNamespace } from "../../namespace";
import type { Component, ComponentOutput, Installed } from "../../platform";

/** The IngressClass every platform UI uses. */
const INGRESS_CLASS = "traefik";

/**
 * The platform's front door: Traefik behind the cloud load balancer. Chosen over ingress-nginx
 * (retired, no releases after March 2026) because it serves plain `Ingress` objects — which every
 * upstream chart renders — and Gateway API, so components need no per-controller templates.
 */
export class IngressComponent implements Component {
  readonly id = "ingress";
  readonly needs = [];
  readonly info = {
    title: "Traefik ingress",
    description: "HTTPS entry point for every platform UI, behind the cloud load balancer",
    docs: "https://doc.traefik.io/traefik/",
    lifecycle: "production",
  } as const;

  install(root: Construct, ctx: PlatformContext, _deps: Installed): ComponentOutput {
    const ns = platformNamespace(root, ctx, this.id);
    const release = platformRelease(root, "Release", ctx, {
      chart: "traefik",
      name: "traefik",
      namespace: ns.metadata.name,
      createNamespace: false,
      dependsOn: [ns],
      values: [
        renderYaml(
          releaseValues(ctx, this.id, {
            ingressClass: { name: INGRESS_CLASS },
            service: {
              annotations: ctx.loadBalancer.serviceAnnotations,
              // `service.spec` is passed through to the Service spec by the chart.
              spec: { type: ctx.loadBalancer.serviceType, externalTrafficPolicy: ctx.loadBalancer.externalTrafficPolicy },
            },
            ports: ctx.loadBalancer.nodePorts
              ? { web: { nodePort: ctx.loadBalancer.nodePorts.http }, websecure: { nodePort: ctx.loadBalancer.nodePorts.https } }
              : undefined,
            nodeSelector: ctx.nodePools.system.nodeSelector,
            tolerations: ctx.nodePools.system.tolerations,
          }),
        ),
      ],
    });
    // Where platform hosts are loopback inside pods, a ClusterIP Service of Terraform's own gives pods a
    // stable address of Traefik to alias them to (the chart's Service is NodePort or LoadBalancer, and
    // its IP is not a Terraform value). Its IP is known after apply; helm values take it then.
    const internal = ctx.dns.loopback
      ? new ServiceV1(root, "InClusterService", {
          metadata: { name: "traefik-in-cluster", namespace: ns.metadata.name },
          spec: {
            type: "ClusterIP",
            selector: { "app.kubernetes.io/name": "traefik" },
            port: [
              { name: "websecure", port: 443, targetPort: "websecure" },
              { name: "web", port: 80, targetPort: "web" },
            ],
          },
          // A Service without ready endpoints is fine: it only needs its ClusterIP.
          waitForLoadBalancer: false,
        })
      : undefined;
    return {
      ready: [release],
      services: {
        ingress: {
          inClusterAddress: internal?.spec.clusterIp,
          className: INGRESS_CLASS,
          // Traefik: serve only on the TLS entrypoint; the web entrypoint redirects to it.
          annotations: { "traefik.ingress.kubernetes.io/router.entrypoints": "websecure", "traefik.ingress.kubernetes.io/router.tls": "true" },
        },
      },
      monitors: [{ namespace: this.id, name: "traefik", selector: { "app.kubernetes.io/name": "traefik" }, port: "metrics", kind: "PodMonitor" }],
    };
  }
}
