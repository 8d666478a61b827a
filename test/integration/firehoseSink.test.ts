import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import { createLake, startServiceProcess, waitFor, type Lake } from '../support/env.js';
import { checkpointsReached, lastProducedPerShard } from '../support/lakeCheck.js';
import { createDeliveryStream, deliveredRows, firehoseClient, rowIdentity } from '../support/firehose.js';
import { kinesisRecord, piece, testOptions, validJson } from '../support/processorFixtures.js';
import { produce } from '../../src/producer/producer.js';
import { createProcessorContext, processPiece } from '../../src/processors/index.js';
import { createFirehosePort, type FirehosePort } from '../../src/sinks/firehosePort.js';
import { FirehoseSink } from '../../src/sinks/firehoseSink.js';
import { createLogger } from '../../src/log.js';

// Firehose is served by moto only: on a machine without it (the npm-only stack) nothing local answers, and
// the SDK would call the real AWS endpoint. The stack sets AWS_ENDPOINT_URL_FIREHOSE only when moto serves it.
describe.runIf(process.env.AWS_ENDPOINT_URL_FIREHOSE !== undefined)('the Firehose cleansed sink against moto', () => {
  let lake: Lake;
  let fh: FirehoseClient;

  beforeAll(async () => {
    lake = await createLake(2);
    fh = firehoseClient();
  });

  afterAll(() => {
    fh.destroy();
    for (const c of Object.values(lake.clients)) c.destroy();
  });

  it('delivers every valid record the service reads, and writes no Parquet', async () => {
    const deliveryStream = await createDeliveryStream(fh, lake, 'firehose-out/');
    const result = await produce(lake.clients.kinesis, { streamName: lake.stream, rate: 0, count: 1500, keys: 300, seed: 5, badRatio: 0.05 }, true);
    const svc = startServiceProcess(lake.env({ KL_SINK: 'firehose', KL_FIREHOSE_STREAM: deliveryStream, KL_FLUSH_INTERVAL_MS: '2000', KL_CLEANSED_FLUSH_INTERVAL_MS: '2000', KL_CLEANSED_FLUSH_MAX_RECORDS: '400', KL_IDLE_CLOSE_GRACE_MS: '300' }));
    try {
      await waitFor('checkpoints to reach the last produced records', () => checkpointsReached(lake, lastProducedPerShard(result.entries!)), 90_000, 500);
    } finally {
      svc.child.kill('SIGTERM');
      expect((await svc.exited).code).toBe(0);
    }
    const expected = result.entries!.filter((e) => e.valid).map((e) => `${e.shardId}/${e.sequenceNumber}/-`).sort();
    expect(expected.length).toBeGreaterThan(1000);
    const delivered = (await deliveredRows(lake, 'firehose-out/')).map(rowIdentity);
    // At-least-once: every record arrives; with no injected failure nothing arrives twice either.
    expect([...new Set(delivered)].sort()).toEqual(expected);
    expect(delivered).toHaveLength(expected.length);
    expect(await lake.store.list('cleansed/')).toEqual([]);
  });

  it('retries exactly the records Firehose reported failed', async () => {
    const deliveryStream = await createDeliveryStream(fh, lake, 'partial/');
    const real = createFirehosePort();
    const calls: string[][] = [];
    const failedOnce = new Set<string>();
    // Fails every seventh record the first time it is seen, forwarding the rest to moto.
    const flaky: FirehosePort = {
      async putRecordBatch(stream, records) {
        const lines = records.map((r) => Buffer.from(r).toString('utf8'));
        calls.push(lines);
        const fail = lines.map((l, i) => i % 7 === 3 && !failedOnce.has(l));
        for (const [i, l] of lines.entries()) if (fail[i]) failedOnce.add(l);
        const forwarded = records.filter((_, i) => !fail[i]);
        const inner = forwarded.length > 0 ? await real.putRecordBatch(stream, forwarded) : { errorCodes: [] };
        let j = 0;
        return { errorCodes: fail.map((f) => (f ? 'ServiceUnavailableException' : inner.errorCodes[j++])) };
      },
      destroy: () => real.destroy(),
    };
    const ctx = createProcessorContext(testOptions());
    const out = processPiece(piece(Array.from({ length: 1200 }, (_, i) => kinesisRecord(validJson(i)))), ctx);
    const hours = out.cleansed.map((c) => ({ hour: c.hour, rows: c.rows, chunks: [c.chunk] }));
    const sink = new FirehoseSink({ port: flaky, deliveryStream, logger: createLogger({ level: 'silent', workerId: 'test' }), baseDelayMs: 1, maxDelayMs: 5 });
    await sink.write({ shardId: 'shardId-000000000007', firstSequence: '1', lastSequence: '2' }, hours);
    flaky.destroy();

    expect(failedOnce.size).toBeGreaterThan(100);
    // Each retry call holds exactly the records its predecessor had failed, and calls respect the 500-record limit.
    const retries = calls.filter((c) => c.every((l) => failedOnce.has(l)));
    expect(retries.flat().sort()).toEqual([...failedOnce].sort());
    for (const c of calls) expect(c.length).toBeLessThanOrEqual(500);
    expect(sink.stats.retriedRecords).toBe(failedOnce.size);
    const delivered = (await deliveredRows(lake, 'partial/')).map(rowIdentity);
    expect(delivered).toHaveLength(1200);
    expect(new Set(delivered).size).toBe(1200);
  });
});
