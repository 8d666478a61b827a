/**
 * ShardConsumer against in-memory ports: its bookkeeping of the memory
 * budget and of forced cuts. (The adapters' own behaviour is tested against
 * the emulators; here only the consumer is under test.)
 */
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { HeldLease } from '../../src/checkpoint/heldLease.js';
import type { Lease } from '../../src/checkpoint/lease.js';
import type { GetRecordsResult, KinesisPort } from '../../src/consumer/kinesisPort.js';
import { MemoryBudget } from '../../src/consumer/memoryBudget.js';
import { BUDGET_BYTES_PER_DEAD_LETTER, BudgetFactor, SEGMENT_BUDGET_BYTES_PER_PAYLOAD_BYTE } from '../../src/consumer/pieceBudget.js';
import type { PieceInput, PieceOutput, PieceProcessor } from '../../src/consumer/pieceProcessor.js';
import type { StreamRecord } from '../../src/consumer/records.js';
import { ShardConsumer, type ShardConsumerSettings } from '../../src/consumer/shardConsumer.js';
import type { LakeWriter, SealedFile, SealedSegment, WrittenFile } from '../../src/sinks/lakeWriter.js';
import { leaseOf } from '../support/leases.js';
import { MemoryLeaseTable } from '../support/memoryLeaseTable.js';

const SHARD = 'shardId-000000000001';

function records(from: number, to: number): StreamRecord[] {
  return Array.from({ length: to - from + 1 }, (_, i) => ({
    shardId: SHARD,
    sequenceNumber: String(49_000 + from + i),
    subSequenceNumber: undefined,
    partitionKey: 'pk',
    explicitHashKey: undefined,
    arrivalMs: 1_000,
    data: new Uint8Array(100),
  }));
}

/** Serves the given batches once, then empty responses of a shard that is behind (so no idle window closes). */
function kinesisServing(batches: StreamRecord[][], beforeEachCall: (call: number) => void = () => undefined): KinesisPort {
  const left = [...batches];
  let calls = 0;
  return {
    describeStream: () => Promise.resolve({ status: 'ACTIVE', openShards: 1 }),
    listShards: () => Promise.resolve([]),
    getShardIterator: () => Promise.resolve('iterator'),
    getRecords: async (): Promise<GetRecordsResult> => {
      beforeEachCall(calls++);
      const batch = left.shift();
      if (!batch) await new Promise((resolve) => setTimeout(resolve, 10));
      const out = batch ?? [];
      return { records: out, nextIterator: 'iterator', millisBehindLatest: 1, childShardIds: [], bytes: out.length * 100 };
    },
  };
}

const processor: PieceProcessor = {
  process: (input: PieceInput): Promise<PieceOutput> =>
    Promise.resolve({
      raw: new Uint8Array(1),
      rawRecords: input.records.length,
      cleansed: [],
      dlq: [],
      lastSubSequenceNumber: undefined,
      counts: { userRecords: input.records.length, valid: input.records.length, invalid: 0, droppedOutOfRange: 0, byReason: {} },
    }),
  close: () => Promise.resolve(),
};

const settings: ShardConsumerSettings = {
  streamName: 'stream',
  cutRules: { intervalMs: 1e9, maxRecords: 5, maxBytes: 1e9 },
  segmentRules: { intervalMs: 1e9, maxRecords: 10, maxBytes: 1e9 },
  idleWaitMs: 10,
  idleCloseGraceMs: 1e9,
  maxRecordsPerCall: 1000,
  initialPosition: 'TRIM_HORIZON',
  initialTimestampMs: undefined,
  budgetBytesPerPayloadByte: 3,
};

/** A consumer of SHARD with the given lease and ports; the rest as every test here wants it. */
function consumerOf(deps: Omit<ConstructorParameters<typeof ShardConsumer>[0], 'shard' | 'settings' | 'logger' | 'processor'> & { processor?: PieceProcessor }): ShardConsumer {
  return new ShardConsumer({
    shard: { shardId: SHARD, parentShardId: undefined, adjacentParentShardId: undefined, startingHashKey: '0', endingHashKey: '1', endingSequenceNumber: undefined },
    processor,
    // Counted at the configured factor from the first read (not one more until measured), so the expected counts stay simple.
    budgetFactor: new BudgetFactor(settings.budgetBytesPerPayloadByte, 0),
    settings,
    logger: pino({ level: 'silent' }),
    ...deps,
  });
}

/** A table holding SHARD's lease, owned by 'w', and that lease as held. */
function heldBy(fields: Partial<Lease> = {}): { table: MemoryLeaseTable; held: HeldLease } {
  const table = new MemoryLeaseTable(leaseOf(SHARD, { leaseOwner: 'w', leaseCounter: 1, ...fields }));
  return { table, held: new HeldLease(table, 'w', table.lease(SHARD)) };
}

/** What a writer reports for `file` once it is durable. */
function writtenFile(file: SealedFile, deadLetters = 0): WrittenFile {
  return { rawKey: `raw/${file.lastSequence}`, rawBytes: 1, userRecords: file.kinesisRecords, deadLetters };
}

const tick = (ms = 30): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('ShardConsumer and the memory budget when the lease is lost', () => {
  it.each(['raw file', 'segment'] as const)('gives back every byte it held when the lease goes while a %s is being written', async (stage) => {
    const { table, held } = heldBy();
    const budget = new MemoryBudget(1e12);
    let unblock!: () => void;
    const blocked = new Promise<void>((resolve) => (unblock = resolve));
    const writer = {
      write: async (file: SealedFile): Promise<WrittenFile> => {
        // The second raw file ends the segment (5 records per file, 10 per segment).
        if (stage === 'raw file' && file.lastSequence === String(49_010)) await blocked;
        return writtenFile(file);
      },
      writeSegment: async (_segment: SealedSegment): Promise<number | undefined> => {
        if (stage === 'segment') await blocked;
        return undefined;
      },
    } as unknown as LakeWriter;
    const consumer = consumerOf({ lease: held, kinesis: kinesisServing([records(1, 10)]), writer, budget });
    const outcome = consumer.run();
    await tick();
    // The segment still holds its share of the budget (its raw lines' share goes as each raw file lands).
    expect(budget.heldBy(SHARD)).toBeGreaterThan(0);
    held.markLost('taken by another worker');
    unblock();
    expect((await outcome).reason).toBe('LEASE_LOST');
    expect(table.lease(SHARD).checkpoint).toBe('TRIM_HORIZON');
    expect(budget.usedBytes).toBe(0);
    expect(budget.heldBy(SHARD)).toBe(0);
  });
});

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the condition');
    await tick(10);
  }
}

describe('ShardConsumer and a forced cut an earlier owner announced', () => {
  it('makes no forced cut of its own before reaching it, and reaches it even with the budget full', async () => {
    // The earlier owner checkpointed 49000, announced a cut after 49008, and may have written that segment's files.
    const { table, held } = heldBy({ checkpoint: '49000', pendingCheckpoint: '49008', pendingCheckpointSubSequenceNumber: 0 });
    // Full before the first read: a consumer that waited for room would never read again.
    const budget = new MemoryBudget(1_000);
    budget.acquire(950, 'other shards');
    const segments: string[] = [];
    const writer = {
      write: (file: SealedFile): Promise<WrittenFile> => Promise.resolve(writtenFile(file)),
      writeSegment: (segment: SealedSegment): Promise<number | undefined> => {
        segments.push(`${segment.firstSequence}-${segment.lastSequence}${segment.forced ? ' forced' : ''}`);
        return Promise.resolve(undefined);
      },
    } as unknown as LakeWriter;
    const cutsTried: boolean[] = [];
    const made: { consumer?: ShardConsumer } = {};
    const kinesis = kinesisServing([records(1, 3), records(4, 12)], (call) => {
      // Memory pressure (or a shutdown) asks for a cut between the two reads, short of 49008.
      if (call === 1) cutsTried.push(made.consumer!.forceCut());
    });
    const consumer = (made.consumer = consumerOf({ lease: held, kinesis, writer, budget }));
    const outcome = consumer.run();
    try {
      await until(() => table.lease(SHARD).checkpoint === '49008');
      expect(cutsTried).toEqual([false]);
      // Reached, the inherited cut is cleared; this consumer announced none of its own.
      expect(table.lease(SHARD).pendingCheckpoint).toBeUndefined();
      expect(table.announced).toEqual([]);
      expect(segments[0]).toBe('49001-49008');
    } finally {
      consumer.abort();
      await outcome;
    }
  });
});

/** A writer that records each raw file as first-last, with what the lease said about it when the file was written. */
function announcingWriter(table: MemoryLeaseTable): { writer: LakeWriter; files: string[]; idleFiles: string[]; announcedAtWrite: (string | undefined)[]; segments: string[] } {
  const files: string[] = [];
  /** The files written marked as idle cuts (recorded on their objects for replay). */
  const idleFiles: string[] = [];
  const announcedAtWrite: (string | undefined)[] = [];
  const segments: string[] = [];
  const writer = {
    write: (file: SealedFile): Promise<WrittenFile> => {
      files.push(`${file.firstSequence}-${file.lastSequence}`);
      if (file.idleCut) idleFiles.push(`${file.firstSequence}-${file.lastSequence}`);
      announcedAtWrite.push(table.lease(SHARD).rawWrittenThrough);
      return Promise.resolve(writtenFile(file));
    },
    writeSegment: (segment: SealedSegment): Promise<number | undefined> => {
      segments.push(`${segment.firstSequence}-${segment.lastSequence}`);
      return Promise.resolve(undefined);
    },
  } as unknown as LakeWriter;
  return { writer, files, idleFiles, announcedAtWrite, segments };
}

/**
 * A consumer of SHARD at the tip after one batch of records 1-3 (arrived at 1 s): empty answers, not behind,
 * so idle windows close. Raw windows of 1 s, segment windows of 10 s, no grace; `during` runs inside each call.
 */
function idleConsumer(
  held: HeldLease,
  writer: LakeWriter,
  now: () => number,
  during: (call: number) => Promise<void> | void = () => undefined,
  batches: StreamRecord[][] = [records(1, 3)],
  extra: Partial<ShardConsumerSettings> = {},
): ShardConsumer {
  const tip = kinesisServing(batches);
  let calls = 0;
  const kinesis: KinesisPort = {
    ...tip,
    getRecords: async (shardId, iterator, limit) => {
      const out = await tip.getRecords(shardId, iterator, limit);
      await during(calls++);
      return { ...out, millisBehindLatest: 0 };
    },
  };
  return new ShardConsumer({
    shard: { shardId: SHARD, parentShardId: undefined, adjacentParentShardId: undefined, startingHashKey: '0', endingHashKey: '1', endingSequenceNumber: undefined },
    processor,
    budgetFactor: new BudgetFactor(settings.budgetBytesPerPayloadByte, 0),
    settings: { ...settings, cutRules: { ...settings.cutRules, intervalMs: 1000 }, segmentRules: { ...settings.segmentRules, intervalMs: 10_000 }, idleCloseGraceMs: 0, ...extra },
    logger: pino({ level: 'silent' }),
    lease: held,
    kinesis,
    writer,
    budget: new MemoryBudget(1e12),
    now,
  });
}

describe('ShardConsumer and the raw files it announces in the lease', () => {
  it('records each raw file\'s end before writing it, and the checkpoint clears what it passes', async () => {
    const { table, held } = heldBy();
    const { writer, files, announcedAtWrite } = announcingWriter(table);
    const consumer = consumerOf({ lease: held, kinesis: kinesisServing([records(1, 10)]), writer, budget: new MemoryBudget(1e12) });
    const outcome = consumer.run();
    try {
      await until(() => table.lease(SHARD).checkpoint === '49010');
      expect(files).toEqual(['49001-49005', '49006-49010']);
      expect(announcedAtWrite).toEqual(['49005', '49010']);
      expect(table.rawAnnounced.map((a) => `${a.lastSequence}${a.idleCut ? ' idle' : ''}`)).toEqual(['49005', '49010']);
      expect(table.lease(SHARD).rawWrittenThrough).toBeUndefined();
    } finally {
      consumer.abort();
      await outcome;
    }
  });

  it('announces an idle raw window\'s close as a cut to repeat, and an idle segment\'s close as a pending cut', async () => {
    const { table, held } = heldBy();
    const { writer, files, idleFiles, segments } = announcingWriter(table);
    let nowMs = 2_500;
    // Raw windows of 1 s, segment windows of 10 s: at 2.5 s only the raw window (ended at 2 s) has passed.
    const consumer = idleConsumer(held, writer, () => nowMs);
    const outcome = consumer.run();
    try {
      await until(() => files.length === 1);
      expect(files).toEqual(['49001-49003']);
      expect(idleFiles).toEqual(['49001-49003']);
      expect(table.rawAnnounced).toEqual([{ key: SHARD, lastSequence: '49003', idleCut: true }]);
      expect(table.lease(SHARD).rawIdleCuts).toEqual(['49003']);
      expect(table.announced).toEqual([]);
      nowMs = 10_500;
      await until(() => table.lease(SHARD).checkpoint === '49003');
      expect(table.announced).toEqual([{ key: SHARD, sequenceNumber: '49003' }]);
      expect(segments).toEqual(['49001-49003']);
      expect(table.lease(SHARD).rawIdleCuts).toBeUndefined();
    } finally {
      consumer.abort();
      await outcome;
    }
  });

  it('judges an idle window by when the empty call was made, not by when its answer was read', async () => {
    const { table, held } = heldBy();
    const { writer, files } = announcingWriter(table);
    let nowMs = 1_500;
    let release!: () => void;
    const held3 = new Promise<void>((resolve) => (release = resolve));
    let answered = 0;
    const consumer = idleConsumer(held, writer, () => nowMs, async (call) => {
      // Call 0 brings the records. Call 1 is made at 1.5 s, before the raw window's end (2 s), and answered
      // at 2.6 s: it says nothing of records that arrived meanwhile, so it may not close the window. Call 2,
      // made after the end, may; it waits until the test has looked.
      if (call === 1) nowMs = 2_600;
      if (call === 2) await held3;
      answered = call + 1;
    });
    const outcome = consumer.run();
    try {
      await until(() => answered >= 2);
      await tick(50);
      expect(files).toEqual([]);
      release();
      await until(() => files.length === 1);
      expect(files).toEqual(['49001-49003']);
    } finally {
      release();
      consumer.abort();
      await outcome;
    }
  });

  it('ends the segment at an idle close once the lease lists as many idle cuts as it may', async () => {
    const { table, held } = heldBy();
    const { writer, files, segments } = announcingWriter(table);
    // One record per raw window, each followed by an empty answer: every window closes idle.
    const trickle = [1, 2, 3, 4].flatMap((i) => [records(i, i).map((r) => ({ ...r, arrivalMs: i * 1000 })), []]);
    const consumer = idleConsumer(held, writer, () => 1e7, () => undefined, trickle, { segmentRules: { ...settings.segmentRules, intervalMs: 1e9 }, maxIdleCutsPerSegment: 2 });
    const outcome = consumer.run();
    try {
      await until(() => files.length === 4);
      expect(files).toEqual(['49001-49001', '49002-49002', '49003-49003', '49004-49004']);
      // The third close ends the segment (a pending cut), whose checkpoint clears the list; the fourth is idle again.
      expect(table.announced).toEqual([{ key: SHARD, sequenceNumber: '49003' }]);
      expect(segments).toEqual(['49001-49003']);
      expect(table.rawAnnounced.filter((a) => a.idleCut).map((a) => a.lastSequence)).toEqual(['49001', '49002', '49004']);
      await until(() => table.lease(SHARD).rawIdleCuts?.length === 1);
      expect(table.lease(SHARD).rawIdleCuts).toEqual(['49004']);
    } finally {
      consumer.abort();
      await outcome;
    }
  });

  it('closes an idle segment that the lease\'s pending cut held back once that cut is checkpointed, without another empty answer', async () => {
    const { table, held } = heldBy();
    const base = announcingWriter(table);
    let releaseFirst!: () => void;
    const firstSegmentGoes = new Promise<void>((resolve) => (releaseFirst = resolve));
    const writer = {
      write: (file: SealedFile) => base.writer.write(file),
      writeSegment: async (segment: SealedSegment) => {
        if (segment.lastSequence === '49003') await firstSegmentGoes;
        return base.writer.writeSegment(segment);
      },
    } as unknown as LakeWriter;
    let releaseReads!: () => void;
    const readsGo = new Promise<void>((resolve) => (releaseReads = resolve));
    let answered = 0;
    // Both windows have passed. Call 0 brings 1-3; call 1 is empty: the segment closes as a pending cut, whose
    // write waits. Call 2 brings 4-6; call 3 is empty, and its close is refused (the lease holds the first
    // cut). Call 4 is not answered during the test.
    const consumer = idleConsumer(
      held,
      writer,
      () => 20_000,
      async (call) => {
        if (call >= 4) await readsGo;
        answered = call + 1;
      },
      [records(1, 3), [], records(4, 6)],
    );
    const outcome = consumer.run();
    try {
      await until(() => answered === 4);
      await tick(50);
      expect(table.announced).toEqual([{ key: SHARD, sequenceNumber: '49003' }]);
      releaseFirst();
      await until(() => table.lease(SHARD).checkpoint === '49006');
      expect(answered).toBe(4);
      expect(base.segments).toEqual(['49001-49003', '49004-49006']);
      expect(table.announced).toEqual([
        { key: SHARD, sequenceNumber: '49003' },
        { key: SHARD, sequenceNumber: '49006' },
      ]);
    } finally {
      releaseFirst();
      releaseReads();
      consumer.abort();
      await outcome;
    }
  });

  it('taking over, repeats an earlier owner\'s idle cuts and makes no forced cut short of its last announced file', async () => {
    // The earlier owner checkpointed 49000, then wrote 49001-49003 (an idle cut) and 49004-49008, and died.
    const { table, held } = heldBy({ checkpoint: '49000', rawWrittenThrough: '49008', rawIdleCuts: ['49003'] });
    const { writer, files, idleFiles, segments } = announcingWriter(table);
    const cutsTried: boolean[] = [];
    const made: { consumer?: ShardConsumer } = {};
    const kinesis = kinesisServing([records(1, 2), records(3, 12)], (call) => {
      // A handoff or memory pressure asks for a cut between the two reads, inside the earlier owner's second file.
      if (call === 1) cutsTried.push(made.consumer!.forceCut());
    });
    const consumer = (made.consumer = consumerOf({ lease: held, kinesis, writer, budget: new MemoryBudget(1e12) }));
    const outcome = consumer.run();
    try {
      await until(() => table.lease(SHARD).checkpoint === '49010');
      expect(cutsTried).toEqual([false]);
      expect(files).toEqual(['49001-49003', '49004-49008', '49009-49010']);
      // The repeated idle cut is marked on its object as the earlier owner marked it.
      expect(idleFiles).toEqual(['49001-49003']);
      expect(segments).toEqual(['49001-49010']);
      // Files up to the earlier owner's announcement are its files again: only the new one is announced.
      expect(table.rawAnnounced.map((a) => a.lastSequence)).toEqual(['49010']);
      expect(table.announced).toEqual([]);
    } finally {
      consumer.abort();
      await outcome;
    }
  });
});

describe('ShardConsumer reading to an inherited cut with the budget full', () => {
  it('asks for about a MiB of records a call, not the configured limit', async () => {
    // An earlier owner wrote raw files through 49100; this consumer must read that far before any early cut.
    const { held } = heldBy({ checkpoint: '49000', rawWrittenThrough: '49100' });
    const budget = new MemoryBudget(1_000_000);
    budget.acquire(990_000, 'other shards');
    const limits: number[] = [];
    // Records of 100 KiB: a MiB is 10 of them.
    const big = (from: number, to: number): StreamRecord[] => records(from, to).map((r) => ({ ...r, data: new Uint8Array(100 * 1024) }));
    const batches = [big(1, 1), big(2, 11), big(12, 21)];
    const kinesis: KinesisPort = {
      ...kinesisServing([]),
      getRecords: async (_shard, _iterator, limit): Promise<GetRecordsResult> => {
        limits.push(limit);
        await tick(5);
        const out = batches.shift() ?? [];
        return { records: out, nextIterator: 'iterator', millisBehindLatest: 1, childShardIds: [], bytes: out.length * 100 * 1024 };
      },
    };
    const writer = { write: (file: SealedFile) => Promise.resolve(writtenFile(file)), writeSegment: () => Promise.resolve(undefined) } as unknown as LakeWriter;
    const consumer = consumerOf({ lease: held, kinesis, writer, budget });
    const outcome = consumer.run();
    try {
      await until(() => limits.length >= 3);
      // The first call knows no size yet (sized for 1 MiB records); then 10 records a call, though the budget
      // has no room and the configured limit is 1,000.
      expect(limits.slice(0, 3)).toEqual([1, 10, 10]);
    } finally {
      consumer.abort();
      await outcome;
    }
  });
});

describe('ShardConsumer and a GetRecords response that arrives after the lease went', () => {
  it('neither processes its records nor reports them (the shard\'s series are gone already)', async () => {
    const { held } = heldBy();
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    let calls = 0;
    const kinesis: KinesisPort = {
      ...kinesisServing([]),
      getRecords: async (): Promise<GetRecordsResult> => {
        calls++;
        await answered;
        const out = records(1, 5);
        return { records: out, nextIterator: 'iterator', millisBehindLatest: 1, childShardIds: [], bytes: 500 };
      },
    };
    const processed: number[] = [];
    const reads: number[] = [];
    const consumer = consumerOf({
      lease: held,
      kinesis,
      processor: { ...processor, process: (input) => (processed.push(input.records.length), processor.process(input)) },
      writer: { write: () => Promise.reject(new Error('nothing to write')), writeSegment: () => Promise.resolve(undefined) } as unknown as LakeWriter,
      budget: new MemoryBudget(1e12),
      observer: { onRecordsRead: (_shard, n) => void reads.push(n) },
    });
    const outcome = consumer.run();
    await until(() => calls === 1);
    held.markLost('taken by another worker');
    answer();
    expect((await outcome).reason).toBe('LEASE_LOST');
    expect(processed).toEqual([]);
    expect(reads).toEqual([]);
  });
});

describe('ShardConsumer and the shares of the room to read into', () => {
  it('leaves its share to the other shards while its reads bring nothing, and takes one again when records come', async () => {
    const { held } = heldBy();
    const budget = new MemoryBudget(100_000);
    budget.startReading('hot shard');
    const serve: StreamRecord[][] = [records(1, 3)];
    // The limit of each call, and whether the consumer was caught up when it asked.
    const asked: [number, boolean][] = [];
    let caughtUp = false;
    const kinesis: KinesisPort = {
      ...kinesisServing([]),
      getRecords: async (_shard, _iterator, limit): Promise<GetRecordsResult> => {
        asked.push([limit, caughtUp]);
        await tick(5);
        const out = serve.shift() ?? [];
        // At the tip once the records are served (an empty page while behind is a gap, not the tip).
        return { records: out, nextIterator: 'iterator', millisBehindLatest: out.length > 0 ? 1 : 0, childShardIds: [], bytes: out.length * 100 };
      },
    };
    // What the hot shard's next read may bring, each time this consumer has a response: [records, room, free below low].
    const seen: [number, number, number][] = [];
    const writer = {
      write: (file: SealedFile): Promise<WrittenFile> => Promise.resolve(writtenFile(file)),
      writeSegment: (): Promise<number | undefined> => Promise.resolve(undefined),
    } as unknown as LakeWriter;
    const consumer = consumerOf({
      lease: held,
      kinesis,
      writer,
      budget,
      observer: {
        onRecordsRead: (_shard, n) => {
          caughtUp = n === 0;
          seen.push([n, budget.readRoomBytes('hot shard'), 70_000 - budget.usedBytes]);
        },
      },
    });
    const outcome = consumer.run();
    try {
      await until(() => seen.filter(([n]) => n === 0).length >= 2);
      serve.push(records(4, 6));
      await until(() => seen.filter(([n]) => n > 0).length === 2);
      const [first, ...rest] = seen;
      // Reading records, it counts: the hot shard gets half of what is free below the low watermark.
      expect(first![1]).toBeCloseTo(first![2] / 2);
      const empty = rest.find(([n]) => n === 0)!;
      expect(empty[1]).toBeCloseTo(empty[2]);
      const again = rest.find(([n]) => n > 0)!;
      expect(again[1]).toBeCloseTo(again[2] / 2);
      // Its first call, the size of its records unknown, asked for as many 1 MiB records as its share holds: one.
      expect(asked[0]).toEqual([1, false]);
      // Caught up, its own reads still ask for no more than an even share with the hot shard
      // (a burst may wake every idle shard at once): 3 budget bytes per byte of its 100-byte records.
      const perRecord = 100 * settings.budgetBytesPerPayloadByte;
      const whileCaughtUp = asked.filter(([, c]) => c).map(([limit]) => limit);
      expect(whileCaughtUp.length).toBeGreaterThan(0);
      for (const limit of whileCaughtUp) expect(limit * perRecord).toBeLessThanOrEqual(70_000 / 2);
    } finally {
      consumer.abort();
      await outcome;
    }
  });
});

/** A writer whose raw files wait for `unblock()`; `written()` counts those made durable. */
function blockedWriter(deadLettersPerFile: (file: SealedFile) => number = () => 0): { writer: LakeWriter; unblock: () => void; written: () => number } {
  let unblock!: () => void;
  const blocked = new Promise<void>((resolve) => (unblock = resolve));
  let written = 0;
  const writer = {
    write: async (file: SealedFile): Promise<WrittenFile> => {
      await blocked;
      written++;
      return writtenFile(file, deadLettersPerFile(file));
    },
    writeSegment: (): Promise<number | undefined> => Promise.resolve(undefined),
  } as unknown as LakeWriter;
  return { writer, unblock, written: () => written };
}

describe('ShardConsumer and outputs larger than the budget assumed', () => {
  it('counts raw lines until their file is durable and column chunks until the checkpoint, at their measured size', async () => {
    const { held } = heldBy();
    const budget = new MemoryBudget(1e12);
    const { writer, unblock, written } = blockedWriter();
    // Raw lines of 4 bytes and column chunks of 2 bytes per payload byte (small events, KPL aggregates).
    const bulky: PieceProcessor = {
      ...processor,
      process: async (input) => {
        const payload = input.records.length * 100;
        return { ...(await processor.process(input)), raw: new Uint8Array(4 * payload), cleansed: [{ hour: '2026-11-23T10', rows: input.records.length, chunk: new Uint8Array(2 * payload) }] };
      },
    };
    // 3 records (processed while their file is open), then 2 that close it (processed once it is sealed).
    const consumer = consumerOf({ lease: held, kinesis: kinesisServing([records(1, 3), records(4, 5)]), writer, budget, processor: bulky });
    const outcome = consumer.run();
    try {
      const payload = 5 * 100;
      // Each piece counted 3 bytes per payload byte when read (too small to move the factor) and 6 once
      // processed: 4 for raw lines, 2 for column chunks.
      await until(() => budget.heldBy(SHARD) === 6 * payload);
      unblock();
      await until(() => written() === 1);
      // Durable: the raw lines went; the open segment keeps its column chunks.
      await until(() => budget.heldBy(SHARD) === 2 * payload);
    } finally {
      unblock();
      consumer.abort();
      await outcome;
    }
    expect(budget.heldBy(SHARD)).toBe(0);
  });
});

describe('ShardConsumer and dead letters in the memory budget', () => {
  it('counts each envelope until its raw file is durable, whether its piece was processed before or after the file was sealed', async () => {
    const { held } = heldBy();
    const budget = new MemoryBudget(1e12);
    const { writer, unblock, written } = blockedWriter((file) => file.kinesisRecords);
    // Every record is bad: one envelope each.
    const allBad: PieceProcessor = {
      ...processor,
      process: async (input) => ({ ...(await processor.process(input)), dlq: input.records.map((r) => ({ id: r.sequenceNumber, reason: 'invalid_json' })) }),
    };
    // 3 records (the file stays open while they are processed), then 2 that close it (processed once it is sealed).
    const consumer = consumerOf({ lease: held, kinesis: kinesisServing([records(1, 3), records(4, 5)]), writer, budget, processor: allBad });
    const outcome = consumer.run();
    try {
      const payloadShare = 5 * 100 * settings.budgetBytesPerPayloadByte;
      await until(() => budget.heldBy(SHARD) === payloadShare + 5 * BUDGET_BYTES_PER_DEAD_LETTER);
      unblock();
      await until(() => written() === 1);
      // Durable: the envelopes went with the raw file; the open segment keeps its share of the payload.
      await until(() => budget.heldBy(SHARD) === 5 * 100 * SEGMENT_BUDGET_BYTES_PER_PAYLOAD_BYTE);
    } finally {
      unblock();
      consumer.abort();
      await outcome;
    }
    expect(budget.heldBy(SHARD)).toBe(0);
  });
});
