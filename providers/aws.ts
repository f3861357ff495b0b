import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TimeProvider } from "@cdktf/provider-time/lib/provider";
import type { Construct } from "constructs";

/**
 * The AWS provider, with tags on every resource that say what owns it, and the time provider (the
 * foundation's destroy-time wait for load balancers).
 */
export function awsProvider(scope: Construct, props: { region: string; name: string; environment: string }): AwsProvider {
  new TimeProvider(scope, "Time");
  return new AwsProvider(scope, "Aws", {
    region: props.region,
    defaultTags: [{ tags: { "fawkes.dev/platform": props.name, "fawkes.dev/environment": props.environment, "managed-by": "cdktf" } }],
  });
}
