import { Annotations, TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { disabledComponents, platformComponents } from "../constructs/components";
import type { PlatformContext } from "../constructs/context";
import { FawkesPlatform } from "../constructs/platform";
import { PlatformPolicy } from "../constructs/policy";
import { clusterProviders } from "../providers/cluster";
import type { FawkesConfig } from "./config/schema";

/**
 * What every stack does after its foundation: providers for the cluster, the components in
 * dependency order, and the outputs an operator needs (URLs and where secrets live, never values).
 */
export function installPlatform(stack: Construct, ctx: PlatformContext, config: FawkesConfig): FawkesPlatform {
  clusterProviders(stack, ctx.cluster);
  stack.node.addValidation(new PlatformPolicy(stack));
  const platform = new FawkesPlatform(stack, "Platform", {
    context: ctx,
    components: platformComponents(config),
    disabled: disabledComponents(config),
  });

  const urls: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  for (const [id, out] of platform.outputs) {
    for (const [name, url] of Object.entries(out.endpoints ?? {})) urls[name] = url;
    for (const s of out.adminSecrets ?? []) secrets[`${id}: ${s.description}`] = `kubectl -n ${s.namespace} get secret ${s.name} -o jsonpath='{.data.${s.key.replace(/\./g, "\\.")}}' | base64 -d`;
  }
  new TerraformOutput(stack, "domain", { value: ctx.domain, description: "Every platform UI is served at https://<component>.<domain>" });
  new TerraformOutput(stack, "urls", { value: urls, description: "Platform UIs" });
  new TerraformOutput(stack, "admin_secrets", {
    value: secrets,
    description: "How to read each admin credential (the values are never outputs); also: scripts/secret <component>",
  });
  new TerraformOutput(stack, "secret_store", { value: ctx.secretStore.location, description: "Where database passwords and platform secrets live" });
  new TerraformOutput(stack, "components", { value: platform.installed.map((c) => c.id), description: "Installed components, in install order" });
  return platform;
}

/**
 * With no `api.allowedCidrs` the cluster API is private (the secure default), so the providers can
 * only reach it from inside the network: say so at synth, where an operator sees it before deploy.
 */
export function warnIfPrivateApi(stack: Construct, config: FawkesConfig, stackName: string, what: string, network: string): void {
  if (config.api.allowedCidrs.length > 0) return;
  Annotations.of(stack).addWarning(
    `${stackName}: api.allowedCidrs is empty, so ${what}: run \`cdktf deploy\` from inside the ${network} (VPN, bastion or CI runner), or list your network in api.allowedCidrs`,
  );
}
