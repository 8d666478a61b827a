/**
 * KL_WORKER_NICENESS on Linux, as the service applies it: the threads the
 * process has (V8's, libuv's) and then the pool's worker threads go below
 * the main thread. A file of its own, so that no other pool's threads start
 * or end while the threads are listed. Runs dist/processors/worker.js
 * (`npm run build`).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { getPriority } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ProcessorPool } from '../../src/processors/pool.js';
import { lowerBackgroundThreadPriority } from '../../src/processors/threadPriority.js';
import { kinesisRecord, piece, testOptions, validJson } from '../support/processorFixtures.js';

/** Nice value of each of this process's threads (field 19 of /proc/self/task/<tid>/stat). */
function threadNiceValues(): Map<number, number> {
  return new Map(
    readdirSync('/proc/self/task').flatMap((tid): [number, number][] => {
      try {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        return [[Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])]];
      } catch {
        return []; // the thread ended while we listed them
      }
    }),
  );
}

describe.runIf(process.platform === 'linux')('thread priority', () => {
  // 0 first: without privileges a priority only goes down.
  for (const niceness of [0, 12]) {
    it(`runs the worker threads and the threads the process had before them ${niceness} steps nicer than the main thread`, async () => {
      const base = getPriority(process.pid);
      const target = Math.min(19, base + niceness);
      const before = threadNiceValues();
      const lowered = lowerBackgroundThreadPriority(niceness);
      expect(lowered).toBe(niceness === 0 ? undefined : before.size - 1);
      const pool = new ProcessorPool({ ...testOptions(), workers: 2, niceness });
      try {
        await Promise.all([0, 1, 2, 3].map((p) => pool.process(piece([kinesisRecord(validJson(p))]))));
        const after = threadNiceValues();
        const started = [...after].filter(([tid]) => !before.has(tid)).map(([, nice]) => nice);
        expect(started.filter((nice) => nice === target).length).toBeGreaterThanOrEqual(2);
        const others = [...after].filter(([tid]) => tid !== process.pid && before.has(tid));
        expect(others.length).toBeGreaterThan(0);
        for (const [tid, nice] of others) expect(nice, `thread ${tid}`).toBe(niceness === 0 ? before.get(tid) : target);
        expect(after.get(process.pid)).toBe(base);
      } finally {
        await pool.close();
      }
    });
  }
});
