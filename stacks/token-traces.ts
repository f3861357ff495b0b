/**
 * cdktf records a full stack trace for every token it creates (`Intrinsic`, `Lazy`: `creationStack`),
 * only to print it if that token later fails to resolve. Formatting those traces was a quarter of
 * synth time (about 0.6 s of 2.9 s, measured with --cpu-prof). cdktf captures them onto a plain
 * object (`{ stack: "" }`), never onto an Error: this hook formats nothing for such holders and
 * leaves every real error's stack as it was (the previous hook's format, or V8's default).
 * Cost: a token that fails to resolve reports no creation stack; the resolve error itself still names
 * the attribute.
 */
export function skipTokenCreationStacks(): void {
  const hooked = Error.prepareStackTrace as ((e: Error, frames: NodeJS.CallSite[]) => unknown) & { fawkes?: true };
  if (hooked?.fawkes) return;
  const previous = hooked;
  const hook = (holder: Error, frames: NodeJS.CallSite[]): unknown => {
    if (!(holder instanceof Error)) return "";
    if (previous) return previous(holder, frames);
    return `${holder.toString()}${frames.map((f) => `\n    at ${f.toString()}`).join("")}`;
  };
  Error.prepareStackTrace = Object.assign(hook, { fawkes: true as const });
}
