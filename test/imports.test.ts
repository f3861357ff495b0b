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
    const barrels = files
      .flatMap((f) =>
        fs
          .readFileSync(path.join(ROOT, f), "utf8")
          .split("\n")
          .map((line, i) => [f, i + 1, line] as const),
      )
      .filter(([, , line]) => /(from\s+|require\()\s*["']@cdktf\/provider-[a-z-]+["']/.test(line));
    expect(barrels.map(([f, n, line]) => `${f}:${n}: ${line.trim()}`)).toEqual([]);
  });

  test("components never ask which cloud they run on", () => {
    const components = files.filter((f) => f.startsWith(path.join("constructs", "components")));
    const offenders = components.filter((f) => /ctx\.cloud\s*[!=]==|@cdktf\/provider-(aws|azurerm|google)/.test(fs.readFileSync(path.join(ROOT, f), "utf8")));
    expect(offenders).toEqual([]);
  });

  test("no component folder imports from another component folder: they meet through platform services", () => {
    const offenders = files.flatMap((f) => crossFolderImports(f, fs.readFileSync(path.join(ROOT, f), "utf8")));
    expect(offenders).toEqual([]);
  });

  test("components build values with the one pipeline (releaseValues), not by hand-chaining merges", () => {
    const components = files.filter((f) => f.startsWith(path.join("constructs", "components") + path.sep) && f.endsWith(".ts"));
    const offenders = components.filter((f) => /\b(mergeValues|profileValues|chartValues)\(/.test(fs.readFileSync(path.join(ROOT, f), "utf8")));
    expect(offenders).toEqual([]);
  });

  test("layering: no import cycle between top-level folders, and constructs/ never imports stacks/", () => {
    // Which top-level folder imports which (runtime and type imports alike), from relative imports.
    const TOP = ["constructs", "stacks", "providers", "scripts"];
    const edges = new Map<string, Set<string>>(TOP.map((t) => [t, new Set<string>()]));
    for (const f of files) {
      const from = f.split(path.sep)[0];
      if (!edges.has(from)) continue;
      for (const [, spec] of fs.readFileSync(path.join(ROOT, f), "utf8").matchAll(/(?:from\s+|require\(\s*|import\s*\(\s*)["'](\.[^"']+)["']/g)) {
        const to = path.normalize(path.join(path.dirname(f), spec)).split(path.sep)[0];
        if (to !== from && edges.has(to)) edges.get(from)!.add(to);
      }
    }
    expect([...edges.get("constructs")!]).not.toContain("stacks");
    const cycles: string[] = [];
    const visit = (node: string, trail: string[]): void => {
      if (trail.includes(node)) {
        cycles.push([...trail.slice(trail.indexOf(node)), node].join(" -> "));
        return;
      }
      for (const next of edges.get(node)!) visit(next, [...trail, node]);
    };
    for (const t of TOP) visit(t, []);
    expect(cycles).toEqual([]);
  });

  test("the cross-folder check sees every way of reaching another component folder", () => {
    const jenkins = path.join("constructs", "components", "jenkins", "index.ts");
    const text = [
      'import { SONARQUBE_URL } from "../scanning";',
      'import type { X } from "../../components/scanning/sonarqube";',
      'const y = require("../dojo/engine/slot");',
      'import { casc } from "./jcasc";',
      'import { platformRelease } from "../../helm";',
    ].join("\n");
    expect(crossFolderImports(jenkins, text)).toEqual([
      `${jenkins}: ../scanning`,
      `${jenkins}: ../../components/scanning/sonarqube`,
      `${jenkins}: ../dojo/engine/slot`,
    ]);
    expect(crossFolderImports(path.join("constructs", "components", "index.ts"), 'import { JenkinsComponent } from "./jenkins";')).toEqual([]);
  });
});

/** Relative imports of a file in `constructs/components/<a>/` that land in another `constructs/components/<b>/`. */
function crossFolderImports(file: string, text: string): string[] {
  const componentsDir = path.join("constructs", "components");
  // The component folder a path is in or is (`../scanning` is the folder itself, its index).
  const folderOf = (rel: string, minDepth: number) => {
    const parts = path.relative(componentsDir, rel).split(path.sep);
    return parts.length >= minDepth && parts[0] !== ".." && parts[0] !== "" ? parts[0] : undefined;
  };
  const own = folderOf(file, 2);
  if (!own) return [];
  const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\(\s*|import\s+)["']([^"']+)["']/g)].map((m) => m[1]);
  return specifiers
    .filter((s) => s.startsWith("."))
    .filter((s) => {
      const target = folderOf(path.normalize(path.join(path.dirname(file), s)), 1);
      return target !== undefined && target !== own;
    })
    .map((s) => `${file}: ${s}`);
}
