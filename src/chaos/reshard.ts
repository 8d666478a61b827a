/**
 * Resharding faults: split a random open shard at the middle of its hash
 * range, or merge a random pair of adjacent open shards.
 */
import { ListShardsCommand, MergeShardsCommand, SplitShardCommand, type KinesisClient, type Shard } from '@aws-sdk/client-kinesis';
import { waitForStreamActive } from '../local/provision.js';
import type { Random } from '../producer/random.js';

async function openShards(kinesis: KinesisClient, stream: string): Promise<Shard[]> {
  const shards: Shard[] = [];
  let token: string | undefined;
  do {
    const out = await kinesis.send(new ListShardsCommand(token ? { NextToken: token } : { StreamName: stream }));
    shards.push(...(out.Shards ?? []));
    token = out.NextToken;
  } while (token);
  return shards
    .filter((s) => s.SequenceNumberRange?.EndingSequenceNumber === undefined)
    .sort((a, b) => (BigInt(a.HashKeyRange!.StartingHashKey!) < BigInt(b.HashKeyRange!.StartingHashKey!) ? -1 : 1));
}

/** Returns what was done, e.g. "split shardId-000000000002". */
export async function splitRandomShard(kinesis: KinesisClient, stream: string, rng: Random): Promise<string> {
  const open = await openShards(kinesis, stream);
  const shard = open[Math.floor(rng() * open.length)];
  if (!shard) return 'split skipped: no open shard';
  const start = BigInt(shard.HashKeyRange!.StartingHashKey!);
  const end = BigInt(shard.HashKeyRange!.EndingHashKey!);
  if (end - start < 2n) return `split skipped: ${shard.ShardId} is too narrow`;
  const mid = start + (end - start) / 2n;
  await kinesis.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: shard.ShardId!, NewStartingHashKey: mid.toString() }));
  await waitForStreamActive(kinesis, stream);
  return `split ${shard.ShardId}`;
}

export async function mergeRandomPair(kinesis: KinesisClient, stream: string, rng: Random): Promise<string> {
  const open = await openShards(kinesis, stream);
  const pairs: [Shard, Shard][] = [];
  for (let i = 0; i + 1 < open.length; i++) {
    const a = open[i]!;
    const b = open[i + 1]!;
    if (BigInt(a.HashKeyRange!.EndingHashKey!) + 1n === BigInt(b.HashKeyRange!.StartingHashKey!)) pairs.push([a, b]);
  }
  const pair = pairs[Math.floor(rng() * pairs.length)];
  if (!pair) return 'merge skipped: no adjacent open shards';
  await kinesis.send(new MergeShardsCommand({ StreamName: stream, ShardToMerge: pair[0].ShardId!, AdjacentShardToMerge: pair[1].ShardId! }));
  await waitForStreamActive(kinesis, stream);
  return `merge ${pair[0].ShardId} + ${pair[1].ShardId}`;
}
