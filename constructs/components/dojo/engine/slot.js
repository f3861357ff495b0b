// @ts-check
"use strict";
/**
 * One Dojo lab slot as Kubernetes objects: a pure function of (belt, index, pool definition).
 *
 * The same file is loaded by the synth (tests), by `scripts/dojo` and, from a ConfigMap, by the
 * in-cluster reconciler, so it depends on nothing but Node's own modules. Slots are never Terraform
 * resources: Terraform ships this code and the pool definition (a constant number of objects), and
 * the reconciler renders every slot from them.
 */
const crypto = require("node:crypto");

/** @typedef {"white" | "yellow" | "green" | "brown" | "black"} Belt */

/**
 * A Kubernetes object as the engine reads and writes it: only what the engine looks at is typed.
 * @typedef {{ apiVersion: string, kind: string, metadata: ObjectMeta, [k: string]: unknown }} K8sObject
 */
/**
 * @typedef {object} ObjectMeta
 * @property {string} name
 * @property {string} [namespace]
 * @property {Record<string, string>} [labels]
 * @property {Record<string, string>} [annotations]
 * @property {string} [uid]
 * @property {string} [resourceVersion]
 * @property {string} [creationTimestamp]
 * @property {string} [deletionTimestamp]
 */

/** @typedef {{ key: string, operator: string, value?: string, effect: string }} Toleration */

/**
 * One belt of the pool definition (pool.json).
 * @typedef {object} BeltPool
 * @property {number} slots Warm slots kept.
 * @property {{ cpu: string, memory: string, storage: string }} quota
 * @property {string} learnerRole ClusterRole the learner is bound to in the slot.
 * @property {string[]} ingressFrom Namespaces allowed to reach the slot's pods (platform ingress, Prometheus...).
 * @property {string[]} egressTo Namespaces the slot's pods may reach besides DNS and each other.
 */

/**
 * What Terraform ships to the reconciler: everything a slot is rendered from.
 * @typedef {object} PoolDefinition
 * @property {number} version
 * @property {string} namespace The Dojo's own namespace (reconciler, validator, Pushgateway).
 * @property {string} validatorNamespace Where each slot's validator identity (a service account named like the slot) lives.
 * @property {string} domain
 * @property {number} ttlHours
 * @property {{ nodeSelector: Record<string, string>, tolerations: Toleration[] }} scheduling
 * @property {string} readerRole ClusterRole a slot's validator identity is bound to (read-only), in that slot only.
 * @property {{ namespace: string } | null} argocd
 * @property {string} pushgateway
 * @property {Record<Belt, BeltPool>} belts
 * @property {Partial<Record<Belt, K8sObject[]>>} seeds Objects every slot of a belt starts with (what the lab environment provides).
 * @property {{ issuer: string } | null} [identity] The platform's issuer (`https://sso.<domain>/realms/fawkes`) when identity
 *   is installed: scripts/dojo checks learners there. Not part of specHash (slots do not depend on it).
 */

/** @type {Belt[]} */
const BELTS = ["white", "yellow", "green", "brown", "black"];
/**
 * Belts whose slots get an Argo CD AppProject (GitOps starts at green).
 * @type {Belt[]}
 */
const GITOPS_BELTS = ["green", "brown", "black"];

const PREFIX = "fawkes.dev/dojo-";
const LABELS = {
  /** Every slot namespace has it: what policies and the reconciler select on. */
  belt: `${PREFIX}belt`,
  slot: `${PREFIX}slot`,
  index: `${PREFIX}index`,
  /** provisioning | free | claimed | released */
  state: `${PREFIX}state`,
  /** The learner id (a label value) while claimed. */
  learner: `${PREFIX}learner`,
};
const ANNOTATIONS = {
  /** Hash of everything a slot is rendered from: a free slot whose hash is stale is rebuilt. */
  spec: `${PREFIX}spec`,
  createdAt: `${PREFIX}created-at`,
  /** The cluster identity (user name) that claimed, when learners claim for themselves. */
  user: `${PREFIX}user`,
  /** The learner's Keycloak user id (instructor claims with identity): stable across renames, what progress is keyed by. */
  learnerId: `${PREFIX}learner-id`,
  /** The learner's e-mail in Keycloak, when it has one. */
  learnerEmail: `${PREFIX}learner-email`,
  module: `${PREFIX}module`,
  claimedAt: `${PREFIX}claimed-at`,
  expiresAt: `${PREFIX}expires-at`,
  /** Set by the reconciler when it first sees a claim: expiry never runs later than this + TTL. */
  observedAt: `${PREFIX}observed-at`,
  /** The pool's TTL when the slot was rendered: what a claim's expires-at is computed from. */
  ttlHours: `${PREFIX}ttl-hours`,
  /** The platform domain: lab hosts are <name>-<slot>.<domain> (checks and scripts/dojo read it here). */
  domain: `${PREFIX}domain`,
};
const STATES = ["provisioning", "free", "claimed", "released"];
/** Keys a claim or release may change (and nothing else: the self-service policy enforces it). */
const CLAIM_LABELS = [LABELS.state, LABELS.learner];
const CLAIM_ANNOTATIONS = [ANNOTATIONS.user, ANNOTATIONS.module, ANNOTATIONS.claimedAt, ANNOTATIONS.expiresAt];

const MANAGED_BY = { "app.kubernetes.io/managed-by": "fawkes-dojo", "app.kubernetes.io/part-of": "fawkes" };
/** The slot's own service account: a learner without a cluster identity gets a token for it. */
const LEARNER_SA = "dojo-learner";
const LEARNER_BINDING = "dojo-learner";
/** ConfigMap in every slot with slot, belt, domain and TTL, for the learner's own tools. */
const SLOT_INFO = "dojo-slot";
const VALIDATOR_BINDING = "dojo-validator";
const IN_CLUSTER = "https://kubernetes.default.svc";
/** Bump when the rendering below changes meaning: free slots are then rebuilt. */
const RENDER_VERSION = 1;

/**
 * Kinds a learner may deploy through Argo CD (the AppProject whitelist): never the slot's guardrails.
 * @type {[string, string][]}
 */
const GITOPS_KINDS = [
  ["", "ConfigMap"],
  ["", "Secret"],
  ["", "Service"],
  ["", "ServiceAccount"],
  ["", "PersistentVolumeClaim"],
  ["apps", "Deployment"],
  ["apps", "StatefulSet"],
  ["batch", "Job"],
  ["batch", "CronJob"],
  ["networking.k8s.io", "Ingress"],
  ["autoscaling", "HorizontalPodAutoscaler"],
  ["policy", "PodDisruptionBudget"],
  ["monitoring.coreos.com", "ServiceMonitor"],
  ["monitoring.coreos.com", "PodMonitor"],
  ["monitoring.coreos.com", "PrometheusRule"],
];

/**
 * @param {string} belt
 * @param {number} index
 * @returns {string}
 */
function slotName(belt, index) {
  return `dojo-${belt}-${String(index).padStart(3, "0")}`;
}

/**
 * `{ belt, index }` of a slot name, or null for any other name.
 * @param {string} name
 * @returns {{ belt: Belt, index: number } | null}
 */
function parseSlotName(name) {
  const m = /^dojo-([a-z]+)-(\d{3})$/.exec(name);
  if (!m || !(/** @type {string[]} */ (BELTS).includes(m[1]))) return null;
  return { belt: /** @type {Belt} */ (m[1]), index: Number(m[2]) };
}

/**
 * CPU quantity ("2", "500m", "1.5") in millicores.
 * @param {string} q
 * @returns {number}
 */
function cpuMillis(q) {
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(String(q));
  if (!m) throw new Error(`not a CPU quantity: "${q}"`);
  return m[2] ? Number(m[1]) : Math.round(Number(m[1]) * 1000);
}

/**
 * Memory or storage quantity ("4Gi", "512Mi") in MiB.
 * @param {string} q
 * @returns {number}
 */
function memoryMiB(q) {
  const m = /^(\d+(?:\.\d+)?)(Mi|Gi|Ti)$/.exec(String(q));
  if (!m) throw new Error(`not a memory quantity (Mi, Gi or Ti): "${q}"`);
  return Math.round(Number(m[1]) * /** @type {Record<string, number>} */ ({ Mi: 1, Gi: 1024, Ti: 1024 * 1024 })[m[2]]);
}

/**
 * Everything a slot of this belt is rendered from, hashed: equal hashes mean identical slots.
 * @param {Belt} belt
 * @param {PoolDefinition} pool
 * @returns {string}
 */
function specHash(belt, pool) {
  const b = pool.belts[belt];
  const input = {
    v: RENDER_VERSION,
    belt,
    ttlHours: pool.ttlHours,
    domain: pool.domain,
    quota: b.quota,
    ingressFrom: b.ingressFrom,
    egressTo: b.egressTo,
    learnerRole: b.learnerRole,
    appProject: appProjectFor(belt, pool),
    scheduling: pool.scheduling,
    readerRole: pool.readerRole,
    validatorNamespace: pool.validatorNamespace,
    seeds: (pool.seeds && pool.seeds[belt]) || [],
  };
  return crypto.createHash("sha256").update(JSON.stringify(input)).digest("hex").slice(0, 16);
}

/**
 * @param {Belt} belt
 * @param {PoolDefinition} pool
 * @returns {boolean}
 */
function appProjectFor(belt, pool) {
  return Boolean(pool.argocd) && GITOPS_BELTS.includes(belt);
}

/**
 * Container defaults: at most 500m / 512Mi limits and 100m / 128Mi requests, never above the quota.
 * @param {string} name
 * @param {BeltPool["quota"]} quota
 * @returns {K8sObject}
 */
function limitRange(name, quota) {
  const cpu = cpuMillis(quota.cpu);
  const mem = memoryMiB(quota.memory);
  return {
    apiVersion: "v1",
    kind: "LimitRange",
    metadata: { name: "dojo-limits", namespace: name, labels: slotLabels(name) },
    spec: {
      limits: [
        {
          type: "Container",
          default: { cpu: `${Math.min(500, cpu)}m`, memory: `${Math.min(512, mem)}Mi` },
          defaultRequest: { cpu: `${Math.min(100, cpu)}m`, memory: `${Math.min(128, mem)}Mi` },
          max: { cpu: `${cpu}m`, memory: `${mem}Mi` },
        },
        { type: "PersistentVolumeClaim", max: { storage: `${memoryMiB(quota.storage)}Mi` } },
      ],
    },
  };
}

/**
 * @param {string} name
 * @returns {Record<string, string>}
 */
function slotLabels(name) {
  return { ...MANAGED_BY, [LABELS.slot]: name };
}

/** @param {string} ns */
function byNamespace(ns) {
  return { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } } };
}

/**
 * @param {string} name
 * @param {BeltPool} b
 * @returns {K8sObject[]}
 */
function networkPolicies(name, b) {
  /** @param {string} n */
  const meta = (n) => ({ name: n, namespace: name, labels: slotLabels(name) });
  /** @type {K8sObject[]} */
  const policies = [
    // Nothing in, nothing out, unless a policy below allows it.
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta("default-deny"),
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta("allow-dns"),
      spec: {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
          {
            to: [{ ...byNamespace("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
            ports: [
              { protocol: "UDP", port: 53 },
              { protocol: "TCP", port: 53 },
            ],
          },
        ],
      },
    },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta("allow-within-slot"),
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [{ from: [{ podSelector: {} }] }], egress: [{ to: [{ podSelector: {} }] }] },
    },
  ];
  if (b.ingressFrom.length) {
    policies.push({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta("allow-from-platform"),
      spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: b.ingressFrom.map(byNamespace) }] },
    });
  }
  if (b.egressTo.length) {
    policies.push({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta("allow-to-platform"),
      spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: b.egressTo.map(byNamespace) }] },
    });
  }
  return policies;
}

/**
 * The learner's RoleBinding: the slot's service account, plus the learner's cluster identity once known.
 * @param {string} name
 * @param {string} role
 * @param {string} [user]
 * @returns {K8sObject}
 */
function learnerBinding(name, role, user) {
  /** @type {Record<string, string>[]} */
  const subjects = [{ kind: "ServiceAccount", name: LEARNER_SA, namespace: name }];
  if (user) subjects.push({ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: user });
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: LEARNER_BINDING, namespace: name, labels: slotLabels(name) },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
    subjects,
  };
}

/**
 * Every object of one slot, namespace first. Objects outside the slot's namespace: the validator's
 * identity (in the validators' namespace) and, from the green belt on, an Argo CD AppProject.
 * `pool` is the pool definition (pool.json); `now` the creation time (ISO), for the annotation.
 * @param {Belt} belt
 * @param {number} index
 * @param {PoolDefinition} pool
 * @param {string} [now]
 * @returns {{ name: string, objects: K8sObject[] }}
 */
function renderSlot(belt, index, pool, now) {
  const b = pool.belts[belt];
  if (!b) throw new Error(`renderSlot: unknown belt "${belt}" (have ${Object.keys(pool.belts).join(", ")})`);
  if (!Number.isInteger(index) || index < 0 || index > 999) throw new Error(`renderSlot: index must be an integer 0-999, got ${index}`);
  const name = slotName(belt, index);
  const labels = slotLabels(name);
  const namespace = {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name,
      labels: {
        ...labels,
        [LABELS.belt]: belt,
        [LABELS.index]: String(index),
        [LABELS.state]: "provisioning",
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
      },
      annotations: {
        [ANNOTATIONS.spec]: specHash(belt, pool),
        [ANNOTATIONS.createdAt]: now || new Date(0).toISOString(),
        [ANNOTATIONS.ttlHours]: String(pool.ttlHours),
        [ANNOTATIONS.domain]: pool.domain,
      },
    },
  };
  const q = b.quota;
  /** @type {K8sObject[]} */
  const objects = [
    namespace,
    {
      apiVersion: "v1",
      kind: "ResourceQuota",
      metadata: { name: "dojo-quota", namespace: name, labels },
      spec: {
        hard: {
          "requests.cpu": q.cpu,
          "limits.cpu": q.cpu,
          "requests.memory": q.memory,
          "limits.memory": q.memory,
          "requests.storage": q.storage,
          persistentvolumeclaims: "5",
          pods: "30",
          // Only the platform ingress exposes lab services.
          "services.loadbalancers": "0",
          "services.nodeports": "0",
        },
      },
    },
    limitRange(name, q),
    ...networkPolicies(name, b),
    // What a learner's own tools can read about the slot (the namespace object is out of their reach).
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: SLOT_INFO, namespace: name, labels },
      data: { slot: name, belt, domain: pool.domain, "ttl-hours": String(pool.ttlHours) },
    },
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: LEARNER_SA, namespace: name, labels }, automountServiceAccountToken: false },
    learnerBinding(name, b.learnerRole),
    // The validator's identity lives outside the slot, so a learner can neither use nor delete it.
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: pool.validatorNamespace, labels }, automountServiceAccountToken: false },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: VALIDATOR_BINDING, namespace: name, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: pool.readerRole },
      subjects: [{ kind: "ServiceAccount", name, namespace: pool.validatorNamespace }],
    },
  ];
  if (appProjectFor(belt, pool)) {
    objects.push({
      apiVersion: "argoproj.io/v1alpha1",
      kind: "AppProject",
      // appProjectFor checked pool.argocd.
      metadata: { name, namespace: /** @type {{ namespace: string }} */ (pool.argocd).namespace, labels },
      spec: {
        description: `Dojo lab ${name}: this slot's namespace only`,
        sourceRepos: ["*"],
        // Applications live in the slot (Argo CD "apps in any namespace"), deploy only into it.
        sourceNamespaces: [name],
        destinations: [{ server: IN_CLUSTER, namespace: name }],
        clusterResourceWhitelist: [],
        // Argo CD applies with its own (cluster-wide) rights: only what the learner may create anyway.
        namespaceResourceWhitelist: GITOPS_KINDS.map(([group, kind]) => ({ group, kind })),
      },
    });
  }
  for (const seed of (pool.seeds && pool.seeds[belt]) || []) {
    const meta = seed.metadata || {};
    objects.push({ ...seed, metadata: { ...meta, namespace: name, labels: { ...(meta.labels || {}), ...labels } } });
  }
  return { name, objects };
}

module.exports = {
  BELTS,
  GITOPS_BELTS,
  GITOPS_KINDS,
  LABELS,
  ANNOTATIONS,
  STATES,
  CLAIM_LABELS,
  CLAIM_ANNOTATIONS,
  LEARNER_SA,
  LEARNER_BINDING,
  SLOT_INFO,
  VALIDATOR_BINDING,
  slotName,
  parseSlotName,
  cpuMillis,
  memoryMiB,
  specHash,
  renderSlot,
  learnerBinding,
};
