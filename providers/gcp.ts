import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { TimeProvider } from "@cdktf/provider-time/lib/provider";
import type { Construct } from "constructs";

/**
 * The Google provider, on Application Default Credentials (`gcloud auth application-default login`,
 * or the runner's service account), with labels on every resource that say what owns it; and the
 * time provider, for waits on eventually consistent Google APIs.
 */
export function gcpProviders(scope: Construct, props: { project: string; region: string; name: string; environment: string }): GoogleProvider {
  new TimeProvider(scope, "Time");
  return new GoogleProvider(scope, "Google", {
    project: props.project,
    region: props.region,
    // Label keys allow no dots or slashes (and cdktf writes provider-level map keys in snake case).
    defaultLabels: { fawkes_platform: props.name, fawkes_environment: props.environment, managed_by: "cdktf" },
  });
}
