import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { PlatformContext } from "./context";
import type { CatalogEntry, PlatformServices, ServiceLookup } from "./services";

export type {
  AnalysisToken,
  CatalogEntry,
  ClientRequest,
  CodeAnalysisService,
  DeliveryEventsService,
  GitCredentials,
  GitCredentialsRequest,
  GitWebhookRequest,
  GitService,
  IdentityService,
  IngressService,
  MonitoringService,
  PlatformServices,
  RegisteredClient,
  PublishedRepository,
  PublishRequest,
  SecretKeyRef,
  ServiceLookup,
} from "./services";

/** One platform piece. Adding a component = one folder + one line in `stacks/components.ts` (and its id in `stacks/component-ids.ts`). */
export interface Component {
  /** kebab-case; also its folder, its `helm-values/<id>.yaml`, its namespace and its config switch. */
  readonly id: string;
  /** Components that must be installed first; a missing or disabled one fails synth naming both. */
  readonly needs: readonly string[];
  /**
   * Components installed first when they are enabled, but not required (e.g. observability for
   * ServiceMonitors). Only the order: what they offer is asked through `deps.maybe(service)`.
   */
  readonly uses?: readonly string[];
  /** How the component appears in outputs, the README and the Backstage catalog. */
  readonly info: ComponentInfo;
  /**
   * Creates the component's resources under `scope`, which the platform made for it (`Platform/<Id>`,
   * PascalCase of the id): ids inside it are the component's, the scope itself is the platform's.
   */
  install(scope: Construct, ctx: PlatformContext, deps: Installed): ComponentOutput;
}

export interface ComponentInfo {
  readonly title: string;
  readonly description: string;
  /** DNS label of its UI: https://<subdomain>.<domain>. Absent for components without a UI. */
  readonly subdomain?: string;
  readonly docs: string;
  readonly lifecycle: "production" | "experimental";
}

/** Where an admin credential lives: a Kubernetes secret key. Never the value. */
export interface SecretLocation {
  readonly description: string;
  readonly namespace: string;
  readonly name: string;
  readonly key: string;
}

export interface ComponentOutput {
  /** What a dependent waits for: usually the component's main helm release. */
  readonly ready: ITerraformDependable[];
  /** UIs and APIs with their URLs, for outputs and the catalog. */
  readonly endpoints?: Record<string, string>;
  readonly adminSecrets?: SecretLocation[];
  /** What this component offers the ones installed after it (`constructs/services.ts`). */
  readonly services?: Partial<PlatformServices>;
  /**
   * Metrics endpoints for Prometheus to scrape. The observability component turns these into
   * ServiceMonitors/PodMonitors for components installed before it (their charts cannot create them
   * before the Prometheus CRDs exist); components installed after it use their chart's own monitor.
   */
  readonly monitors?: MetricsTarget[];
  /**
   * Sum of the resource requests of this component's pods on the workloads pool, for the current
   * profile (cores, GiB): the capacity test adds these up against the default node group.
   */
  readonly requests?: { readonly cpu: number; readonly memoryGiB: number };
}

/** A metrics endpoint, as a ServiceMonitor or PodMonitor selects it. */
export interface MetricsTarget {
  readonly kind: "ServiceMonitor" | "PodMonitor";
  readonly namespace: string;
  readonly name: string;
  /** Labels of the Service (ServiceMonitor) or Pods (PodMonitor). */
  readonly selector: Record<string, string>;
  /** Named port. */
  readonly port: string;
  /** @default "/metrics" */
  readonly path?: string;
}

/** What the components installed so far offer to the one being installed. */
export class Installed implements ServiceLookup {
  constructor(
    private readonly outputs: ReadonlyMap<string, ComponentOutput>,
    /** Every enabled component, in install order (also those not installed yet). */
    private readonly enabled: readonly Component[],
    private readonly domain: string,
    private readonly forComponent = "(platform)",
  ) {}

  /** Whether a component is installed (to wire optional integrations declared in `uses`). */
  has(id: string): boolean {
    return this.outputs.has(id);
  }

  /** Whether a component is switched on, installed before this one or after it. */
  isEnabled(id: string): boolean {
    return this.enabled.some((c) => c.id === id);
  }

  /** What to `dependsOn` to wait for the given installed components. Unknown ones fail synth. */
  ready(...ids: string[]): ITerraformDependable[] {
    return ids.flatMap((id) => this.get(id).ready);
  }

  get(id: string): ComponentOutput {
    const out = this.outputs.get(id);
    if (!out) throw new Error(`Component "${this.forComponent}" uses "${id}", which is not installed before it: add "${id}" to its needs`);
    return out;
  }

  /** A platform service offered by an installed component, e.g. the ingress class. */
  service<K extends keyof PlatformServices>(key: K): PlatformServices[K] {
    const found = this.maybe(key);
    if (found === undefined) throw new Error(`Component "${this.forComponent}" needs the platform service "${key}", which no installed component provides`);
    return found;
  }

  /** A platform service if some installed component offers it. */
  maybe<K extends keyof PlatformServices>(key: K): PlatformServices[K] | undefined {
    for (const out of this.outputs.values()) if (out.services?.[key] !== undefined) return out.services[key] as PlatformServices[K];
    return undefined;
  }

  /**
   * The namespace an enabled component runs in. Its id today (`Component.id`); asked here so that
   * nobody else writes that assumption down. A component that is not enabled fails synth.
   */
  namespaceOf(id: string): string {
    const c = this.enabled.find((x) => x.id === id);
    if (!c) throw new Error(`Component "${this.forComponent}" asks for the namespace of "${id}", which is not enabled: check deps.isEnabled("${id}") first`);
    return componentNamespace(c);
  }

  /** Every enabled component (installed or not yet), in install order, as the platform describes it. */
  catalog(): CatalogEntry[] {
    return this.enabled.map((c) => ({
      id: c.id,
      title: c.info.title,
      description: c.info.description,
      url: c.info.subdomain ? `https://${c.info.subdomain}.${this.domain}` : undefined,
      docs: c.info.docs,
      lifecycle: c.info.lifecycle,
      namespace: componentNamespace(c),
    }));
  }

  /** Outputs of every installed component, in install order. */
  entries(): [string, ComponentOutput][] {
    return [...this.outputs.entries()];
  }

  /** The same view, naming another component in its errors. */
  for(id: string): Installed {
    return new Installed(this.outputs, this.enabled, this.domain, id);
  }
}

/** The one place that says a component's namespace is its id. */
function componentNamespace(c: Component): string {
  return c.id;
}

/** The construct id of a component's scope: PascalCase of its id (`front-door` → `FrontDoor`). */
function scopeId(id: string): string {
  return id
    .split("-")
    .map((p) => p[0].toUpperCase() + p.slice(1))
    .join("");
}

export interface FawkesPlatformProps {
  readonly context: PlatformContext;
  /** Every registered component, in registry order (ties in the install order keep it). */
  readonly components: readonly Component[];
  /** Ids switched off in the config. @default - none */
  readonly disabled?: readonly string[];
}

/**
 * Installs components on a context in dependency order. All wiring mistakes (a need that is not
 * registered, is disabled, or is circular) fail here, before a single resource is created.
 */
export class FawkesPlatform extends Construct {
  /** Enabled components in install order. */
  readonly installed: readonly Component[];
  readonly outputs: ReadonlyMap<string, ComponentOutput>;
  /** The scope each installed component got (`Platform/<Id>`): its resources are exactly those beneath it. */
  readonly scopes: ReadonlyMap<string, Construct>;

  constructor(scope: Construct, id: string, props: FawkesPlatformProps) {
    super(scope, id);
    const disabled = new Set(props.disabled ?? []);
    this.installed = installOrder(props.components, disabled);
    const outputs = new Map<string, ComponentOutput>();
    const scopes = new Map<string, Construct>();
    const all = new Installed(outputs, this.installed, props.context.domain);
    for (const component of this.installed) {
      // Construct ids are Terraform addresses: these are the ids components used for their own roots.
      const scope = new Construct(this, scopeId(component.id));
      scopes.set(component.id, scope);
      outputs.set(component.id, component.install(scope, props.context, all.for(component.id)));
    }
    this.outputs = outputs;
    this.scopes = scopes;
  }
}

/**
 * Orders enabled components so each comes after its needs (and after the enabled ones it uses);
 * otherwise registry order. Throws, naming both components, on a missing, disabled or circular need.
 */
export function installOrder(components: readonly Component[], disabled: ReadonlySet<string> = new Set()): Component[] {
  const byId = new Map<string, Component>();
  for (const c of components) {
    if (byId.has(c.id)) throw new Error(`Two components are registered with the id "${c.id}"`);
    byId.set(c.id, c);
  }
  const enabled = components.filter((c) => !disabled.has(c.id));
  for (const c of enabled) {
    for (const need of c.needs) {
      if (!byId.has(need)) throw new Error(`Component "${c.id}" needs "${need}", which is not a registered component`);
      if (disabled.has(need)) {
        throw new Error(`Component "${c.id}" needs "${need}", which is switched off: enable components.${need} or disable components.${c.id}`);
      }
    }
  }
  const order: Component[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (c: Component, path: string[]) => {
    const s = state.get(c.id);
    if (s === "done") return;
    if (s === "visiting") {
      const cycle = [...path.slice(path.indexOf(c.id)), c.id];
      throw new Error(`Components "${cycle[cycle.length - 2]}" and "${c.id}" need each other (${cycle.join(" -> ")})`);
    }
    state.set(c.id, "visiting");
    const before = [...c.needs, ...(c.uses ?? []).filter((u) => byId.has(u) && !disabled.has(u))];
    for (const dep of before) visit(byId.get(dep)!, [...path, c.id]);
    state.set(c.id, "done");
    order.push(c);
  };
  for (const c of enabled) visit(c, []);
  return order;
}
