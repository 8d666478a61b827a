/**
 * The synthetic records every throughput scenario uses: clickstream events
 * from the producer's generator (seeded, so every run reads the same bytes),
 * as the Kinesis records of `shards` shards, each shard at 1,000 records/s of
 * arrival time (the Kinesis write limit per shard).
 */
import type { StreamRecord } from '../../src/consumer/records.js';
import { generateEvent } from '../../src/producer/clickstream.js';
import { seededRandom } from '../../src/producer/random.js';

export const BENCH_START_MS = Date.parse('2026-05-01T07:00:00.000Z');
const EVENT_OPTIONS = { users: 500, products: 200, lateRatio: 0.02 };

/** Payloads only (UTF-8 JSON), for the scenarios that need no metadata. */
export function clickstreamPayloads(count: number, seed = 42): Buffer[] {
  const rng = seededRandom(seed);
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) out.push(Buffer.from(JSON.stringify(generateEvent(rng, BENCH_START_MS + i, EVENT_OPTIONS))));
  return out;
}

export function shardId(i: number): string {
  return `shardId-${String(i).padStart(12, '0')}`;
}

/** `count` records spread round-robin over `shards` shards; one array per shard, in shard order. */
export function clickstreamShards(count: number, shards: number, seed = 42): StreamRecord[][] {
  const payloads = clickstreamPayloads(count, seed);
  const out: StreamRecord[][] = Array.from({ length: shards }, () => []);
  payloads.forEach((data, i) => {
    const s = i % shards;
    const n = out[s]!.length;
    out[s]!.push({
      shardId: shardId(s),
      sequenceNumber: (49650000000000000000000000000000000000000000000000000n + BigInt(i)).toString(),
      subSequenceNumber: undefined,
      partitionKey: `k-${i % 1000}`,
      explicitHashKey: undefined,
      arrivalMs: BENCH_START_MS + n,
      data,
    });
  });
  return out;
}

export function totalBytes(payloads: readonly { length: number }[]): number {
  let n = 0;
  for (const p of payloads) n += p.length;
  return n;
}
