import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import { PrivateKey } from "@cdktf/provider-tls/lib/private-key";
import { TlsProvider } from "@cdktf/provider-tls/lib/provider";
import { SelfSignedCert } from "@cdktf/provider-tls/lib/self-signed-cert";
import type { ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import type { PlatformContext } from "../../context";
import { manifestsRelease, platformRelease, poolAffinity, releaseValues, renderYaml } from "../../helm";
import { platformNamespace } from "../../namespace";
import type { Component, ComponentOutput, Installed } from "../../platform";
import type { LocalCaService } from "../../services";

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
/** The local CA's secret in this namespace (`tls.crt`, `tls.key`, `ca.crt`), and the ConfigMap its certificate is copied to. */
const LOCAL_CA_NAME = "fawkes-ca";

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
    const localCa = ctx.certificates.kind === "selfSigned" ? this.localCa(root, ns.metadata.name, [ns]) : undefined;
    const issuers = localCa
      ? [{ apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name: LOCAL_CA_ISSUER }, spec: { ca: { secretName: LOCAL_CA_NAME } } }]
      : (["staging", "production"] as const).map((env) => acmeIssuer(env, this.props.email, ingressClassName));
    const issuerRelease = manifestsRelease(root, "Issuers", ctx, {
      name: "cluster-issuers",
      namespace: ns.metadata.name,
      manifests: issuers,
      // cert-manager owns the CRDs and runs the webhook that validates them. Not Traefik: the ACME
      // solver only names the IngressClass, which cert-manager uses when it solves a challenge later.
      dependsOn: [certManager, ...(localCa ? [localCa.secret] : [])],
    });

    return {
      ready: [certManager, issuerRelease],
      services: {
        clusterIssuer: localCa ? LOCAL_CA_ISSUER : `letsencrypt-${this.props.issuer ?? "staging"}`,
        ...(localCa ? { localCa: localCa.service } : {}),
      },
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

  /**
   * The local CA, made by Terraform (tls provider) rather than by cert-manager, so its certificate is
   * a value at plan time: every namespace whose pods call a platform host gets a ConfigMap of it
   * (`localCa.bundleFor`), and Argo CD takes the PEM inline. The key stays in the Terraform state
   * and in the secret the CA ClusterIssuer reads; nothing else sees it.
   */
  private localCa(root: Construct, namespace: string, after: ITerraformDependable[]): { secret: SecretV1; service: LocalCaService } {
    // No configuration: the tls provider only computes, it calls no API.
    new TlsProvider(root, "TlsProvider");
    const key = new PrivateKey(root, "LocalCaKey", { algorithm: "ECDSA", ecdsaCurve: "P256" });
    const cert = new SelfSignedCert(root, "LocalCaCertificate", {
      privateKeyPem: key.privateKeyPem,
      subject: [{ commonName: "Fawkes local CA", organization: "Fawkes" }],
      isCaCertificate: true,
      validityPeriodHours: 87600,
      allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
    });
    const secret = new SecretV1(root, "LocalCaSecret", {
      metadata: { name: LOCAL_CA_NAME, namespace },
      type: "kubernetes.io/tls",
      data: { "tls.crt": cert.certPem, "tls.key": key.privateKeyPem, "ca.crt": cert.certPem },
      dependsOn: after,
    });
    const service: LocalCaService = {
      certificatePem: cert.certPem,
      bundleFor: (scope, ns, waitFor = []) => {
        const cm = new ConfigMapV1(scope, "LocalCa", {
          metadata: { name: LOCAL_CA_NAME, namespace: ns },
          data: { "ca.crt": cert.certPem },
          dependsOn: waitFor,
        });
        return { configMap: { namespace: ns, name: LOCAL_CA_NAME, key: "ca.crt" }, ready: [cm] };
      },
    };
    return { secret, service };
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
