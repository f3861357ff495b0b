import type { FawkesConfig } from "../../stacks/config/schema";
import type { Component } from "../platform";
import { ArgocdComponent } from "./argocd";
import { BackstageComponent } from "./backstage";
import { DnsComponent } from "./dns";
import { ARGOCD_APPLICATION_NAMESPACES, DojoComponent } from "./dojo";
import { IngressComponent } from "./ingress";
import { JenkinsComponent } from "./jenkins";
import { MattermostComponent } from "./mattermost";
import { ObservabilityComponent } from "./observability";
import { ScanningComponent } from "./scanning";
import { SecretsComponent } from "./secrets";
import { TlsComponent } from "./tls";

/**
 * The component catalog: one line per component. The key is the component id and its config
 * switch (`components.<id>: false`); the install order comes from each component's `needs`.
 */
export const COMPONENTS = {
  ingress: () => new IngressComponent(),
  tls: (c) => new TlsComponent({ email: c.letsEncrypt.email, issuer: c.letsEncrypt.issuer }),
  dns: () => new DnsComponent(),
  secrets: () => new SecretsComponent(),
  backstage: () => new BackstageComponent(),
  argocd: (c) => new ArgocdComponent({ applicationNamespaces: c.components.dojo === false ? [] : ARGOCD_APPLICATION_NAMESPACES }),
  observability: () => new ObservabilityComponent(),
  mattermost: () => new MattermostComponent(),
  scanning: () => new ScanningComponent(),
  jenkins: () => new JenkinsComponent(),
  dojo: (c) => new DojoComponent({ ttlHours: c.dojo.ttlHours, belts: c.dojo.belts }),
} satisfies Record<string, (config: FawkesConfig) => Component>;

export type ComponentId = keyof typeof COMPONENTS;
export const COMPONENT_IDS = Object.keys(COMPONENTS) as ComponentId[];

/** Every registered component, built from the config, in catalog order. */
export function platformComponents(config: FawkesConfig): Component[] {
  return COMPONENT_IDS.map((id) => {
    const component = COMPONENTS[id](config);
    if (component.id !== id) throw new Error(`constructs/components/index.ts: the entry "${id}" builds a component with id "${component.id}"`);
    return component;
  });
}

/** Ids switched off in the config. */
export function disabledComponents(config: FawkesConfig): string[] {
  return COMPONENT_IDS.filter((id) => config.components[id] === false);
}
