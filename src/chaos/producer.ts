/**
 * The chaos producer: clickstream events at a steady rate, as plain records,
 * KPL aggregates (user records sharing one sequence number) and a few
 * aggregates with a broken checksum, with a seeded share of malformed
 * payloads. Every user record that got a sequence number goes to the ground
 * truth, the reconciler's only source of what the lake must hold.
 */
import { createHash } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { generateBadPayload, generateEvent } from '../producer/clickstream.js';
import { intBetween, seededRandom, type Random } from '../producer/random.js';
import { backoffMs, sleep } from '../consumer/backoff.js';
import { encodeAggregate } from './kplEncode.js';
import type { TruthEntry, TruthKind } from './truth.js';

export interface ChaosProduceOptions {
  streamName: string;
  /** Kinesis records per second (an aggregate counts once). */
  rate: number;
  seed: number;
  /** Share of user records that are malformed. */
  badRatio: number;
  /** Share of Kinesis records that are KPL aggregates. */
  kplRatio: number;
  /** Share of Kinesis records that are aggregates with a broken MD5. */
  corruptKplRatio: number;
  keys: number;
  truthPath: string;
  signal: AbortSignal;
}

export interface ChaosProduceResult {
  entries: TruthEntry[];
  kinesisRecords: number;
  putErrors: number;
}

interface Planned {
  partitionKey: string;
  data: Buffer;
  kind: TruthKind;
  /** The user records (for an aggregate) or the one payload. */
  users: { data: Buffer; valid: boolean }[];
}

const EVENT_OPTIONS = { users: 500, products: 200, lateRatio: 0.02 };

function userPayload(rng: Random, badRatio: number): { data: Buffer; valid: boolean } {
  if (rng() < badRatio) return { data: generateBadPayload(rng, Date.now(), EVENT_OPTIONS).data, valid: false };
  return { data: Buffer.from(JSON.stringify(generateEvent(rng, Date.now(), EVENT_OPTIONS))), valid: true };
}

function plan(rng: Random, o: ChaosProduceOptions): Planned {
  const partitionKey = `k-${Math.floor(rng() * o.keys)}`;
  const r = rng();
  if (r < o.corruptKplRatio) {
    const users = Array.from({ length: intBetween(rng, 2, 4) }, () => userPayload(rng, 0));
    return { partitionKey, kind: 'kpl_corrupt', users, data: encodeAggregate(partitionKey, users.map((u) => u.data), true) };
  }
  if (r < o.corruptKplRatio + o.kplRatio) {
    const users = Array.from({ length: intBetween(rng, 2, 6) }, () => userPayload(rng, o.badRatio));
    return { partitionKey, kind: 'kpl', users, data: encodeAggregate(partitionKey, users.map((u) => u.data)) };
  }
  const user = userPayload(rng, o.badRatio);
  return { partitionKey, kind: 'plain', users: [user], data: user.data };
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The ground-truth entries of one Kinesis record that got a sequence number. */
function truthOf(p: Planned, shardId: string, sequenceNumber: string): TruthEntry[] {
  if (p.kind === 'kpl') {
    return p.users.map((u, i) => ({ shardId, sequenceNumber, subSequenceNumber: i, kind: p.kind, valid: u.valid, sha256: sha256(u.data), payloadBase64: u.data.toString('base64') }));
  }
  // A plain record, or an aggregate that cannot be split: one line in raw, one envelope if bad.
  const valid = p.kind === 'plain' && p.users[0]!.valid;
  return [{ shardId, sequenceNumber, subSequenceNumber: null, kind: p.kind, valid, sha256: sha256(p.data), payloadBase64: p.data.toString('base64') }];
}

export async function chaosProduce(client: KinesisClient, o: ChaosProduceOptions): Promise<ChaosProduceResult> {
  const rng = seededRandom(o.seed);
  const entries: TruthEntry[] = [];
  let kinesisRecords = 0;
  let putErrors = 0;
  const started = Date.now();
  const perBatch = Math.max(1, Math.ceil(o.rate / 5));
  while (!o.signal.aborted) {
    let pending = Array.from({ length: perBatch }, () => plan(rng, o));
    // A batch is finished even after the stop, so every record put is in the truth.
    for (let attempt = 0; pending.length > 0; attempt++) {
      let out;
      try {
        out = await client.send(new PutRecordsCommand({ StreamName: o.streamName, Records: pending.map((p) => ({ Data: p.data, PartitionKey: p.partitionKey })) }));
      } catch (err) {
        // Resharding and a busy emulator make puts fail for a while; keep trying.
        putErrors++;
        if (attempt > 60) throw err;
        await sleep(backoffMs(attempt, 100, 2000));
        continue;
      }
      const retry: Planned[] = [];
      const lines: string[] = [];
      (out.Records ?? []).forEach((r, i) => {
        const p = pending[i]!;
        if (r.ErrorCode || !r.SequenceNumber || !r.ShardId) {
          retry.push(p);
          return;
        }
        kinesisRecords++;
        for (const e of truthOf(p, r.ShardId, r.SequenceNumber)) {
          entries.push(e);
          lines.push(JSON.stringify(e));
        }
      });
      if (lines.length > 0) appendFileSync(o.truthPath, lines.join('\n') + '\n');
      pending = retry;
      if (pending.length > 0) await sleep(backoffMs(attempt, 50, 1000));
    }
    const due = started + (kinesisRecords / o.rate) * 1000;
    await sleep(due - Date.now(), o.signal);
  }
  return { entries, kinesisRecords, putErrors };
}
