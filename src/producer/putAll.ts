/**
 * PutRecords until every entry has a sequence number: a call that fails with
 * a retriable error is made again (up to 20 times), and entries Kinesis
 * refused one by one (throttled, internal error) go again with backoff.
 */
import { PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { backoffMs, sleep } from '../consumer/backoff.js';
import { isRetriable } from '../errors.js';

export interface PutResult {
  shardId: string;
  sequenceNumber: string;
}

export async function putUntilAccepted<T extends { entry: PutRecordsRequestEntry }>(
  client: KinesisClient,
  streamName: string,
  items: readonly T[],
  onAccepted: (item: T, result: PutResult) => void,
): Promise<void> {
  let pending = [...items];
  for (let attempt = 0; pending.length > 0; attempt++) {
    let out;
    try {
      out = await client.send(new PutRecordsCommand({ StreamName: streamName, Records: pending.map((p) => p.entry) }));
    } catch (err) {
      if (!isRetriable(err) || attempt > 20) throw err;
      await sleep(backoffMs(attempt, 100, 2000));
      continue;
    }
    const retry: T[] = [];
    (out.Records ?? []).forEach((r, i) => {
      const p = pending[i]!;
      if (r.ErrorCode || !r.SequenceNumber) retry.push(p);
      else onAccepted(p, { shardId: r.ShardId ?? '', sequenceNumber: r.SequenceNumber });
    });
    pending = retry;
    if (pending.length > 0) await sleep(backoffMs(attempt, 50, 1000));
  }
}
