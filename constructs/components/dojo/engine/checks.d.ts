/** Types of checks.js: the curriculum's check language. */
import type { K8sObject } from "./slot";

export type Op = "exists" | "absent" | "==" | "!=" | ">=" | ">" | "<=" | "<" | "matches" | "in" | "notIn" | "contains" | "count>=" | "count<=";
export type Expectation =
  | { path: string; op?: Op; value?: unknown; every?: boolean }
  | { condition: string; status?: string }
  | { selects: { kind: string; name: string; labelsPath?: string }; selectorPath?: string };
export interface Check {
  id: string;
  description: string;
  kind: string;
  apiVersion?: string;
  name?: string;
  selector?: { matchLabels?: Record<string, string> } | Record<string, string>;
  all?: boolean;
  min?: number;
  expect?: Expectation[];
}
export interface CheckResult { id: string; description: string; passed: boolean; message: string }
export interface ModuleResult { module: string; title: string; passed: boolean; checks: CheckResult[] }
export type Lister = (kind: string) => Promise<K8sObject[]>;
export type Vars = { slot: string; domain: string; belt: string; learner: string };

export const OPS: Op[];
export const VARIABLES: string[];
export function render(s: string, vars: Partial<Vars>): string;
export function unknownVariables(s: string): string[];
export function parsePath(path: string): unknown[];
export function resolve(obj: unknown, path: string): unknown[];
export function holds(op: Op, actual: unknown, expected: unknown): boolean;
export function selectorMatches(selector: unknown, labels: Record<string, string>): boolean;
export function runCheck(check: Check, list: Lister, vars: Vars): Promise<CheckResult>;
export function runModule(mod: { id: string; title: string; checks: Check[] }, list: Lister, vars: Vars): Promise<ModuleResult>;
export function slotLister(api: { request(m: string, p: string): Promise<any> }, namespace: string, collectionPath: (kind: string, ns: string) => string): Lister;
