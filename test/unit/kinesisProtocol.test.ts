/**
 * The hand-written GetRecords reader against the SDK's own, on the same HTTP
 * responses: two Kinesis clients, one with the SDK's protocol and one with
 * KinesisJsonProtocol, each answered by a handler that replays canned bytes.
 */
import { Readable } from 'node:stream';
import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient, type KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { KinesisJsonProtocol } from '../../src/aws/kinesisProtocol.js';
import { SILENT_SDK_LOGGER } from '../../src/aws/clients.js';

type HttpHandler = NonNullable<KinesisClientConfig['requestHandler']>;

function cannedHandler(status: number, body: string, headers: Record<string, string> = {}): HttpHandler {
  return {
    handle: async () => ({
      response: {
        statusCode: status,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'req-1', ...headers },
        // A stream in small pieces, as a socket delivers it.
        body: Readable.from(pieces(Buffer.from(body), 7)),
      },
    }),
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
  } as unknown as HttpHandler;
}

function pieces(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

function client(handler: HttpHandler, fast: boolean): KinesisClient {
  return new KinesisClient({
    region: 'eu-west-1',
    endpoint: 'http://127.0.0.1:1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    requestHandler: handler,
    maxAttempts: 1,
    logger: SILENT_SDK_LOGGER,
    ...(fast ? { protocol: KinesisJsonProtocol } : {}),
  });
}

async function both<T>(status: number, body: string, send: (c: KinesisClient) => Promise<T>): Promise<[PromiseSettledResult<T>, PromiseSettledResult<T>]> {
  const sdk = client(cannedHandler(status, body), false);
  const fast = client(cannedHandler(status, body), true);
  try {
    return [(await Promise.allSettled([send(sdk)]))[0]!, (await Promise.allSettled([send(fast)]))[0]!];
  } finally {
    sdk.destroy();
    fast.destroy();
  }
}

/** Byte arrays as number arrays and Dates as epoch ms, so that deep equality compares content only. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return [...value];
  if (value instanceof Date) return value.getTime();
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

const getRecords = (c: KinesisClient) => c.send(new GetRecordsCommand({ ShardIterator: 'it', Limit: 10 }));

const payloads = [Buffer.from('{"event_type":"page_view"}'), Buffer.from([0xf3, 0x89, 0x9a, 0xc2, 0x00, 0xff]), Buffer.alloc(0), Buffer.from('ünïcödé ✓')];

describe('KinesisJsonProtocol reads GetRecords as the SDK does', () => {
  const cases: [string, unknown][] = [
    [
      'records of every kind, with fractional and whole arrival times',
      {
        Records: payloads.map((p, i) => ({
          SequenceNumber: `4965${i}000000000000000000000000000000000000000000000000${i}`,
          ApproximateArrivalTimestamp: i === 0 ? 1767225600 : 1767225600.123 + i,
          Data: p.toString('base64'),
          PartitionKey: `key-${i}`,
          ...(i === 1 ? { EncryptionType: 'KMS' } : {}),
        })),
        NextShardIterator: 'next-iterator',
        MillisBehindLatest: 1234,
      },
    ],
    ['no records, caught up', { Records: [], NextShardIterator: 'next', MillisBehindLatest: 0 }],
    [
      'the end of a closed shard, with its children',
      {
        Records: [],
        MillisBehindLatest: 0,
        ChildShards: [
          { ShardId: 'shardId-000000000002', ParentShards: ['shardId-000000000000', 'shardId-000000000001'], HashKeyRange: { StartingHashKey: '0', EndingHashKey: '340282366920938463463374607431768211455' } },
        ],
      },
    ],
    ['an empty object', {}],
  ];
  for (const [what, body] of cases) {
    it(what, async () => {
      const [sdk, fast] = await both(200, JSON.stringify(body), getRecords);
      expect(sdk.status).toBe('fulfilled');
      expect(fast.status).toBe('fulfilled');
      const a = (sdk as PromiseFulfilledResult<Awaited<ReturnType<typeof getRecords>>>).value;
      const b = (fast as PromiseFulfilledResult<Awaited<ReturnType<typeof getRecords>>>).value;
      // Bytes compare by content (the SDK may return a Uint8Array where the fast reader returns a Buffer).
      expect(plain(b)).toEqual(plain(a));
      for (const [i, r] of (b.Records ?? []).entries()) {
        expect(r.ApproximateArrivalTimestamp?.getTime()).toBe(a.Records![i]!.ApproximateArrivalTimestamp?.getTime());
        expect(Buffer.compare(Buffer.from(r.Data!), Buffer.from(a.Records![i]!.Data!))).toBe(0);
      }
      expect(b.$metadata.requestId).toBe('req-1');
      expect(b.$metadata.httpStatusCode).toBe(200);
    });
  }

  it('leaves errors to the SDK: the same exception class, name and message', async () => {
    const body = JSON.stringify({ __type: 'ProvisionedThroughputExceededException', message: 'Rate exceeded for shard shardId-000000000000' });
    const [sdk, fast] = await both(400, body, getRecords);
    expect(sdk.status).toBe('rejected');
    expect(fast.status).toBe('rejected');
    const a = (sdk as PromiseRejectedResult).reason as Error;
    const b = (fast as PromiseRejectedResult).reason as Error;
    expect(b.name).toBe('ProvisionedThroughputExceededException');
    expect(b.constructor).toBe(a.constructor);
    expect(b.message).toBe(a.message);
  });

  it('leaves every other operation to the SDK', async () => {
    const [sdk, fast] = await both(200, JSON.stringify({ ShardIterator: 'AAAA' }), (c) => c.send(new GetShardIteratorCommand({ StreamName: 's', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' })));
    expect((fast as PromiseFulfilledResult<{ ShardIterator?: string }>).value.ShardIterator).toBe('AAAA');
    expect((sdk as PromiseFulfilledResult<{ ShardIterator?: string }>).value.ShardIterator).toBe('AAAA');
  });

  it('rejects a record whose Data is not base64, as the SDK does, instead of passing on altered bytes', async () => {
    for (const data of ['eyJh*Ijox', 'eyJhIjox', 'eyJhIjoxfQ']) {
      const body = JSON.stringify({ Records: [{ SequenceNumber: '1', ApproximateArrivalTimestamp: 1767225600, Data: data, PartitionKey: 'k' }], NextShardIterator: 'n' });
      const [sdk, fast] = await both(200, body, getRecords);
      expect(fast.status).toBe(sdk.status);
    }
    const [, bad] = await both(200, JSON.stringify({ Records: [{ SequenceNumber: '1', Data: 'eyJh*Ijox', PartitionKey: 'k' }] }), getRecords);
    expect(bad.status).toBe('rejected');
  });

  it('rejects a body that is not JSON instead of returning no records', async () => {
    const [, fast] = await both(200, '{"Records":[', getRecords);
    expect(fast.status).toBe('rejected');
  });
});
