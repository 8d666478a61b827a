import { describe, expect, it } from 'vitest';
import { TaskSlots } from '../../src/processors/taskSlots.js';

/** Lets every settled promise's callbacks run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('TaskSlots', () => {
  it('grants up to its capacity at once, then serves waiters in the order they asked', async () => {
    const slots = new TaskSlots(2);
    const granted: number[] = [];
    for (let i = 0; i < 5; i++) void slots.acquire().then(() => granted.push(i));
    await flush();
    expect(granted).toEqual([0, 1]);
    expect(slots.held).toBe(2);
    expect(slots.waiting).toBe(3);
    slots.release();
    await flush();
    expect(granted).toEqual([0, 1, 2]);
    slots.release();
    slots.release();
    await flush();
    expect(granted).toEqual([0, 1, 2, 3, 4]);
    expect(slots.waiting).toBe(0);
    expect(slots.held).toBe(2);
  });

  it('does not let a newcomer pass a waiter when a slot frees', async () => {
    const slots = new TaskSlots(1);
    const order: string[] = [];
    await slots.acquire();
    void slots.acquire().then(() => order.push('waiter'));
    slots.release();
    void slots.acquire().then(() => order.push('newcomer'));
    await flush();
    expect(order).toEqual(['waiter']);
    slots.release();
    await flush();
    expect(order).toEqual(['waiter', 'newcomer']);
  });

  it('resolves whenIdle only once every slot is back and nobody waits', async () => {
    const slots = new TaskSlots(2);
    await slots.acquire();
    await slots.acquire();
    const third = slots.acquire();
    let idle = false;
    void slots.whenIdle().then(() => (idle = true));
    slots.release(); // goes to the waiter
    await third;
    slots.release();
    await flush();
    expect(idle).toBe(false);
    slots.release();
    await flush();
    expect(idle).toBe(true);
    await expect(slots.whenIdle()).resolves.toBeUndefined();
  });

  it('refuses a release it never granted, and a capacity below one', () => {
    const slots = new TaskSlots(1);
    expect(() => slots.release()).toThrow(/released more often than it was acquired/);
    expect(() => new TaskSlots(0)).toThrow(/at least 1/);
    expect(() => new TaskSlots(1.5)).toThrow(/whole number/);
  });
});
