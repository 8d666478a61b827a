import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { CLI, createLake, runCli, startServiceProcess, waitFor, type Lake } from '../support/env.js';
import { checkpointsReached, lastProducedPerShard } from '../support/lakeCheck.js';
import { deleteCleansed, diffSnapshots, snapshotCleansed } from '../support/cleansedSnapshot.js';
import { produce } from '../../src/producer/producer.js';
import { defaultTableName } from '../../src/config/loadConfig.js';

interface Summary {
  segmentsWritten: number;
  segmentsResumed: number;
  resumed: boolean;
  diverged: unknown[];
  conflicts: unknown[];
  openFiles: string[];
  skippedFiles: string[];
}

/** The summary is the last stdout line; log lines (JSON too) come before it. */
function summaryOf(stdout: string): Summary {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Summary;
}

describe('replay rebuilds the cleansed zone from the raw zone', () => {
  let lake: Lake;
  let env: Record<string, string>;
  let table: string;
  let hotPath: Map<string, Buffer>;
  let range: string[];

  beforeAll(async () => {
    lake = await createLake(2);
    table = defaultTableName(lake.stream);
    // Small count and window limits: many raw files per segment and many segments per shard.
    env = lake.env({
      KL_FLUSH_INTERVAL_MS: '5000',
      KL_FLUSH_MAX_RECORDS: '120',
      KL_CLEANSED_FLUSH_INTERVAL_MS: '5000',
      KL_CLEANSED_FLUSH_MAX_RECORDS: '500',
      KL_IDLE_CLOSE_GRACE_MS: '500',
    });
    const startedAt = Date.now();
    const first = await produce(lake.clients.kinesis, { streamName: lake.stream, rate: 0, count: 2500, keys: 800, seed: 11, badRatio: 0.03 }, true);
    const svc = startServiceProcess(env);
    // A second burst while the service runs, so segments also end on live window cuts.
    const second = await produce(lake.clients.kinesis, { streamName: lake.stream, rate: 1500, count: 1500, keys: 800, seed: 12, badRatio: 0.03 }, true);
    await waitFor('checkpoints to reach the last produced records', () => checkpointsReached(lake, lastProducedPerShard([...first.entries!, ...second.entries!])), 90_000, 500);
    svc.child.kill('SIGTERM');
    expect((await svc.exited).code).toBe(0);
    hotPath = await snapshotCleansed(lake, table);
    range = ['--from', new Date(startedAt - 60_000).toISOString(), '--to', new Date(Date.now() + 60_000).toISOString()];
  });

  afterAll(() => {
    for (const c of Object.values(lake.clients)) c.destroy();
  });

  it('writes the same keys with the same bytes as the hot path', async () => {
    expect(hotPath.size).toBeGreaterThan(4);
    expect(await deleteCleansed(lake, table)).toBe(hotPath.size);
    const out = await runCli(['replay', ...range], env, 120_000);
    expect(out.stderr).not.toContain('fatal');
    expect(out.code).toBe(0);
    const summary = summaryOf(out.stdout);
    expect(summary.diverged).toEqual([]);
    expect(summary.conflicts).toEqual([]);
    expect(summary.openFiles).toEqual([]);
    expect(summary.skippedFiles).toEqual([]);
    expect(diffSnapshots(hotPath, await snapshotCleansed(lake, table))).toEqual({ missing: [], extra: [], different: [] });
  });

  it('replaying over existing objects adopts their spans and changes nothing', async () => {
    const out = await runCli(['replay', ...range], env, 120_000);
    expect(out.code).toBe(0);
    expect(diffSnapshots(hotPath, await snapshotCleansed(lake, table))).toEqual({ missing: [], extra: [], different: [] });
  });

  it('killed mid-run and run again, ends with the same result and resumes from its marker', async () => {
    await deleteCleansed(lake, table);
    const child = spawn(process.execPath, [CLI, 'replay', ...range], {
      env: { ...process.env, ...env, KL_TEST_REPLAY_STALL_AFTER_SEGMENTS: '2', NODE_NO_WARNINGS: '1' },
      stdio: 'ignore',
    });
    const exited = new Promise((res) => child.once('exit', res));
    await waitFor('the replay progress marker', async () => (await lake.store.list('replay/_progress/')).length > 0, 60_000, 200);
    child.kill('SIGKILL');
    await exited;
    const partial = await snapshotCleansed(lake, table);
    expect(partial.size).toBeGreaterThan(0);
    expect(partial.size).toBeLessThan(hotPath.size);
    const out = await runCli(['replay', ...range], env, 120_000);
    expect(out.code).toBe(0);
    const summary = summaryOf(out.stdout);
    expect(summary.resumed).toBe(true);
    expect(summary.segmentsResumed).toBeGreaterThanOrEqual(1);
    expect(diffSnapshots(hotPath, await snapshotCleansed(lake, table))).toEqual({ missing: [], extra: [], different: [] });
    expect(await lake.store.list('replay/_progress/')).toEqual([]);
  });
});
