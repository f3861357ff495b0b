import { fillSynthCache } from "./synthesized";

/** Before the workers start: the standard stacks, synthesized once for every test file (test/synthesized.ts). */
export default async function globalSetup(): Promise<void> {
  await fillSynthCache();
}
