import type { ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import type { PlatformServices, SecretKeyRef } from "./services";

/** A pod's `hostAliases` entry, as pod specs and chart values take it. */
export interface HostAlias {
  readonly ip: string;
  readonly hostnames: string[];
}

/** A ConfigMap of the local CA in a component's namespace, to mount. */
export interface CaBundle {
  /** `ca.crt` of a ConfigMap (SecretKeyRef's shape: namespace, name, key). */
  readonly configMap: SecretKeyRef;
  readonly ready: ITerraformDependable[];
}

/** What a UI's pods need to call the issuer from inside the cluster at the URL browsers use. */
export interface IssuerReach {
  /** Points the issuer's host at the ingress; empty where it resolves there anyway (clouds). */
  readonly hostAliases: HostAlias[];
  /**
   * The local CA that signs the issuer's certificate: its PEM, and `bundle(scope, namespace, after)`
   * to copy it into a ConfigMap of the asking namespace (resources under `scope`, id `LocalCa`).
   * @default - undefined where the certificate is publicly trusted (Let's Encrypt)
   */
  readonly ca?: { readonly pem: string; bundle(scope: Construct, namespace: string, after?: ITerraformDependable[]): CaBundle };
}

/** Host aliases and CA trust for pods that call `issuer`, from the ingress and local CA services; nothing on clouds. */
export function issuerReach(deps: { maybe<K extends keyof PlatformServices>(key: K): PlatformServices[K] | undefined }, issuer: string): IssuerReach {
  const ip = deps.maybe("ingress")?.inClusterAddress;
  const hostAliases = ip ? [{ ip, hostnames: [new URL(issuer).hostname] }] : [];
  const localCa = deps.maybe("localCa");
  return localCa ? { hostAliases, ca: { pem: localCa.certificatePem, bundle: (s, ns, after) => localCa.bundleFor(s, ns, after) } } : { hostAliases };
}
