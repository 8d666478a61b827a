/**
 * How many ECS tasks a stream needs: one task per `shardsPerTask` open
 * shards, rounded up, within [minTasks, maxTasks]. Pure, so the shard scaler
 * Lambda (deploy/ecs/lambda/shardScaler/scaling.mjs, plain JS for the Lambda
 * runtime) can be checked against it case by case.
 */

/** The part of a ListShards entry that tells open from closed. */
export interface ShardRange {
  ShardId?: string;
  SequenceNumberRange?: { StartingSequenceNumber?: string; EndingSequenceNumber?: string };
}

export interface TaskCountLimits {
  shardsPerTask: number;
  /** At least this many tasks, even for an empty stream; default 1. */
  minTasks?: number;
  /** At most this many tasks; default unbounded. */
  maxTasks?: number;
}

/**
 * A shard is closed once a split or merge gave it an ending sequence number:
 * it yields only what it holds until retention drops it, and its consumer
 * finishes it before its children start, so it adds no parallel work.
 */
export function isOpenShard(shard: ShardRange): boolean {
  return shard.SequenceNumberRange?.EndingSequenceNumber === undefined;
}

export function countOpenShards(shards: readonly ShardRange[]): number {
  let open = 0;
  for (const shard of shards) if (isOpenShard(shard)) open++;
  return open;
}

function checkWhole(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${name} must be a whole number >= ${min}, got ${value}`);
}

export function desiredTaskCount(openShards: number, limits: TaskCountLimits): number {
  const minTasks = limits.minTasks ?? 1;
  checkWhole('openShards', openShards, 0);
  checkWhole('shardsPerTask', limits.shardsPerTask, 1);
  checkWhole('minTasks', minTasks, 1);
  if (limits.maxTasks !== undefined) {
    checkWhole('maxTasks', limits.maxTasks, minTasks);
  }
  const needed = Math.max(minTasks, Math.ceil(openShards / limits.shardsPerTask));
  return limits.maxTasks === undefined ? needed : Math.min(needed, limits.maxTasks);
}
