import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { Construct } from "constructs";

/** The AWS provider, with tags on every resource that say what owns it. */
export function awsProvider(scope: Construct, props: { region: string; name: string; environment: string }): AwsProvider {
  return new AwsProvider(scope, "Aws", {
    region: props.region,
    defaultTags: [{ tags: { "fawkes.dev/platform": props.name, "fawkes.dev/environment": props.environment, "managed-by": "cdktf" } }],
  });
}
