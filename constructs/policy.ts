import { Release } from "@cdktf/provider-helm/lib/release";
import { TerraformResource } from "cdktf";
import type { Construct, IValidation } from "constructs";

/**
 * The house rules for one apply, checked on every synth (not only in tests): each helm release is
 * pinned, atomic, waits and has a timeout; nothing uses `kubernetes_manifest`, which needs a live
 * cluster at plan time. A violation fails synth naming the construct path.
 */
export class PlatformPolicy implements IValidation {
  constructor(private readonly scope: Construct) {}

  validate(): string[] {
    const errors: string[] = [];
    for (const node of this.scope.node.findAll()) {
      if (node instanceof Release) {
        const where = node.node.path;
        if (!node.versionInput || !/^v?\d+\.\d+\.\d+([-.][0-9A-Za-z.-]+)?$/.test(node.versionInput))
          errors.push(`${where}: chart version must be pinned (x.y.z), got "${node.versionInput ?? ""}"`);
        if (node.atomicInput !== true) errors.push(`${where}: helm release must be atomic`);
        if (node.waitInput !== true) errors.push(`${where}: helm release must wait for readiness`);
        if (!(Number(node.timeoutInput) > 0)) errors.push(`${where}: helm release needs a timeout`);
      } else if (node instanceof TerraformResource && node.terraformResourceType === "kubernetes_manifest") {
        errors.push(`${node.node.path}: kubernetes_manifest needs a live cluster at plan time; render custom resources with manifestsRelease()`);
      }
    }
    return errors;
  }
}
