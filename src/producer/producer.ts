/**
 * `kinesis-lake produce`: puts synthetic clickstream events (and a seeded
 * share of malformed ones) with PutRecords at a target rate, and can write a
 * ground-truth log, one JSON line per record put: shard, sequence number,
 * SHA-256 of the payload, whether it was meant to be valid, and the payload.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import type { KinesisClient, PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { seededRandom } from './random.js';
import { generateBadPayload, generateEvent, type BadKind } from './clickstream.js';
import { sleep } from '../consumer/backoff.js';
import { putUntilAccepted } from './putAll.js';

export interface ProduceOptions {
  streamName: string;
  /** Records per second (0 = as fast as possible). */
  rate: number;
  count: number;
  /** Distinct partition keys. */
  keys: number;
  seed: number;
  badRatio: number;
  lateRatio?: number;
  groundTruthPath?: string;
  signal?: AbortSignal;
  /** Clock for event timestamps (tests pin it). */
  now?: () => number;
}

export interface GroundTruthEntry {
  shardId: string;
  sequenceNumber: string;
  sha256: string;
  valid: boolean;
  badKind?: BadKind;
  partitionKey: string;
  payloadBase64: string;
}

export interface ProduceResult {
  produced: number;
  valid: number;
  bad: number;
  entries: GroundTruthEntry[] | undefined;
}

const BATCH = 500;

export async function produce(client: KinesisClient, options: ProduceOptions, keepEntries = false): Promise<ProduceResult> {
  const rng = seededRandom(options.seed);
  const now = options.now ?? Date.now;
  const eventOptions = { users: 500, products: 200, lateRatio: options.lateRatio ?? 0.02 };
  const log: WriteStream | undefined = options.groundTruthPath ? createWriteStream(options.groundTruthPath, { flags: 'a' }) : undefined;
  const entries: GroundTruthEntry[] | undefined = keepEntries ? [] : undefined;
  let produced = 0;
  let valid = 0;
  const started = Date.now();
  try {
    while (produced < options.count && !options.signal?.aborted) {
      const n = Math.min(BATCH, options.count - produced, options.rate > 0 ? Math.max(1, Math.ceil(options.rate / 5)) : BATCH);
      const batch: { entry: PutRecordsRequestEntry; data: Buffer; valid: boolean; badKind?: BadKind }[] = [];
      for (let i = 0; i < n; i++) {
        const key = `k-${Math.floor(rng() * options.keys)}`;
        if (rng() < options.badRatio) {
          const bad = generateBadPayload(rng, now(), eventOptions);
          batch.push({ entry: { Data: bad.data, PartitionKey: key }, data: bad.data, valid: false, badKind: bad.kind });
        } else {
          const data = Buffer.from(JSON.stringify(generateEvent(rng, now(), eventOptions)));
          batch.push({ entry: { Data: data, PartitionKey: key }, data, valid: true });
        }
      }
      await putUntilAccepted(client, options.streamName, batch, (p, put) => {
        const entry: GroundTruthEntry = {
          shardId: put.shardId,
          sequenceNumber: put.sequenceNumber,
          sha256: createHash('sha256').update(p.data).digest('hex'),
          valid: p.valid,
          ...(p.badKind ? { badKind: p.badKind } : {}),
          partitionKey: p.entry.PartitionKey!,
          payloadBase64: p.data.toString('base64'),
        };
        log?.write(JSON.stringify(entry) + '\n');
        entries?.push(entry);
        produced++;
        if (p.valid) valid++;
      });
      if (options.rate > 0) {
        const due = started + (produced / options.rate) * 1000;
        await sleep(due - Date.now(), options.signal);
      }
    }
  } finally {
    if (log) await new Promise<void>((resolve) => log.end(resolve));
  }
  return { produced, valid, bad: produced - valid, entries };
}
