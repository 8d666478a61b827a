// Types for scaling.mjs, so the TypeScript tests can import it.
import type { ShardRange, TaskCountLimits } from '../../../../src/scaling/desiredTaskCount.js';

export interface ShardPage {
  Shards?: ShardRange[];
  NextToken?: string;
}

export interface ScalerAws {
  listShards(input: { first: true } | { nextToken: string }): Promise<ShardPage>;
  describeService(): Promise<{ desiredCount: number | undefined }>;
  updateDesiredCount(desired: number): Promise<void>;
}

export interface ReconcileResult {
  openShards: number;
  previous: number | undefined;
  desired: number;
  updated: boolean;
}

export function countOpenShards(shards: readonly ShardRange[]): number;
export function desiredTaskCount(openShards: number, limits: TaskCountLimits): number;
export function limitsFromEnv(env: Record<string, string | undefined>): TaskCountLimits;
export function reconcile(aws: ScalerAws, limits: TaskCountLimits): Promise<ReconcileResult>;
