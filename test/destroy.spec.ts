import { parse as parseYaml } from "yaml";
import { STACKS, type StackName } from "../stacks/app";
import { LOCAL_HEAVY_COMPONENTS } from "../stacks/local";
import { LOCAL_WITH_ALL, STANDARD, synthesized } from "./synthesized";

/**
 * `allowDestroy: true` must flip protection and nothing else: an operator sets it, deploys (a plan
 * that only drops protection), then destroys. If a size, a name or a setting changed too, that
 * deploy would resize or replace things on the way out. Every difference between the two plans
 * must be one of these attributes (or a resource whose only job is protection).
 */
const PROTECTION_ATTRIBUTES = new Set([
  "deletion_protection",
  "deletion_protection_enabled",
  "prevent_destroy",
  "force_destroy",
  "skip_final_snapshot",
  "final_snapshot_identifier",
  "reclaim_policy",
  "purge_protection_enabled",
  "prevent_deletion_if_contains_resources",
  "delete_automated_backups",
  "retain_backups_on_delete",
  // helm: `keep` on a release's resources (the local databases)
  "helm.sh/resource-policy",
]);
/** Resources that exist only to protect (present when protected, absent when destroy is allowed). */
const PROTECTION_RESOURCES = new Set(["azurerm_management_lock"]);

/** Differences between two JSON documents as paths; helm values are compared as parsed YAML. */
function diff(a: unknown, b: unknown, path: string[] = [], out: string[][] = []): string[][] {
  if (typeof a === "string" && typeof b === "string" && a !== b && path.includes("values")) {
    try {
      return diff(parseYaml(a), parseYaml(b), path, out);
    } catch {
      /* not YAML: compared as strings below */
    }
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) diff((a as any)[k], (b as any)[k], [...path, k], out);
    return out;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push(path);
  return out;
}

describe.each(Object.keys(STACKS) as StackName[])("%s with allowDestroy", (name) => {
  // The laptop with every component on, so every protected resource is there.
  const kept = synthesized(name === "fawkes-local" ? "fawkes-local-all" : name);
  const destroyable = synthesized(`${name}-destroyable`);
  const changes = diff(kept.resource, destroyable.resource);

  test("changes nothing but protection attributes", () => {
    const other = changes.filter(([type, , ...rest]) => {
      if (PROTECTION_RESOURCES.has(type) && rest.length === 0) return false;
      if (PROTECTION_RESOURCES.has(type)) return false;
      return !rest.some((k) => PROTECTION_ATTRIBUTES.has(k));
    });
    expect(other.map((p) => p.join("."))).toEqual([]);
  });

  test("drops the protection (something changes at all)", () => {
    expect(changes.length).toBeGreaterThan(0);
  });

  test("no prevent_destroy and no deletion protection left", () => {
    const left: string[] = [];
    for (const [type, byId] of Object.entries<any>(destroyable.resource)) {
      for (const [id, r] of Object.entries<any>(byId)) {
        if (r.lifecycle?.prevent_destroy) left.push(`${type}.${id}: prevent_destroy`);
        for (const k of ["deletion_protection", "deletion_protection_enabled"]) if (r[k] === true) left.push(`${type}.${id}: ${k}`);
        if (PROTECTION_RESOURCES.has(type)) left.push(`${type}.${id}`);
      }
    }
    expect(left).toEqual([]);
  });
});

test("the laptop compared here has every component on that a laptop leaves off (here and in the equivalence suite)", () => {
  const on = LOCAL_WITH_ALL.local?.components ?? {};
  expect(LOCAL_HEAVY_COMPONENTS.filter((id) => on[id] !== true)).toEqual([]);
});

test("the shared synth cache covers every stack of the app (the snapshot and manifest tests read it)", () => {
  expect(Object.keys(STACKS).every((name) => name in STANDARD)).toBe(true);
});
