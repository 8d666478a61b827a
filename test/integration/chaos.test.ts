/**
 * A short chaos run as part of `npm test`: the real command, its own local
 * stack and fault proxies, two workers on four shards, a fixed seed and a
 * reduced fault set (SIGKILL + restart, S3 SlowDown, DynamoDB throttling).
 * Exit 0 means the lake drained and reconciled exactly once.
 */
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/env.js';

interface ChaosLine {
  chaos: { ok: boolean; drained: boolean; faults: { fault: string; outcome: string }[] };
  reconcile: { ok: boolean; produced: { userRecords: number; kplUserRecords: number; malformed: number }; problems: string[] };
}

describe('chaos', () => {
  it('a 60 s run with SIGKILL, S3 SlowDown and DynamoDB throttling reconciles exactly once', async () => {
    const workDir = tempDir('kl-chaos-');
    const args = ['chaos', '--duration', '60s', '--workers', '2', '--shards', '4', '--seed', '11', '--rate', '150', '--faults', 'sigkill,s3-slowdown,dynamodb-throttling', '--drain-timeout', '150s', '--work-dir', workDir];
    // Its own stack; SQS on fauxqs, as moto's queue slows down with the ~1,000 dead letters a run leaves.
    const res = await runCli(args, { KL_LOCAL_SQS: 'fauxqs' }, 380_000);
    const line = res.stdout.split('\n').find((l) => l.startsWith('{"chaos"'));
    expect(line, `no JSON line; stdout:\n${res.stdout}\nstderr:\n${res.stderr}`).toBeDefined();
    const result = JSON.parse(line!) as ChaosLine;
    expect(result.reconcile.problems).toEqual([]);
    expect(result.chaos.drained).toBe(true);
    expect(result.chaos.faults.map((f) => f.fault).sort()).toEqual(['dynamodb-throttling', 's3-slowdown', 'sigkill']);
    expect(result.reconcile.produced.kplUserRecords).toBeGreaterThan(0);
    expect(result.reconcile.produced.malformed).toBeGreaterThan(0);
    expect(res.code, res.stdout).toBe(0);
  }, 400_000);
});
