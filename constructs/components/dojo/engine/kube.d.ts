/** Types of kube.js. */
export interface KindInfo { apiVersion: string; plural: string; namespaced: boolean; check?: boolean }
export const KINDS: Record<string, KindInfo>;
export interface Api { request(method: "GET" | "POST" | "PUT" | "DELETE", path: string, body?: unknown): Promise<any> }
export class KubeError extends Error {
  constructor(status: number, reason?: string, message?: string);
  status: number;
  reason?: string;
}
export function kindInfo(kind: string): KindInfo;
export function apiBase(apiVersion: string): string;
export function collectionPath(kind: string, namespace?: string): string;
export function objectPath(kind: string, namespace: string | undefined, name: string): string;
export function inClusterClient(options?: { token?: string; host?: string; port?: string }): Api;
export function kubectlClient(options?: { kubectl?: string; context?: string; spawnSync?: unknown }): Api;
