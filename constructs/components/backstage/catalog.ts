import { stringify } from "yaml";
import type { CatalogEntry } from "../../platform";

/** Owner of every platform entity in the catalog. */
const PLATFORM_GROUP = "platform-team";
/** The System every platform component belongs to. */
const PLATFORM_SYSTEM = "fawkes";

export interface PlatformCatalogProps {
  /** Every enabled component (installed before Backstage or after it): `deps.catalog()`. */
  readonly components: readonly CatalogEntry[];
  /** Grafana's URL when observability is enabled: each component links to it. */
  readonly grafanaUrl?: string;
}

/**
 * The platform itself as Backstage entities: a Group that owns it, a System, and one Component per
 * enabled platform component, with links to its UI, its docs and Grafana.
 */
export function platformEntities(props: PlatformCatalogProps): Record<string, unknown>[] {
  const group = {
    apiVersion: "backstage.io/v1alpha1",
    kind: "Group",
    metadata: { name: PLATFORM_GROUP, title: "Platform team", description: "Runs the Fawkes platform" },
    spec: { type: "team", children: [] },
  };
  const system = {
    apiVersion: "backstage.io/v1alpha1",
    kind: "System",
    metadata: { name: PLATFORM_SYSTEM, title: "Fawkes", description: "The Fawkes internal developer platform" },
    spec: { owner: PLATFORM_GROUP },
  };
  const components = props.components.map((c) => {
    const links: { url: string; title: string; icon: string }[] = [];
    if (c.url) links.push({ url: c.url, title: `Open ${c.title}`, icon: "dashboard" });
    links.push({ url: c.docs, title: "Documentation", icon: "docs" });
    if (props.grafanaUrl) links.push({ url: props.grafanaUrl, title: "Grafana dashboards", icon: "dashboard" });
    return {
      apiVersion: "backstage.io/v1alpha1",
      kind: "Component",
      metadata: { name: c.id, title: c.title, description: c.description, tags: ["fawkes"], links },
      spec: { type: "service", lifecycle: c.lifecycle, owner: PLATFORM_GROUP, system: PLATFORM_SYSTEM },
    };
  });
  return [group, system, ...components];
}

/** Entities as one multi-document YAML file (what a `file` catalog location reads). */
export function entitiesYaml(entities: Record<string, unknown>[]): string {
  return entities.map((e) => stringify(e, { lineWidth: 0 })).join("---\n");
}
