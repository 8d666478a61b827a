#!/usr/bin/env node
/**
 * The `kinesis-lake` command. Configuration and usage mistakes exit with
 * status 2 and one line that names the field and says how to fix it.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { ConfigError, EXIT_CONFIG, MissingResourceError, errorMessage } from './errors.js';
import { UsageError, parseDurationMs, parseIntegerFlag, parseNumberFlag } from './cli/duration.js';

// Each command's modules load when that command runs: `run` (what ECS starts) then loads only the
// service, not the emulators, the chaos harness or the batch tools, and `--help` answers at once.

const USAGE = `usage: kinesis-lake <command> [options]

commands:
  run [--config FILE]          the service: consume KL_STREAM_NAME into the lake (what ECS starts)
  produce --stream S [--rate N] [--count N] [--keys N] [--seed N] [--bad-ratio R] [--ground-truth FILE]
                               put synthetic clickstream events
  demo [--duration 60s] [--rate 200] [--shards 2] [--flush-interval 10s] [--seed N] [--npm-only]
                               the whole pipeline on the embedded local AWS stack
  local-aws [--npm-only]       start the local AWS stack in the foreground and print its variables
  leases [--app NAME]          print the lease table (KL_APP_NAME by default)
  status [--app NAME] [--metrics URL ...]
                               per shard: owner, lag, checkpoint age, last error
  ddl [--database D] [--stream S] [--bucket B] [--table T]
                               print Athena CREATE EXTERNAL TABLE statements (partition projection)
  chaos [--duration 120s] [--workers 3] [--shards 8] [--seed N] [--rate 200] [--faults all|sigkill,...]
                               inject faults into a local run and reconcile the lake (exit 0 = exactly once)
  replay --from ISO --to ISO [--table T] [--restart] [--config FILE]
                               rebuild the cleansed zone from the raw zone for an arrival-time range
  redrive [--reason R] [--max N] [--dry-run] [--visibility-timeout 300s] [--config FILE]
                               re-process DLQ envelopes with the current code; land those that pass
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run': {
      const { values } = parseArgs({ args: rest, options: { config: { type: 'string' } } });
      const { runCommand } = await import('./cli/runCommand.js');
      return runCommand({ configFile: values.config });
    }
    case 'produce': {
      const { values } = parseArgs({
        args: rest,
        options: {
          stream: { type: 'string' },
          rate: { type: 'string' },
          count: { type: 'string' },
          keys: { type: 'string' },
          seed: { type: 'string' },
          'bad-ratio': { type: 'string' },
          'late-ratio': { type: 'string' },
          'ground-truth': { type: 'string' },
        },
      });
      const stream = values.stream ?? process.env.KL_STREAM_NAME;
      if (!stream) throw new UsageError('produce needs --stream NAME (or KL_STREAM_NAME)');
      const [{ createKinesisClient }, { produce }] = await Promise.all([import('./aws/kinesisClient.js'), import('./producer/producer.js')]);
      const client = createKinesisClient();
      const abort = new AbortController();
      process.once('SIGTERM', () => abort.abort());
      process.once('SIGINT', () => abort.abort());
      const result = await produce(client, {
        streamName: stream,
        rate: parseNumberFlag(values.rate, '--rate', 100),
        count: parseIntegerFlag(values.count, '--count', 1000, 1),
        keys: parseIntegerFlag(values.keys, '--keys', 1000, 1),
        seed: parseIntegerFlag(values.seed, '--seed', 1),
        badRatio: parseNumberFlag(values['bad-ratio'], '--bad-ratio', 0),
        lateRatio: parseNumberFlag(values['late-ratio'], '--late-ratio', 0.02),
        groundTruthPath: values['ground-truth'],
        signal: abort.signal,
      });
      client.destroy();
      process.stdout.write(JSON.stringify({ produced: result.produced, valid: result.valid, bad: result.bad }) + '\n');
      return 0;
    }
    case 'demo': {
      const { values } = parseArgs({
        args: rest,
        options: {
          duration: { type: 'string' },
          rate: { type: 'string' },
          shards: { type: 'string' },
          'flush-interval': { type: 'string' },
          seed: { type: 'string' },
          'work-dir': { type: 'string' },
          'npm-only': { type: 'boolean' },
        },
      });
      const { demoCommand } = await import('./cli/demoCommand.js');
      return demoCommand({
        durationMs: parseDurationMs(values.duration ?? '60s', '--duration'),
        rate: parseNumberFlag(values.rate, '--rate', 200, 1),
        shards: parseIntegerFlag(values.shards, '--shards', 2, 1),
        flushIntervalMs: parseDurationMs(values['flush-interval'] ?? '10s', '--flush-interval'),
        seed: parseIntegerFlag(values.seed, '--seed', 42),
        workDir: resolve(values['work-dir'] ?? '.local-aws/demo'),
        npmOnly: values['npm-only'] ?? false,
      });
    }
    case 'local-aws': {
      const { values } = parseArgs({ args: rest, options: { 'npm-only': { type: 'boolean' }, 'log-dir': { type: 'string' } } });
      const { localAwsCommand } = await import('./cli/localAwsCommand.js');
      return localAwsCommand({ logDir: resolve(values['log-dir'] ?? '.local-aws/logs'), npmOnly: values['npm-only'] ?? false });
    }
    case 'leases': {
      const { values } = parseArgs({ args: rest, options: { app: { type: 'string' }, watch: { type: 'string' } } });
      const appName = values.app ?? process.env.KL_APP_NAME ?? 'kinesis-lake';
      const { leasesCommand } = await import('./cli/leasesCommand.js');
      return leasesCommand({ appName, watchMs: parseDurationMs(values.watch ?? '2s', '--watch') });
    }
    case 'status': {
      const { values } = parseArgs({ args: rest, options: { app: { type: 'string' }, metrics: { type: 'string', multiple: true } } });
      const { statusCommand } = await import('./cli/statusCommand.js');
      return statusCommand({ appName: values.app ?? process.env.KL_APP_NAME ?? 'kinesis-lake', metricsUrls: values.metrics ?? [] });
    }
    case 'ddl': {
      const { values } = parseArgs({
        args: rest,
        options: { database: { type: 'string' }, stream: { type: 'string' }, bucket: { type: 'string' }, table: { type: 'string' } },
      });
      const stream = values.stream ?? process.env.KL_STREAM_NAME;
      const bucket = values.bucket ?? process.env.KL_BUCKET;
      if (!stream) throw new UsageError('ddl needs --stream NAME (or KL_STREAM_NAME)');
      if (!bucket) throw new UsageError('ddl needs --bucket NAME (or KL_BUCKET)');
      const [{ renderDdl }, { defaultTableName }] = await Promise.all([import('./cli/ddl.js'), import('./config/loadConfig.js')]);
      const table = values.table ?? process.env.KL_TABLE_NAME ?? defaultTableName(stream);
      process.stdout.write(renderDdl({ database: values.database ?? 'kinesis_lake', bucket, stream, table }) + '\n');
      return 0;
    }
    case 'chaos': {
      const { values } = parseArgs({
        args: rest,
        options: {
          duration: { type: 'string' },
          workers: { type: 'string' },
          shards: { type: 'string' },
          seed: { type: 'string' },
          rate: { type: 'string' },
          faults: { type: 'string' },
          'failover-ms': { type: 'string' },
          'drain-timeout': { type: 'string' },
          'work-dir': { type: 'string' },
        },
      });
      const seed = parseIntegerFlag(values.seed, '--seed', 1);
      const [{ chaosCommand }, { parseFaults }] = await Promise.all([import('./chaos/chaosCommand.js'), import('./chaos/schedule.js')]);
      let faults;
      try {
        faults = parseFaults(values.faults ?? 'all');
      } catch (err) {
        throw new UsageError(`--faults: ${errorMessage(err)}`);
      }
      return chaosCommand({
        durationMs: parseDurationMs(values.duration ?? '120s', '--duration'),
        workers: parseIntegerFlag(values.workers, '--workers', 3, 1),
        shards: parseIntegerFlag(values.shards, '--shards', 8, 1),
        seed,
        rate: parseNumberFlag(values.rate, '--rate', 200, 1),
        faults,
        failoverMs: parseIntegerFlag(values['failover-ms'], '--failover-ms', 3000, 1000),
        drainTimeoutMs: parseDurationMs(values['drain-timeout'] ?? '180s', '--drain-timeout'),
        workDir: resolve(values['work-dir'] ?? `.local-aws/chaos-${seed}`),
      });
    }
    case 'replay': {
      const { values } = parseArgs({ args: rest, options: { from: { type: 'string' }, to: { type: 'string' }, table: { type: 'string' }, restart: { type: 'boolean' }, config: { type: 'string' } } });
      const { replayCommand } = await import('./cli/replayCommand.js');
      return replayCommand({ configFile: values.config, from: values.from, to: values.to, table: values.table, restart: values.restart ?? false });
    }
    case 'redrive': {
      const { values } = parseArgs({ args: rest, options: { reason: { type: 'string' }, max: { type: 'string' }, 'dry-run': { type: 'boolean' }, 'visibility-timeout': { type: 'string' }, config: { type: 'string' } } });
      const { redriveCommand } = await import('./cli/redriveCommand.js');
      return redriveCommand({
        configFile: values.config,
        reason: values.reason,
        max: parseIntegerFlag(values.max, '--max', Number.MAX_SAFE_INTEGER, 1),
        dryRun: values['dry-run'] ?? false,
        visibilityTimeoutMs: visibilityTimeoutMs(values['visibility-timeout'] ?? '300s'),
      });
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}; run kinesis-lake --help`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof MissingResourceError || err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`kinesis-lake: ${errorMessage(err)}\n`);
      process.exit(EXIT_CONFIG);
    }
    process.stderr.write(`kinesis-lake: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

/** SQS takes a visibility timeout of 0 to 12 hours. */
function visibilityTimeoutMs(text: string): number {
  const ms = parseDurationMs(text, '--visibility-timeout');
  if (ms > 43_200_000) throw new UsageError(`--visibility-timeout ${JSON.stringify(text)} is invalid: SQS allows at most 12h`);
  return ms;
}
