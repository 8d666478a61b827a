/**
 * `kinesis-lake demo`: the whole service on the embedded local stack.
 * Starts the emulators, creates a stream, table, bucket and queue, runs the
 * producer and the consumer together, then stops gracefully and checks the
 * lake against what was produced. Exit 0 only if nothing is missing.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalAws } from '../local/localAws.js';
import { createBucket, createQueue, createStream, randomName } from '../local/provision.js';
import { loadConfig } from '../config/loadConfig.js';
import { startService } from '../service.js';
import { produce } from '../producer/producer.js';
import { createLogger } from '../log.js';
import { S3ObjectStore } from '../sinks/objectStore.js';
import { readRawZone, recordIdentity } from '../sinks/rawReader.js';
import { compareSequence } from '../consumer/records.js';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { sleep } from '../consumer/backoff.js';
import { downloadCleansed } from '../lake/cleansedDownload.js';
import { lakeRowCounts, runLakeQueries } from '../lake/queries.js';
import { groundTruth, type ClickstreamEvent } from '../lake/groundTruth.js';
import { drainDeadLetters } from '../sinks/dlqDrain.js';
import { isDeepStrictEqual } from 'node:util';
import { createAwsClients } from '../aws/clients.js';

export interface DemoOptions {
  durationMs: number;
  rate: number;
  shards: number;
  flushIntervalMs: number;
  seed: number;
  workDir: string;
  /** The npm-only stack (fauxqs for S3 and SQS) even where moto is installed: what a laptop without Python gets. */
  npmOnly?: boolean;
}

export async function demoCommand(options: DemoOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const say = (line: string): void => void out.write(line + '\n');
  mkdirSync(options.workDir, { recursive: true });
  say(`kinesis-lake demo: starting the local AWS stack (logs in ${options.workDir})`);
  const stack = await startLocalAws({ logDir: options.workDir, preferNpmOnly: options.npmOnly ?? false });
  const savedEnv = { ...process.env };
  // Interrupted (Ctrl-C to this process alone, an IDE's stop button, kill): stop the emulators, then exit.
  const onSignal = (signal: NodeJS.Signals): void => {
    say(`kinesis-lake demo: ${signal} received: stopping the local AWS stack`);
    void stack.stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    Object.assign(process.env, stack.env);
    say(`  Kinesis ${stack.endpoints.kinesis} (kinesalite), DynamoDB ${stack.endpoints.dynamodb} (dynalite), S3 ${stack.endpoints.s3} (${stack.objectEmulator}), SQS ${stack.endpoints.sqs} (${stack.sqsEmulator})`);
    // Built after the stack's endpoints are in the environment, as the service builds its own.
    const clients = createAwsClients({ s3ForcePathStyle: true });
    const { kinesis, s3, sqs } = clients;
    const stream = randomName('demo-clicks');
    const bucket = randomName('demo-lake').toLowerCase();
    await createStream(kinesis, stream, options.shards);
    await createBucket(s3, bucket);
    const dlqUrl = await createQueue(sqs, randomName('demo-dlq'));
    say(`  stream ${stream} (${options.shards} shards), bucket ${bucket}, queue ${dlqUrl}`);

    const config = loadConfig({
      ...process.env,
      KL_STREAM_NAME: stream,
      KL_APP_NAME: `${stream}-app`,
      KL_BUCKET: bucket,
      KL_DLQ_URL: dlqUrl,
      KL_FLUSH_INTERVAL_MS: String(options.flushIntervalMs),
      KL_METRICS_PORT: '0',
      KL_WORKER_ID: 'demo-worker',
      KL_PII_KEY: process.env.KL_PII_KEY ?? 'demo-only-pii-key-not-secret',
      KL_CLEANSED_FLUSH_INTERVAL_MS: String(Math.max(options.flushIntervalMs, 30_000)),
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    });
    const logFile = join(options.workDir, 'service.log');
    const logger = createLogger({ level: config.logLevel, workerId: 'demo-worker', destination: createWriteStream(logFile) });
    const service = await startService(config, { logger });
    say(`  consumer started (service log: ${logFile}); producing ${options.rate} events/s for ${Math.round(options.durationMs / 1000)} s ...`);

    const started = Date.now();
    const produced = await produce(
      kinesis,
      { streamName: stream, rate: options.rate, count: Math.round((options.rate * options.durationMs) / 1000), keys: 1000, seed: options.seed, badRatio: 0.02, lateRatio: 0.03 },
      true,
    );
    const entries = produced.entries ?? [];
    const lastPerShard = new Map<string, string>();
    for (const e of entries) {
      const prev = lastPerShard.get(e.shardId);
      if (!prev || compareSequence(e.sequenceNumber, prev) > 0) lastPerShard.set(e.shardId, e.sequenceNumber);
    }
    // Wait until the consumer has read everything produced, then stop it gracefully (flush + checkpoint).
    const deadline = Date.now() + 120_000;
    let behind: string[] = [];
    for (;;) {
      const delivered = new Map(service.worker.consumers().map((c) => [c.shardId, c.lastDeliveredSequence]));
      behind = [...lastPerShard]
        .filter(([shard, last]) => {
          const d = delivered.get(shard);
          return d === undefined || compareSequence(d, last) < 0;
        })
        .map(([shard]) => shard);
      if (behind.length === 0 || Date.now() > deadline) break;
      await sleep(250);
    }
    if (behind.length > 0) say(`  the consumer had not read everything after 120 s: ${behind.join(', ')} still behind`);
    const caughtUpMs = Date.now() - started;
    await service.close();

    const store = new S3ObjectStore(s3, bucket);
    const objects = await readRawZone(store, stream);
    const found = new Map<string, string>();
    let duplicates = 0;
    for (const o of objects) {
      for (const r of o.records) {
        const id = recordIdentity(r);
        if (found.has(id)) duplicates++;
        found.set(id, createHash('sha256').update(r.data).digest('hex'));
      }
    }
    let missing = 0;
    let corrupted = 0;
    for (const e of entries) {
      const hash = found.get(recordIdentity({ shardId: e.shardId, sequenceNumber: e.sequenceNumber, subSequenceNumber: undefined }));
      if (hash === undefined) missing++;
      else if (hash !== e.sha256) corrupted++;
    }
    const rawBytes = objects.reduce((n, o) => n + o.size, 0);

    // Cleansed zone: DuckDB (our local Athena) over the Parquet files.
    const cleansedDir = join(options.workDir, 'lake');
    const cleansedFiles = await downloadCleansed(store, config.tableName, cleansedDir);
    const rows = await lakeRowCounts({ files: cleansedFiles });
    const results = await runLakeQueries({ files: cleansedFiles });
    const validEvents = entries.filter((e) => e.valid).map((e) => JSON.parse(Buffer.from(e.payloadBase64, 'base64').toString('utf8')) as ClickstreamEvent);
    const truth = groundTruth(validEvents);
    const queriesMatch = isDeepStrictEqual(JSON.parse(JSON.stringify(results)), JSON.parse(JSON.stringify(truth)));
    const dlq = await drainDeadLetters(sqs, dlqUrl);

    say('');
    say('Summary');
    say(`  records produced            ${produced.produced} (${produced.valid} valid, ${produced.bad} malformed on purpose)`);
    say(`  raw zone                    ${found.size} records read back from ${objects.length} objects (${(rawBytes / 1024).toFixed(1)} KiB gzipped)`);
    say(`    missing / duplicated / corrupted  ${missing} / ${duplicates} / ${corrupted}`);
    say(`  cleansed zone               ${rows.rows} rows in ${cleansedFiles.length} Parquet files (${rows.distinctRecords} distinct records)`);
    say(`  dead-letter queue           ${dlq.envelopes.size} envelopes (${dlq.messages} messages before de-duplication)`);
    say(`  time to read everything     ${(caughtUpMs / 1000).toFixed(1)} s after the producer started`);
    say('');
    say('The five business queries (DuckDB over the cleansed zone), checked against the producer\'s ground truth:');
    say(`  top viewed products         ${results.top_viewed_products.slice(0, 5).map((r) => `${r.product_id} (${r.page_views})`).join(', ')}`);
    say(`  hourly revenue              ${results.hourly_revenue.map((r) => `${r.event_date} ${String(r.event_hour).padStart(2, '0')}h: ${(r.revenue_cents / 100).toFixed(2)}`).join('; ')}`);
    say(`  conversion funnel           ${results.conversion_funnel.length} products; category performance ${results.category_performance.length} rows; user activity ${results.user_activity.map((r) => JSON.stringify(r)).join(' ')}`);
    say(`  all five equal the ground truth: ${queriesMatch ? 'yes' : 'NO'}`);
    // Each check that failed, in words: "FAILED" alone sends the reader to the logs without a lead.
    const failed = [
      behind.length > 0 && `shards still behind after 120 s: ${behind.join(', ')}`,
      missing > 0 && `${missing} records missing from the raw zone`,
      duplicates > 0 && `${duplicates} records in the raw zone more than once`,
      corrupted > 0 && `${corrupted} raw records differ from what was produced`,
      produced.produced === 0 && 'nothing was produced',
      rows.rows !== produced.valid && `${rows.rows} cleansed rows for ${produced.valid} valid records`,
      rows.distinctRecords !== rows.rows && `${rows.rows - rows.distinctRecords} cleansed rows duplicated`,
      dlq.envelopes.size !== produced.bad && `${dlq.envelopes.size} dead letters for ${produced.bad} malformed records`,
      !queriesMatch && 'the five queries differ from the ground truth',
    ].filter((f): f is string => typeof f === 'string');
    const ok =
      failed.length === 0 &&
      missing === 0 &&
      duplicates === 0 &&
      corrupted === 0 &&
      produced.produced > 0 &&
      rows.rows === produced.valid &&
      rows.distinctRecords === rows.rows &&
      dlq.envelopes.size === produced.bad &&
      queriesMatch;
    say(
      ok
        ? 'OK: every record is in the raw zone exactly once, byte for byte; every valid one in the cleansed zone once; every malformed one in the DLQ.'
        : `FAILED: the lake does not match what was produced: ${failed.join('; ')}. The service's log: ${logFile}.`,
    );
    clients.destroy();
    return ok ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.env = savedEnv;
    await stack.stop();
  }
}
