import { fillSynthCache } from "./synthesized";

/** Before the workers start: the standard stacks, synthesized once for every test file (test/synthesized.ts). */
export default function globalSetup(): void {
  fillSynthCache();
}
