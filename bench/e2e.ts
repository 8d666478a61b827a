/**
 * The real service (`node dist/bin/kinesis-lake.js run`, its own process) reading a pre-filled
 * kinesalite stream into the local S3 (moto) until every shard's checkpoint
 * reaches the last record; compared with a bare GetRecords drain of the same
 * stream, measured just before it in the same round.
 *
 *   npm run bench -- e2e [--shards 4] [--records 200000] [--flush-ms 5000] [--nice 10] [--rounds 3]
 *
 * Rounds (--rounds, default 3) each run the drain, the service, and the
 * service niced, one after the other on one stream (each service run with a
 * lease table of its own, so each reads from TRIM_HORIZON); each round's
 * ratios pair its runs, and the figures are the medians of the rounds: on
 * this shared machine one round's ratio moved between 0.58 and 0.81 from one
 * run to the next.
 *
 * Two figures per service run: from spawn (node start-up, module loading,
 * lease table set-up included) and from the service's "kinesis-lake started"
 * log line, i.e. the throughput of reading, processing and writing alone.
 *
 * Two service runs per round: one at the emulators'
 * CPU priority, and one with the service at `nice --nice` (default 10). On
 * this machine kinesalite shares the cores with the service, so every CPU
 * second the service spends is one kinesalite cannot spend serving it; the
 * drain has them to itself. In AWS the stream is served by other machines,
 * which the second run approximates by letting the emulators go first.
 *
 * The CPU seconds each side used (from /proc, Linux only) come with the
 * figures: the service's, the emulators' during the service run and during
 * the drain, and the best ratio those allow on this machine's cores, were
 * all that work spread over them perfectly (`ratio_bound_by_shared_cpu`);
 * and kinesalite's share of a core during the drain and after the service's
 * start-up: kinesalite answers on one thread, so that share sets the pace.
 *
 * `steady_` figures: the rate after the first tenth of the records has been
 * read (bench/lib/progress.ts), for the drain and the service alike: without
 * process start-up, lease set-up and the first round of reads, which
 * kinesalite answers for all shards together. The service is timed from when
 * its /metrics say it has read that tenth to its last checkpoint, so its JIT
 * warm-up, the wait for its first window to close and its final flush all
 * stay in. Whether it keeps up with a bare reader once reading shows here.
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { numberArg } from './lib/args.js';
import { median } from './lib/median.js';
import { processCpuSeconds, processesCpuSeconds } from './lib/cpuTime.js';
import { drainStream } from './lib/drainLoop.js';
import type { Figures } from './lib/report.js';
import { freePort } from '../src/local/localAws.js';
import { sleep } from '../src/consumer/backoff.js';
import { metricSum, scrapeMetrics } from './lib/metricsText.js';
import { steadyRate, WARM_UP_SHARE, type ProgressPoint } from './lib/progress.js';
import { serviceLog, startServiceProcess, waitForCheckpoints } from './lib/service.js';
import { filledStream, startBenchStack, type BenchStack, type FilledStream } from './lib/stack.js';

export const description =
  '`node dist/bin/kinesis-lake.js run` as its own process (2 processor threads, raw and cleansed windows of --flush-ms, PII key set), timed from TRIM_HORIZON until every checkpoint reaches the last record (once from spawn, once from its "started" log line), against a bare paced GetRecords drain of the same stream just before it; three rounds, the figures their medians. Target: e2e at least 0.8 x drain. All share the 2 cores with kinesalite, dynalite and moto; the `niced_` figures come from a second service run at a lower CPU priority than the emulators (`nice`), as AWS would not share the service\'s cores. Also the CPU seconds the service, the emulators and this process used (from /proc), and `ratio_bound_by_shared_cpu`: the best ratio that much work allows on this machine\'s cores, were none of them ever idle; and the share of a core kinesalite (one thread) got during the drain and during each service run. The `steady_` figures count both sides after the first tenth of the records has been read (the service from when its /metrics say so to its last checkpoint): without start-up and the first round of reads.';

interface ServiceRun {
  seconds: number;
  secondsFromStarted: number;
  /** Records per second from when WARM_UP_SHARE of them had been read to the end (bench/lib/progress.ts). */
  steadyRecordsPerS: number;
  rawObjects: number;
  cleansedObjects: number;
  /** CPU seconds of the service process, from spawn to the last checkpoint. */
  serviceCpuSeconds: number;
  /** CPU seconds of the emulators and of this process (its checkpoint polling) over the same time. */
  emulatorsCpuSeconds: number;
  /** kinesalite's alone, the single thread that serves every GetRecords. */
  kinesaliteCpuSeconds: number;
  benchCpuSeconds: number;
}

/** The stack starts kinesalite first (LocalAwsStack.pids). */
function kinesalitePid(env: BenchStack): number | undefined {
  return env.stack.pids[0];
}

function cpuSecondsOf(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1e6;
}

const READ_SAMPLE_MS = 100;

/**
 * Records the service has read, from its /metrics, every READ_SAMPLE_MS
 * until they reach `upTo`: only the start of the steady window needs them,
 * and each scrape costs the service and this process CPU on the shared cores.
 */
async function readProgress(port: number, upTo: number, alive: () => boolean): Promise<ProgressPoint[]> {
  const points: ProgressPoint[] = [];
  while (alive()) {
    const read = metricSum(await scrapeMetrics(port), 'kinesis_lake_records_read_total');
    if (read >= 0) points.push({ atMs: performance.now(), done: read });
    if (read >= upTo) break;
    await sleep(READ_SAMPLE_MS);
  }
  return points;
}

async function timeService(env: BenchStack, filled: FilledStream, flushMs: number, niceness: number, appName: string): Promise<ServiceRun> {
  const metricsPort = await freePort();
  const service = await startServiceProcess(
    env.clients,
    filled.stream,
    { KL_APP_NAME: appName, KL_FLUSH_INTERVAL_MS: String(flushMs), KL_CLEANSED_FLUSH_INTERVAL_MS: String(flushMs), KL_METRICS_PORT: String(metricsPort) },
    niceness,
  );
  // From the spawn, as the drain is timed from its first call: making the run's bucket and queue is the bench's set-up.
  const started = service.spawnedAtMs;
  const emulators0 = processesCpuSeconds(env.stack.pids);
  const kinesalite0 = processCpuSeconds(kinesalitePid(env));
  const bench0 = process.cpuUsage();
  const alive = () => service.child.exitCode === null;
  try {
    const reading = readProgress(metricsPort, filled.records * WARM_UP_SHARE, alive);
    await waitForCheckpoints(env.clients, service.appName, filled, 180_000, alive, service.loggedCheckpoints);
    const seconds = (performance.now() - started) / 1000;
    const serviceCpuSeconds = processCpuSeconds(service.child.pid);
    const emulatorsCpuSeconds = processesCpuSeconds(env.stack.pids) - emulators0;
    const kinesaliteCpuSeconds = processCpuSeconds(kinesalitePid(env)) - kinesalite0;
    const benchCpuSeconds = cpuSecondsOf(process.cpuUsage(bench0));
    const doneAtMs = Date.now();
    // Finished: every record, when the lease table showed every checkpoint at the end (the whole-run figure's end).
    const steadyRecordsPerS = steadyRate(await reading, [{ atMs: started + seconds * 1000, done: filled.records }], filled.records);
    const log = serviceLog(service);
    const startedLine = log.split('\n').find((l) => l.includes('"msg":"kinesis-lake started"'));
    const secondsFromStarted = startedLine ? (doneAtMs - Date.parse((JSON.parse(startedLine) as { time: string }).time)) / 1000 : NaN;
    return {
      seconds,
      secondsFromStarted,
      steadyRecordsPerS,
      rawObjects: log.split('raw object written').length - 1,
      cleansedObjects: log.split('cleansed object written').length - 1,
      serviceCpuSeconds,
      emulatorsCpuSeconds,
      kinesaliteCpuSeconds,
      benchCpuSeconds,
    };
  } finally {
    await service.stop();
  }
}

/** One round: the drain, then the service at the emulators' priority, then niced, all on the same stream. */
interface Round {
  drainSeconds: number;
  drainRps: number;
  drainSteadyRps: number;
  drainEmulatorsCpuSeconds: number;
  drainKinesaliteCpuSeconds: number;
  drainBenchCpuSeconds: number;
  plain: ServiceRun;
  niced: ServiceRun;
}

async function measureRound(env: BenchStack, filled: FilledStream, flushMs: number, niceness: number, round: number): Promise<Round> {
  const drainEmulators0 = processesCpuSeconds(env.stack.pids);
  const drainKinesalite0 = processCpuSeconds(kinesalitePid(env));
  const drainBench0 = process.cpuUsage();
  const drain = await drainStream(env.clients.kinesis, filled);
  const drainEmulatorsCpuSeconds = processesCpuSeconds(env.stack.pids) - drainEmulators0;
  const drainKinesaliteCpuSeconds = processCpuSeconds(kinesalitePid(env)) - drainKinesalite0;
  const drainBenchCpuSeconds = cpuSecondsOf(process.cpuUsage(drainBench0));
  // Each service run has a lease table of its own, so each reads the stream from TRIM_HORIZON like the drain.
  const plain = await timeService(env, filled, flushMs, 0, `${filled.stream}-r${round}-app`);
  const niced = await timeService(env, filled, flushMs, niceness, `${filled.stream}-r${round}-niced-app`);
  return {
    drainSeconds: drain.seconds,
    drainRps: drain.records / drain.seconds,
    drainSteadyRps: steadyRate(drain.progress, drain.progress, drain.records),
    drainEmulatorsCpuSeconds,
    drainKinesaliteCpuSeconds,
    drainBenchCpuSeconds,
    plain,
    niced,
  };
}

export default async function run(args: string[]): Promise<Figures> {
  const shards = numberArg(args, 'shards', 4);
  const records = numberArg(args, 'records', 200_000);
  const flushMs = numberArg(args, 'flush-ms', 5_000);
  const niceness = numberArg(args, 'nice', 10);
  const roundCount = numberArg(args, 'rounds', 3);
  const env = await startBenchStack();
  try {
    // One stream for every reader: Kinesis serves any number of readers from TRIM_HORIZON, and kinesalite
    // answers a repeated read as it answered the first, so filling one stream spares two fills per round.
    const filled = await filledStream(env.clients, shards, records);
    const rounds: Round[] = [];
    for (let round = 0; round < roundCount; round++) rounds.push(await measureRound(env, filled, flushMs, niceness, round));

    const mid = (f: (r: Round) => number) => median(rounds.map(f));
    const list = (f: (r: Round) => number, digits: number) => rounds.map((r) => f(r).toFixed(digits)).join(' ');
    const ratio = (r: Round, seconds: number) => records / seconds / r.drainRps;
    const yesNo = (x: number) => (x >= 0.8 ? 'yes' : 'no');
    const fixed = (x: number, digits: number) => Number(x.toFixed(digits));
    const cpu = (x: number) => fixed(x, 2);
    // Were a run's work spread over every core with none idle, it could take no less than this.
    const fastestSeconds = (r: Round) => (r.plain.serviceCpuSeconds + r.plain.emulatorsCpuSeconds + r.plain.benchCpuSeconds) / availableParallelism();
    const plainRatio = (r: Round) => ratio(r, r.plain.seconds);
    const plainAfterStartup = (r: Round) => ratio(r, r.plain.secondsFromStarted);
    const nicedRatio = (r: Round) => ratio(r, r.niced.seconds);
    const nicedAfterStartup = (r: Round) => ratio(r, r.niced.secondsFromStarted);
    const steadyRatio = (r: Round) => r.plain.steadyRecordsPerS / r.drainSteadyRps;
    const nicedSteadyRatio = (r: Round) => r.niced.steadyRecordsPerS / r.drainSteadyRps;
    return {
      scenario: 'e2e',
      records_per_s: Math.round(mid((r) => records / r.plain.seconds)),
      drain_records_per_s: Math.round(mid((r) => r.drainRps)),
      ratio_to_drain: fixed(mid(plainRatio), 3),
      meets_target_0_8: yesNo(mid(plainRatio)),
      records_per_s_after_startup: Math.round(mid((r) => records / r.plain.secondsFromStarted)),
      after_startup_ratio_to_drain: fixed(mid(plainAfterStartup), 3),
      meets_target_0_8_after_startup: yesNo(mid(plainAfterStartup)),
      niced_service_nice: niceness,
      niced_ratio_to_drain: fixed(mid(nicedRatio), 3),
      niced_after_startup_ratio_to_drain: fixed(mid(nicedAfterStartup), 3),
      niced_meets_target_0_8: yesNo(mid(nicedRatio)),
      niced_meets_target_0_8_after_startup: yesNo(mid(nicedAfterStartup)),
      // Sustained throughput: both sides counted after their first tenth of the records (progress.ts).
      steady_records_per_s: Math.round(mid((r) => r.plain.steadyRecordsPerS)),
      drain_steady_records_per_s: Math.round(mid((r) => r.drainSteadyRps)),
      steady_ratio_to_drain: fixed(mid(steadyRatio), 3),
      niced_steady_ratio_to_drain: fixed(mid(nicedSteadyRatio), 3),
      steady_warm_up_share: WARM_UP_SHARE,
      rounds: roundCount,
      rounds_ratio_to_drain: list(plainRatio, 3),
      rounds_after_startup_ratio_to_drain: list(plainAfterStartup, 3),
      rounds_steady_ratio_to_drain: list(steadyRatio, 3),
      rounds_niced_ratio_to_drain: list(nicedRatio, 3),
      rounds_drain_records_per_s: list((r) => r.drainRps, 0),
      records,
      shards,
      flush_window_ms: flushMs,
      raw_objects: mid((r) => r.plain.rawObjects),
      cleansed_objects: mid((r) => r.plain.cleansedObjects),
      e2e_seconds_incl_startup: fixed(mid((r) => r.plain.seconds), 2),
      e2e_seconds_after_startup: fixed(mid((r) => r.plain.secondsFromStarted), 2),
      niced_e2e_seconds_incl_startup: fixed(mid((r) => r.niced.seconds), 2),
      niced_e2e_seconds_after_startup: fixed(mid((r) => r.niced.secondsFromStarted), 2),
      drain_seconds: fixed(mid((r) => r.drainSeconds), 2),
      service_cpu_s: cpu(mid((r) => r.plain.serviceCpuSeconds)),
      emulators_cpu_s_during_service: cpu(mid((r) => r.plain.emulatorsCpuSeconds)),
      bench_cpu_s_during_service: cpu(mid((r) => r.plain.benchCpuSeconds)),
      emulators_cpu_s_during_drain: cpu(mid((r) => r.drainEmulatorsCpuSeconds)),
      bench_cpu_s_during_drain: cpu(mid((r) => r.drainBenchCpuSeconds)),
      cores: availableParallelism(),
      ratio_bound_by_shared_cpu: fixed(mid((r) => ratio(r, fastestSeconds(r))), 3),
      // kinesalite serves every GetRecords on one thread: the share of a core it gets decides how fast any reader
      // drains the stream. After start-up, the service's ratio follows the ratio of these shares.
      kinesalite_cpu_s_during_drain: cpu(mid((r) => r.drainKinesaliteCpuSeconds)),
      kinesalite_core_share_during_drain: cpu(mid((r) => r.drainKinesaliteCpuSeconds / r.drainSeconds)),
      kinesalite_cpu_s_during_service: cpu(mid((r) => r.plain.kinesaliteCpuSeconds)),
      kinesalite_core_share_after_startup: cpu(mid((r) => r.plain.kinesaliteCpuSeconds / r.plain.secondsFromStarted)),
      niced_kinesalite_core_share_after_startup: cpu(mid((r) => r.niced.kinesaliteCpuSeconds / r.niced.secondsFromStarted)),
      niced_service_cpu_s: cpu(mid((r) => r.niced.serviceCpuSeconds)),
      niced_emulators_cpu_s_during_service: cpu(mid((r) => r.niced.emulatorsCpuSeconds)),
    };
  } finally {
    await env.stop();
  }
}
