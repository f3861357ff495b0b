import * as fs from "node:fs";
import * as path from "node:path";

/** README code that is cut from compiled, tested files cannot rot: the copy must equal the source. */
const ROOT = path.join(__dirname, "..");

function block(text: string, name: string): string {
  const start = text.indexOf(`// DOCS_BLOCK_START:${name}\n`);
  const end = text.indexOf(`// DOCS_BLOCK_END:${name}`);
  if (start < 0 || end < 0) throw new Error(`no DOCS_BLOCK ${name}`);
  return text.slice(start + `// DOCS_BLOCK_START:${name}\n`.length, end);
}

test("the README's 'Adding a component' example is the one test/platform.spec.ts compiles and runs", () => {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const example = block(fs.readFileSync(path.join(ROOT, "test", "platform.spec.ts"), "utf8"), "adding-a-component");
  expect(readme).toContain("```ts\n" + example + "```");
});
