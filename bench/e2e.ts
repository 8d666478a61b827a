/**
 * The real service (`node dist/cli.js run`, its own process) reading a pre-filled
 * kinesalite stream into the local S3 (moto) until every shard's checkpoint
 * reaches the last record; compared with a bare GetRecords drain of another
 * stream with the same records, measured first in the same run.
 *
 *   npm run bench -- e2e [--shards 4] [--records 200000] [--flush-ms 5000] [--nice 10]
 *
 * Two figures per service run: from spawn (node start-up, module loading,
 * lease table set-up included) and from the service's "kinesis-lake started"
 * log line, i.e. the throughput of reading, processing and writing alone.
 *
 * Two service runs, each on its own identical stream: one at the emulators'
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
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { numberArg } from './lib/args.js';
import { processCpuSeconds, processesCpuSeconds } from './lib/cpuTime.js';
import { drainStream } from './lib/drainLoop.js';
import type { Figures } from './lib/report.js';
import { serviceLog, startServiceProcess, waitForCheckpoints } from './lib/service.js';
import { filledStream, startBenchStack, type BenchStack, type FilledStream } from './lib/stack.js';

export const description =
  '`node dist/cli.js run` as its own process (2 processor threads, raw and cleansed windows of --flush-ms, PII key set), timed from TRIM_HORIZON until every checkpoint reaches the last record (once from spawn, once from its "started" log line), against a bare paced GetRecords drain of an identical stream in the same run. Target: e2e at least 0.8 x drain. All share the 2 cores with kinesalite, dynalite and moto; the `niced_` figures come from a second service run at a lower CPU priority than the emulators (`nice`), as AWS would not share the service\'s cores. Also the CPU seconds the service, the emulators and this process used (from /proc), and `ratio_bound_by_shared_cpu`: the best ratio that much work allows on this machine\'s cores, were none of them ever idle; and the share of a core kinesalite (one thread) got during the drain and during each service run.';

interface ServiceRun {
  seconds: number;
  secondsFromStarted: number;
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

async function timeService(env: BenchStack, filled: FilledStream, flushMs: number, niceness: number): Promise<ServiceRun> {
  const emulators0 = processesCpuSeconds(env.stack.pids);
  const kinesalite0 = processCpuSeconds(kinesalitePid(env));
  const bench0 = process.cpuUsage();
  const started = performance.now();
  const service = await startServiceProcess(
    env.clients,
    filled.stream,
    { KL_FLUSH_INTERVAL_MS: String(flushMs), KL_CLEANSED_FLUSH_INTERVAL_MS: String(flushMs) },
    niceness,
  );
  try {
    await waitForCheckpoints(env.clients, service.appName, filled, 180_000, () => service.child.exitCode === null, service.loggedCheckpoints);
    const seconds = (performance.now() - started) / 1000;
    const serviceCpuSeconds = processCpuSeconds(service.child.pid);
    const emulatorsCpuSeconds = processesCpuSeconds(env.stack.pids) - emulators0;
    const kinesaliteCpuSeconds = processCpuSeconds(kinesalitePid(env)) - kinesalite0;
    const benchCpuSeconds = cpuSecondsOf(process.cpuUsage(bench0));
    const doneAtMs = Date.now();
    const log = serviceLog(service);
    const startedLine = log.split('\n').find((l) => l.includes('"msg":"kinesis-lake started"'));
    const secondsFromStarted = startedLine ? (doneAtMs - Date.parse((JSON.parse(startedLine) as { time: string }).time)) / 1000 : NaN;
    return {
      seconds,
      secondsFromStarted,
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

export default async function run(args: string[]): Promise<Figures> {
  const shards = numberArg(args, 'shards', 4);
  const records = numberArg(args, 'records', 200_000);
  const flushMs = numberArg(args, 'flush-ms', 5_000);
  const niceness = numberArg(args, 'nice', 10);
  const env = await startBenchStack();
  try {
    const forDrain = await filledStream(env.clients, shards, records);
    const forService = await filledStream(env.clients, shards, records);
    const forNiced = await filledStream(env.clients, shards, records);
    const drainEmulators0 = processesCpuSeconds(env.stack.pids);
    const drainKinesalite0 = processCpuSeconds(kinesalitePid(env));
    const drainBench0 = process.cpuUsage();
    const drain = await drainStream(env.clients.kinesis, forDrain);
    const drainEmulatorsCpuSeconds = processesCpuSeconds(env.stack.pids) - drainEmulators0;
    const drainKinesaliteCpuSeconds = processCpuSeconds(kinesalitePid(env)) - drainKinesalite0;
    const drainBenchCpuSeconds = cpuSecondsOf(process.cpuUsage(drainBench0));
    const plain = await timeService(env, forService, flushMs, 0);
    const niced = await timeService(env, forNiced, flushMs, niceness);
    const drainRps = drain.records / drain.seconds;
    const ratio = (seconds: number) => forService.records / seconds / drainRps;
    const yesNo = (r: number) => (r >= 0.8 ? 'yes' : 'no');
    // Were the run's work spread over every core with none idle, it could take no less than this.
    const plainCpuSeconds = plain.serviceCpuSeconds + plain.emulatorsCpuSeconds + plain.benchCpuSeconds;
    const fastestSeconds = plainCpuSeconds / availableParallelism();
    const cpu = (x: number) => Number(x.toFixed(2));
    return {
      scenario: 'e2e',
      records_per_s: Math.round(forService.records / plain.seconds),
      drain_records_per_s: Math.round(drainRps),
      ratio_to_drain: Number(ratio(plain.seconds).toFixed(3)),
      meets_target_0_8: yesNo(ratio(plain.seconds)),
      records_per_s_after_startup: Math.round(forService.records / plain.secondsFromStarted),
      after_startup_ratio_to_drain: Number(ratio(plain.secondsFromStarted).toFixed(3)),
      meets_target_0_8_after_startup: yesNo(ratio(plain.secondsFromStarted)),
      niced_service_nice: niceness,
      niced_ratio_to_drain: Number(ratio(niced.seconds).toFixed(3)),
      niced_after_startup_ratio_to_drain: Number(ratio(niced.secondsFromStarted).toFixed(3)),
      niced_meets_target_0_8: yesNo(ratio(niced.seconds)),
      niced_meets_target_0_8_after_startup: yesNo(ratio(niced.secondsFromStarted)),
      records,
      shards,
      flush_window_ms: flushMs,
      raw_objects: plain.rawObjects,
      cleansed_objects: plain.cleansedObjects,
      e2e_seconds_incl_startup: Number(plain.seconds.toFixed(2)),
      e2e_seconds_after_startup: Number(plain.secondsFromStarted.toFixed(2)),
      niced_e2e_seconds_incl_startup: Number(niced.seconds.toFixed(2)),
      niced_e2e_seconds_after_startup: Number(niced.secondsFromStarted.toFixed(2)),
      drain_seconds: Number(drain.seconds.toFixed(2)),
      service_cpu_s: cpu(plain.serviceCpuSeconds),
      emulators_cpu_s_during_service: cpu(plain.emulatorsCpuSeconds),
      bench_cpu_s_during_service: cpu(plain.benchCpuSeconds),
      emulators_cpu_s_during_drain: cpu(drainEmulatorsCpuSeconds),
      bench_cpu_s_during_drain: cpu(drainBenchCpuSeconds),
      cores: availableParallelism(),
      ratio_bound_by_shared_cpu: Number(ratio(fastestSeconds).toFixed(3)),
      // kinesalite serves every GetRecords on one thread: the share of a core it gets decides how fast any reader
      // drains the stream. After start-up, the service's ratio follows the ratio of these shares.
      kinesalite_cpu_s_during_drain: cpu(drainKinesaliteCpuSeconds),
      kinesalite_core_share_during_drain: cpu(drainKinesaliteCpuSeconds / drain.seconds),
      kinesalite_cpu_s_during_service: cpu(plain.kinesaliteCpuSeconds),
      kinesalite_core_share_after_startup: cpu(plain.kinesaliteCpuSeconds / plain.secondsFromStarted),
      niced_kinesalite_core_share_after_startup: cpu(niced.kinesaliteCpuSeconds / niced.secondsFromStarted),
      niced_service_cpu_s: cpu(niced.serviceCpuSeconds),
      niced_emulators_cpu_s_during_service: cpu(niced.emulatorsCpuSeconds),
    };
  } finally {
    await env.stop();
  }
}
