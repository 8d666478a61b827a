/**
 * A bare GetRecords loop over every shard of a stream, one loop per shard in
 * parallel, within Kinesis' per-shard pacing (ReadPacer: 5 calls/s and
 * 2 MB/s, the limits the service also keeps), Limit 10,000: what the
 * Kinesis side can deliver, with no processing at all.
 */
import { performance } from 'node:perf_hooks';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { sleep } from '../../src/consumer/backoff.js';
import { SdkKinesisPort } from '../../src/consumer/kinesisPort.js';
import { ReadPacer } from '../../src/consumer/readPacer.js';
import type { ProgressPoint } from './progress.js';
import type { FilledStream } from './stack.js';

export interface DrainResult {
  seconds: number;
  records: number;
  calls: number;
  /** Records read in all, after each response. */
  progress: ProgressPoint[];
}

export async function drainStream(kinesis: KinesisClient, filled: FilledStream): Promise<DrainResult> {
  const port = new SdkKinesisPort(kinesis);
  let calls = 0;
  let readInAll = 0;
  const progress: ProgressPoint[] = [];
  const started = performance.now();
  const counts = await Promise.all(
    [...filled.countByShard].map(async ([shardId, expected]) => {
      const pacer = new ReadPacer(200);
      let iterator: string | undefined = await port.getShardIterator(filled.stream, shardId, { type: 'TRIM_HORIZON' });
      let read = 0;
      while (iterator !== undefined && read < expected) {
        await sleep(pacer.delayMs());
        const t = Date.now();
        const out = await port.getRecords(shardId, iterator, 10_000);
        calls++;
        pacer.onResponse(t, out.bytes, out.records.length);
        read += out.records.length;
        readInAll += out.records.length;
        progress.push({ atMs: performance.now(), done: readInAll });
        iterator = out.nextIterator;
      }
      return read;
    }),
  );
  return { seconds: (performance.now() - started) / 1000, records: counts.reduce((a, b) => a + b, 0), calls, progress };
}
