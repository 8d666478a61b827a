/**
 * The cleansed zone end to end: the real service on a stream with late
 * events, malformed records and KPL aggregates; DuckDB (our stand-in for
 * Athena) reads every file back and the five business queries must equal
 * the producer's ground truth.
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { createLake, startServiceProcess, tempDir, waitFor, type Lake } from '../support/env.js';
import { checkpointsReached, lastProducedPerShard } from '../support/lakeCheck.js';
import { handAggregate } from '../support/processorFixtures.js';
import { openDuckDb, sqlString } from '../support/duckdb.js';
import { produce, type GroundTruthEntry } from '../../src/producer/producer.js';
import { downloadCleansed } from '../../src/lake/cleansedDownload.js';
import { lakeRowCounts, runLakeQueries } from '../../src/lake/queries.js';
import { groundTruth, type ClickstreamEvent } from '../../src/lake/groundTruth.js';
import { generateEvent } from '../../src/producer/clickstream.js';
import { seededRandom } from '../../src/producer/random.js';
import { readRawZone } from '../../src/sinks/rawReader.js';
import { drainDeadLetters } from '../../src/sinks/dlqDrain.js';
import { compareSequence } from '../../src/consumer/records.js';
import { defaultTableName } from '../../src/config/loadConfig.js';

const ENV = {
  KL_FLUSH_INTERVAL_MS: '1000',
  KL_FLUSH_MAX_RECORDS: '400',
  KL_CLEANSED_FLUSH_INTERVAL_MS: '6000',
  KL_IDLE_CLOSE_GRACE_MS: '300',
};

/** Puts `count` KPL aggregates of `per` events each, under the user records' own partition key (as the KPL does, so the shard owns their hash keys). */
async function putAggregates(lake: Lake, count: number, per: number, seed: number): Promise<{ events: ClickEventWithId[]; last: Map<string, string> }> {
  const rng = seededRandom(seed);
  const events: ClickEventWithId[] = [];
  const last = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const batch = Array.from({ length: per }, () => generateEvent(rng, Date.now(), { users: 300, products: 50, lateRatio: 0.1 }));
    const data = handAggregate(batch.map((e) => Buffer.from(JSON.stringify(e))));
    const out = await lake.clients.kinesis.send(new PutRecordsCommand({ StreamName: lake.stream, Records: [{ Data: data, PartitionKey: 'pk-agg' }] }));
    const r = out.Records![0]!;
    batch.forEach((e, sub) => events.push({ event: e as ClickstreamEvent, shardId: r.ShardId!, sequenceNumber: r.SequenceNumber!, subSequenceNumber: sub }));
    const prev = last.get(r.ShardId!);
    if (!prev || compareSequence(r.SequenceNumber!, prev) > 0) last.set(r.ShardId!, r.SequenceNumber!);
  }
  return { events, last };
}

interface ClickEventWithId {
  event: ClickstreamEvent;
  shardId: string;
  sequenceNumber: string;
  subSequenceNumber: number;
}

function validEvents(entries: GroundTruthEntry[]): ClickstreamEvent[] {
  return entries.filter((e) => e.valid).map((e) => JSON.parse(Buffer.from(e.payloadBase64, 'base64').toString('utf8')) as ClickstreamEvent);
}

function mergeLast(a: Map<string, string>, b: Map<string, string>): Map<string, string> {
  const out = new Map(a);
  for (const [k, v] of b) if (!out.has(k) || compareSequence(v, out.get(k)!) > 0) out.set(k, v);
  return out;
}

async function snapshot(lake: Lake, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const o of await lake.store.list(prefix)) out.set(o.key, createHash('md5').update(await lake.store.get(o.key)).digest('hex'));
  return out;
}

describe('cleansed zone', () => {
  it('holds every valid record once, typed as the schema says; the five queries equal the ground truth; malformed ones are in the DLQ', async () => {
    const lake = await createLake(2);
    const table = defaultTableName(lake.stream);
    const produced = await produce(lake.clients.kinesis, { streamName: lake.stream, rate: 0, count: 6000, keys: 500, seed: 41, badRatio: 0.03, lateRatio: 0.1 }, true);
    const entries = produced.entries!;
    const agg = await putAggregates(lake, 40, 25, 42);
    const svc = startServiceProcess(lake.env(ENV));
    const dir = tempDir();
    try {
      await waitFor('checkpoints', () => checkpointsReached(lake, mergeLast(lastProducedPerShard(entries), agg.last)), 90_000, 300);
      const files = await downloadCleansed(lake.store, table, dir);
      expect(files.length).toBeGreaterThan(0);

      // Every file reads; no duplicate rows; the count is the number of valid records.
      const counts = await lakeRowCounts({ files });
      expect(counts.rows).toBe(produced.valid + agg.events.length);
      expect(counts.distinctRecords).toBe(counts.rows);

      // Late events landed in their own (older) hour partitions.
      const hours = new Set(files.map((f) => /dt=([\d-]+)\/hour=(\d\d)/.exec(f)!.slice(1).join('T')));
      expect(hours.size).toBeGreaterThan(1);

      // Column types as the schema says.
      const db = await openDuckDb();
      try {
        const cols = await db.all(`DESCRIBE SELECT * FROM read_parquet(${sqlString(files[0]!)}, hive_partitioning = false)`);
        const type = (name: string): unknown => cols.find((c) => c.column_name === name)?.column_type;
        expect(type('event_time')).toBe('TIMESTAMP WITH TIME ZONE');
        expect(type('_arrival_time')).toBe('TIMESTAMP WITH TIME ZONE');
        expect(type('quantity')).toBe('BIGINT');
        expect(type('price')).toBe('DOUBLE');
        expect(type('event_hour')).toBe('INTEGER');
        expect(type('user_id')).toBe('VARCHAR');
        // KPL user records keep their sub-sequence numbers.
        const kpl = await db.all(
          `SELECT count(*) AS n FROM read_parquet([${files.map(sqlString).join(',')}], hive_partitioning = false) WHERE _sub_sequence_number IS NOT NULL`,
        );
        expect(kpl[0]!.n).toBe(agg.events.length);
        // PII is tokenized: no user id in clear.
        const clear = await db.all(
          `SELECT count(*) AS n FROM read_parquet([${files.map(sqlString).join(',')}], hive_partitioning = false) WHERE user_id LIKE 'u-%'`,
        );
        expect(clear[0]!.n).toBe(0);
      } finally {
        db.close();
      }

      // The five business queries equal the producer's ground truth.
      const results = await runLakeQueries({ files });
      const truth = groundTruth([...validEvents(entries), ...agg.events.map((e) => e.event)]);
      expect(JSON.parse(JSON.stringify(results))).toEqual(JSON.parse(JSON.stringify(truth)));

      // Raw holds every record, KPL user records one line each; the DLQ every malformed one.
      const raw = (await readRawZone(lake.store, lake.stream)).flatMap((o) => o.records);
      expect(raw.length).toBe(entries.length + agg.events.length);
      const dlq = await drainDeadLetters(lake.clients.sqs, lake.dlqUrl);
      expect(dlq.envelopes.size).toBe(produced.bad);
      const badIds = new Set(entries.filter((e) => !e.valid).map((e) => `${e.shardId}/${e.sequenceNumber}`));
      for (const env of dlq.envelopes.values()) expect(badIds.has(`${env.shardId}/${env.sequenceNumber}`)).toBe(true);
    } finally {
      svc.child.kill('SIGTERM');
      await svc.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('after SIGKILL and restart: no duplicate rows, re-written files keep their keys and bytes, and few large files per hour', async () => {
    const lake = await createLake(2);
    const table = defaultTableName(lake.stream);
    const segmentMs = Number(ENV.KL_CLEANSED_FLUSH_INTERVAL_MS);
    const t0 = Date.now();
    const producing = produce(lake.clients.kinesis, { streamName: lake.stream, rate: 800, count: 16_000, keys: 500, seed: 43, badRatio: 0.01, lateRatio: 0 }, true);
    const first = startServiceProcess(lake.env(ENV), 'first');
    await waitFor('a cleansed file', async () => (await lake.store.list(`cleansed/${table}/`)).length > 0, 60_000, 200);
    await new Promise((r) => setTimeout(r, 1500));
    first.child.kill('SIGKILL');
    await first.exited;
    const before = await snapshot(lake, `cleansed/${table}/`);
    const second = startServiceProcess(lake.env(ENV), 'second');
    const dir = tempDir();
    try {
      const entries = (await producing).entries!;
      const runMs = Date.now() - t0;
      await waitFor('checkpoints', () => checkpointsReached(lake, lastProducedPerShard(entries)), 90_000, 300);
      const after = await snapshot(lake, `cleansed/${table}/`);
      for (const [key, md5] of before) expect(after.get(key), key).toBe(md5);
      const files = await downloadCleansed(lake.store, table, dir);
      const counts = await lakeRowCounts({ files });
      expect(counts.rows).toBe(counts.distinctRecords);
      expect(counts.rows).toBe(entries.filter((e) => e.valid).length);

      // However often the raw zone flushed (1 s windows), each shard writes at most
      // ceil(run / segment window) + 1 cleansed files per event hour it touches.
      const perShardHour = new Map<string, number>();
      for (const key of after.keys()) {
        const m = /dt=([\d-]+)\/hour=(\d\d)\/(shardId-\d+)-/.exec(key)!;
        const k = `${m[3]}@${m[1]}T${m[2]}`;
        perShardHour.set(k, (perShardHour.get(k) ?? 0) + 1);
      }
      const bound = Math.ceil(runMs / segmentMs) + 1;
      for (const [k, n] of perShardHour) expect(n, k).toBeLessThanOrEqual(bound);
      const rawObjects = (await lake.store.list(`raw/${lake.stream}/`)).length;
      expect(rawObjects).toBeGreaterThan(after.size);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
