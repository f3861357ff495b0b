import { chartValues, escapeTemplates, mergeValues, renderYaml } from "../constructs/helm";

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
});
