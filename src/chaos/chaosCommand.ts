/**
 * `kinesis-lake chaos`: proves exactly-once under faults on the local stack.
 * Starts the emulators with fault proxies in front of S3 and DynamoDB,
 * produces a ground-truth log (plain records, KPL aggregates, malformed
 * payloads), runs N worker processes, and injects the seed's schedule of
 * SIGKILL, SIGTERM, SIGSTOP past the failover time, split, merge, S3
 * SlowDown and DynamoDB throttling. Then it stops producing, waits (bounded)
 * for every shard's checkpoint to reach the last produced record, stops the
 * workers, and reconciles the lake against the ground truth. Exit 0 only if
 * the lake drained and reconciliation holds.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAwsClients } from '../aws/clients.js';
import { startLocalAws } from '../local/localAws.js';
import { startFaultProxy, type FaultProxy } from '../local/faultProxy.js';
import { createBucket, createQueue, createStream, randomName } from '../local/provision.js';
import { DynamoLeaseStore } from '../checkpoint/leaseStore.js';
import { S3ObjectStore } from '../sinks/objectStore.js';
import { compareSequence } from '../consumer/records.js';
import { sleep } from '../consumer/backoff.js';
import { seededRandom } from '../producer/random.js';
import { chaosProduce } from './producer.js';
import { buildSchedule, describeFault, type FaultName, type ScheduledFault } from './schedule.js';
import { WorkerPool } from './workers.js';
import { mergeRandomPair, splitRandomShard } from './reshard.js';
import { drainQueue, readCleansed, readObjects, saveObjects } from './collect.js';
import { reconcile } from './reconcile.js';
import { reportTable } from './report.js';
import { lastSequencePerShard } from './truth.js';

export interface ChaosOptions {
  durationMs: number;
  workers: number;
  shards: number;
  seed: number;
  /** Kinesis records per second. */
  rate: number;
  faults: readonly FaultName[];
  workDir: string;
  failoverMs: number;
  drainTimeoutMs: number;
}

const TABLE = 'events';
// The bundled CLI, as the image runs it (tools/bundle.mjs), whether this module runs bundled or not.
const CLI = fileURLToPath(new URL('../../dist/bin/kinesis-lake.js', import.meta.url));

interface FaultEvent {
  at: string;
  fault: string;
  outcome: string;
}

/** True once every shard's checkpoint is at or past its last produced record (or SHARD_END). */
async function drained(leases: DynamoLeaseStore, last: Map<string, string>): Promise<boolean> {
  const cps = new Map((await leases.listLeases()).map((l) => [l.leaseKey, l.checkpoint]));
  for (const [shard, seq] of last) {
    const cp = cps.get(shard);
    if (cp === undefined || cp === 'TRIM_HORIZON' || cp === 'LATEST' || cp === 'AT_TIMESTAMP') return false;
    if (cp !== 'SHARD_END' && compareSequence(cp, seq) < 0) return false;
  }
  return true;
}

export async function chaosCommand(o: ChaosOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const t0 = Date.now();
  const say = (line: string): void => void out.write(`[chaos +${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}\n`);
  rmSync(o.workDir, { recursive: true, force: true });
  mkdirSync(o.workDir, { recursive: true });
  const schedule = buildSchedule({ seed: o.seed, durationMs: o.durationMs, workers: o.workers, failoverMs: o.failoverMs, faults: o.faults });
  say(`seed ${o.seed}: ${o.workers} workers, ${o.shards} shards, ${o.durationMs / 1000}s at ${o.rate} records/s; work dir ${o.workDir}`);
  for (const f of schedule) say(`  planned: ${describeFault(f)}`);

  const stack = await startLocalAws({ logDir: join(o.workDir, 'emulators') });
  const proxies: FaultProxy[] = [];
  // The orchestrator's own clients take endpoints, region and credentials from the stack's variables.
  const savedEnv = { ...process.env };
  Object.assign(process.env, stack.env);
  const clients = createAwsClients({ s3ForcePathStyle: true });
  let pool: WorkerPool | undefined;
  try {
    const s3Proxy = await startFaultProxy({ target: stack.endpoints.s3, seed: o.seed * 31 + 1 });
    const dynamoProxy = await startFaultProxy({ target: stack.endpoints.dynamodb, seed: o.seed * 31 + 2 });
    proxies.push(s3Proxy, dynamoProxy);
    const stream = randomName(`chaos-${o.seed}`);
    const bucket = randomName(`chaos-${o.seed}`).toLowerCase();
    const appName = `${stream}-app`;
    await createStream(clients.kinesis, stream, o.shards);
    await createBucket(clients.s3, bucket);
    const dlqUrl = await createQueue(clients.sqs, randomName('chaos-dlq'));
    say(`stack up (S3: ${stack.objectEmulator}, SQS: ${stack.sqsEmulator}); stream ${stream}, bucket ${bucket}; S3 via ${s3Proxy.url}, DynamoDB via ${dynamoProxy.url}`);

    const workerEnv: Record<string, string> = {
      ...stack.env,
      AWS_ENDPOINT_URL_S3: s3Proxy.url,
      AWS_ENDPOINT_URL_DYNAMODB: dynamoProxy.url,
      KL_STREAM_NAME: stream,
      KL_APP_NAME: appName,
      KL_BUCKET: bucket,
      KL_DLQ_URL: dlqUrl,
      KL_TABLE_NAME: TABLE,
      KL_FAILOVER_MS: String(o.failoverMs),
      KL_FLUSH_INTERVAL_MS: '2000',
      KL_FLUSH_MAX_RECORDS: '800',
      KL_CLEANSED_FLUSH_INTERVAL_MS: '5000',
      KL_IDLE_CLOSE_GRACE_MS: '300',
      KL_IDLE_WAIT_MS: '200',
      KL_SHARD_SYNC_INTERVAL_MS: '2000',
      KL_SHUTDOWN_TIMEOUT_MS: '15000',
      KL_METRICS_PORT: '0',
      KL_WORKERS: '1',
      KL_PII_KEY: 'chaos-only-pii-key-not-secret',
      LOG_LEVEL: 'info',
    };
    pool = new WorkerPool(CLI, workerEnv, o.workDir, `chaos-${o.seed}-w`);
    for (let i = 0; i < o.workers; i++) pool.start(i);
    const workers = pool;

    const truthPath = join(o.workDir, 'ground-truth.jsonl');
    const stopProducing = new AbortController();
    const producing = chaosProduce(clients.kinesis, {
      streamName: stream,
      rate: o.rate,
      seed: o.seed,
      badRatio: 0.05,
      kplRatio: 0.15,
      corruptKplRatio: 0.01,
      keys: 2000,
      truthPath,
      signal: stopProducing.signal,
    });

    // The schedule's clock starts with the workers and the producer, not with the emulators' start-up.
    const runStart = Date.now();
    const events: FaultEvent[] = [];
    const reshardRng = seededRandom(o.seed * 101 + 3);
    const runFault = async (f: ScheduledFault): Promise<string> => {
      const w = f.worker ?? 0;
      switch (f.fault) {
        case 'sigkill':
          await workers.serialize(w, async () => {
            await workers.stop(w, 'SIGKILL');
            await sleep(1000);
            workers.start(w);
          });
          return `worker ${w} killed and restarted`;
        case 'sigterm':
          await workers.serialize(w, async () => {
            await workers.stop(w, 'SIGTERM');
            workers.start(w);
          });
          return `worker ${w} sent SIGTERM (exit ${workers.exits.at(-1)?.signal ?? workers.exits.at(-1)?.code}) and restarted`;
        case 'sigstop': {
          let stopped = false;
          await workers.serialize(w, async () => {
            stopped = workers.signal(w, 'SIGSTOP');
            await sleep(f.forMs ?? o.failoverMs * 2);
            if (stopped) workers.signal(w, 'SIGCONT');
          });
          return stopped ? `worker ${w} frozen for ${f.forMs} ms, then resumed` : `worker ${w} was not running`;
        }
        case 'split':
          return splitRandomShard(clients.kinesis, stream, reshardRng);
        case 'merge':
          return mergeRandomPair(clients.kinesis, stream, reshardRng);
        case 's3-slowdown': {
          const before = s3Proxy.stats();
          s3Proxy.setPlan({ faults: [{ kind: 's3-slowdown', probability: f.probability ?? 0.5 }] });
          await sleep(f.forMs ?? 5000);
          s3Proxy.setPlan({});
          const after = s3Proxy.stats();
          const hit = (after.faults['s3-slowdown'] ?? 0) - (before.faults['s3-slowdown'] ?? 0);
          return `S3 SlowDown p=${f.probability} for ${f.forMs} ms: ${hit} of ${after.requests - before.requests} S3 requests answered 503`;
        }
        case 'dynamodb-throttling': {
          const p = (f.probability ?? 0.5) / 2;
          const before = dynamoProxy.stats();
          const thrown = (x: typeof before): number => (x.faults['dynamodb-throttling'] ?? 0) + (x.faults['dynamodb-throughput'] ?? 0);
          dynamoProxy.setPlan({ faults: [{ kind: 'dynamodb-throttling', probability: p }, { kind: 'dynamodb-throughput', probability: p }] });
          await sleep(f.forMs ?? 5000);
          dynamoProxy.setPlan({});
          const after = dynamoProxy.stats();
          return `DynamoDB throttling p=${f.probability} for ${f.forMs} ms: ${thrown(after) - thrown(before)} of ${after.requests - before.requests} DynamoDB requests throttled`;
        }
      }
    };

    const running: Promise<void>[] = [];
    for (const f of schedule) {
      await sleep(runStart + f.atMs - Date.now());
      say(`fault: ${describeFault(f)}`);
      running.push(
        runFault(f).then(
          (outcome) => {
            events.push({ at: describeFault(f), fault: f.fault, outcome });
            say(`  done: ${outcome}`);
          },
          (err: unknown) => {
            const outcome = `failed: ${err instanceof Error ? err.message : String(err)}`;
            events.push({ at: describeFault(f), fault: f.fault, outcome });
            say(`  ${f.fault} ${outcome}`);
          },
        ),
      );
    }
    await sleep(runStart + o.durationMs - Date.now());
    stopProducing.abort();
    const produced = await producing;
    say(`producer stopped: ${produced.kinesisRecords} Kinesis records, ${produced.entries.length} user records (${produced.putErrors} put errors retried)`);
    await Promise.all(running);
    await workers.settle();
    s3Proxy.setPlan({});
    dynamoProxy.setPlan({});
    // A worker that died on its own is restarted so the drain can finish; the report lists the exit.
    for (let i = 0; i < o.workers; i++) if (!workers.running(i)) workers.start(i);

    const leases = new DynamoLeaseStore(clients.dynamodb, appName);
    const last = lastSequencePerShard(produced.entries);
    const drainStart = Date.now();
    let isDrained = false;
    while (Date.now() - drainStart < o.drainTimeoutMs) {
      if (await drained(leases, last).catch(() => false)) {
        isDrained = true;
        break;
      }
      await sleep(500);
    }
    const drainMs = Date.now() - drainStart;
    say(isDrained ? `every checkpoint reached the last produced record after ${(drainMs / 1000).toFixed(1)}s` : `drain timed out after ${drainMs} ms`);
    if (!isDrained) {
      const cps = new Map((await leases.listLeases()).map((l) => [l.leaseKey, `${l.checkpoint} owner=${l.leaseOwner ?? '-'}`]));
      for (const [shard, seq] of last) say(`  ${shard}: last produced ${seq}, lease ${cps.get(shard) ?? '(none)'}`);
    }
    await workers.stopAll(30_000);
    const unexpectedExits = workers.exits.filter((e) => !e.expected);
    const badStops = workers.exits.filter((e) => e.expected && e.signal === null && e.code !== 0);
    say(`workers stopped; exits: ${workers.exits.map((e) => `w${e.worker}:${e.signal ?? e.code}${e.expected ? '' : '(unexpected)'}`).join(' ')}`);

    // Everything below reads the emulators directly, never through the proxies.
    const store = new S3ObjectStore(clients.s3, bucket);
    const rawObjects = await readObjects(store, `raw/${stream}/`);
    const cleansedObjects = await readObjects(store, `cleansed/${TABLE}/`);
    say(`read ${rawObjects.length} raw and ${cleansedObjects.length} cleansed objects`);
    const cleansed = await readCleansed(saveObjects(cleansedObjects, join(o.workDir, 'lake')));
    say(`read ${cleansed.rows.length} cleansed rows; queries ${cleansed.queries ? 'ran' : 'did not run'}`);
    const dlqMessages = await drainQueue(clients.sqs, dlqUrl);
    say(`drained ${dlqMessages.length} DLQ messages`);
    if (cleansed.queryError) say(`queries could not run: ${cleansed.queryError}`);
    const report = reconcile({
      stream,
      produced: produced.entries,
      rawObjects,
      cleansedRows: cleansed.rows,
      cleansedUnreadable: cleansed.unreadable,
      cleansedFiles: cleansed.files,
      dlqMessages,
      lakeQueries: cleansed.queries,
    });
    const escalations = workers.escalations.filter((e) => e.signal === 'SIGTERM');
    const ok = report.ok && isDrained && unexpectedExits.length === 0 && badStops.length === 0 && escalations.length === 0;
    let text = '\n' + reportTable(report) + '\n';
    if (unexpectedExits.length > 0 || badStops.length > 0) text += `worker exits not caused by the run or not clean: ${JSON.stringify([...unexpectedExits, ...badStops])}\n`;
    if (escalations.length > 0) text += `graceful stops that needed SIGKILL: ${JSON.stringify(escalations)}\n`;
    if (!isDrained) text += 'the lake did not drain within the bound: FAILED\n';
    text +=
      JSON.stringify({
        chaos: {
          ok,
          seed: o.seed,
          durationMs: o.durationMs,
          workers: o.workers,
          shards: o.shards,
          rate: o.rate,
          faults: events,
          proxies: { s3: s3Proxy.stats(), dynamodb: dynamoProxy.stats() },
          workerExits: workers.exits,
          sigkillAfterSigterm: escalations,
          drained: isDrained,
          drainMs,
          kinesisRecords: produced.kinesisRecords,
        },
        reconcile: report,
      }) + '\n';
    out.write(text);
    // Kept next to the worker logs, so a failed run can be read after the fact.
    writeFileSync(join(o.workDir, 'report.txt'), text);
    return ok ? 0 : 1;
  } finally {
    if (pool) await pool.stopAll(5_000).catch(() => undefined);
    await Promise.all(proxies.map((p) => p.close()));
    clients.destroy();
    process.env = savedEnv;
    await stack.stop();
    say('local stack stopped');
  }
}
