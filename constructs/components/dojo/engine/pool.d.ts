/** Types of pool.js. */
import type { Api } from "./kube";
import type { Belt, K8sObject, PoolDefinition } from "./slot";

export interface Plan {
  create: { belt: Belt; index: number; name: string }[];
  remove: { name: string; reason: string; uid?: string; resourceVersion?: string }[];
  observe: { name: string; user?: string; role?: string; namespace: K8sObject }[];
  orphans: { kind: string; namespace: string; name: string; slot: string }[];
}
export interface Claim { learner: string; user?: string; module?: string; now: Date; ttlHours?: number }

export const NAMESPACES: string;
export function checkLearner(learner: string): string;
export function learnerFromUser(user: string): string;
export function expiryOf(ns: K8sObject, ttlHours: number): number | undefined;
export function isExpired(ns: K8sObject, now: Date, ttlHours: number): boolean;
export function isTerminating(ns: K8sObject): boolean;
export function claimNamespace(ns: K8sObject, claim: Claim): K8sObject;
export function releaseNamespace(ns: K8sObject): K8sObject;
export function freeSlots(namespaces: K8sObject[], belt: Belt): K8sObject[];
export function claimSlot(api: Api, options: { belt: Belt; learner: string; user?: string; module?: string; now?: Date; ttlHours?: number }): Promise<{ slot: string; expiresAt: string; reused: boolean }>;
export function releaseSlot(api: Api, name: string, options?: { learner?: string }): Promise<{ slot: string; already: boolean }>;
export function planReconcile(pool: PoolDefinition, namespaces: K8sObject[], now: Date, externals?: K8sObject[]): Plan;
export function applyPlan(api: Api, pool: PoolDefinition, plan: Plan, now: Date, log?: (o: object) => void): Promise<{ step: string; slot: string; message: string }[]>;
export function createOrReplace(api: Api, obj: K8sObject): Promise<any>;
export function externalsOf(name: string, pool: PoolDefinition): { kind: string; namespace: string; name: string }[];
export function poolCounts(pool: PoolDefinition, namespaces: K8sObject[]): Record<string, Record<string, number>>;
