/** Types of slot.js (plain JavaScript, shared with the in-cluster reconciler and scripts/dojo). */
export type Belt = "white" | "yellow" | "green" | "brown" | "black";
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown }; [k: string]: unknown };

export interface Toleration { key: string; operator: string; value?: string; effect: string }

/** One belt of the pool definition (pool.json). */
export interface BeltPool {
  /** Warm slots kept. */
  slots: number;
  quota: { cpu: string; memory: string; storage: string };
  /** ClusterRole the learner is bound to in the slot. */
  learnerRole: string;
  /** Namespaces allowed to reach the slot's pods (platform ingress, Prometheus...). */
  ingressFrom: string[];
  /** Namespaces the slot's pods may reach besides DNS and each other. */
  egressTo: string[];
}

/** What Terraform ships to the reconciler: everything a slot is rendered from. */
export interface PoolDefinition {
  version: number;
  /** The Dojo's own namespace (reconciler, validator, Pushgateway). */
  namespace: string;
  /** Where each slot's validator identity (a service account named like the slot) lives. */
  validatorNamespace: string;
  domain: string;
  ttlHours: number;
  scheduling: { nodeSelector: Record<string, string>; tolerations: Toleration[] };
  /** ClusterRole a slot's validator identity is bound to (read-only), in that slot only. */
  readerRole: string;
  argocd: { namespace: string } | null;
  pushgateway: string;
  belts: Record<Belt, BeltPool>;
  /** Objects every slot of a belt starts with (what the lab environment provides). */
  seeds: Partial<Record<Belt, K8sObject[]>>;
}

export const BELTS: Belt[];
export const GITOPS_BELTS: Belt[];
export const GITOPS_KINDS: [string, string][];
export const LABELS: { belt: string; slot: string; index: string; state: string; learner: string };
export const ANNOTATIONS: { spec: string; createdAt: string; user: string; module: string; claimedAt: string; expiresAt: string; observedAt: string; ttlHours: string; domain: string };
export const STATES: string[];
export const CLAIM_LABELS: string[];
export const CLAIM_ANNOTATIONS: string[];
export const LEARNER_SA: string;
export const LEARNER_BINDING: string;
/** ConfigMap in every slot with slot, belt, domain and TTL, for the learner's own tools. */
export const SLOT_INFO: string;
export const VALIDATOR_BINDING: string;
export function slotName(belt: string, index: number): string;
export function parseSlotName(name: string): { belt: Belt; index: number } | null;
export function cpuMillis(q: string): number;
export function memoryMiB(q: string): number;
export function specHash(belt: Belt, pool: PoolDefinition): string;
export function renderSlot(belt: Belt, index: number, pool: PoolDefinition, now?: string): { name: string; objects: K8sObject[] };
export function learnerBinding(name: string, role: string, user?: string): K8sObject;
