import { Testing } from "cdktf";
import { Construct } from "constructs";
import type { PlatformContext } from "../constructs/context";
import { manifestsRelease } from "../constructs/helm";
import { monitoringCrds } from "../constructs/monitoring";
import { platformNamespace } from "../constructs/namespace";
import { FawkesPlatform, installOrder, type Component, type ComponentOutput, type Installed } from "../constructs/platform";
import { fakeObservability, FakeContext, manifests, release, releaseId, synthWith, testStack } from "./support";

// DOCS_BLOCK_START:adding-a-component
/** Nightly code-quality report: a SonarQube token of its own, an alert when a report is missing. */
class QualityReportComponent implements Component {
  readonly id = "quality-report";
  readonly needs = ["ingress"];
  readonly uses = ["scanning", "observability"]; // installed after them when they are on
  readonly info = {
    title: "Quality report",
    description: "Nightly SonarQube report",
    docs: "https://docs.sonarsource.com/",
    lifecycle: "experimental",
  } as const;

  install(scope: Construct, ctx: PlatformContext, deps: Installed): ComponentOutput {
    const namespace = deps.namespaceOf(this.id);
    const ns = platformNamespace(scope, ctx, namespace);
    const analysis = deps.maybe("codeAnalysis"); // offered by scanning, when it is on
    const monitoring = deps.maybe("monitoring"); // offered by observability, when it is on
    const token = analysis?.tokenFor(scope, namespace, this.id, [ns]);
    const report = manifestsRelease(scope, "Report", ctx, {
      name: "quality-report",
      namespace,
      dependsOn: [ns, ...(token?.ready ?? []), ...monitoringCrds(deps)],
      manifests: [
        {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "quality-report", namespace },
          data: { sonarqube: analysis?.url ?? "", tokenSecret: token?.secret.name ?? "" },
        },
        ...(monitoring
          ? [{ apiVersion: "monitoring.coreos.com/v1", kind: "PrometheusRule", metadata: { name: "quality-report", namespace }, spec: { groups: [] } }]
          : []),
      ],
    });
    return { ready: [report] };
  }
}
// DOCS_BLOCK_END:adding-a-component

/** Stands in for scanning: offers codeAnalysis and nothing else. */
const fakeAnalysis: Component = {
  id: "scanning",
  needs: [],
  info: { title: "Analysis", description: "offers codeAnalysis", docs: "https://example.org/", lifecycle: "experimental" },
  install: () => ({
    ready: [],
    services: {
      codeAnalysis: {
        url: "http://analysis.fake:9000",
        tokenFor: (_s, namespace, forComponent) => ({ secret: { namespace, name: `token-${forComponent}`, key: "token" }, ready: [] }),
      },
    },
  }),
};

/** A component that only records when it was installed. */
function fake(id: string, needs: string[] = [], uses: string[] = [], log: string[] = []): Component {
  return {
    id,
    needs,
    uses,
    info: { title: id, description: id, docs: "https://example.org", lifecycle: "experimental" },
    install(scope: Construct, _ctx: PlatformContext, deps: Installed) {
      new Construct(scope, id);
      log.push(`${id}<-${[...needs, ...uses.filter((u) => deps.has(u))].join(",")}`);
      return { ready: [] };
    },
  };
}

describe("FawkesPlatform contract", () => {
  test("installs every component after the ones it needs, keeping registry order otherwise", () => {
    const order = installOrder([fake("portal", ["db", "ingress"]), fake("ingress"), fake("db", ["ingress"]), fake("chat")]);
    expect(order.map((c) => c.id)).toEqual(["ingress", "db", "portal", "chat"]);
  });

  test("a used component that is enabled comes first; a disabled one is skipped silently", () => {
    const comps = [fake("app", ["ingress"], ["metrics"]), fake("ingress"), fake("metrics", ["ingress"])];
    expect(installOrder(comps).map((c) => c.id)).toEqual(["ingress", "metrics", "app"]);
    expect(installOrder(comps, new Set(["metrics"])).map((c) => c.id)).toEqual(["ingress", "app"]);
  });

  test("a missing need fails synth naming both components", () => {
    expect(() => installOrder([fake("jenkins", ["sonarqube"])])).toThrow('Component "jenkins" needs "sonarqube", which is not a registered component');
  });

  test("a disabled need fails synth naming both components and the switch", () => {
    expect(() => installOrder([fake("jenkins", ["ingress"]), fake("ingress")], new Set(["ingress"]))).toThrow(
      'Component "jenkins" needs "ingress", which is switched off: enable components.ingress or disable components.jenkins',
    );
  });

  test("a circular need fails synth naming both components", () => {
    expect(() => installOrder([fake("a", ["b"]), fake("b", ["a"])])).toThrow('Components "b" and "a" need each other (a -> b -> a)');
    expect(() => installOrder([fake("a", ["b"]), fake("b", ["c"]), fake("c", ["a"])])).toThrow(/need each other \(a -> b -> c -> a\)/);
  });

  test("duplicate ids are refused", () => {
    expect(() => installOrder([fake("a"), fake("a")])).toThrow('Two components are registered with the id "a"');
  });

  test("install runs in order and each component sees what it needs", () => {
    const log: string[] = [];
    const stack = testStack();
    new FawkesPlatform(stack, "Platform", {
      context: new FakeContext(),
      components: [fake("portal", ["ingress"], ["metrics"], log), fake("ingress", [], [], log), fake("metrics", [], [], log)],
    });
    expect(log).toEqual(["ingress<-", "metrics<-", "portal<-ingress,metrics"]);
    Testing.synth(stack);
  });

  test("a component reaching for something it did not declare gets a clear error", () => {
    const sneaky: Component = { ...fake("sneaky"), install: (_s, _c, deps) => ({ ready: deps.ready("ingress") }) };
    expect(() => new FawkesPlatform(testStack(), "P", { context: new FakeContext(), components: [sneaky, fake("ingress")] })).toThrow(
      'Component "sneaky" uses "ingress", which is not installed before it: add "ingress" to its needs',
    );
  });

  test("the platform gives each component its scope, Platform/<PascalCase id>, before install", () => {
    const seen: string[] = [];
    const probe = (id: string): Component => ({ ...fake(id), install: (scope) => (seen.push(scope.node.path), { ready: [] }) });
    const platform = new FawkesPlatform(testStack(), "Platform", { context: new FakeContext(), components: [probe("ingress"), probe("front-door")] });
    expect(seen).toEqual(["test/Platform/Ingress", "test/Platform/FrontDoor"]);
    expect([...platform.scopes].map(([id, scope]) => [id, scope.node.path])).toEqual([
      ["ingress", "test/Platform/Ingress"],
      ["front-door", "test/Platform/FrontDoor"],
    ]);
  });

  test("namespaces and the catalog are asked of the platform, for enabled components installed before or after", () => {
    let asked: { ns: string; later: string; catalog: unknown[] } | undefined;
    const portal: Component = {
      ...fake("portal"),
      info: { title: "Portal", description: "the portal", subdomain: "portal", docs: "https://example.org/portal", lifecycle: "production" },
      install: (_s, _c, deps) => {
        asked = { ns: deps.namespaceOf("portal"), later: deps.namespaceOf("chat"), catalog: deps.catalog() };
        expect(() => deps.namespaceOf("off")).toThrow(
          'Component "portal" asks for the namespace of "off", which is not enabled: check deps.isEnabled("off") first',
        );
        expect([deps.isEnabled("chat"), deps.isEnabled("off")]).toEqual([true, false]);
        return { ready: [] };
      },
    };
    new FawkesPlatform(testStack(), "Platform", { context: new FakeContext(), components: [portal, fake("chat"), fake("off")], disabled: ["off"] });
    expect(asked).toEqual({
      ns: "portal",
      later: "chat",
      catalog: [
        {
          id: "portal",
          title: "Portal",
          description: "the portal",
          url: "https://portal.fawkes.test",
          docs: "https://example.org/portal",
          lifecycle: "production",
          namespace: "portal",
        },
        { id: "chat", title: "chat", description: "chat", url: undefined, docs: "https://example.org", lifecycle: "experimental", namespace: "chat" },
      ],
    });
  });

  test("a service nobody offers: required fails naming the component and the service, optional is undefined", () => {
    const asker: Component = {
      ...fake("ci"),
      install: (_s, _c, deps) => {
        expect(deps.maybe("codeAnalysis")).toBeUndefined();
        return { ready: [], endpoints: { url: deps.service("identity").issuer } };
      },
    };
    expect(() => new FawkesPlatform(testStack(), "P", { context: new FakeContext(), components: [asker] })).toThrow(
      'Component "ci" needs the platform service "identity", which no installed component provides',
    );
  });

  test("a new component integrates with two others through services, importing neither (the README example)", () => {
    const tf = synthWith([fakeObservability(), fakeAnalysis, new QualityReportComponent()]);
    const report = release(tf, "quality-report");
    const [config, rule] = manifests(report);
    expect(config.data).toEqual({ sonarqube: "http://analysis.fake:9000", tokenSecret: "token-quality-report" });
    expect(rule.kind).toBe("PrometheusRule");
    expect(report.namespace).toBe("quality-report");
    // Without them it still installs, with neither integration.
    const alone = manifests(release(synthWith([new QualityReportComponent()]), "quality-report"));
    expect(alone.map((o) => o.kind)).toEqual(["ConfigMap"]);
    expect(alone[0].data.sonarqube).toBe("");
    expect(releaseId(tf, "quality-report")).toMatch(/^helm_release\.Platform_QualityReport_/);
  });
});
