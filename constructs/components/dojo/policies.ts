import type { Scheduling } from "../../context";
import { CLAIM_ANNOTATIONS, CLAIM_LABELS, LABELS } from "./engine/slot";

/**
 * Admission policies that keep lab workloads in their place. Lab pods must land on the dojo pool
 * without the learner writing tolerations or node selectors: Kubernetes cannot add them by itself,
 * so a Kyverno MutatingPolicy adds them to every pod created in a slot namespace. Enforcement does
 * not depend on Kyverno: native ValidatingAdmissionPolicies (evaluated in the API server, fail
 * closed) reject slot pods that would land elsewhere, so a Kyverno outage stops lab pods, never
 * places them on platform nodes, and never blocks platform pods (the mutation ignores failures).
 */

type Obj = Record<string, unknown>;

/** Slot namespaces, as every policy selects them. */
const SLOT_NAMESPACES = { matchExpressions: [{ key: LABELS.belt, operator: "Exists" }] };
const SLOT_NAME_RE = "^dojo-(white|yellow|green|brown|black)-[0-9]{3}$";

/** A CEL string literal (single-quoted; backslashes and quotes escaped). */
function cel(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** CEL that holds when toleration `t` is exactly one of the pool's tolerations. */
function tolerationIsPool(pool: Scheduling): string {
  return (
    pool.tolerations
      .map((t) =>
        [
          `has(t.key) && t.key == ${cel(t.key)}`,
          t.operator === "Equal" ? `(!has(t.operator) || t.operator == 'Equal')` : `has(t.operator) && t.operator == ${cel(t.operator)}`,
          t.value !== undefined ? `has(t.value) && t.value == ${cel(t.value)}` : `!has(t.value)`,
          `has(t.effect) && t.effect == ${cel(t.effect)}`,
        ].join(" && "),
      )
      .map((c) => `(${c})`)
      .join(" || ") || "false"
  );
}

/** A toleration as a CEL map literal (the form Kyverno's own JSONPatch examples use for values). */
function tolerationObject(t: Scheduling["tolerations"][number]): string {
  const fields = [
    `'key': ${cel(t.key)}`,
    `'operator': ${cel(t.operator)}`,
    ...(t.value !== undefined ? [`'value': ${cel(t.value)}`] : []),
    `'effect': ${cel(t.effect)}`,
  ];
  return `{${fields.join(", ")}}`;
}

/**
 * Kyverno MutatingPolicy: adds the dojo pool's node selector and tolerations to every pod created in
 * a slot. Pods only (no autogen for Deployments and friends): the learner's Deployment stays as
 * written, so Argo CD sees no drift between Git and the cluster.
 */
export function placementMutation(pool: Scheduling): Obj {
  const selector = Object.entries(pool.nodeSelector);
  const selectorPatch = `has(object.spec.nodeSelector) ? [${selector
    .map(([k, v]) => `JSONPatch{op: "add", path: "/spec/nodeSelector/" + jsonpatch.escapeKey(${cel(k)}), value: ${cel(v)}}`)
    .join(", ")}] : [JSONPatch{op: "add", path: "/spec/nodeSelector", value: {${selector.map(([k, v]) => `${cel(k)}: ${cel(v)}`).join(", ")}}}]`;
  const tolerationPatches = pool.tolerations.map((t) => {
    const same = `object.spec.tolerations.exists(x, has(x.key) && x.key == ${cel(t.key)} && has(x.effect) && x.effect == ${cel(t.effect)} && (${t.value !== undefined ? `has(x.value) && x.value == ${cel(t.value)}` : "!has(x.value)"}))`;
    return `(!has(object.spec.tolerations) ? [] : (${same} ? [] : [JSONPatch{op: "add", path: "/spec/tolerations/-", value: ${tolerationObject(t)}}]))`;
  });
  const allTolerations = `(has(object.spec.tolerations) ? [] : [JSONPatch{op: "add", path: "/spec/tolerations", value: [${pool.tolerations.map(tolerationObject).join(", ")}]}])`;
  // A pool without labels (a laptop cluster) has no selector to add; one without a taint no tolerations.
  const patches = [...(selector.length ? [`(${selectorPatch})`] : []), ...(pool.tolerations.length ? [allTolerations, ...tolerationPatches] : [])];
  const expression = patches.length ? patches.join(" +\n") : "[]";
  return {
    apiVersion: "policies.kyverno.io/v1",
    kind: "MutatingPolicy",
    metadata: { name: "dojo-lab-placement" },
    spec: {
      // Enforcement is the ValidatingAdmissionPolicy's job: if Kyverno is down, slot pods are
      // rejected there, and no other pod in the cluster waits for Kyverno.
      failurePolicy: "Ignore",
      autogen: { podControllers: { controllers: [] } },
      matchConstraints: {
        resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] }],
        namespaceSelector: SLOT_NAMESPACES,
      },
      mutations: [{ patchType: "JSONPatch", jsonPatch: { expression } }],
    },
  };
}

function vap(name: string, spec: Obj): Obj[] {
  return [
    { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicy", metadata: { name }, spec: { failurePolicy: "Fail", ...spec } },
    {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicyBinding",
      metadata: { name },
      spec: { policyName: name, validationActions: ["Deny"] },
    },
  ];
}

/** Slot pods must select the dojo pool, tolerate nothing but its taint, and not bypass the scheduler. */
export function placementValidation(pool: Scheduling): Obj[] {
  const selector = Object.entries(pool.nodeSelector)
    .map(([k, v]) => `${cel(k)} in object.spec.nodeSelector && object.spec.nodeSelector[${cel(k)}] == ${cel(v)}`)
    .join(" && ");
  return vap("dojo-lab-placement", {
    matchConstraints: {
      resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] }],
      namespaceSelector: SLOT_NAMESPACES,
    },
    validations: [
      ...(selector
        ? [
            {
              expression: `has(object.spec.nodeSelector) && ${selector}`,
              message: `lab pods run on the dojo node pool only (nodeSelector ${JSON.stringify(pool.nodeSelector)})`,
            },
          ]
        : []),
      {
        // node.kubernetes.io/* are node-condition taints (not-ready, unreachable...), not pools.
        expression: `!has(object.spec.tolerations) || object.spec.tolerations.all(t, (has(t.key) && t.key.startsWith('node.kubernetes.io/')) || ${tolerationIsPool(pool)})`,
        message: "lab pods may tolerate only the dojo pool's taint",
      },
      { expression: "!has(object.spec.nodeName) || object.spec.nodeName == ''", message: "lab pods are placed by the scheduler: spec.nodeName is not allowed" },
    ],
  });
}

/**
 * Lab Ingress hosts are `<name>-<slot>.<domain>`: a learner can publish anything, but never take
 * over a platform host (grafana.<domain>) or another slot's.
 */
export function ingressHostValidation(domain: string): Obj[] {
  // <one DNS label> + "-<slot>.<domain>": the suffix is compared as text, the label by pattern.
  const ok = (h: string) =>
    `(${h}.endsWith(variables.suffix) && ${h}.substring(0, ${h}.size() - variables.suffix.size()).matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'))`;
  return vap("dojo-lab-ingress-hosts", {
    matchConstraints: {
      resourceRules: [{ apiGroups: ["networking.k8s.io"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["ingresses"] }],
      namespaceSelector: SLOT_NAMESPACES,
    },
    variables: [{ name: "suffix", expression: `'-' + request.namespace + ${cel(`.${domain}`)}` }],
    validations: [
      {
        expression: `has(object.spec.rules) && object.spec.rules.all(r, has(r.host) && ${ok("r.host")})`,
        messageExpression: "'lab Ingress hosts must look like <name>' + variables.suffix",
      },
      {
        expression: `!has(object.spec.tls) || object.spec.tls.all(t, !has(t.hosts) || t.hosts.all(h, ${ok("h")}))`,
        messageExpression: "'lab TLS hosts must look like <name>' + variables.suffix",
      },
      { expression: "!has(object.spec.defaultBackend)", message: "lab Ingresses route named hosts only (no defaultBackend)" },
    ],
  });
}

/**
 * The reconciler's cluster-wide rights, confined to what it owns: slot namespaces and objects in
 * them, validator identities named like slots, and AppProjects named like slots.
 */
export function reconcilerScope(p: { reconciler: string; validatorNamespace: string; argocdNamespace?: string }): Obj[] {
  const slotName = (o: string) => `${o}.metadata.name.matches(${cel(SLOT_NAME_RE)})`;
  const inSlot = `has(namespaceObject.metadata.labels) && ${cel(LABELS.belt)} in namespaceObject.metadata.labels`;
  const target = "variables.target";
  const rules: Obj[] = [
    {
      apiGroups: [""],
      apiVersions: ["v1"],
      operations: ["CREATE", "UPDATE", "DELETE"],
      resources: ["namespaces", "resourcequotas", "limitranges", "serviceaccounts", "services", "configmaps"],
    },
    { apiGroups: ["networking.k8s.io"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE", "DELETE"], resources: ["networkpolicies"] },
    { apiGroups: ["rbac.authorization.k8s.io"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE", "DELETE"], resources: ["rolebindings"] },
    { apiGroups: ["apps"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE", "DELETE"], resources: ["deployments"] },
  ];
  if (p.argocdNamespace) rules.push({ apiGroups: ["argoproj.io"], apiVersions: ["*"], operations: ["CREATE", "UPDATE", "DELETE"], resources: ["appprojects"] });
  const branches = [
    `request.resource.resource == 'namespaces' ? (${slotName(target)} && has(${target}.metadata.labels) && ${cel(LABELS.belt)} in ${target}.metadata.labels)`,
    `request.resource.resource == 'serviceaccounts' && request.namespace == ${cel(p.validatorNamespace)} ? ${slotName(target)}`,
    ...(p.argocdNamespace ? [`request.resource.resource == 'appprojects' ? (request.namespace == ${cel(p.argocdNamespace)} && ${slotName(target)})`] : []),
  ];
  return vap("dojo-reconciler-scope", {
    matchConstraints: { resourceRules: rules },
    matchConditions: [{ name: "is-reconciler", expression: `request.userInfo.username == ${cel(p.reconciler)}` }],
    variables: [{ name: "target", expression: "request.operation == 'DELETE' ? oldObject : object" }],
    validations: [{ expression: `${branches.join(" : ")} : (${inSlot})`, message: "the Dojo reconciler may only manage lab slots" }],
  });
}

/**
 * Learners in the learner group may claim a free slot for themselves and release (or update) only
 * their own claim: only the claim's labels and annotations may change, and only these transitions.
 */
export function selfServiceClaims(group: string): Obj[] {
  const list = (xs: string[]) => `[${xs.map(cel).join(", ")}]`;
  const unchanged = (field: "labels" | "annotations", keys: string[]) =>
    `has(object.metadata.${field}) && has(oldObject.metadata.${field}) && ` +
    `object.metadata.${field}.all(k, k in ${list(keys)} || (k in oldObject.metadata.${field} && oldObject.metadata.${field}[k] == object.metadata.${field}[k])) && ` +
    `oldObject.metadata.${field}.all(k, k in ${list(keys)} || k in object.metadata.${field})`;
  const get = (o: string, field: string, key: string) =>
    `(has(${o}.metadata.${field}) && ${cel(key)} in ${o}.metadata.${field} ? ${o}.metadata.${field}[${cel(key)}] : '')`;
  return vap("dojo-self-service-claims", {
    matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["UPDATE"], resources: ["namespaces"] }] },
    matchConditions: [{ name: "is-learner", expression: `${cel(group)} in request.userInfo.groups` }],
    variables: [
      { name: "oldState", expression: get("oldObject", "labels", LABELS.state) },
      { name: "newState", expression: get("object", "labels", LABELS.state) },
      { name: "oldUser", expression: get("oldObject", "annotations", "fawkes.dev/dojo-user") },
      { name: "newUser", expression: get("object", "annotations", "fawkes.dev/dojo-user") },
    ],
    validations: [
      {
        expression: `has(oldObject.metadata.labels) && ${cel(LABELS.belt)} in oldObject.metadata.labels`,
        message: "learners may only claim and release Dojo lab slots",
      },
      { expression: unchanged("labels", CLAIM_LABELS), message: `a claim may change only the labels ${CLAIM_LABELS.join(", ")}` },
      { expression: unchanged("annotations", CLAIM_ANNOTATIONS), message: `a claim may change only the annotations ${CLAIM_ANNOTATIONS.join(", ")}` },
      {
        expression:
          "(variables.oldState == 'free' && variables.newState == 'claimed' && variables.newUser == request.userInfo.username) || " +
          "(variables.oldState == 'claimed' && variables.oldUser == request.userInfo.username && variables.newUser == request.userInfo.username && variables.newState in ['claimed', 'released'])",
        message: "learners may claim a free slot for themselves, and release only their own",
      },
      {
        expression: `variables.newState != 'claimed' || ${cel(LABELS.learner)} in object.metadata.labels`,
        message: `a claimed slot names its learner (label ${LABELS.learner})`,
      },
    ],
  });
}
