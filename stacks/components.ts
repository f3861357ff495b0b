import type { Component } from "../constructs/platform";
import { COMPONENT_IDS, type ComponentId } from "./component-ids";
import type { FawkesConfig } from "./config/schema";
import { ArgocdComponent } from "../constructs/components/argocd";
import { BackstageComponent } from "../constructs/components/backstage";
import { DnsComponent } from "../constructs/components/dns";
import { DoraComponent } from "../constructs/components/dora";
import { ARGOCD_APPLICATION_NAMESPACES, DojoComponent } from "../constructs/components/dojo";
import { GitComponent } from "../constructs/components/git";
import { IdentityComponent } from "../constructs/components/identity";
import { IngressComponent } from "../constructs/components/ingress";
import { JenkinsComponent } from "../constructs/components/jenkins";
import { MattermostComponent } from "../constructs/components/mattermost";
import { ObservabilityComponent } from "../constructs/components/observability";
import { ScanningComponent } from "../constructs/components/scanning";
import { SecretsComponent } from "../constructs/components/secrets";
import { TlsComponent } from "../constructs/components/tls";

/**
 * The component registry: one line per component, from the config to its props (including the
 * Argo CD <-> Dojo wiring). The key is the component id and its config switch
 * (`components.<id>: false`); the install order comes from each component's `needs`. It lives in
 * stacks/ because it reads the config: constructs/ never imports from stacks/.
 */
export const COMPONENTS = {
  ingress: () => new IngressComponent(),
  tls: (c) => new TlsComponent({ email: c.letsEncrypt.email, issuer: c.letsEncrypt.issuer }),
  dns: () => new DnsComponent(),
  secrets: () => new SecretsComponent(),
  identity: (c) => new IdentityComponent({ subdomain: c.identity.subdomain, teams: c.teams, broker: c.identity.broker, manage: c.identity.realm.manage }),
  git: (c) => new GitComponent({ provider: c.git.provider, teams: c.teams.map((t) => t.name), github: c.git.github }),
  backstage: () => new BackstageComponent(),
  argocd: (c) =>
    new ArgocdComponent({
      applicationNamespaces: c.components.dojo === false ? [] : ARGOCD_APPLICATION_NAMESPACES,
      breakGlass: c.identity.breakGlass.includes("argocd"),
      teams: c.teams.map((t) => t.name),
    }),
  observability: (c) => new ObservabilityComponent({ breakGlass: c.identity.breakGlass.includes("observability") }),
  mattermost: (c) => new MattermostComponent({ license: c.mattermost.license, signupDomains: c.mattermost.signupDomains }),
  scanning: () => new ScanningComponent(),
  jenkins: (c) => new JenkinsComponent({ breakGlass: c.identity.breakGlass.includes("jenkins"), teams: c.teams.map((t) => t.name) }),
  dojo: (c) => new DojoComponent({ ttlHours: c.dojo.ttlHours, belts: c.dojo.belts }),
  dora: (c) => new DoraComponent({ teams: c.teams }),
} satisfies Record<ComponentId, (config: FawkesConfig) => Component>;

export { COMPONENT_IDS, type ComponentId };

/** Every registered component, built from the config, in catalog order. */
export function platformComponents(config: FawkesConfig): Component[] {
  return COMPONENT_IDS.map((id) => {
    const component = COMPONENTS[id](config);
    if (component.id !== id) throw new Error(`stacks/components.ts: the entry "${id}" builds a component with id "${component.id}"`);
    return component;
  });
}

/** Ids switched off in the config. */
export function disabledComponents(config: FawkesConfig): string[] {
  return COMPONENT_IDS.filter((id) => config.components[id] === false);
}
