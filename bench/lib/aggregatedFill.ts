/**
 * A backlog of KPL aggregates: `records` clickstream events packed
 * `perAggregate` to a Kinesis record. kinesalite's cost is per Kinesis
 * record and per call, and it answers on one thread; put one event per
 * record it takes about 7,000 a second here, and a producer putting at that
 * pace leaves it little time to serve reads. Aggregated, a million events go
 * in within seconds and are read back at a rate only the reader limits,
 * which is what a memory scenario has to reach.
 */
import type { KinesisClient, PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { encodeAggregate } from '../../src/chaos/kplEncode.js';
import { generateEvent } from '../../src/producer/clickstream.js';
import { putUntilAccepted } from '../../src/producer/putAll.js';
import { seededRandom } from '../../src/producer/random.js';

/** PutRecords takes at most 500 records and 5 MiB per call; stay under both. */
const MAX_CALL_RECORDS = 500;
const MAX_CALL_BYTES = 4 * 1024 * 1024;

export interface AggregatedFill {
  /** Events (user records) put. */
  records: number;
  /** Kinesis records (aggregates) put. */
  aggregates: number;
  putSeconds: number;
}

export async function putAggregatedBacklog(
  kinesis: KinesisClient,
  streamName: string,
  options: { records: number; perAggregate: number; keys?: number; seed?: number },
): Promise<AggregatedFill> {
  const rng = seededRandom(options.seed ?? 42);
  const keys = options.keys ?? 10_000;
  const eventOptions = { users: 500, products: 200, lateRatio: 0.02 };
  const started = Date.now();
  let records = 0;
  let aggregates = 0;
  while (records < options.records) {
    const batch: PutRecordsRequestEntry[] = [];
    const counts: number[] = [];
    let bytes = 0;
    let planned = records;
    while (batch.length < MAX_CALL_RECORDS && bytes < MAX_CALL_BYTES && planned < options.records) {
      const n = Math.min(options.perAggregate, options.records - planned);
      const partitionKey = `k-${Math.floor(rng() * keys)}`;
      const users = Array.from({ length: n }, () => Buffer.from(JSON.stringify(generateEvent(rng, Date.now(), eventOptions))));
      const data = encodeAggregate(partitionKey, users);
      batch.push({ Data: data, PartitionKey: partitionKey });
      counts.push(n);
      planned += n;
      bytes += data.length;
    }
    await putUntilAccepted(
      kinesis,
      streamName,
      batch.map((entry, i) => ({ entry, count: counts[i]! })),
      (p) => {
        records += p.count;
        aggregates++;
      },
    );
  }
  return { records, aggregates, putSeconds: (Date.now() - started) / 1000 };
}
