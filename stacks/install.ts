import { DataHttp } from "@cdktf/provider-http/lib/data-http";
import { HttpProvider } from "@cdktf/provider-http/lib/provider";
import { Annotations, Fn, TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { disabledComponents, platformComponents } from "./components";
import type { PlatformContext } from "../constructs/context";
import { FawkesPlatform } from "../constructs/platform";
import { PlatformPolicy } from "../constructs/policy";
import { calendarToday, kubernetesVersionWarnings } from "../constructs/kubernetes-versions";
import { clusterProviders } from "../providers/cluster";
import { configSource } from "./config/load";
import { DEPLOYER, type FawkesConfig } from "./config/schema";

/**
 * What every stack does after its foundation: providers for the cluster, the components in
 * dependency order, and the outputs an operator needs (URLs and where secrets live, never values).
 */
export function installPlatform(stack: Construct, ctx: PlatformContext, config: FawkesConfig): FawkesPlatform {
  // Per cloud: refuse a minor this cloud does not offer, warn when it leaves standard support soon.
  if (ctx.cloud !== "local") {
    const where = `${configSource(config)}: kubernetes.version`;
    for (const w of kubernetesVersionWarnings(ctx.cloud, config.kubernetes.version, calendarToday(), where)) Annotations.of(stack).addWarning(w);
  }
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
    for (const s of out.adminSecrets ?? [])
      secrets[`${id}: ${s.description}`] = `kubectl -n ${s.namespace} get secret ${s.name} -o jsonpath='{.data.${s.key.replace(/\./g, "\\.")}}' | base64 -d`;
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

/** The public-address lookup behind `deployer` in `api.allowedCidrs`: plain text, one IPv4 address. */
export const DEPLOYER_ADDRESS_URL = "https://checkip.amazonaws.com";

/** API access as the foundations take it: the CIDRs, with `deployer` resolved at plan time. */
export interface ApiAccess {
  /** Networks for the public endpoint; empty means no public endpoint. */
  readonly publicCidrs: string[];
  /** Private networks (VPN, peering) for the private endpoint. */
  readonly privateCidrs: string[];
}

/**
 * Resolves `api.allowedCidrs`: `deployer` becomes `<this machine's public IPv4>/32`, read by an
 * `http` data source when Terraform plans (never at synth, which stays offline). A lookup that
 * fails or returns something other than an address fails the plan, before anything is created.
 */
export function apiAccess(stack: Construct, config: FawkesConfig): ApiAccess {
  const cidrs = config.api.allowedCidrs;
  if (!cidrs.includes(DEPLOYER)) return { publicCidrs: [...cidrs], privateCidrs: [...config.api.privateCidrs] };
  new HttpProvider(stack, "Http");
  const address = new DataHttp(stack, "DeployerAddress", {
    url: DEPLOYER_ADDRESS_URL,
    requestTimeoutMs: 10000,
    retry: { attempts: 3, minDelayMs: 1000 },
    lifecycle: {
      postcondition: [
        {
          condition: `\${self.status_code == 200 && can(regex("^\\\\d{1,3}(\\\\.\\\\d{1,3}){3}$", chomp(self.response_body)))}`,
          errorMessage: `api.allowedCidrs has "deployer", but this machine's public address could not be read from ${DEPLOYER_ADDRESS_URL}: list your network's CIDR in api.allowedCidrs instead`,
        },
      ],
    },
  });
  const deployer = `${Fn.chomp(address.responseBody)}/32`;
  return { publicCidrs: cidrs.map((c) => (c === DEPLOYER ? deployer : c)), privateCidrs: [...config.api.privateCidrs] };
}
