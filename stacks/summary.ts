import * as fs from "node:fs";
import * as path from "node:path";
import { describeEstimate } from "./apply-time";

interface ManifestStack {
  name: string;
  synthesizedStackPath: string;
  annotations?: { level: string; message: string }[];
}

/** A short report of what synth produced: stacks, resource counts, components, warnings, where. */
export function summarize(outdir: string, configFile: string | undefined, ms: number): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, "manifest.json"), "utf8")) as { stacks: Record<string, ManifestStack> };
  const rows: string[][] = [["stack", "resources", "helm releases", "components"]];
  const warnings: string[] = [];
  const estimates: [string, string][] = [];
  for (const stack of Object.values(manifest.stacks)) {
    const tf = JSON.parse(fs.readFileSync(path.join(outdir, stack.synthesizedStackPath), "utf8"));
    const resources = Object.values<Record<string, unknown>>(tf.resource ?? {}).reduce((n, byType) => n + Object.keys(byType).length, 0);
    const releases = Object.keys(tf.resource?.helm_release ?? {}).length;
    const components = (tf.output?.components?.value as string[] | undefined) ?? [];
    rows.push([stack.name, String(resources), String(releases), components.join(" ")]);
    estimates.push([stack.name, describeEstimate(tf)]);
    for (const a of stack.annotations ?? []) if (a.level !== "info") warnings.push(`${a.level}: ${a.message}`);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const table = rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ")).join("\n");
  const rel = path.relative(process.cwd(), outdir) || outdir;
  return [
    `fawkes: synthesized ${rows.length - 1} stack(s) in ${(ms / 1000).toFixed(1)} s from ${configFile ?? "the embedded defaults"}`,
    table,
    // The longest dependency chain weighted by typical create times (stacks/apply-time.ts): an estimate.
    ...estimates.map(([name, estimate]) => `${name.padEnd(widths[0])}  ${estimate}`),
    ...warnings.map((w) => `  ${w}`),
    `Terraform JSON: ${rel}/stacks/<stack>/cdk.tf.json. Deploy: npx cdktf deploy <stack>`,
    "",
  ].join("\n");
}
