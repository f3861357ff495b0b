import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..");
function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" ? [] : sources(rel);
    return /\.(ts|js|mjs)$/.test(e.name) ? [rel] : [];
  });
}

describe("imports", () => {
  const files = ["stacks", "constructs", "providers", "test", "scripts"].flatMap(sources);

  test("provider classes are imported by deep path only (the barrel costs ~20x in type-check time and memory)", () => {
    const barrels = files.flatMap((f) =>
      fs.readFileSync(path.join(ROOT, f), "utf8").split("\n").map((line, i) => [f, i + 1, line] as const),
    ).filter(([, , line]) => /(from\s+|require\()\s*["']@cdktf\/provider-[a-z-]+["']/.test(line));
    expect(barrels.map(([f, n, line]) => `${f}:${n}: ${line.trim()}`)).toEqual([]);
  });

  test("components never ask which cloud they run on", () => {
    const components = files.filter((f) => f.startsWith(path.join("constructs", "components")));
    const offenders = components.filter((f) => /ctx\.cloud\s*[!=]==|@cdktf\/provider-(aws|azurerm|google)/.test(fs.readFileSync(path.join(ROOT, f), "utf8")));
    expect(offenders).toEqual([]);
  });
});
