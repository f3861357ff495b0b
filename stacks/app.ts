import { App } from "cdktf";
import type { FawkesConfig } from "./config/schema";
import { FawkesAwsStack } from "./aws";
import { FawkesAzureStack } from "./azure";
import { FawkesGcpStack } from "./gcp";
import { FawkesLocalStack } from "./local";
import { skipTokenCreationStacks } from "./token-traces";

// Before any stack is built: see token-traces.ts (a quarter of synth time).
skipTokenCreationStacks();

/** Every deployable stack, by name. Adding a cloud = one stack file + one line here. */
export const STACKS = {
  "fawkes-aws": FawkesAwsStack,
  "fawkes-azure": FawkesAzureStack,
  "fawkes-gcp": FawkesGcpStack,
  "fawkes-local": FawkesLocalStack,
} as const;

export type StackName = keyof typeof STACKS;

/** Builds the app with every stack; nothing is written until `app.synth()`. */
export function buildApp(config: FawkesConfig, outdir?: string): App {
  const app = new App({ outdir, skipValidation: false });
  for (const [name, Stack] of Object.entries(STACKS)) new Stack(app, name, config);
  return app;
}
