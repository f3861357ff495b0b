/**
 * Every component id, in catalog order: a leaf module (it imports nothing), so the config schema
 * can validate `components.<id>` switches without loading a single component. The registry in
 * stacks/components.ts must have exactly these keys (the type-checker refuses one without the other).
 */
export const COMPONENT_IDS = [
  "ingress",
  "tls",
  "dns",
  "secrets",
  "identity",
  "git",
  "backstage",
  "argocd",
  "observability",
  "mattermost",
  "scanning",
  "jenkins",
  "dojo",
  "dora",
] as const;

export type ComponentId = (typeof COMPONENT_IDS)[number];
