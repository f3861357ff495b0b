/** Types of metrics.js. */
import type { ModuleResult } from "./checks";
export interface Progress { startedAt?: number; earnedAt?: number; completedAt: Record<string, number> }
export const JOB: string;
export const POOL_JOB: string;
export function exposition(families: { name: string; help: string; type?: string; samples: { labels?: Record<string, string>; value: number }[] }[]): string;
export function groupPath(job: string, labels: Record<string, string>): string;
export function previousProgress(apiAnswer: unknown, learner: string, belt: string): Progress;
export function progressMetrics(input: { results: ModuleResult[]; previous: Progress; moduleIds: string[]; claimedAt?: string; now: Date }): {
  progress: Progress & { earned: boolean; completed: number; total: number };
  text: string;
};
export function poolMetrics(counts: Record<string, Record<string, number>>, pool: { belts: Record<string, { slots: number }> }, now: Date, success?: boolean): string;
