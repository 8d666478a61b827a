/**
 * The Kinesis client's wire protocol (awsJson1_1), with GetRecords
 * responses read by hand. The SDK reads every response through its
 * schema walker; for a response of 10,000 records that walk cost more main-
 * thread time than everything else the consumer does with the records
 * (profiled during `npm run bench -- e2e`). Errors, and every other
 * operation, go through the SDK's own reader unchanged.
 *
 * The output has the SDK's GetRecordsCommandOutput shape: Data as bytes,
 * ApproximateArrivalTimestamp as a Date, ChildShards as the SDK gives them.
 * test/unit/kinesisProtocol.test.ts reads the same responses both
 * ways and compares.
 */
import { AwsJson1_1Protocol } from '@aws-sdk/core/protocols';
import type { GetRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import type { MetadataBearer } from '@smithy/types';

type DeserializeArgs = Parameters<AwsJson1_1Protocol['deserializeResponse']>;

interface WireRecord {
  SequenceNumber?: string;
  ApproximateArrivalTimestamp?: number;
  Data?: string;
  PartitionKey?: string;
  EncryptionType?: string;
}

interface WireChildShard {
  ShardId?: string;
  ParentShards?: string[];
  HashKeyRange?: { StartingHashKey?: string; EndingHashKey?: string };
}

interface WireGetRecords {
  Records?: WireRecord[];
  NextShardIterator?: string;
  MillisBehindLatest?: number;
  ChildShards?: WireChildShard[];
}

async function bodyBytes(body: unknown): Promise<Buffer> {
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body === undefined || body === null) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/**
 * Standard padded base64 to bytes. Buffer.from skips characters that are
 * not base64 where the SDK's reader throws; a length check restores that
 * (every skipped character shortens the result), so a damaged response
 * fails the call instead of handing on altered bytes.
 */
function base64Bytes(text: string): Buffer {
  const bytes = Buffer.from(text, 'base64');
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  if (text.length % 4 !== 0 || bytes.length !== (text.length / 4) * 3 - padding) {
    throw new Error(`GetRecords returned a record whose Data is not base64 (${text.length} characters)`);
  }
  return bytes;
}

/** What the SDK's reader makes of a GetRecords body (the SDK leaves out members the body lacks). */
export type GetRecordsBody = Partial<Omit<GetRecordsCommandOutput, '$metadata'>>;

/** The GetRecords JSON body as the SDK would return it (without $metadata). */
export function readGetRecordsBody(bytes: Uint8Array): GetRecordsBody {
  if (bytes.byteLength === 0) return {};
  const wire = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as WireGetRecords;
  const out: GetRecordsBody = {};
  if (wire.Records != null) {
    out.Records = wire.Records.map((r) => {
      const record: NonNullable<GetRecordsCommandOutput['Records']>[number] = {
        SequenceNumber: r.SequenceNumber,
        ApproximateArrivalTimestamp: r.ApproximateArrivalTimestamp == null ? undefined : new Date(Math.round(r.ApproximateArrivalTimestamp * 1000)),
        Data: r.Data == null ? undefined : base64Bytes(r.Data),
        PartitionKey: r.PartitionKey,
      };
      if (r.EncryptionType != null) record.EncryptionType = r.EncryptionType as NonNullable<typeof record.EncryptionType>;
      return record;
    });
  }
  if (wire.NextShardIterator != null) out.NextShardIterator = wire.NextShardIterator;
  if (wire.MillisBehindLatest != null) out.MillisBehindLatest = wire.MillisBehindLatest;
  if (wire.ChildShards != null) {
    out.ChildShards = wire.ChildShards.map((c) => ({
      ShardId: c.ShardId,
      ParentShards: c.ParentShards,
      HashKeyRange: c.HashKeyRange === undefined ? undefined : { StartingHashKey: c.HashKeyRange.StartingHashKey, EndingHashKey: c.HashKeyRange.EndingHashKey },
    }));
  }
  return out;
}

export class KinesisJsonProtocol extends AwsJson1_1Protocol {
  override async deserializeResponse<Output extends MetadataBearer>(operationSchema: DeserializeArgs[0], context: DeserializeArgs[1], response: DeserializeArgs[2]): Promise<Output> {
    if (operationSchema.name !== 'GetRecords' || response.statusCode >= 300) return super.deserializeResponse<Output>(operationSchema, context, response);
    const output = readGetRecordsBody(await bodyBytes(response.body));
    return { ...output, $metadata: this.deserializeMetadata(response) } as unknown as Output;
  }
}
