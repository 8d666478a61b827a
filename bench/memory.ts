/**
 * Memory under a slow sink: 32 shards read as fast as the service can take
 * them while every S3 request is held 2 s by a proxy. The backlog is put
 * first as KPL aggregates (bench/lib/aggregatedFill.ts), so kinesalite
 * serves it faster than the service processes it, and the service runs with
 * its default windows (60 s raw, 300 s segments): what it reads piles up
 * until the budget pauses it. (Until 2026-11-23 the scenario put one event
 * per record, with a producer beside the reads and 5 s / 10 s windows:
 * kinesalite was busy with the producer, the service read 3,400 records/s,
 * and the budget's records never passed 60 MB of 268.) The service runs as
 * its own process with KL_MEMORY_BUDGET_BYTES; its RSS is sampled every
 * 250 ms from /proc, its budget, pause and heap figures from /metrics.
 *
 * A second run reads the same stream again from its start with the
 * service's default budget (768 MiB), and reports its figures beside.
 *
 *   npm run bench -- memory [--shards 32] [--seconds 40] [--budget-mib 256] [--default-budget-mib 768 (0: skip)] [--backlog 1000000] [--per-aggregate 100] [--s3-delay-ms 2000]
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { freePort } from '../src/local/localAws.js';
import { createStream, randomName } from '../src/local/provision.js';
import { putAggregatedBacklog } from './lib/aggregatedFill.js';
import { numberArg } from './lib/args.js';
import { metric, metricSum, scrapeMetrics } from './lib/metricsText.js';
import type { Figures } from './lib/report.js';
import { startServiceProcess } from './lib/service.js';
import { startSlowProxy } from './lib/slowProxy.js';
import { startBenchStack, type BenchStack } from './lib/stack.js';
import { OPTIONS } from '../src/config/options.js';

type SlowProxy = Awaited<ReturnType<typeof startSlowProxy>>;

/** The service's own default budget (KL_MEMORY_BUDGET_BYTES, sized for a 2 GiB task), in MiB. */
const DEFAULT_BUDGET_MIB = Number(OPTIONS.find((o) => o.env === 'KL_MEMORY_BUDGET_BYTES')!.defaultValue!()) / (1024 * 1024);

export const description =
  '32 shards holding a backlog of KPL aggregates (100 events each), read as fast as the service takes them, every S3 request delayed 2 s by a local proxy; the service (`node dist/bin/kinesis-lake.js run`, default windows, the image\'s malloc settings) runs with KL_MEMORY_BUDGET_BYTES. Pass: max RSS <= budget + 150 MB, with a 256 MiB budget and again (`default_budget_*`, the same stream read from its start) with the service\'s default budget. `at_max_rss_main_*`: the main thread\'s V8 heap and external memory (its Buffers) at that moment; the rest is the worker threads, Node itself and malloc. `paused_*` count the second step of backpressure (everyone stops above the high watermark), `shard_pauses` the first (between the soft and the high watermark the shards holding more than the average wait). `max_budget_used_mb` counts everything against the budget (records, room reserved for reads in flight, process growth), `max_budget_held_mb` the records alone, `max_budget_process_mb` what else the process grew by since start-up (worker threads, heaps, WASM memory, malloc), counted up to 65 % of the budget; the watermarks judge records plus process growth.';

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

interface RunFigures {
  maxRss: number;
  atMaxRss: { rss: number; heap: number; external: number };
  maxBudgetUsed: number;
  maxBudgetHeld: number;
  maxBudgetProcess: number;
  pausedShare: number;
  pauseEpisodes: number;
  pausedSeconds: number;
  shardPauses: number;
  recordsRead: number;
  rssSamples: number;
  s3Requests: number;
}

/** One service run over the stream from its start (a lease table of its own), sampled for `seconds`. */
async function measure(env: BenchStack, proxy: SlowProxy, stream: string, appName: string, budgetBytes: number, seconds: number): Promise<RunFigures> {
  const requestsBefore = proxy.requests();
  const metricsPort = await freePort();
  const service = await startServiceProcess(env.clients, stream, {
    AWS_ENDPOINT_URL_S3: proxy.url,
    KL_APP_NAME: appName,
    KL_MEMORY_BUDGET_BYTES: String(budgetBytes),
    KL_METRICS_PORT: String(metricsPort),
  });
  const pid = service.child.pid!;
  const samples: number[] = [];
  let pausedSamples = 0;
  let pausedTransitions = 0;
  let wasPaused = false;
  let maxBudgetUsed = 0;
  let maxBudgetHeld = 0;
  let maxBudgetProcess = 0;
  const started = performance.now();
  let lastMetrics = '';
  /** The main thread's V8 heap and external memory (Buffers) at the sample of the highest RSS. */
  let atMaxRss = { rss: 0, heap: 0, external: 0 };
  try {
    while (performance.now() - started < seconds * 1000 && service.child.exitCode === null) {
      const rss = rssBytes(pid);
      samples.push(rss);
      const text = await scrapeMetrics(metricsPort);
      if (text) {
        lastMetrics = text;
        if (rss > atMaxRss.rss) atMaxRss = { rss, heap: metric(text, 'nodejs_heap_size_used_bytes'), external: metric(text, 'nodejs_external_memory_bytes') };
        const paused = metric(text, 'kinesis_lake_backpressure_paused') === 1;
        if (paused) pausedSamples++;
        if (paused && !wasPaused) pausedTransitions++;
        wasPaused = paused;
        maxBudgetUsed = Math.max(maxBudgetUsed, metric(text, 'kinesis_lake_memory_budget_used_bytes') || 0);
        maxBudgetHeld = Math.max(maxBudgetHeld, metric(text, 'kinesis_lake_memory_budget_held_bytes') || 0);
        maxBudgetProcess = Math.max(maxBudgetProcess, metric(text, 'kinesis_lake_memory_budget_process_bytes') || 0);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await service.stop();
  }
  return {
    maxRss: Math.max(0, ...samples),
    atMaxRss,
    maxBudgetUsed,
    maxBudgetHeld,
    maxBudgetProcess,
    pausedShare: Number((pausedSamples / Math.max(1, samples.length)).toFixed(3)),
    pauseEpisodes: pausedTransitions,
    pausedSeconds: Number((metric(lastMetrics, 'kinesis_lake_backpressure_paused_seconds_total') || 0).toFixed(1)),
    shardPauses: metric(lastMetrics, 'kinesis_lake_backpressure_shard_pauses_total') || 0,
    recordsRead: Math.max(0, metricSum(lastMetrics, 'kinesis_lake_records_read_total')),
    rssSamples: samples.length,
    s3Requests: proxy.requests() - requestsBefore,
  };
}

export default async function run(args: string[]): Promise<Figures> {
  const shards = numberArg(args, 'shards', 32);
  const seconds = numberArg(args, 'seconds', 40);
  const budgetBytes = numberArg(args, 'budget-mib', 256) * 1024 * 1024;
  // The service's default budget (a 2 GiB task) in a second run over the same stream; 0 skips it.
  const defaultBudgetBytes = numberArg(args, 'default-budget-mib', DEFAULT_BUDGET_MIB) * 1024 * 1024;
  const backlog = numberArg(args, 'backlog', 1_000_000);
  const perAggregate = numberArg(args, 'per-aggregate', 100);
  const delayMs = numberArg(args, 's3-delay-ms', 2000);
  const env = await startBenchStack();
  const proxy = await startSlowProxy(env.stack.endpoints.s3, delayMs);
  try {
    const stream = randomName('bench');
    await createStream(env.clients.kinesis, stream, shards);
    const filled = await putAggregatedBacklog(env.clients.kinesis, stream, { records: backlog, perAggregate });
    console.error(`memory: put ${filled.records} records in ${filled.aggregates} aggregates in ${filled.putSeconds.toFixed(1)} s`);
    const small = await measure(env, proxy, stream, `${stream}-app`, budgetBytes, seconds);
    const atDefault = defaultBudgetBytes > 0 ? await measure(env, proxy, stream, `${stream}-default`, defaultBudgetBytes, seconds) : undefined;
    const MB = 1e6;
    const bound = (budget: number): number => budget + 150 * MB;
    return {
      scenario: 'memory',
      max_rss_mb: Math.round(small.maxRss / MB),
      budget_mb: Math.round(budgetBytes / MB),
      bound_mb: Math.round(bound(budgetBytes) / MB),
      within_bound: small.maxRss <= bound(budgetBytes) ? 'yes' : 'no',
      // Where the highest RSS was: the main thread's heap and its external memory; the rest is the worker
      // threads (their heaps and Parquet WASM memory), Node itself and malloc's free lists.
      at_max_rss_main_heap_mb: Math.round(small.atMaxRss.heap / MB),
      at_max_rss_main_external_mb: Math.round(small.atMaxRss.external / MB),
      max_budget_used_mb: Math.round(small.maxBudgetUsed / MB),
      // Records alone, without room reserved for reads in flight; the watermarks (80 % and 90 %) judge them plus process growth.
      max_budget_held_mb: Math.round(small.maxBudgetHeld / MB),
      // Process growth beside the records (worker threads, heaps, WASM, malloc), counted against the budget up to 65 %.
      max_budget_process_mb: Math.round(small.maxBudgetProcess / MB),
      paused_share_of_samples: small.pausedShare,
      pause_episodes: small.pauseEpisodes,
      paused_seconds_total: small.pausedSeconds,
      // The first step: a shard holding more than the average waits while the others read (between soft and high).
      shard_pauses: small.shardPauses,
      // Kinesis records (aggregates) the service read during the run, of backlog_aggregates.
      records_read: small.recordsRead,
      rss_samples: small.rssSamples,
      s3_requests: small.s3Requests,
      ...(atDefault
        ? {
            // The same scenario with the service's default budget, read again from the stream's start.
            default_budget_mb: Math.round(defaultBudgetBytes / MB),
            default_budget_bound_mb: Math.round(bound(defaultBudgetBytes) / MB),
            default_budget_max_rss_mb: Math.round(atDefault.maxRss / MB),
            default_budget_within_bound: atDefault.maxRss <= bound(defaultBudgetBytes) ? 'yes' : 'no',
            default_budget_max_held_mb: Math.round(atDefault.maxBudgetHeld / MB),
            default_budget_max_process_mb: Math.round(atDefault.maxBudgetProcess / MB),
            default_budget_paused_share_of_samples: atDefault.pausedShare,
            default_budget_records_read: atDefault.recordsRead,
          }
        : {}),
      shards,
      seconds,
      s3_delay_ms: delayMs,
      backlog_records: filled.records,
      backlog_aggregates: filled.aggregates,
    };
  } finally {
    await proxy.close();
    await env.stop();
  }
}
