// Plain JS so the Lambda runtime runs it as is (no bundler, no Docker at
// synth). The rule itself is src/scaling/desiredTaskCount.ts; a test runs both
// over the same cases so the two cannot drift.

/** Open = no EndingSequenceNumber yet (not split or merged away). */
export function countOpenShards(shards) {
  let open = 0;
  for (const shard of shards) {
    if (shard.SequenceNumberRange?.EndingSequenceNumber === undefined) open++;
  }
  return open;
}

function checkWhole(name, value, min) {
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${name} must be a whole number >= ${min}, got ${value}`);
}

export function desiredTaskCount(openShards, limits) {
  const minTasks = limits.minTasks ?? 1;
  checkWhole('openShards', openShards, 0);
  checkWhole('shardsPerTask', limits.shardsPerTask, 1);
  checkWhole('minTasks', minTasks, 1);
  if (limits.maxTasks !== undefined) checkWhole('maxTasks', limits.maxTasks, minTasks);
  const needed = Math.max(minTasks, Math.ceil(openShards / limits.shardsPerTask));
  return limits.maxTasks === undefined ? needed : Math.min(needed, limits.maxTasks);
}

/** Reads SCALER_* variables set by the CDK stack; throws on a bad value so a misconfiguration shows as a Lambda error. */
export function limitsFromEnv(env) {
  const whole = (name) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    if (!/^\d+$/.test(raw)) throw new RangeError(`${name}=${JSON.stringify(raw)} is not a whole number`);
    return Number(raw);
  };
  const shardsPerTask = whole('SCALER_SHARDS_PER_TASK');
  if (shardsPerTask === undefined) throw new RangeError('SCALER_SHARDS_PER_TASK is required');
  return { shardsPerTask, minTasks: whole('SCALER_MIN_TASKS'), maxTasks: whole('SCALER_MAX_TASKS') };
}

/**
 * One reconciliation: count open shards (all ListShards pages), compare with
 * the service's desired count, update only on a difference so an unchanged
 * stream costs no ECS write.
 * `aws` is { listShards(input), describeService(), updateDesiredCount(n) }.
 */
export async function reconcile(aws, limits) {
  const shards = [];
  let page = await aws.listShards({ first: true });
  shards.push(...(page.Shards ?? []));
  while (page.NextToken) {
    page = await aws.listShards({ nextToken: page.NextToken });
    shards.push(...(page.Shards ?? []));
  }
  const openShards = countOpenShards(shards);
  const desired = desiredTaskCount(openShards, limits);
  const current = await aws.describeService();
  if (current.desiredCount !== desired) await aws.updateDesiredCount(desired);
  return { openShards, previous: current.desiredCount, desired, updated: current.desiredCount !== desired };
}
