/**
 * A writer whose lease is lost (its write signal aborted) starts no upload
 * and no send after that moment, not even a first attempt: the new owner
 * writes those objects and envelopes again.
 */
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { retryUntilDone } from '../../src/consumer/retry.js';
import type { PieceOutput } from '../../src/consumer/pieceProcessor.js';
import { makeEnvelope, type DlqEnvelope } from '../../src/processors/envelope.js';
import type { SqsBatchEntry, SqsBatchFailure } from '../../src/sinks/dlqPorts.js';
import { DlqSender } from '../../src/sinks/dlqSender.js';
import { LakeWriter, type SealedFile } from '../../src/sinks/lakeWriter.js';
import type { ObjectStorePort, PutOptions } from '../../src/sinks/objectStore.js';

const SHARD = 'shardId-000000000001';

function aborted(): AbortSignal {
  const ac = new AbortController();
  ac.abort();
  return ac.signal;
}

class CountingStore implements ObjectStorePort {
  readonly puts: string[] = [];
  constructor(private readonly onPut: () => void = () => undefined) {}
  checkBucket = (): Promise<void> => Promise.resolve();
  put = (key: string, _body: Uint8Array, _options: PutOptions): Promise<void> => {
    this.puts.push(key);
    this.onPut();
    return Promise.resolve();
  };
  get = (): Promise<Buffer> => Promise.reject(new Error('not used'));
  getWithMetadata = (): Promise<{ body: Buffer; metadata: Record<string, string> }> => Promise.reject(new Error('not used'));
  list = (): Promise<{ key: string; size: number }[]> => Promise.resolve([]);
}

function sqsCounting(): { sent: SqsBatchEntry[]; port: { sendMessageBatch(queueUrl: string, entries: SqsBatchEntry[]): Promise<SqsBatchFailure[]> } } {
  const sent: SqsBatchEntry[] = [];
  return {
    sent,
    port: {
      sendMessageBatch: (_queueUrl, entries) => {
        sent.push(...entries);
        return Promise.resolve([]);
      },
    },
  };
}

function fileWithOneDeadLetter(): SealedFile<DlqEnvelope> {
  const record = { stream: 's', shardId: SHARD, sequenceNumber: '49001', subSequenceNumber: undefined, arrivalMs: 1_000, data: Buffer.from('{') };
  const output: PieceOutput<DlqEnvelope> = {
    raw: Buffer.from('{"line":1}\n'),
    rawRecords: 1,
    cleansed: [],
    dlq: [makeEnvelope(record, { reason: 'invalid_json', stage: 'parse', detail: 'payload is not JSON' }, 'test')],
    lastSubSequenceNumber: undefined,
    counts: { userRecords: 1, valid: 0, invalid: 1, droppedOutOfRange: 0, byReason: { invalid_json: 1 } },
  };
  return { shardId: SHARD, firstSequence: '49001', lastSequence: '49001', firstArrivalMs: 1_000, windowPhaseMs: 0, kinesisRecords: 1, payloadBytes: 1, forced: false, outputs: [Promise.resolve(output)] };
}

function lakeWriterWith(store: ObjectStorePort, sqs: ReturnType<typeof sqsCounting>): LakeWriter<DlqEnvelope> {
  return new LakeWriter<DlqEnvelope>({
    store,
    streamName: 's',
    table: 't',
    deadLetters: new DlqSender({ queueUrl: 'q', bucket: 'b', sqs: sqs.port, s3: { putObject: () => Promise.resolve() } }),
    parquet: undefined,
    logger: pino({ level: 'silent' }),
  });
}

describe('writes after the write signal aborts (lease lost, hard stop)', () => {
  it('retryUntilDone makes no attempt once aborted', async () => {
    let calls = 0;
    await expect(retryUntilDone(() => Promise.resolve(++calls), { signal: aborted() })).rejects.toThrow(/abort/i);
    expect(calls).toBe(0);
  });

  it('the lake writer uploads nothing when the lease is already gone', async () => {
    const store = new CountingStore();
    const sqs = sqsCounting();
    const writer = lakeWriterWith(store, sqs);
    await expect(writer.write(fileWithOneDeadLetter(), aborted())).rejects.toThrow(/abort/i);
    expect(store.puts).toEqual([]);
    expect(sqs.sent).toEqual([]);
  });

  it('the lake writer sends no dead letters when the lease goes during the raw upload', async () => {
    const lease = new AbortController();
    // The lease is lost while the raw object is on its way: that upload finishes, nothing after it starts.
    const store = new CountingStore(() => lease.abort());
    const sqs = sqsCounting();
    const writer = lakeWriterWith(store, sqs);
    await expect(writer.write(fileWithOneDeadLetter(), lease.signal)).rejects.toThrow(/abort/i);
    expect(store.puts).toHaveLength(1);
    expect(sqs.sent).toEqual([]);
  });
});
