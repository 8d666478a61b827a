/**
 * Freshness at a steady rate: records "arrive" in real time at --rate
 * records/s spread over --shards shards (Kinesis takes 1,000 records/s per
 * shard, so 50,000/s needs 50), are read every 200 ms per shard (the
 * service's GetRecords pace) and go through the whole processing path
 * (SegmentCutter, ProcessorPool, gzip, Parquet, the real LakeWriter) into
 * an object store that answers each PUT after --put-ms, like S3.
 * Freshness of a record = the moment its raw object is acknowledged minus
 * its arrival time. kinesalite cannot take 50,000 writes/s on this machine,
 * so this measures the service's own path from memory, not Kinesis.
 *
 *   npm run bench -- freshness [--rate 50000] [--shards 50] [--seconds 40] [--flush-ms 10000] [--segment-ms 300000] [--put-ms 100] [--workers 2]
 */
import { performance } from 'node:perf_hooks';
import type { StreamRecord } from '../src/consumer/records.js';
import type { PutOptions } from '../src/sinks/objectStore.js';
import { sleep } from '../src/consumer/backoff.js';
import { numberArg } from './lib/args.js';
import { clickstreamPayloads, shardId } from './lib/events.js';
import { CountingStore } from './lib/memorySink.js';
import { processingPath } from './lib/processingPath.js';
import { ShardDriver } from './lib/shardDriver.js';
import { cutLargestSegments } from '../src/consumer/pressureRelief.js';
import type { Figures } from './lib/report.js';

export const description =
  'Records arrive in real time at --rate over --shards shards, are read every 200 ms per shard and go through the whole processing path (2 processor threads, gzip, Parquet, the real LakeWriter) into a store that acknowledges each PUT after --put-ms. Freshness = raw object acknowledged - record arrival time; p99 over every record. Target: p99 at most the raw flush window + 2 s at 50,000 records/s. Kinesis itself is not in the path (kinesalite takes ~10k writes/s here).';

const POLL_MS = 200;

/** A store that answers after a fixed delay, like a PUT to S3 from the same region. */
class DelayedStore extends CountingStore {
  constructor(private readonly delayMs: number) {
    super();
  }

  override async put(key: string, body: Uint8Array, options: PutOptions): Promise<void> {
    await sleep(this.delayMs);
    return super.put(key, body, options);
  }
}

const RELIEF_INTERVAL_MS = 1000;
// A pause this long means the writes stopped (a failure, a deadlock): fail instead of waiting forever.
const MAX_PAUSE_MS = 60_000;

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

export default async function run(args: string[]): Promise<Figures> {
  const rate = numberArg(args, 'rate', 50_000);
  const shards = numberArg(args, 'shards', 50);
  const seconds = numberArg(args, 'seconds', 40);
  const flushMs = numberArg(args, 'flush-ms', 10_000);
  // The service's default segment window (KL_CLEANSED_FLUSH_INTERVAL_MS). At 50,000 records/s, 50 shards'
  // open segments outgrow the default budget within seconds; the drivers then cut the largest ones early,
  // as the service's consumer does.
  const segmentMs = numberArg(args, 'segment-ms', 300_000);
  const putMs = numberArg(args, 'put-ms', 100);
  const workers = numberArg(args, 'workers', 2);
  // Payloads are reused round-robin: only arrival times and sequence numbers must be new.
  const payloads = clickstreamPayloads(100_000);

  const store = new DelayedStore(putMs);
  const { pool, writer, budget, fileRules, segmentRules } = processingPath(store, { workers, rawWindowMs: flushMs, segmentWindowMs: segmentMs });
  try {
    // Warm-up (worker start, JIT, WASM compile) on a driver of its own, with old arrival times.
    const warm = new ShardDriver('shardId-warm', { processor: pool, writer, budget, streamName: 'bench' }, segmentRules, fileRules);
    warm.accept(payloads.slice(0, 5_000).map((data, i) => record('shardId-warm', i, 1_000_000 + i, data)));
    await warm.finish();

    const freshness: number[] = [];
    const onRawDurable = (arrivals: readonly number[]): void => {
      const now = Date.now();
      for (const a of arrivals) freshness.push(now - a);
    };
    const drivers = Array.from({ length: shards }, (_, s) => new ShardDriver(shardId(s), { processor: pool, writer, budget, streamName: 'bench', onRawDurable }, segmentRules, fileRules));
    let forcedCuts = 0;
    const relieve = (): number => (forcedCuts += cutLargestSegments(drivers, budget.excessBytes).length);
    budget.onPressure(relieve);
    const perShardRate = rate / shards;
    const startMs = Date.now();
    const endMs = startMs + seconds * 1000;
    const produced = new Array<number>(shards).fill(0);
    let payloadAt = 0;
    let lateTicks = 0;
    let pausedTicks = 0;
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    for (let tick = 1; ; tick++) {
      const due = Math.min(startMs + tick * POLL_MS, endMs);
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      else lateTicks++;
      if (budget.isPaused) pausedTicks++;
      // While paused, cut again now and then, as the service's lease loop does: the first cuts (made when
      // the pause began) may not free enough, and nothing else would call for more. Waiting first gives
      // those cuts time to be written, so their bytes are not cut for twice.
      const pausedAt = Date.now();
      while (budget.isPaused) {
        if (Date.now() - pausedAt > MAX_PAUSE_MS) throw new Error(`polling stayed paused for over ${MAX_PAUSE_MS} ms: the memory budget never drained`);
        await Promise.race([budget.waitForRoom(), sleep(RELIEF_INTERVAL_MS)]);
        if (budget.isPaused) relieve();
      }
      const now = Date.now();
      // Every record whose (evenly spaced) arrival time has passed is readable now.
      const arrivedUpTo = Math.min(now, endMs);
      for (let s = 0; s < shards; s++) {
        const total = Math.floor(((arrivedUpTo - startMs) / 1000) * perShardRate);
        const batch: StreamRecord[] = [];
        for (let n = produced[s]!; n < total; n++) {
          const arrivalMs = startMs + Math.floor((n * 1000) / perShardRate);
          batch.push(record(shardId(s), n, arrivalMs, payloads[payloadAt]!));
          payloadAt = (payloadAt + 1) % payloads.length;
        }
        produced[s] = total;
        if (batch.length > 0) drivers[s]!.accept(batch);
      }
      if (arrivedUpTo >= endMs) break;
    }
    const producedTotal = produced.reduce((a, b) => a + b, 0);
    // The files still open at the end are cut early by finish(); their records are counted too.
    await Promise.all(drivers.map((d) => d.finish()));
    const cpu = process.cpuUsage(cpu0);
    const mainBusy = performance.eventLoopUtilization(elu0).utilization;
    if (freshness.length !== producedTotal) throw new Error(`freshness for ${freshness.length} of ${producedTotal} records`);
    const sorted = Float64Array.from(freshness).sort();
    const p99 = percentile(sorted, 0.99);
    const targetMs = flushMs + 2000;
    return {
      scenario: 'freshness',
      rate_records_per_s: rate,
      achieved_records_per_s: Math.round(producedTotal / seconds),
      shards,
      seconds,
      flush_window_ms: flushMs,
      segment_window_ms: segmentMs,
      put_latency_ms: putMs,
      records: producedTotal,
      freshness_p50_ms: Math.round(percentile(sorted, 0.5)),
      freshness_p99_ms: Math.round(p99),
      freshness_max_ms: Math.round(sorted[sorted.length - 1]!),
      target_p99_ms: targetMs,
      meets_target: p99 <= targetMs ? 'yes' : 'no',
      // How far p99 sits above the window: the path's own delay (read pace, processing, gzip, PUT).
      p99_over_window_ms: Math.round(p99 - flushMs),
      late_poll_ticks: lateTicks,
      paused_poll_ticks: pausedTicks,
      segments_cut_early: forcedCuts,
      cpu_us_per_record: Number(((cpu.user + cpu.system) / producedTotal).toFixed(2)),
      main_thread_busy_share: Number(mainBusy.toFixed(3)),
      objects_out: store.objects,
    };
  } finally {
    await pool.close();
  }
}

function record(shard: string, n: number, arrivalMs: number, data: Buffer): StreamRecord {
  return {
    shardId: shard,
    sequenceNumber: (49650000000000000000000000000000000000000000000000000n + BigInt(n)).toString(),
    subSequenceNumber: undefined,
    partitionKey: `k-${n % 1000}`,
    explicitHashKey: undefined,
    arrivalMs,
    data,
  };
}
