import { gunzipSync } from "node:zlib";
import { Testing, TerraformStack, type App } from "cdktf";
import type { Construct } from "constructs";
import { COMPONENTS, platformComponents } from "../stacks/components";
import type {
  BucketRef,
  DatabaseEngineRequest,
  DatabaseRef,
  DatabaseRequest,
  Grant,
  PlatformContext,
  Profile,
  RegistryCapability,
  ServiceAccountRef,
  WorkloadIdentity,
} from "../constructs/context";
import { poolScheduling } from "../constructs/foundations/shared";
import { Construct as ConstructClass } from "constructs";
import { FawkesPlatform, type Component } from "../constructs/platform";
import type { ClientRequest } from "../constructs/services";
import { clusterProviders } from "../providers/cluster";
import { parseConfig } from "../stacks/config/load";
import type { ConfigInput, FawkesConfig } from "../stacks/config/schema";

/** Components switched off but the front door: for foundation tests, which are not about components. */
export const FRONT_DOOR_ONLY: Record<string, boolean> = Object.fromEntries(
  Object.keys(COMPONENTS)
    .filter((id) => !["ingress", "tls", "dns", "secrets"].includes(id))
    .map((id) => [id, false]),
);

/** The embedded defaults, optionally with overrides (validated like a config file). */
export function testConfig(overrides: ConfigInput = {}): FawkesConfig {
  return parseConfig(overrides, "test-config");
}

/** A stack inside a test app, with the helm, kubernetes and random providers every component needs. */
export function testStack(app: App = Testing.app()): TerraformStack {
  const stack = new TerraformStack(app, "test");
  clusterProviders(stack, { name: "test", configPath: "~/.kube/config", configContext: "test" });
  return stack;
}

/**
 * A PlatformContext from no cloud at all: what components may rely on, with recognisable values.
 * Grants and database requests are recorded so tests can assert on what a component asked for.
 */
export class FakeContext implements PlatformContext {
  readonly cloud = "local";
  readonly cluster = { name: "test", configPath: "~/.kube/config", configContext: "test" };
  readonly domain = "fawkes.test";
  readonly profile: Profile;
  readonly storageClass = "fake-encrypted";
  readonly nodePools = poolScheduling();
  readonly loadBalancer = { serviceType: "LoadBalancer" as const, serviceAnnotations: { "fake.cloud/lb": "public" }, externalTrafficPolicy: "Local" as const };
  readonly dns = { provider: "fake", extraArgs: ["--fake-zone=fawkes.test"], zone: "fawkes.test" };
  certificates: { kind: "acme" | "selfSigned" } = { kind: "acme" };
  readonly secretStore = { provider: { fake: { data: [] } }, location: "the fake secret store" };
  /** A registry with every field set, so a consumer's output shows which it used. */
  registry: RegistryCapability = {
    pushUrl: "push.registry.fake/fawkes",
    pullUrl: "pull.registry.fake/fawkes",
    dockerConfig: { credHelpers: { "push.registry.fake": "fake-login" } },
    kanikoFlags: ["--fake-registry-flag"],
    pushEnv: { FAKE_REGISTRY: "fawkes" },
    scanOnPush: "the fake scanner",
    immutableTags: true,
    ready: [],
  };
  readonly ready = [];
  readonly databases: DatabaseRequest[] = [];
  readonly buckets: string[] = [];
  readonly identities: { sa: ServiceAccountRef; grants: Grant[] }[] = [];

  constructor(profile: Profile = "small") {
    this.profile = profile;
  }

  postgres(_scope: Construct, request: DatabaseRequest): DatabaseRef {
    this.databases.push(request);
    return this.ref({ ...request, engine: "postgres" });
  }

  database(_scope: Construct, request: DatabaseEngineRequest): DatabaseRef {
    this.databases.push(request);
    return this.ref(request);
  }

  private ref(request: DatabaseEngineRequest): DatabaseRef {
    return {
      engine: request.engine,
      host: `${request.name}.db.fake`,
      port: request.engine === "mysql" ? 3306 : 5432,
      database: request.name,
      username: request.name,
      password: { key: `fake/${request.name}`, property: "password" },
      tls: true,
      dependsOn: [],
    };
  }

  bucket(_scope: Construct, name: string): BucketRef {
    this.buckets.push(name);
    return { name: `fake-${name}`, s3: { endpoint: "s3.fake", region: "fake-1", pathStyle: false }, dependsOn: [] };
  }

  workloadIdentity(_scope: Construct, sa: ServiceAccountRef, grants: Grant[]): WorkloadIdentity {
    this.identities.push({ sa, grants });
    return { serviceAccountAnnotations: { "fake.cloud/identity": `${sa.namespace}/${sa.name}` }, podLabels: { "fake.cloud/use": "true" }, dependsOn: [] };
  }
}

/** Ids that must be installed for `ids` to install: the ids and their needs, transitively. */
export function withNeeds(ids: string[], config = testConfig()): string[] {
  const all = new Map(platformComponents(config).map((c) => [c.id, c]));
  const out = new Set<string>();
  const add = (id: string) => {
    if (out.has(id)) return;
    out.add(id);
    for (const need of all.get(id)?.needs ?? []) add(need);
  };
  ids.forEach(add);
  return [...out];
}

export interface Synthesized {
  tf: any;
  ctx: FakeContext;
  platform: FawkesPlatform;
}

/**
 * Installs the given components (and what they need) on a fake context and returns the synthesized
 * Terraform JSON, with construct validations run. Pass `only: false` to install every component.
 */
export function synthComponents(
  ids: string[] | "all",
  options: { config?: ConfigInput; profile?: Profile; context?: (ctx: FakeContext) => void } = {},
): Synthesized {
  const config = testConfig(options.config);
  const stack = testStack();
  const ctx = new FakeContext(options.profile ?? config.profile);
  options.context?.(ctx);
  const wanted = ids === "all" ? Object.keys(COMPONENTS) : withNeeds(ids, config);
  const components = platformComponents(config);
  const platform = new FawkesPlatform(stack, "Platform", {
    context: ctx,
    components,
    disabled: components.map((c) => c.id).filter((id) => !wanted.includes(id) || config.components[id] === false),
  });
  return { tf: JSON.parse(Testing.synth(stack, true)), ctx, platform };
}

// Readers of synthesized JSON, kept apart so that files reading cached stacks need no cdktf.
export { manifests, release, releaseId, resources, strings, values } from "./tf";

/** Stands in for the observability component: it offers the monitoring service (Grafana at a URL of its own) and a Grafana subdomain. */
export function fakeObservability(): Component {
  return {
    id: "observability",
    needs: [],
    info: { title: "Observability", description: "Prometheus and Grafana", subdomain: "grafana", docs: "https://grafana.com/docs/", lifecycle: "production" },
    install(scope) {
      new ConstructClass(scope, "FakeObservability");
      return {
        ready: [],
        services: {
          monitoring: {
            namespace: "observability",
            prometheusUrl: "http://prometheus.observability:9090",
            grafanaUrl: "https://dashboards.fawkes.test",
            lokiUrl: "http://loki.observability:3100",
            tempoUrl: "http://tempo.observability:3200",
            otlpEndpoint: "http://alloy.observability:4318",
            crds: [],
          },
        },
      };
    },
  };
}

/** The front door from the registry, then the given components (e.g. built with props), synthesized. */
export function synthWith(components: Component[]): any {
  const registry = new Map(platformComponents(testConfig()).map((c) => [c.id, c]));
  const stack = testStack();
  new FawkesPlatform(stack, "Platform", {
    context: new FakeContext(),
    components: [...["ingress", "tls", "secrets"].map((id) => registry.get(id)!), ...components],
  });
  return JSON.parse(Testing.synth(stack, true));
}

/**
 * Stands in for the identity component: it offers the identity service (issuer at sso.fawkes.test)
 * and records every registration in `requests`, so a UI's spec can assert what it asked for.
 */
export function fakeIdentity(requests: ClientRequest[] = []): Component & { requests: typeof requests } {
  return {
    id: "identity",
    needs: [],
    requests,
    info: { title: "Keycloak", description: "Single sign-on", subdomain: "sso", docs: "https://www.keycloak.org/documentation", lifecycle: "production" },
    install(scope) {
      new ConstructClass(scope, "FakeIdentity");
      const issuer = "https://sso.fawkes.test/realms/fawkes";
      return {
        ready: [],
        services: {
          identity: {
            issuer,
            registerClient: (_scope, request) => {
              requests.push(request);
              return {
                issuer,
                clientId: request.component,
                secret: { namespace: request.namespace, name: `${request.component}-sso-client`, key: "client-secret" },
                groupsClaim: "groups",
                ready: [],
              };
            },
          },
        },
      };
    },
  };
}

/**
 * The repositories the git service's bootstrap ConfigMap publishes (`repo-<name>.json.gz`, gzip in
 * its binary data), decoded: name → { name, description, files }.
 */
export function publishedRepositories(configMap: {
  binary_data?: Record<string, string>;
}): Record<string, { name: string; description: string; files: Record<string, string> }> {
  return Object.fromEntries(
    Object.entries(configMap.binary_data ?? {}).map(([key, b64]) => {
      const repo = JSON.parse(gunzipSync(Buffer.from(b64, "base64")).toString("utf8"));
      return [key.replace(/^repo-|\.json\.gz$/g, ""), repo];
    }),
  );
}
