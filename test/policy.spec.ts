import { Release } from "@cdktf/provider-helm/lib/release";
import { Testing } from "cdktf";
import { PlatformPolicy } from "../constructs/policy";
import { testStack } from "./support";

describe("PlatformPolicy (runs on every synth)", () => {
  test("refuses an unpinned, non-atomic, unbounded release, naming it", () => {
    const stack = testStack();
    stack.node.addValidation(new PlatformPolicy(stack));
    new Release(stack, "Sloppy", { name: "sloppy", chart: "nginx", repository: "https://example.org", version: "latest" });
    expect(() => Testing.synth(stack, true)).toThrow(
      /test\/Sloppy: chart version must be pinned \(x\.y\.z\), got "latest"[\s\S]*must be atomic[\s\S]*must wait[\s\S]*needs a timeout/,
    );
  });

  test("accepts a release that follows the rules", () => {
    const stack = testStack();
    stack.node.addValidation(new PlatformPolicy(stack));
    new Release(stack, "Good", { name: "good", chart: "x", repository: "https://example.org", version: "1.2.3", atomic: true, wait: true, timeout: 300 });
    expect(() => Testing.synth(stack, true)).not.toThrow();
  });
});
