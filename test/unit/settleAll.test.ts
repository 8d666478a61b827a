import { describe, expect, it } from 'vitest';
import { settleAll } from '../../src/consumer/settleAll.js';

describe('settleAll', () => {
  it('starts every task at once and resolves when all are done', async () => {
    const started: number[] = [];
    const finish: Array<() => void> = [];
    const done = settleAll([0, 1, 2].map((i) => () => new Promise<void>((resolve) => { started.push(i); finish.push(resolve); })));
    expect(started).toEqual([0, 1, 2]);
    let settled = false;
    void done.then(() => (settled = true));
    finish[0]!();
    finish[2]!();
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    finish[1]!();
    await done;
    expect(settled).toBe(true);
  });

  it('throws the first failure only once every other task has settled', async () => {
    let slowDone = false;
    const first = new Error('first');
    const outcome = settleAll([
      () => Promise.reject(first),
      () => new Promise<void>((resolve) => setTimeout(() => { slowDone = true; resolve(); }, 20)),
      () => Promise.reject(new Error('second')),
    ]);
    await expect(outcome).rejects.toBe(first);
    expect(slowDone).toBe(true);
  });
});
