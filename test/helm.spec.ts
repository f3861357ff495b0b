import { chartValues, escapeTemplates, ingressFor, mergeValues, releaseValues, renderYaml } from "../constructs/helm";
import type { ServiceLookup } from "../constructs/services";
import { FakeContext } from "./support";

describe("helm values helpers", () => {
  test("application ${...} and %{...} are escaped for Terraform; cdktf tokens are kept", () => {
    expect(escapeTemplates("url: ${JENKINS_URL} %{if} ${TfToken[TOKEN.12]}")).toBe("url: $${JENKINS_URL} %%{if} ${TfToken[TOKEN.12]}");
    expect(renderYaml({ a: "${B}" })).toBe("a: $${B}\n");
  });

  test("long values are never folded (a folded token would break)", () => {
    const long = "x".repeat(300) + " " + "y".repeat(300);
    expect(renderYaml({ long }).trim().split("\n")).toHaveLength(1);
  });

  test("overlays merge maps key by key and replace lists", () => {
    expect(mergeValues({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, e: 2 })).toEqual({ a: { b: 1, c: [3] }, d: 1, e: 2 });
  });

  test("profile sizes sit between the values file and the computed overlay", () => {
    const small = chartValues("ingress", "small", { deployment: { replicas: 7 } });
    expect(small).toMatch(/replicas: 7/);
  });

  test("a values file that does not exist fails naming it", () => {
    expect(() => chartValues("no-such-component", "small")).toThrow(/helm-values\/no-such-component\.yaml/);
  });

  test("one call layers the values file, the profile's sizes and the computed overlay", () => {
    const file = releaseValues({ profile: "small" }, "jenkins");
    const standard = releaseValues({ profile: "standard" }, "jenkins", { controller: { numExecutors: 9 } }) as any;
    expect(standard.controller.numExecutors).toBe(9);
    // The profile changes sizes, the file keeps everything else.
    expect(standard.controller.resources).not.toEqual((file as any).controller.resources);
    expect(standard.controller.image).toEqual((file as any).controller.image);
    expect(chartValues("jenkins", "standard")).toBe(renderYaml(releaseValues({ profile: "standard" }, "jenkins")));
  });

  test("ingressFor takes the class and the controller's annotations from the ingress service, the issuer from tls", () => {
    const offered: Record<string, unknown> = {
      ingress: { className: "edge", annotations: { "edge.example/tls-only": "yes" } },
      clusterIssuer: "corp-ca",
    };
    const deps = { service: (key: string) => offered[key] } as unknown as ServiceLookup;
    expect(ingressFor("portal", new FakeContext(), deps)).toEqual({
      className: "edge",
      host: "portal.fawkes.test",
      tlsSecret: "portal-tls",
      annotations: { "cert-manager.io/cluster-issuer": "corp-ca", "edge.example/tls-only": "yes" },
    });
  });
});
