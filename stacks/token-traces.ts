/**
 * cdktf records a full stack trace for every token it creates (`Intrinsic`, `Lazy`: `creationStack`,
 * with `Error.stackTraceLimit` raised to the maximum), only to print it if that token later fails to
 * resolve. Capturing and formatting those traces was a quarter of synth time (about 0.6 s of 2.9 s)
 * and more under jest, whose stacks are deeper (measured with --cpu-prof). cdktf captures onto a
 * plain `{ stack: "" }` holder, never onto an Error: this skips exactly such captures, and every
 * real error keeps its stack.
 * Cost: a token that fails to resolve reports no creation stack; the resolve error itself still names
 * the attribute.
 */
export function skipTokenCreationStacks(): void {
  const current = Error.captureStackTrace as typeof Error.captureStackTrace & { fawkes?: true };
  if (current.fawkes) return;
  const skipping = (target: object, constructorOpt?: Parameters<typeof Error.captureStackTrace>[1]): void => {
    if (!(target instanceof Error) && isStackHolder(target)) return;
    current.call(Error, target, constructorOpt);
  };
  Error.captureStackTrace = Object.assign(skipping, { fawkes: true as const });
}

/** cdktf's holder: a plain object whose one key is an empty `stack`. */
function isStackHolder(target: object): boolean {
  const keys = Object.keys(target);
  return keys.length === 1 && keys[0] === "stack" && (target as { stack: unknown }).stack === "";
}
