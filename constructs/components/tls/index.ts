import type { Construct } from "constructs";
import type { PlatformContext } from "../../context";
import { manifestsRelease, platformRelease, poolAffinity, releaseValues, renderYaml } from "../../helm";
import { platformNamespace } from "../../namespace";
import type { Component, ComponentOutput, Installed } from "../../platform";

export interface TlsProps {
  /** Contact for Let's Encrypt expiry notices. */
  readonly email: string;
  /**
   * Which Let's Encrypt ClusterIssuer signs platform certificates. Both are always installed.
   * @default "staging" - untrusted certificates, generous rate limits: switch once DNS works
   */
  readonly issuer?: "staging" | "production";
}

const ACME_SERVERS = {
  staging: "https://acme-staging-v02.api.letsencrypt.org/directory",
  production: "https://acme-v02.api.letsencrypt.org/directory",
} as const;

/** Name of the local CA's ClusterIssuer (foundations without public DNS). */
const LOCAL_CA_ISSUER = "fawkes-ca";

/**
 * cert-manager and the platform's ClusterIssuers: Let's Encrypt (HTTP-01 through the ingress) on
 * clouds, a self-signed CA locally. Issuers are custom resources, so they go in a release that
 * waits for cert-manager's (which owns the CRDs).
 */
export class TlsComponent implements Component {
  readonly id = "tls";
  readonly needs = ["ingress"];
  readonly info = {
    title: "cert-manager",
    description: "TLS certificates for every platform host (Let's Encrypt, or a local CA)",
    docs: "https://cert-manager.io/docs/",
    lifecycle: "production",
  } as const;

  constructor(private readonly props: TlsProps) {
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(props.email)) throw new Error(`TlsProps.email must be an e-mail address, got "${props.email}"`);
  }

  install(root: Construct, ctx: PlatformContext, deps: Installed): ComponentOutput {
    const ns = platformNamespace(root, ctx, this.id);
    // cert-manager's default nodeSelector is not empty: place it with affinity instead.
    const placement = { affinity: poolAffinity(ctx.nodePools.system), tolerations: ctx.nodePools.system.tolerations };
    const certManager = platformRelease(root, "Release", ctx, {
      chart: "cert-manager",
      name: "cert-manager",
      namespace: ns.metadata.name,
      createNamespace: false,
      dependsOn: [ns],
      values: [
        renderYaml(
          releaseValues(ctx, this.id, {
            ...placement,
            webhook: placement,
            cainjector: placement,
          }),
        ),
      ],
    });

    const ingressClassName = deps.service("ingress").className;
    const selfSigned = ctx.certificates.kind === "selfSigned";
    const issuers = selfSigned
      ? localCaIssuers(this.id)
      : (["staging", "production"] as const).map((env) => acmeIssuer(env, this.props.email, ingressClassName));
    const issuerRelease = manifestsRelease(root, "Issuers", ctx, {
      name: "cluster-issuers",
      namespace: ns.metadata.name,
      manifests: issuers,
      // cert-manager owns the CRDs and runs the webhook that validates them. Not Traefik: the ACME
      // solver only names the IngressClass, which cert-manager uses when it solves a challenge later.
      dependsOn: [certManager],
    });

    return {
      ready: [certManager, issuerRelease],
      services: { clusterIssuer: selfSigned ? LOCAL_CA_ISSUER : `letsencrypt-${this.props.issuer ?? "staging"}` },
      monitors: [
        {
          kind: "PodMonitor",
          namespace: this.id,
          name: "cert-manager",
          selector: { "app.kubernetes.io/name": "cert-manager", "app.kubernetes.io/component": "controller" },
          port: "http-metrics",
        },
      ],
    };
  }
}

function acmeIssuer(env: "staging" | "production", email: string, ingressClassName: string): Record<string, unknown> {
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "ClusterIssuer",
    metadata: { name: `letsencrypt-${env}` },
    spec: {
      acme: {
        server: ACME_SERVERS[env],
        email,
        privateKeySecretRef: { name: `letsencrypt-${env}-account` },
        solvers: [{ http01: { ingress: { ingressClassName } } }],
      },
    },
  };
}

/** A self-signed root, a CA certificate from it, and the CA issuer that signs platform hosts. */
function localCaIssuers(namespace: string): Record<string, unknown>[] {
  return [
    { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name: "fawkes-selfsigned" }, spec: { selfSigned: {} } },
    {
      apiVersion: "cert-manager.io/v1",
      kind: "Certificate",
      metadata: { name: "fawkes-ca", namespace },
      spec: {
        isCA: true,
        commonName: "Fawkes local CA",
        secretName: "fawkes-ca",
        duration: "87600h",
        privateKey: { algorithm: "ECDSA", size: 256 },
        issuerRef: { name: "fawkes-selfsigned", kind: "ClusterIssuer", group: "cert-manager.io" },
      },
    },
    { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name: LOCAL_CA_ISSUER }, spec: { ca: { secretName: "fawkes-ca" } } },
  ];
}
