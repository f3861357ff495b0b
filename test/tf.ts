import { parse as parseYaml } from "yaml";

/**
 * Readers of synthesized Terraform JSON. This module imports no cdktf and no construct, so a test
 * file that only reads this run's cached stacks (test/synthesized.ts) loads in milliseconds.
 */

/** Every resource of a type, as [logical id, body]. */
export function resources(tf: any, type: string): [string, any][] {
  return Object.entries(tf.resource?.[type] ?? {});
}

/** The helm release with the given release name. */
export function release(tf: any, name: string): any {
  const found = resources(tf, "helm_release").find(([, r]) => r.name === name);
  if (!found)
    throw new Error(
      `no helm_release named "${name}"; have: ${resources(tf, "helm_release")
        .map(([, r]) => r.name)
        .join(", ")}`,
    );
  return found[1];
}

/** A release's values, parsed (all documents merged shallowly, later wins). */
export function values(rel: any): any {
  return Object.assign({}, ...(rel.values ?? []).map((v: string) => parseYaml(v) ?? {}));
}

/** The Kubernetes objects of a `fawkes-manifests` release. */
export function manifests(rel: any): any[] {
  return values(rel).manifests ?? [];
}

/** Every string in the synthesized JSON, with its path, for scans. */
export function* strings(v: unknown, where: string[] = []): Generator<[string, string]> {
  if (typeof v === "string") yield [v, where.join(".")];
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) yield* strings(x, [...where, k]);
}

/** The Terraform address of the helm release with the given release name, as `depends_on` lists it. */
export function releaseId(tf: any, name: string): string {
  const found = resources(tf, "helm_release").find(([, r]) => r.name === name);
  if (!found) throw new Error(`no helm_release named "${name}"`);
  return `helm_release.${found[0]}`;
}
