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

const DEVICES = ['desktop', 'mobile', 'tablet'];
const COUNTRIES = ['DE', 'FR', 'NL', 'US', 'GB', 'ES', 'IT', 'PL'];
const APP_VERSIONS = ['4.12.0', '4.12.1', '4.13.0-beta.2', '5.0.3'];

/**
 * The producer's event plus the page context a tracker sends with it (page
 * URL, device, app version, country), which the schemas keep in _extra. The
 * producer's events alone average 159 bytes; with the context they average
 * ~266, the event size issue #6 states its 100,000 records/s target for.
 */
function benchEvent(rng: () => number, nowMs: number): Record<string, unknown> {
  const event = generateEvent(rng, nowMs, EVENT_OPTIONS);
  const page = event.event_type === 'search' ? `search?q=${encodeURIComponent(event.search_query ?? '')}` : `p/${event.product_id ?? ''}`;
  return {
    ...event,
    page_url: `https://shop.example.com/${page}`,
    device: DEVICES[Math.floor(rng() * DEVICES.length)]!,
    app_version: APP_VERSIONS[Math.floor(rng() * APP_VERSIONS.length)]!,
    ip_country: COUNTRIES[Math.floor(rng() * COUNTRIES.length)]!,
  };
}

/** Payloads only (UTF-8 JSON), for the scenarios that need no metadata. */
export function clickstreamPayloads(count: number, seed = 42): Buffer[] {
  const rng = seededRandom(seed);
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) out.push(Buffer.from(JSON.stringify(benchEvent(rng, BENCH_START_MS + i))));
  return out;
}

export function shardId(i: number): string {
  return `shardId-${String(i).padStart(12, '0')}`;
}

export const SEQUENCE_BASE = 49650000000000000000000000000000000000000000000000000n;

/** One record to keep: its sequence number is SEQUENCE_BASE + `index`. */
export interface RecordSpec {
  index: number;
  data: Uint8Array;
  arrivalMs: number;
  partitionKey: string;
}

/**
 * One shard's records, kept compact (payloads back to back in one Buffer,
 * sequence numbers as bytes, partition keys interned) and made into record
 * objects a GetRecords batch at a time, as the consumer makes them from each
 * response. Holding every record of a run as objects gave the main thread a
 * heap the service never has (~120 MB for 300,000 records), and each full
 * collection traced it.
 */
export class ShardRecords {
  readonly length: number;
  readonly payloadBytes: number;
  private readonly payloads: Buffer;
  /** Record i's payload is payloads[offsets[i], offsets[i + 1]). */
  private readonly offsets: Uint32Array;
  private readonly sequences: Buffer;
  private readonly sequenceChars: number;
  private readonly arrivalMs: Float64Array;
  private readonly keys: string[] = [];
  private readonly keyIndex: Uint32Array;

  constructor(readonly shardId: string, specs: readonly RecordSpec[]) {
    const n = specs.length;
    this.length = n;
    this.offsets = new Uint32Array(n + 1);
    specs.forEach((r, i) => (this.offsets[i + 1] = this.offsets[i]! + r.data.byteLength));
    this.payloadBytes = this.offsets[n]!;
    this.payloads = Buffer.allocUnsafeSlow(this.payloadBytes);
    const sequenceTexts = specs.map((r) => (SEQUENCE_BASE + BigInt(r.index)).toString());
    this.sequenceChars = sequenceTexts[0]?.length ?? 0;
    if (sequenceTexts.some((t) => t.length !== this.sequenceChars)) throw new Error('sequence numbers of a run must have one length');
    this.sequences = Buffer.allocUnsafeSlow(n * this.sequenceChars);
    this.arrivalMs = new Float64Array(n);
    this.keyIndex = new Uint32Array(n);
    const known = new Map<string, number>();
    specs.forEach((r, i) => {
      this.payloads.set(r.data, this.offsets[i]!);
      this.sequences.write(sequenceTexts[i]!, i * this.sequenceChars, 'latin1');
      this.arrivalMs[i] = r.arrivalMs;
      let k = known.get(r.partitionKey);
      if (k === undefined) known.set(r.partitionKey, (k = this.keys.push(r.partitionKey) - 1));
      this.keyIndex[i] = k;
    });
  }

  /** Records [at, at + limit) as fresh objects; payloads are views, sequence numbers flat strings (as JSON.parse makes them). */
  batch(at: number, limit: number): StreamRecord[] {
    const end = Math.min(at + limit, this.length);
    const out: StreamRecord[] = new Array<StreamRecord>(Math.max(0, end - at));
    for (let i = at; i < end; i++) {
      out[i - at] = {
        shardId: this.shardId,
        sequenceNumber: this.sequences.toString('latin1', i * this.sequenceChars, (i + 1) * this.sequenceChars),
        subSequenceNumber: undefined,
        partitionKey: this.keys[this.keyIndex[i]!]!,
        explicitHashKey: undefined,
        arrivalMs: this.arrivalMs[i]!,
        data: this.payloads.subarray(this.offsets[i]!, this.offsets[i + 1]!),
      };
    }
    return out;
  }
}

/**
 * `payloads` spread round-robin over `shards` shards, each shard at 1,000
 * records/s of arrival time; record i has partition key k-(i mod 1000) and
 * sequence number SEQUENCE_BASE + i.
 */
export function clickstreamShards(payloads: readonly Uint8Array[], shards: number): ShardRecords[] {
  return Array.from({ length: shards }, (_, s) => {
    const specs: RecordSpec[] = [];
    for (let i = s; i < payloads.length; i += shards) specs.push({ index: i, data: payloads[i]!, arrivalMs: BENCH_START_MS + specs.length, partitionKey: `k-${i % 1000}` });
    return new ShardRecords(shardId(s), specs);
  });
}

export function totalBytes(payloads: readonly { length: number }[]): number {
  let n = 0;
  for (const p of payloads) n += p.length;
  return n;
}
