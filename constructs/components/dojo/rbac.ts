import type { Curriculum } from "./curriculum";
import { CHECK_KINDS } from "./curriculum";
import KINDS from "./engine/kinds.json";
import { GITOPS_BELTS, LEARNER_SA, type Belt } from "./engine/slot";

/**
 * Who may do what in the Dojo, as plain RBAC rules (the component turns them into ClusterRoles).
 * Learner and reader roles are ClusterRoles only to be reusable: they are granted by RoleBindings
 * inside each slot, so they never reach beyond it.
 */
export interface Rule {
  readonly apiGroups: string[];
  readonly resources: string[];
  readonly verbs: string[];
  readonly resourceNames?: string[];
}

const READ = ["get", "list", "watch"];
const WRITE = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"];
const MANAGE = ["get", "list", "watch", "create", "update", "patch", "delete"];

export const ROLE_NAMES = {
  learner: (belt: Belt) => `dojo-learner-${belt}`,
  /** Read-only on the kinds checks read, bound per slot to that slot's validator identity. */
  reader: "dojo-slot-reader",
  reconciler: "dojo-reconciler",
  validator: "dojo-validator",
  /** For instructors running scripts/dojo without cluster-admin (not bound by default). */
  operator: "dojo-operator",
  /** Bound to the learner group: claim and release their own slot (the self-service policy limits it). */
  claimer: "dojo-claimer",
} as const;

/** Kinds a Black belt learner creates in the tenant modules, by the names its checks use. */
const TENANT_KINDS = {
  ResourceQuota: ["", "resourcequotas"],
  LimitRange: ["", "limitranges"],
  Role: ["rbac.authorization.k8s.io", "roles"],
  RoleBinding: ["rbac.authorization.k8s.io", "rolebindings"],
} as const;

/**
 * What a learner may do in their slot. Everything an application needs; the slot's guardrails
 * (quota, limits, network policies, role bindings) are read-only. Green belt and up add Argo CD
 * Applications. Black belt may create quotas, limit ranges, roles and role bindings for its tenant
 * modules, but change or delete only the ones its curriculum names (never the slot's own), and
 * Kubernetes lets nobody grant rights they do not hold.
 */
export function learnerRules(belt: Belt, curriculum: Curriculum): Rule[] {
  const rules: Rule[] = [
    { apiGroups: [""], resources: ["pods", "services", "configmaps", "secrets", "persistentvolumeclaims", "serviceaccounts"], verbs: WRITE },
    { apiGroups: [""], resources: ["pods/log", "pods/status", "events", "endpoints", "resourcequotas", "limitranges"], verbs: READ },
    { apiGroups: [""], resources: ["pods/exec", "pods/portforward"], verbs: ["get", "create"] },
    { apiGroups: ["apps"], resources: ["deployments", "deployments/scale", "replicasets", "statefulsets", "statefulsets/scale"], verbs: WRITE },
    { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: WRITE },
    { apiGroups: ["networking.k8s.io"], resources: ["ingresses"], verbs: WRITE },
    { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: READ },
    { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: WRITE },
    { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: WRITE },
    { apiGroups: ["monitoring.coreos.com"], resources: ["servicemonitors", "podmonitors", "prometheusrules"], verbs: WRITE },
    { apiGroups: ["cert-manager.io"], resources: ["certificates", "certificaterequests"], verbs: READ },
    { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: READ },
    { apiGroups: ["metrics.k8s.io"], resources: ["pods"], verbs: READ },
    { apiGroups: ["aquasecurity.github.io"], resources: ["vulnerabilityreports", "configauditreports", "exposedsecretreports"], verbs: READ },
    { apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles", "rolebindings"], verbs: READ },
  ];
  if ((GITOPS_BELTS as string[]).includes(belt)) rules.push({ apiGroups: ["argoproj.io"], resources: ["applications"], verbs: WRITE });
  if (belt === "black") {
    for (const [kind, [group, resource]] of Object.entries(TENANT_KINDS)) {
      const names = [...new Set(curriculum.black.flatMap((m) => m.checks.filter((c) => c.kind === kind && c.name).map((c) => c.name!)))].sort();
      rules.push({ apiGroups: [group], resources: [resource], verbs: ["create"] });
      if (names.length) rules.push({ apiGroups: [group], resources: [resource], verbs: ["update", "patch", "delete"], resourceNames: names });
    }
  }
  return rules;
}

/** Read-only on exactly the kinds the check language can read (never secrets), grouped by API group. */
export function readerRules(): Rule[] {
  const byGroup = new Map<string, string[]>();
  for (const kind of CHECK_KINDS) {
    const info = (KINDS as Record<string, { apiVersion: string; plural: string }>)[kind];
    const group = info.apiVersion.includes("/") ? info.apiVersion.split("/")[0] : "";
    byGroup.set(group, [...(byGroup.get(group) ?? []), info.plural]);
  }
  return [...byGroup.entries()].map(([group, resources]) => ({ apiGroups: [group], resources, verbs: READ }));
}

/**
 * The reconciler, cluster-wide (slot namespaces come and go, and RBAC cannot select namespaces by
 * label): slot namespaces and what a slot holds. It may bind only the Dojo's own roles. The
 * reconciler-scope admission policy confines all of it to slot namespaces.
 */
export function reconcilerRules(boundRoles: string[]): Rule[] {
  return [
    { apiGroups: [""], resources: ["namespaces"], verbs: MANAGE },
    { apiGroups: [""], resources: ["resourcequotas", "limitranges", "serviceaccounts", "services", "configmaps"], verbs: MANAGE },
    { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: MANAGE },
    { apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"], verbs: MANAGE },
    { apiGroups: ["apps"], resources: ["deployments"], verbs: MANAGE },
    { apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["bind"], resourceNames: boundRoles },
  ];
}

/** The reconciler in the validators' namespace (the per-slot validator identities). */
export const RECONCILER_VALIDATORS_RULES: Rule[] = [{ apiGroups: [""], resources: ["serviceaccounts"], verbs: MANAGE }];
/** The reconciler in Argo CD's namespace (the per-slot AppProjects). */
export const RECONCILER_ARGOCD_RULES: Rule[] = [{ apiGroups: ["argoproj.io"], resources: ["appprojects"], verbs: MANAGE }];

/** The validator runner: find claimed slots (namespaces, read-only)... */
export const VALIDATOR_RULES: Rule[] = [{ apiGroups: [""], resources: ["namespaces"], verbs: READ }];
/** ...and, in the validators' namespace only, a short-lived token per slot identity. */
export const VALIDATOR_TOKEN_RULES: Rule[] = [
  { apiGroups: [""], resources: ["serviceaccounts"], verbs: ["get"] },
  { apiGroups: [""], resources: ["serviceaccounts/token"], verbs: ["create"] },
];

/** scripts/dojo for instructors: claim/release (namespaces), learner tokens, and on-demand jobs (namespaced). */
export const OPERATOR_RULES: Rule[] = [
  { apiGroups: [""], resources: ["namespaces"], verbs: ["get", "list", "watch", "update", "patch"] },
  { apiGroups: [""], resources: ["serviceaccounts/token"], verbs: ["create"], resourceNames: [LEARNER_SA] },
];
export const OPERATOR_JOB_RULES: Rule[] = [
  { apiGroups: ["batch"], resources: ["cronjobs"], verbs: READ },
  { apiGroups: ["batch"], resources: ["jobs"], verbs: ["get", "list", "watch", "create", "delete"] },
  { apiGroups: [""], resources: ["pods", "pods/log"], verbs: READ },
];
/** Learners claiming for themselves: namespace updates, which the self-service policy narrows to their own claim. */
export const CLAIMER_RULES: Rule[] = [{ apiGroups: [""], resources: ["namespaces"], verbs: ["get", "list", "watch", "update", "patch"] }];
