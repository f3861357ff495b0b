import { Annotations, Lazy, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { platformComponents } from "./components";
import { ExistingClusterFoundation } from "../constructs/foundations/existing-cluster";
import { addRequests } from "../constructs/sizes";
import { resourcePrefix } from "../constructs/foundations/shared";
import type { Component, FawkesPlatform } from "../constructs/platform";
import type { FawkesConfig } from "./config/schema";
import { installPlatform } from "./install";

/**
 * Components a laptop leaves out unless `local.components.<id>: true` turns them back on: the
 * heaviest by their requests. Ids not registered (yet) are ignored; what needs them is left out too.
 */
export const LOCAL_HEAVY_COMPONENTS: readonly string[] = ["scanning", "mattermost", "dojo", "dora"];

/** The local CA's certificate (rendered by the tls component for `certificates.kind: selfSigned`). */
export const LOCAL_CA_SECRET = { namespace: "tls", name: "fawkes-ca", key: "ca.crt" } as const;

/**
 * Component switches on a laptop: the global `components`, with the heavy components (and what
 * needs them) off unless `local.components` says otherwise; `local.components` has the last word.
 */
export function localComponentSwitches(
  config: FawkesConfig,
  components: readonly Component[],
  heavy: readonly string[] = LOCAL_HEAVY_COMPONENTS,
): Record<string, boolean> {
  const wanted = config.local.components;
  const off = new Set(heavy.filter((id) => components.some((c) => c.id === id) && wanted[id] !== true));
  for (let changed = true; changed;) {
    changed = false;
    for (const c of components) {
      if (!off.has(c.id) && wanted[c.id] !== true && c.needs.some((n) => off.has(n))) {
        off.add(c.id);
        changed = true;
      }
    }
  }
  const switches: Record<string, boolean> = { ...config.components };
  for (const id of off) switches[id] = false;
  return { ...switches, ...wanted };
}

/** The config the platform is installed with on a laptop: the local domain and switches. */
export function localPlatformConfig(config: FawkesConfig): FawkesConfig {
  return { ...config, domain: config.local.domain, components: localComponentSwitches(config, platformComponents(config)) };
}

/**
 * `fawkes-local`: the whole platform on a cluster that already exists (kind, k3d, ...), reached
 * through a kubeconfig context. No cloud provider, no cloud account; state in a local file.
 */
export class FawkesLocalStack extends TerraformStack {
  readonly foundation: ExistingClusterFoundation;
  readonly platform: FawkesPlatform;

  constructor(scope: Construct, id: string, config: FawkesConfig) {
    super(scope, id);
    const local = config.local;
    this.foundation = new ExistingClusterFoundation(this, "Foundation", {
      name: resourcePrefix(config.name, config.environment),
      kubeconfig: local.kubeconfig,
      context: local.context,
      domain: local.domain,
      profile: config.profile,
      ingressService: local.ingressService,
      nodePorts: { http: local.httpNodePort, https: local.httpsNodePort },
      storageClass: local.storageClass,
      registryNodePort: local.registryNodePort,
      allowDestroy: config.allowDestroy,
    });
    const platformConfig = localPlatformConfig(config);
    this.platform = installPlatform(this, this.foundation, platformConfig);

    const ports = this.foundation.loadBalancer.nodePorts;
    if (ports && (ports.http !== 30080 || ports.https !== 30443)) {
      Annotations.of(this).addWarning(
        `fawkes-local: the ingress listens on node ports ${ports.http}/${ports.https}: map host ports 80/443 to them (kind: extraPortMappings), as scripts/kind-config.yaml does for 30080/30443`,
      );
    }

    const kubectl = `kubectl --context ${local.context}`;
    const laptopOff = Object.entries(platformConfig.components)
      .filter(([id, on]) => !on && config.components[id] !== false)
      .map(([id]) => id);
    new TerraformOutput(this, "kube_context", {
      value: local.context,
      description: `The kubeconfig context the platform was applied to (from ${local.kubeconfig})`,
    });
    new TerraformOutput(this, "trust_ca", {
      value: `scripts/trust-local-ca.sh ${local.context}`,
      description: "Makes this machine trust the platform's local CA, so https://*.<domain> opens without warnings",
    });
    new TerraformOutput(this, "ca_certificate", {
      value: `${kubectl} -n ${LOCAL_CA_SECRET.namespace} get secret ${LOCAL_CA_SECRET.name} -o jsonpath='{.data.ca\\.crt}' | base64 --decode > fawkes-ca.crt`,
      description: "Writes the local CA's certificate (public part only) to fawkes-ca.crt, to trust it by hand",
    });
    new TerraformOutput(this, "laptop_defaults_off", {
      value: laptopOff,
      description: "Components left out on a laptop by default; turn one on with local.components.<id>: true",
    });
    new TerraformOutput(this, "requests", {
      // At synth: databases asked for after this constructor count too.
      value: Lazy.anyValue({ produce: () => addRequests(this.foundation.requests(), ...[...this.platform.outputs.values()].map((o) => o.requests)) }),
      description: "Sum of pod requests (CPU cores, GiB) of the components and in-cluster databases, for sizing the machine",
    });
  }
}
