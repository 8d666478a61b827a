/**
 * Memory under a slow sink: 32 shards read at full rate (a backlog put
 * first, and a producer writing as fast as kinesalite takes it during the
 * run) while every S3 request is held 2 s by a proxy. The service runs as
 * its own process with KL_MEMORY_BUDGET_BYTES; its RSS is sampled every
 * 250 ms from /proc, its pause figures from /metrics.
 *
 *   npm run bench -- memory [--shards 32] [--seconds 40] [--budget-mib 256] [--backlog 100000] [--s3-delay-ms 2000]
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { freePort } from '../src/local/localAws.js';
import { produce } from '../src/producer/producer.js';
import { numberArg } from './lib/args.js';
import { metric, scrapeMetrics } from './lib/metricsText.js';
import type { Figures } from './lib/report.js';
import { startServiceProcess } from './lib/service.js';
import { startSlowProxy } from './lib/slowProxy.js';
import { filledStream, startBenchStack } from './lib/stack.js';

export const description =
  '32 shards, a pre-put backlog plus a producer at full speed, every S3 request delayed 2 s by a local proxy; the service (`node dist/cli.js run`) runs with KL_MEMORY_BUDGET_BYTES. Pass: max RSS <= budget + 150 MB. `paused_*` count the second step of backpressure (everyone stops above the high watermark), `shard_pauses` the first (between the soft and the high watermark the shards holding more than the average wait). `max_budget_used_mb` counts room reserved for reads in flight, `max_budget_held_mb` the records alone, which the watermarks judge: reads are sized to the room left, so the records can stay below the watermarks while the budget is full.';

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

export default async function run(args: string[]): Promise<Figures> {
  const shards = numberArg(args, 'shards', 32);
  const seconds = numberArg(args, 'seconds', 40);
  const budgetBytes = numberArg(args, 'budget-mib', 256) * 1024 * 1024;
  const backlog = numberArg(args, 'backlog', 100_000);
  const delayMs = numberArg(args, 's3-delay-ms', 2000);
  const env = await startBenchStack();
  const proxy = await startSlowProxy(env.stack.endpoints.s3, delayMs);
  try {
    const filled = await filledStream(env.clients, shards, backlog);
    const metricsPort = await freePort();
    const service = await startServiceProcess(env.clients, filled.stream, {
      AWS_ENDPOINT_URL_S3: proxy.url,
      KL_MEMORY_BUDGET_BYTES: String(budgetBytes),
      KL_METRICS_PORT: String(metricsPort),
      KL_FLUSH_INTERVAL_MS: '5000',
      KL_CLEANSED_FLUSH_INTERVAL_MS: '10000',
    });
    const pid = service.child.pid!;
    const samples: number[] = [];
    let pausedSamples = 0;
    let pausedTransitions = 0;
    let wasPaused = false;
    let maxBudgetUsed = 0;
    let maxBudgetHeld = 0;
    const abort = new AbortController();
    const producing = produce(env.clients.kinesis, { streamName: filled.stream, rate: 0, count: 10_000_000, keys: 10_000, seed: 7, badRatio: 0, signal: abort.signal });
    const started = performance.now();
    let lastMetrics = '';
    try {
      while (performance.now() - started < seconds * 1000 && service.child.exitCode === null) {
        samples.push(rssBytes(pid));
        const text = await scrapeMetrics(metricsPort);
        if (text) {
          lastMetrics = text;
          const paused = metric(text, 'kinesis_lake_backpressure_paused') === 1;
          if (paused) pausedSamples++;
          if (paused && !wasPaused) pausedTransitions++;
          wasPaused = paused;
          maxBudgetUsed = Math.max(maxBudgetUsed, metric(text, 'kinesis_lake_memory_budget_used_bytes') || 0);
          maxBudgetHeld = Math.max(maxBudgetHeld, metric(text, 'kinesis_lake_memory_budget_held_bytes') || 0);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      abort.abort();
      const produced = await producing.catch(() => ({ produced: 0 }));
      await service.stop();
      samples.push(0);
      console.error(`memory: produced ${produced.produced} during the run`);
    }
    const maxRss = Math.max(...samples);
    const bound = budgetBytes + 150 * 1e6;
    const MB = 1e6;
    return {
      scenario: 'memory',
      max_rss_mb: Math.round(maxRss / MB),
      budget_mb: Math.round(budgetBytes / MB),
      bound_mb: Math.round(bound / MB),
      within_bound: maxRss <= bound ? 'yes' : 'no',
      max_budget_used_mb: Math.round(maxBudgetUsed / MB),
      // Records alone, without room reserved for reads in flight: what the watermarks judge (80 % and 90 %).
      max_budget_held_mb: Math.round(maxBudgetHeld / MB),
      paused_share_of_samples: Number((pausedSamples / Math.max(1, samples.length - 1)).toFixed(3)),
      pause_episodes: pausedTransitions,
      paused_seconds_total: Number((metric(lastMetrics, 'kinesis_lake_backpressure_paused_seconds_total') || 0).toFixed(1)),
      // The first step: a shard holding more than the average waits while the others read (between soft and high).
      shard_pauses: metric(lastMetrics, 'kinesis_lake_backpressure_shard_pauses_total') || 0,
      rss_samples: samples.length - 1,
      shards,
      seconds,
      s3_delay_ms: delayMs,
      s3_requests: proxy.requests(),
      backlog_records: filled.records,
    };
  } finally {
    await proxy.close();
    await env.stop();
  }
}
