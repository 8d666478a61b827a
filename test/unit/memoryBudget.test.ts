/**
 * The memory budget's two steps: between the soft and the high watermark
 * only the shards holding more than the average pause (biggest first);
 * from the high watermark everyone pauses until the low one. And the
 * relief the consumer applies then: the largest open segments cut early.
 * And what a raw file gives back to the budget once it is durable.
 */
import { describe, expect, it } from 'vitest';
import { MemoryBudget, PROCESS_PEAK_HALF_LIFE_MS } from '../../src/consumer/memoryBudget.js';
import { cutLargestSegments } from '../../src/consumer/pressureRelief.js';
import { BUDGET_BYTES_PER_PAYLOAD_BYTE, OpenFileBudget, SEGMENT_BUDGET_BYTES_PER_PAYLOAD_BYTE } from '../../src/consumer/pieceBudget.js';

/** Whether the wait resolved by the next macrotask. */
async function settled(p: Promise<void>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setTimeout(r, 0));
  return done;
}

describe('MemoryBudget', () => {
  it('lets every shard poll below the soft watermark', async () => {
    const b = new MemoryBudget(1000);
    b.acquire(700, 'big');
    b.acquire(50, 'small');
    expect(b.mustWait('big')).toBe(false);
    expect(await settled(b.waitForRoom(undefined, 'big'))).toBe(true);
  });

  it('between soft and high, pauses only the shards above the average, and cuts segments once per stretch', async () => {
    const b = new MemoryBudget(1000);
    let pressure = 0;
    b.onPressure(() => pressure++);
    b.acquire(600, 'big');
    b.acquire(150, 'mid');
    b.acquire(50, 'small'); // 800 used: soft; average 266
    expect(b.isPaused).toBe(false);
    const big = b.waitForRoom(undefined, 'big');
    expect(await settled(b.waitForRoom(undefined, 'mid'))).toBe(true);
    expect(await settled(b.waitForRoom(undefined, 'small'))).toBe(true);
    expect(await settled(big)).toBe(false);
    expect(b.ownerPauseCount).toBe(1);
    // A second biggest-first pause in the same stretch asks for no second round of cuts.
    void b.waitForRoom(undefined, 'big');
    expect(pressure).toBe(1);
    // The big shard's segment is written: it is no longer the biggest and the budget is under soft.
    b.release(500, 'big');
    expect(await settled(big)).toBe(true);
    expect(b.heldBy('big')).toBe(100);
  });

  it('wakes a biggest-first waiter once its share falls to the average, even above soft', async () => {
    const b = new MemoryBudget(1000);
    b.acquire(500, 'a');
    b.acquire(310, 'b'); // 810: a is above the average (405)
    const a = b.waitForRoom(undefined, 'a');
    expect(await settled(a)).toBe(false);
    b.release(100, 'a'); // 710 < soft
    expect(await settled(a)).toBe(true);
  });

  it('never pauses a lone shard at the soft step (it is the average) but does at the high one', async () => {
    const b = new MemoryBudget(1000);
    b.acquire(850, 'only');
    expect(b.mustWait('only')).toBe(false);
    b.acquire(60, 'only'); // 910: high
    expect(b.isPaused).toBe(true);
    expect(b.mustWait('only')).toBe(true);
  });

  it('above high pauses everyone, small shards too, until the low watermark (hysteresis), and counts the time', async () => {
    let now = 0;
    const realNow = Date.now;
    Date.now = () => now;
    try {
      const b = new MemoryBudget(1000);
      let pressure = 0;
      b.onPressure(() => pressure++);
      b.acquire(880, 'big');
      b.acquire(20, 'small'); // 900: high
      expect(b.isPaused).toBe(true);
      await Promise.resolve();
      expect(pressure).toBe(1);
      const small = b.waitForRoom(undefined, 'small');
      now = 5000;
      b.release(150, 'big'); // 750: still above low
      expect(await settled(small)).toBe(false);
      b.release(60, 'big'); // 690: below low
      expect(b.isPaused).toBe(false);
      expect(await settled(small)).toBe(true);
      expect(b.pausedMs(now)).toBe(5000);
    } finally {
      Date.now = realNow;
    }
  });

  it('calls the pressure listener after the step that crossed the high watermark, never inside acquire', async () => {
    // A consumer acquires piece by piece while it dispatches a batch already split into segments:
    // a forced cut in the middle would cut where a replay does not.
    const b = new MemoryBudget(1000);
    let dispatching = false;
    const seen: boolean[] = [];
    b.onPressure(() => seen.push(dispatching));
    dispatching = true;
    b.acquire(500, 'x');
    b.acquire(450, 'x'); // 950: high
    expect(seen).toEqual([]);
    dispatching = false;
    await Promise.resolve();
    expect(seen).toEqual([false]);
  });

  it('does not pause anyone for room reserved for a read in flight, only for bytes that arrive', async () => {
    const b = new MemoryBudget(1000);
    let pressure = 0;
    b.onPressure(() => pressure++);
    b.acquire(810, 'big'); // soft: a small shard may still poll
    b.reserve(150, 'small'); // 960 counted, but only as room for a response
    await Promise.resolve();
    expect(b.isPaused).toBe(false);
    expect(pressure).toBe(0);
    expect(b.usedBytes).toBe(960);
    expect(b.heldBytes).toBe(810);
    expect(b.excessBytes).toBe(110); // 810 held over the low watermark (700): the reservation frees nothing
    b.acquire(50, 'other'); // 860 held: another shard's bytes do not count the reservation either
    await Promise.resolve();
    expect(b.isPaused).toBe(false);
    expect(b.roomBytes).toBe(0);
    b.unreserve(150, 'small');
    b.acquire(50, 'small'); // 910 that arrived: high
    await Promise.resolve();
    expect(b.isPaused).toBe(true);
    expect(pressure).toBe(1);
  });

  it('gives each of many overlapping reads at least an even share of the room below the low watermark, and all of them no more than the limit', () => {
    const b = new MemoryBudget(1000);
    const shards = Array.from({ length: 32 }, (_, i) => `s${i}`);
    for (const s of shards) b.startReading(s);
    // Eight of them hold a byte; the others have read nothing yet, and must not be left out of the shares.
    for (const s of shards.slice(0, 8)) b.acquire(4, s);
    const fair = Math.floor((700 - 32) / 32);
    const reserved = shards.map((s) => {
      const r = Math.floor(b.readRoomBytes());
      b.reserve(r, s);
      return r;
    });
    // Half the room each would leave the tenth read a byte or two.
    for (const r of reserved) expect(r).toBeGreaterThanOrEqual(fair);
    expect(b.usedBytes).toBeLessThanOrEqual(1000);
    expect(b.isPaused).toBe(false);
    // One shard alone may still ask for half the room.
    const alone = new MemoryBudget(1000);
    alone.startReading('a');
    alone.acquire(100, 'a');
    expect(alone.readRoomBytes()).toBe(600);
    // Above low, an even share of half the room.
    alone.startReading('b');
    alone.acquire(750, 'b');
    expect(alone.readRoomBytes()).toBeCloseTo(150 / 4);
    alone.stopReading('b');
    expect(alone.readRoomBytes()).toBeCloseTo(150 / 2);
  });

  it('leaves caught-up readers out of the shares, and counts them again once a read brings records', () => {
    const b = new MemoryBudget(1000);
    const shards = Array.from({ length: 10 }, (_, i) => `s${i}`);
    for (const s of shards) b.startReading(s);
    expect(b.readRoomBytes()).toBeCloseTo(70);
    // Nine find nothing new: the hot one may read the room below the low watermark alone,
    // while each of the nine still asks for no more than an even share among all ten.
    for (const s of shards.slice(1)) b.readerCaughtUp(s, true);
    expect(b.readRoomBytes('s0')).toBeCloseTo(700);
    expect(b.readRoomBytes('s5')).toBeCloseTo(70);
    expect(b.readRoomBytes()).toBeCloseTo(700);
    b.readerCaughtUp('s1', true);
    expect(b.readRoomBytes()).toBeCloseTo(700);
    // One of them gets records again; another stops polling.
    b.readerCaughtUp('s2', false);
    expect(b.readRoomBytes()).toBeCloseTo(350);
    b.stopReading('s3');
    b.stopReading('s2');
    expect(b.readRoomBytes()).toBeCloseTo(700);
    // Every reader caught up (8 left): a burst that wakes them all gets even shares, as before.
    b.readerCaughtUp('s0', true);
    expect(b.readRoomBytes('s0')).toBeCloseTo(700 / 8);
    // An owner that never started reading changes nothing.
    b.readerCaughtUp('ghost', false);
    expect(b.readRoomBytes()).toBeCloseTo(700);
  });

  it('releases a waiter when its signal aborts, and forgets it', async () => {
    const b = new MemoryBudget(1000);
    b.acquire(950, 'x');
    const ac = new AbortController();
    const w = b.waitForRoom(ac.signal, 'x');
    ac.abort();
    expect(await settled(w)).toBe(true);
    expect(b.mustWait('x')).toBe(true);
  });

  it('counts process growth the records do not explain against the watermarks: it pauses reading and cuts segments', async () => {
    const b = new MemoryBudget(1000);
    let pressure = 0;
    b.onPressure(() => pressure++);
    b.acquire(300, 'a');
    b.observeProcessGrowth(500); // the records explain 300 of it
    expect(b.processBytes).toBe(200);
    expect(b.usedBytes).toBe(500);
    expect(b.roomBytes).toBe(500);
    expect(b.isPaused).toBe(false);
    b.observeProcessGrowth(950); // 300 + 650 (capped at 65 %): above the high watermark
    expect(b.processBytes).toBe(650);
    expect(b.isPaused).toBe(true);
    await Promise.resolve();
    expect(pressure).toBe(1);
    // Only records can be written out: the excess asked of the segments never passes what they hold.
    expect(b.excessBytes).toBe(250);
    b.observeProcessGrowth(990);
    expect(b.excessBytes).toBe(250);
    expect(b.heldBytes).toBe(300);
  });

  it('ends a pause once the records are written even while the process stays grown (its share is capped below the low watermark)', async () => {
    const b = new MemoryBudget(1000);
    b.acquire(400, 'a');
    b.observeProcessGrowth(2000);
    expect(b.isPaused).toBe(true);
    const waiting = b.waitForRoom(undefined, 'a');
    b.release(340, 'a'); // 60 held + 650: not yet at the low watermark (700)
    expect(b.isPaused).toBe(true);
    b.observeProcessGrowth(2000);
    b.release(20, 'a'); // 40 + 650 <= 700
    expect(b.isPaused).toBe(false);
    expect(await settled(waiting)).toBe(true);
  });

  it('lets a peak of process growth go by half every half-life, then ends the pause and wakes the waiters', async () => {
    const b = new MemoryBudget(1000);
    b.acquire(300, 'a');
    b.observeProcessGrowth(900, 0); // 300 held + 600
    expect(b.isPaused).toBe(true);
    const waiting = b.waitForRoom(undefined, 'a');
    b.observeProcessGrowth(500, 1); // a dip: the peak stands
    expect(b.processBytes).toBeCloseTo(600, 0);
    expect(b.isPaused).toBe(true);
    b.observeProcessGrowth(500, PROCESS_PEAK_HALF_LIFE_MS); // half the peak (300) is above what is measured now (200)
    expect(b.processBytes).toBeCloseTo(300, 6);
    expect(b.isPaused).toBe(false); // 300 + 300 <= 700
    expect(await settled(waiting)).toBe(true);
    b.observeProcessGrowth(750, PROCESS_PEAK_HALF_LIFE_MS * 3); // measured 450 is above the decayed peak: a new peak
    expect(b.processBytes).toBe(450);
  });

  it('counts the expected process growth until more is measured, and sizes reads to the room it leaves', () => {
    const b = new MemoryBudget(1000);
    b.startReading('a');
    b.startReading('b');
    const before = b.readRoomBytes('a');
    b.expectProcessGrowth(300);
    expect(b.processBytes).toBe(300);
    b.observeProcessGrowth(100); // less measured: the expectation stands
    expect(b.processBytes).toBe(300);
    expect(b.readRoomBytes('a')).toBe(before - 150);
    b.observeProcessGrowth(450);
    expect(b.processBytes).toBe(450);
    expect(b.roomBytes).toBe(550);
    b.expectProcessGrowth(5000); // never beyond the cap
    expect(b.processBytes).toBe(650);
  });

  it('refuses a process share that would keep a pause from ending', () => {
    expect(() => new MemoryBudget(1000, 0.9, 0.7, 0.8, 0.7)).toThrow('maxProcessShare must be in [0, lowWatermark), got 0.7');
    expect(() => new MemoryBudget(1000, 0.9, 0.7, 0.8, -0.1)).toThrow(RangeError);
  });

  it('keeps the total and per-shard counts consistent, never negative', () => {
    const b = new MemoryBudget(1000);
    b.acquire(100, 's');
    b.release(300, 's');
    expect(b.usedBytes).toBe(0);
    expect(b.heldBy('s')).toBe(0);
    expect(b.roomBytes).toBe(1000);
  });
});

describe('cutLargestSegments', () => {
  function shard(shardId: string, openSegmentBytes: number, canCut = true, drainingSegmentBytes = 0) {
    const s = { shardId, openSegmentBytes, drainingSegmentBytes, cuts: 0, forceCut: () => canCut && s.cuts++ === 0 };
    return s;
  }

  it('cuts the largest open segments first, only until the excess is covered', () => {
    const shards = [shard('a', 10), shard('b', 40), shard('c', 30), shard('d', 20)];
    expect(cutLargestSegments(shards, 60)).toEqual([
      { shardId: 'b', bytes: 40 },
      { shardId: 'c', bytes: 30 },
    ]);
    expect(shards.map((s) => s.cuts)).toEqual([0, 1, 1, 0]);
  });

  it('passes over a shard that cannot cut now and takes the next largest instead', () => {
    const shards = [shard('a', 50, false), shard('b', 20), shard('c', 10)];
    expect(cutLargestSegments(shards, 25)).toEqual([
      { shardId: 'b', bytes: 20 },
      { shardId: 'c', bytes: 10 },
    ]);
  });

  it('counts the bytes of segments already being written as freed, and cuts only for the rest', () => {
    const shards = [shard('a', 40), shard('b', 30), shard('c', 20, true, 50)];
    expect(cutLargestSegments(shards, 80)).toEqual([{ shardId: 'a', bytes: 40 }]);
    expect(cutLargestSegments([shard('a', 40, true, 80)], 80)).toEqual([]);
  });

  it('cuts nothing without an excess, and never an empty segment', () => {
    expect(cutLargestSegments([shard('a', 50)], 0)).toEqual([]);
    const empty = shard('e', 0);
    expect(cutLargestSegments([shard('a', 5), empty], 100)).toEqual([{ shardId: 'a', bytes: 5 }]);
    expect(empty.cuts).toBe(0);
  });
});

describe('OpenFileBudget (what a durable raw file gives back)', () => {
  it('releases what the file\'s pieces acquired, less their segment shares, and starts again', () => {
    const files = new OpenFileBudget();
    const segment = { budgetBytes: 0 };
    for (const payload of [1000, 333]) files.add(Math.ceil(payload * BUDGET_BYTES_PER_PAYLOAD_BYTE), Math.ceil(payload * SEGMENT_BUDGET_BYTES_PER_PAYLOAD_BYTE));
    // A processed piece's raw lines beyond its count: they leave with the file.
    files.add(77);
    const release = files.seal(segment)!;
    expect(release.owner).toBe(segment);
    expect(release.bytes).toBe(3000 + 999 + 77 - (1500 + 500));
    // The next file counts only its own pieces.
    files.add(300, 150);
    expect(files.seal(segment)!.bytes).toBe(150);
  });

  it('never releases more than was acquired, nor anything without a segment', () => {
    const files = new OpenFileBudget();
    files.add(100, 1500);
    expect(files.seal({ budgetBytes: 0 })!.bytes).toBe(0);
    files.add(100);
    expect(files.seal(undefined)).toBeUndefined();
    files.add(100, 10);
    files.clear();
    expect(files.seal({ budgetBytes: 0 })!.bytes).toBe(0);
  });
});
