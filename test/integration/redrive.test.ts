import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChangeMessageVisibilityCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { CLI, createLake, runCli, startServiceProcess, tempDir, waitFor, type Lake } from '../support/env.js';
import { checkpointsReached, lastProducedPerShard } from '../support/lakeCheck.js';
import { produce, type GroundTruthEntry } from '../../src/producer/producer.js';
import { defaultTableName } from '../../src/config/loadConfig.js';
import { DEFAULT_SCHEMA_DIR, envelopeId, type DlqEnvelope } from '../../src/processors/index.js';

interface Summary {
  dryRun: boolean;
  handled: number;
  landed: number;
  stillFailing: Record<string, number>;
  unreadable: number;
}

function summaryOf(stdout: string): Summary {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Summary;
}

/** A copy of the shipped schemas where user_id is no longer required: missing_field records become valid. */
function relaxedSchemaDir(): string {
  const dir = tempDir('kl-schemas-');
  cpSync(DEFAULT_SCHEMA_DIR, dir, { recursive: true });
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.schema.json'))) {
    const schema = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { required: string[] };
    schema.required = schema.required.filter((r) => r !== 'user_id');
    writeFileSync(join(dir, f), JSON.stringify(schema, null, 2));
  }
  return dir;
}

describe('redrive re-processes dead letters with the current schemas', () => {
  let lake: Lake;
  let table: string;
  let bad: GroundTruthEntry[];
  let env: Record<string, string>;
  /** Each dead letter's reason as the hot path gave it. */
  const originalReason = new Map<string, string>();

  const idOf = (e: GroundTruthEntry): string => envelopeId(lake.stream, e.shardId, e.sequenceNumber, undefined);

  async function queueDepth(): Promise<number> {
    const out = await lake.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: lake.dlqUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    return Number(out.Attributes?.ApproximateNumberOfMessages ?? '0');
  }

  async function redriveObjects(): Promise<string[]> {
    return (await lake.store.list(`cleansed/${table}/`)).map((o) => o.key).filter((k) => k.includes('/redrive-'));
  }

  beforeAll(async () => {
    lake = await createLake(2, { sqs: 'fauxqs' });
    table = defaultTableName(lake.stream);
    const result = await produce(lake.clients.kinesis, { streamName: lake.stream, rate: 0, count: 1500, keys: 300, seed: 21, badRatio: 0.2 }, true);
    bad = result.entries!.filter((e) => !e.valid);
    const svc = startServiceProcess(lake.env({ KL_FLUSH_INTERVAL_MS: '2000', KL_CLEANSED_FLUSH_INTERVAL_MS: '2000', KL_IDLE_CLOSE_GRACE_MS: '300' }));
    try {
      await waitFor('checkpoints to reach the last produced records', () => checkpointsReached(lake, lastProducedPerShard(result.entries!)), 90_000, 500);
    } finally {
      svc.child.kill('SIGTERM');
      expect((await svc.exited).code).toBe(0);
    }
    await waitFor('every dead letter in the queue', async () => (await queueDepth()) === bad.length, 30_000, 500);
    // Read every envelope once (held invisible meanwhile), then release them all: the hot path's reasons.
    const handles: string[] = [];
    for (let empties = 0; empties < 2; ) {
      const r = await lake.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: lake.dlqUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 120, WaitTimeSeconds: 1 }));
      const msgs = r.Messages ?? [];
      empties = msgs.length === 0 ? empties + 1 : 0;
      for (const m of msgs) {
        const e = JSON.parse(m.Body!) as DlqEnvelope;
        originalReason.set(e.id, e.reason);
        handles.push(m.ReceiptHandle!);
      }
    }
    for (const h of handles) await lake.clients.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: lake.dlqUrl, ReceiptHandle: h, VisibilityTimeout: 0 }));
    expect(originalReason.size).toBe(bad.length);
    env = lake.env({ KL_FLUSH_INTERVAL_MS: '2000', KL_CLEANSED_FLUSH_INTERVAL_MS: '2000', KL_SCHEMA_DIR: relaxedSchemaDir() });
  }, 240_000);

  afterAll(() => {
    for (const c of Object.values(lake.clients)) c.destroy();
  });

  it('--dry-run reports what would land and changes nothing', { timeout: 300_000 }, async () => {
    const missing = bad.filter((e) => e.badKind === 'missing_field').length;
    expect(missing).toBeGreaterThan(10);
    const out = await runCli(['redrive', '--dry-run'], env, 240_000);
    expect(out.code).toBe(0);
    const s = summaryOf(out.stdout);
    expect(s.dryRun).toBe(true);
    expect(s.handled).toBe(bad.length);
    expect(s.landed).toBe(missing);
    expect(await redriveObjects()).toEqual([]);
    expect(await queueDepth()).toBe(bad.length);
  });

  it('killed mid-run and run again, lands exactly the now-valid records once and returns the rest with attempt 2', async () => {
    const child = spawn(process.execPath, [CLI, 'redrive', '--visibility-timeout', '2s'], {
      env: { ...process.env, ...env, KL_TEST_REDRIVE_STALL_AFTER_MESSAGES: '40', NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise((res) => child.once('exit', res));
    await waitFor('the redrive to stall after 40 messages', async () => stdout.includes('redrive stalls here'), 60_000, 100);
    child.kill('SIGKILL');
    await exited;
    // Messages the killed run held come back once their visibility timeout passes.
    await new Promise((r) => setTimeout(r, 2500));

    const out = await runCli(['redrive'], env, 240_000);
    expect(out.code).toBe(0);
    expect(summaryOf(out.stdout).unreadable).toBe(0);

    const expectedLanded = bad.filter((e) => e.badKind === 'missing_field').map(idOf).sort();
    const landedIds = (await redriveObjects()).map((k) => /redrive-([0-9a-f]{64})\.parquet$/.exec(k)![1]!).sort();
    expect(landedIds).toEqual(expectedLanded);

    // Drain the queue: every other dead letter is there once, attempt 2, same reason.
    const left: DlqEnvelope[] = [];
    for (let empties = 0; empties < 2; ) {
      const r = await lake.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: lake.dlqUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 120, WaitTimeSeconds: 1 }));
      const msgs = r.Messages ?? [];
      empties = msgs.length === 0 ? empties + 1 : 0;
      for (const m of msgs) left.push(JSON.parse(m.Body!) as DlqEnvelope);
    }
    const stillBad = bad.filter((e) => e.badKind !== 'missing_field');
    expect(left.map((e) => e.id).sort()).toEqual(stillBad.map(idOf).sort());
    // One attempt more per run that handled it: the killed run's returns were handled again by the second run.
    const returnedByKilledRun = new Set(
      stdout
        .split('\n')
        .filter((l) => l.includes('"outcome":"failing"'))
        .map((l) => (JSON.parse(l) as { id: string }).id),
    );
    expect(returnedByKilledRun.size).toBeGreaterThan(0);
    for (const e of left) expect(e.attempt).toBe(returnedByKilledRun.has(e.id) ? 3 : 2);
    // The relaxed schema changes nothing else: each keeps the reason the hot path gave it.
    expect(left.filter((e) => e.reason !== originalReason.get(e.id)).map((e) => `${e.id}: ${e.reason}, was ${originalReason.get(e.id)}`)).toEqual([]);
  }, 480_000);
});
