import { clearSynthCache } from "./synthesized";

/** This run's synthesized stacks are not kept (test/synthesized.ts). */
export default function globalTeardown(): void {
  clearSynthCache();
}
