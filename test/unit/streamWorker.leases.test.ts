/**
 * StreamWorker's lease keeping against an in-memory lease table fenced like
 * DynamoDB's, where single calls can be made to hang: a hung call must not
 * keep a worker reading a shard it can no longer prove it owns, and
 * shutdown must neither keep a lease taken meanwhile nor wait on a hung call.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { GetRecordsResult, KinesisPort } from '../../src/consumer/kinesisPort.js';
import { MemoryBudget } from '../../src/consumer/memoryBudget.js';
import type { PieceInput, PieceOutput, PieceProcessor } from '../../src/consumer/pieceProcessor.js';
import { StreamWorker } from '../../src/consumer/streamWorker.js';
import type { LakeWriter } from '../../src/sinks/lakeWriter.js';
import { leaseOf } from '../support/leases.js';
import { MemoryLeaseTable } from '../support/memoryLeaseTable.js';

const FAILOVER_MS = 600;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Counts GetRecords calls per shard; every response is empty, from a shard that is behind. */
class CountingKinesis implements KinesisPort {
  readonly polls = new Map<string, number>();
  constructor(private readonly shardIds: string[]) {}
  describeStream = (): Promise<{ status: string; openShards: number }> => Promise.resolve({ status: 'ACTIVE', openShards: this.shardIds.length });
  listShards = (): ReturnType<KinesisPort['listShards']> =>
    Promise.resolve(this.shardIds.map((shardId) => ({ shardId, parentShardId: undefined, adjacentParentShardId: undefined, startingHashKey: '0', endingHashKey: '1', endingSequenceNumber: undefined })));
  getShardIterator = (): Promise<string> => Promise.resolve('iterator');
  getRecords = async (shardId: string): Promise<GetRecordsResult> => {
    this.polls.set(shardId, (this.polls.get(shardId) ?? 0) + 1);
    await sleep(5);
    return { records: [], nextIterator: 'iterator', millisBehindLatest: 1, childShardIds: [], bytes: 0 };
  };
}

const processor: PieceProcessor = {
  process: (input: PieceInput): Promise<PieceOutput> =>
    Promise.resolve({ raw: new Uint8Array(0), rawRecords: input.records.length, cleansed: [], dlq: [], lastSubSequenceNumber: undefined, counts: { userRecords: 0, valid: 0, invalid: 0, droppedOutOfRange: 0, byReason: {} } }),
  close: () => Promise.resolve(),
};
const writer = { write: () => Promise.reject(new Error('nothing to write')), writeSegment: () => Promise.resolve(undefined) } as unknown as LakeWriter;

function workerOn(table: MemoryLeaseTable, kinesis: KinesisPort, workerId = 'worker-a', now?: () => number, failoverMs = FAILOVER_MS): StreamWorker {
  return new StreamWorker({
    workerId,
    ...(now ? { now } : {}),
    kinesis,
    leases: table,
    processor,
    writer,
    budget: new MemoryBudget(1e12),
    failoverMs,
    takeIntervalMs: 100,
    shardSyncIntervalMs: 1e9,
    staggerFlushWindows: false,
    logger: pino({ level: 'silent' }),
    settings: {
      streamName: 'stream',
      cutRules: { intervalMs: 1e9, maxRecords: 1e9, maxBytes: 1e12 },
      segmentRules: { intervalMs: 1e9, maxRecords: 1e9, maxBytes: 1e12 },
      idleWaitMs: 20,
      idleCloseGraceMs: 1e9,
      maxRecordsPerCall: 100,
      initialPosition: 'TRIM_HORIZON',
      initialTimestampMs: undefined,
      budgetBytesPerPayloadByte: 1,
    },
  });
}

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(10);
  }
}

const workers: StreamWorker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.close(500)));
});

describe('StreamWorker lease keeping', () => {
  it('stops reading a shard whose renewal hangs, while its other leases keep renewing', async () => {
    const table = new MemoryLeaseTable();
    table.leases.set('shard-1', leaseOf('shard-1'));
    table.leases.set('shard-2', leaseOf('shard-2'));
    const kinesis = new CountingKinesis(['shard-1', 'shard-2']);
    const worker = workerOn(table, kinesis);
    workers.push(worker);
    await worker.start();
    await until(() => worker.heldShardIds().length === 2, 'both leases are held');
    // Every call about shard-1 from now on hangs (its table partition, say), so the worker cannot take it back either.
    table.hang = (_op, key) => key === 'shard-1';
    const counter2 = table.counter('shard-2');
    // Another worker may take shard-1 one failover period after its last renewal: this one must have let go by then.
    await until(() => !worker.heldShardIds().includes('shard-1'), 'shard-1 is dropped', 10 * FAILOVER_MS);
    const polled = kinesis.polls.get('shard-1') ?? 0;
    await sleep(FAILOVER_MS);
    expect(kinesis.polls.get('shard-1') ?? 0).toBe(polled);
    expect(worker.heldShardIds()).toEqual(['shard-2']);
    expect(table.counter('shard-2')).toBeGreaterThan(counter2);
  });

  it('times leases on a monotonic clock: a wall-clock step does not make a lease look expired', async () => {
    const failoverMs = 3_000;
    const table = new MemoryLeaseTable();
    // Owned by a worker that has stopped renewing: it expires one failover period after it is first seen.
    table.leases.set('shard-1', leaseOf('shard-1', { leaseOwner: 'gone', leaseCounter: 7 }));
    let step = 0;
    const worker = workerOn(table, new CountingKinesis(['shard-1']), 'worker-b', () => Date.now() + step, failoverMs);
    workers.push(worker);
    await worker.start();
    await sleep(100);
    step = 10 * failoverMs; // NTP, or a VM resumed
    await sleep(500);
    expect(table.owner('shard-1')).toBe('gone');
    await until(() => table.owner('shard-1') === 'worker-b', 'the lease expires after a failover period of real time', 3 * failoverMs);
  });

  it('hands a lease to the worker that asked for it even when only the table scan has shown the request', async () => {
    const table = new MemoryLeaseTable();
    table.leases.set('shard-1', leaseOf('shard-1'));
    table.renewHidesHandoff = true;
    const worker = workerOn(table, new CountingKinesis(['shard-1']));
    workers.push(worker);
    await worker.start();
    await until(() => worker.heldShardIds().length === 1, 'the lease is held');
    expect(await table.requestHandoff(table.leases.get('shard-1')!, 'worker-b')).toBe(true);
    await until(() => table.releases.length === 1, 'the lease is released');
    expect(table.releases[0]).toEqual({ key: 'shard-1', to: 'worker-b' });
    expect(table.owner('shard-1')).toBe('worker-b');
  });

  it('reports itself leasing (what /readyz asks) only from a finished start to the start of shutdown', async () => {
    const table = new MemoryLeaseTable();
    table.leases.set('shard-1', leaseOf('shard-1'));
    table.delayMs = (op) => (op === 'take' ? 200 : 0);
    const worker = workerOn(table, new CountingKinesis(['shard-1']));
    expect(worker.isLeasing).toBe(false);
    const started = worker.start();
    await sleep(50);
    expect(worker.isLeasing).toBe(false);
    await started;
    expect(worker.isLeasing).toBe(true);
    const closed = worker.close(1_000);
    expect(worker.isLeasing).toBe(false);
    await closed;
  });

  it('gives back a lease whose take was still on its way when shutdown began', async () => {
    const table = new MemoryLeaseTable();
    // The shard is not listed: its lease appears in the table later (made by another worker).
    const kinesis = new CountingKinesis([]);
    const worker = workerOn(table, kinesis);
    await worker.start();
    table.delayMs = (op) => (op === 'take' ? 300 : 0);
    table.leases.set('shard-1', leaseOf('shard-1'));
    await sleep(150); // a take cycle (every 100 ms) has sent its take
    await worker.close(2_000);
    await sleep(500);
    expect(worker.heldShardIds()).toEqual([]);
    expect(table.owner('shard-1')).toBeUndefined();
    expect(kinesis.polls.get('shard-1') ?? 0).toBe(0);
  });

  it('creates and takes the leases of a new stream together, not one shard after another', async () => {
    const table = new MemoryLeaseTable();
    const inFlight = { create: 0, take: 0 };
    const most = { create: 0, take: 0 };
    const counted = <A extends unknown[], R>(op: 'create' | 'take', call: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
      most[op] = Math.max(most[op], ++inFlight[op]);
      try {
        await sleep(30);
        return await call(...args);
      } finally {
        inFlight[op]--;
      }
    };
    table.createLeaseIfNotExists = counted('create', table.createLeaseIfNotExists);
    table.takeLease = counted('take', table.takeLease);
    const shardIds = ['shard-1', 'shard-2', 'shard-3', 'shard-4'];
    const worker = workerOn(table, new CountingKinesis(shardIds));
    workers.push(worker);
    await worker.start();
    expect(worker.heldShardIds().sort()).toEqual(shardIds);
    expect(most).toEqual({ create: 4, take: 4 });
    expect(shardIds.map((id) => table.owner(id))).toEqual(shardIds.map(() => 'worker-a'));
  });

  it('scans the lease table once at start-up, and again only when another worker created a lease first', async () => {
    for (const raced of [false, true]) {
      const table = new MemoryLeaseTable();
      let scans = 0;
      const listLeases = table.listLeases;
      table.listLeases = () => {
        scans++;
        return listLeases();
      };
      if (raced) {
        // Another worker creates shard-2's lease between this one's scan and its create.
        const create = table.createLeaseIfNotExists;
        table.createLeaseIfNotExists = (lease) => {
          if (lease.leaseKey === 'shard-2') table.leases.set('shard-2', leaseOf('shard-2'));
          return create(lease);
        };
      }
      const worker = workerOn(table, new CountingKinesis(['shard-1', 'shard-2']));
      workers.push(worker);
      await worker.start();
      expect(scans, raced ? 'a lost create: the cycle scans afresh' : 'the cycle takes from the sync\'s scan').toBe(raced ? 2 : 1);
      expect(worker.heldShardIds().sort()).toEqual(['shard-1', 'shard-2']);
      await worker.close(500);
    }
  });

  it('finishes shutdown when a lease write hangs, leaving that lease to expire', async () => {
    const table = new MemoryLeaseTable();
    table.leases.set('shard-1', leaseOf('shard-1'));
    const kinesis = new CountingKinesis(['shard-1']);
    const worker = workerOn(table, kinesis);
    await worker.start();
    await until(() => worker.heldShardIds().length === 1, 'the lease is held');
    // Every lease write from now on hangs: the renewal in flight, and the release queued behind it.
    table.hang = (op) => op === 'renew' || op === 'release';
    await sleep(FAILOVER_MS / 2);
    await worker.close(1_000);
    expect(table.owner('shard-1')).toBe('worker-a');
  });
});
