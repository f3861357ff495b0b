import * as fs from "node:fs";
import * as path from "node:path";

/**
 * No unused exports in constructs/: an export nothing else names is dead code, or a seam nobody
 * uses yet (then it belongs to the issue that uses it). A name counts as used when any other
 * source file of the project (constructs, stacks, providers, scripts, test) mentions it.
 */
const ROOT = path.join(__dirname, "..");
const SOURCES = ["constructs", "stacks", "providers", "scripts", "test"];

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" ? [] : files(p);
    return /\.(ts|js)$/.test(e.name) || !e.name.includes(".") ? [p] : [];
  });
}

const all = SOURCES.flatMap((d) => files(path.join(ROOT, d)));
const text = new Map(all.map((f) => [f, fs.readFileSync(f, "utf8")]));
/**
 * Exported values. Exported types and interfaces are not counted: a construct's `XxxProps` is part
 * of its signature, and callers may need to name it even where none does yet.
 */
const EXPORT = /^export\s+(?:declare\s+)?(?:abstract\s+)?(?:const|let|function\*?|class|enum)\s+([A-Za-z_$][\w$]*)/gm;

test("every export of constructs/ is used by another file", () => {
  const unused: string[] = [];
  for (const file of all.filter((f) => f.startsWith(path.join(ROOT, "constructs")) && f.endsWith(".ts"))) {
    for (const [, name] of text.get(file)!.matchAll(EXPORT)) {
      const word = new RegExp(`\\b${name.replace(/\$/g, "\\$")}\\b`);
      const elsewhere = all.some((other) => other !== file && word.test(text.get(other)!));
      if (!elsewhere) unused.push(`${path.relative(ROOT, file)}: ${name}`);
    }
  }
  expect(unused).toEqual([]);
});
