import { describe, expect, it } from 'vitest';
import type { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { putUntilAccepted, type PutResult } from '../../src/producer/putAll.js';

/** A client whose PutRecords answers follow `script`: 'throw-retriable', 'throw-fatal', or the entries to refuse in that call. */
function scriptedClient(script: ('throw-retriable' | 'throw-fatal' | number[])[]): { client: KinesisClient; calls: string[][] } {
  const calls: string[][] = [];
  let next = 0;
  const client = {
    send: async (command: PutRecordsCommand) => {
      const keys = command.input.Records!.map((r) => r.PartitionKey!);
      calls.push(keys);
      const step = script[next++] ?? [];
      if (step === 'throw-retriable') throw Object.assign(new Error('busy'), { $metadata: { httpStatusCode: 503 } });
      if (step === 'throw-fatal') throw Object.assign(new Error('no such stream'), { name: 'ResourceNotFoundException' });
      return { Records: keys.map((k, i) => (step.includes(i) ? { ErrorCode: 'ProvisionedThroughputExceededException' } : { ShardId: 'shardId-000000000000', SequenceNumber: `seq-${k}` })) };
    },
  } as unknown as KinesisClient;
  return { client, calls };
}

const items = ['a', 'b', 'c'].map((k) => ({ entry: { PartitionKey: k, Data: new Uint8Array(1) } }));

describe('putUntilAccepted', () => {
  it('puts again what Kinesis refused, and the whole call after a retriable error, until all are accepted', async () => {
    const { client, calls } = scriptedClient(['throw-retriable', [0, 2], [1]]);
    const accepted: [string, PutResult][] = [];
    await putUntilAccepted(client, 's', items, (item, put) => accepted.push([item.entry.PartitionKey, put]));
    expect(calls).toEqual([['a', 'b', 'c'], ['a', 'b', 'c'], ['a', 'c'], ['c']]);
    expect(accepted.map(([k, put]) => [k, put.sequenceNumber])).toEqual([['b', 'seq-b'], ['a', 'seq-a'], ['c', 'seq-c']]);
  });

  it('gives up at once on an error that is not retriable', async () => {
    const { client } = scriptedClient(['throw-fatal']);
    await expect(putUntilAccepted(client, 's', items, () => undefined)).rejects.toThrow('no such stream');
  });
});
