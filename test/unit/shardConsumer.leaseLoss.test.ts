/**
 * ShardConsumer against in-memory ports: what happens to the memory budget
 * when the lease goes while a segment is being written. (The adapters'
 * own behaviour is tested against the emulators; here only the consumer's
 * bookkeeping is under test.)
 */
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { HeldLease } from '../../src/checkpoint/heldLease.js';
import type { Lease } from '../../src/checkpoint/lease.js';
import type { LeaseStore } from '../../src/checkpoint/leaseStore.js';
import type { GetRecordsResult, KinesisPort } from '../../src/consumer/kinesisPort.js';
import { MemoryBudget } from '../../src/consumer/memoryBudget.js';
import type { PieceInput, PieceOutput, PieceProcessor } from '../../src/consumer/pieceProcessor.js';
import type { StreamRecord } from '../../src/consumer/records.js';
import { ShardConsumer, type ShardConsumerSettings } from '../../src/consumer/shardConsumer.js';
import { LeaseLostError } from '../../src/errors.js';
import type { LakeWriter, SealedFile, SealedSegment, WrittenFile } from '../../src/sinks/lakeWriter.js';
import { leaseOf } from '../support/leases.js';

const SHARD = 'shardId-000000000001';

/** Fenced like DynamoLeaseStore: every write needs the current counter and owner. */
class MemoryLeaseStore implements LeaseStore {
  readonly tableName = 'memory';
  lease: Lease = leaseOf(SHARD, { leaseOwner: 'w', leaseCounter: 1 });

  private fenced(held: Lease, owner: string, change: Partial<Lease>): Promise<Lease> {
    if (held.leaseCounter !== this.lease.leaseCounter || this.lease.leaseOwner !== owner) return Promise.reject(new LeaseLostError(SHARD));
    this.lease = { ...this.lease, ...change, leaseCounter: this.lease.leaseCounter + 1 };
    return Promise.resolve({ ...this.lease });
  }
  ensureTable = (): Promise<void> => Promise.resolve();
  listLeases = (): Promise<Lease[]> => Promise.resolve([this.lease]);
  getLease = (): Promise<Lease | undefined> => Promise.resolve(this.lease);
  createLeaseIfNotExists = (): Promise<boolean> => Promise.resolve(false);
  takeLease = (): Promise<Lease | undefined> => Promise.resolve(undefined);
  renewLease = (held: Lease, owner: string): Promise<Lease> => this.fenced(held, owner, {});
  prepareCheckpoint = (held: Lease, owner: string, p: { sequenceNumber: string; subSequenceNumber: number | undefined }): Promise<Lease> =>
    this.fenced(held, owner, { pendingCheckpoint: p.sequenceNumber, pendingCheckpointSubSequenceNumber: p.subSequenceNumber ?? 0 });
  checkpoint = (held: Lease, owner: string, checkpoint: string, sub: number): Promise<Lease> => this.fenced(held, owner, { checkpoint, checkpointSubSequenceNumber: sub });
  releaseLease = async (held: Lease, owner: string): Promise<void> => {
    await this.fenced(held, owner, { leaseOwner: undefined });
  };
  requestHandoff = (): Promise<boolean> => Promise.resolve(false);
  setChildShardIds = (): Promise<void> => Promise.resolve();
  deleteLease = (): Promise<void> => Promise.resolve();
}

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
function kinesisServing(batches: StreamRecord[][]): KinesisPort {
  const left = [...batches];
  return {
    describeStream: () => Promise.resolve({ status: 'ACTIVE', openShards: 1 }),
    listShards: () => Promise.resolve([]),
    getShardIterator: () => Promise.resolve('iterator'),
    getRecords: async (): Promise<GetRecordsResult> => {
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

const tick = (ms = 30): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('ShardConsumer and the memory budget when the lease is lost', () => {
  it.each(['raw file', 'segment'] as const)('gives back every byte it held when the lease goes while a %s is being written', async (stage) => {
    const store = new MemoryLeaseStore();
    const held = new HeldLease(store, 'w', store.lease);
    const budget = new MemoryBudget(1e12);
    let unblock!: () => void;
    const blocked = new Promise<void>((resolve) => (unblock = resolve));
    const writer = {
      write: async (file: SealedFile): Promise<WrittenFile> => {
        // The second raw file ends the segment (5 records per file, 10 per segment).
        if (stage === 'raw file' && file.lastSequence === String(49_010)) await blocked;
        return { rawKey: `raw/${file.lastSequence}`, rawBytes: 1, userRecords: file.kinesisRecords, deadLetters: 0 };
      },
      writeSegment: async (_segment: SealedSegment): Promise<number | undefined> => {
        if (stage === 'segment') await blocked;
        return undefined;
      },
    } as unknown as LakeWriter;
    const consumer = new ShardConsumer({
      shard: { shardId: SHARD, parentShardId: undefined, adjacentParentShardId: undefined, startingHashKey: '0', endingHashKey: '1', endingSequenceNumber: undefined },
      lease: held,
      kinesis: kinesisServing([records(1, 10)]),
      processor,
      writer,
      budget,
      settings,
      logger: pino({ level: 'silent' }),
    });
    const outcome = consumer.run();
    await tick();
    // The segment still holds its share of the budget (its raw lines' share goes as each raw file lands).
    expect(budget.heldBy(SHARD)).toBeGreaterThan(0);
    held.markLost('taken by another worker');
    unblock();
    expect((await outcome).reason).toBe('LEASE_LOST');
    expect(store.lease.checkpoint).toBe('TRIM_HORIZON');
    expect(budget.usedBytes).toBe(0);
    expect(budget.heldBy(SHARD)).toBe(0);
  });
});
