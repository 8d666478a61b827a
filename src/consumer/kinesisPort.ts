/**
 * The narrow slice of Kinesis the consumer uses. Tests wrap it with
 * fault-injecting decorators; the SDK adapter below is the only place that
 * knows the SDK's shapes.
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';
import { MissingResourceError } from '../errors.js';
import type { StreamRecord } from './records.js';

export interface ShardInfo {
  shardId: string;
  parentShardId: string | undefined;
  adjacentParentShardId: string | undefined;
  startingHashKey: string;
  endingHashKey: string;
  /** Set when the shard is closed (after a split or merge). */
  endingSequenceNumber: string | undefined;
}

export type IteratorStart =
  | { type: 'TRIM_HORIZON' }
  | { type: 'LATEST' }
  | { type: 'AT_TIMESTAMP'; timestampMs: number }
  | { type: 'AFTER_SEQUENCE_NUMBER'; sequenceNumber: string }
  | { type: 'AT_SEQUENCE_NUMBER'; sequenceNumber: string };

export interface GetRecordsResult {
  records: StreamRecord[];
  /** Undefined when the shard is closed and has been read to its end. */
  nextIterator: string | undefined;
  millisBehindLatest: number | undefined;
  /** Child shard ids, when the service reports them at shard end. */
  childShardIds: string[];
  /** Sum of the payload sizes in this response (for pacing and budgets). */
  bytes: number;
}

export interface KinesisPort {
  describeStream(streamName: string): Promise<{ status: string; openShards: number }>;
  listShards(streamName: string): Promise<ShardInfo[]>;
  getShardIterator(streamName: string, shardId: string, start: IteratorStart): Promise<string>;
  getRecords(shardId: string, iterator: string, limit: number): Promise<GetRecordsResult>;
}

export class SdkKinesisPort implements KinesisPort {
  constructor(private readonly client: KinesisClient) {}

  async describeStream(streamName: string): Promise<{ status: string; openShards: number }> {
    try {
      const out = await this.client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
      return {
        status: out.StreamDescriptionSummary?.StreamStatus ?? 'UNKNOWN',
        openShards: out.StreamDescriptionSummary?.OpenShardCount ?? 0,
      };
    } catch (err) {
      if ((err as { name?: string }).name === 'ResourceNotFoundException') {
        throw new MissingResourceError(
          `KL_STREAM_NAME=${JSON.stringify(streamName)}: the Kinesis stream does not exist in this account and region; create it or fix the name`,
          err,
        );
      }
      throw err;
    }
  }

  async listShards(streamName: string): Promise<ShardInfo[]> {
    const shards: ShardInfo[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.client.send(
        new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: streamName }),
      );
      for (const s of out.Shards ?? []) {
        shards.push({
          shardId: s.ShardId!,
          parentShardId: s.ParentShardId,
          adjacentParentShardId: s.AdjacentParentShardId,
          startingHashKey: s.HashKeyRange?.StartingHashKey ?? '0',
          endingHashKey: s.HashKeyRange?.EndingHashKey ?? '0',
          endingSequenceNumber: s.SequenceNumberRange?.EndingSequenceNumber,
        });
      }
      nextToken = out.NextToken;
    } while (nextToken);
    return shards;
  }

  async getShardIterator(streamName: string, shardId: string, start: IteratorStart): Promise<string> {
    const out = await this.client.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shardId,
        ShardIteratorType: start.type as ShardIteratorType,
        StartingSequenceNumber:
          start.type === 'AFTER_SEQUENCE_NUMBER' || start.type === 'AT_SEQUENCE_NUMBER' ? start.sequenceNumber : undefined,
        Timestamp: start.type === 'AT_TIMESTAMP' ? new Date(start.timestampMs) : undefined,
      }),
    );
    if (!out.ShardIterator) throw new Error(`GetShardIterator returned no iterator for ${shardId}`);
    return out.ShardIterator;
  }

  async getRecords(shardId: string, iterator: string, limit: number): Promise<GetRecordsResult> {
    const out = await this.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }));
    let bytes = 0;
    const records: StreamRecord[] = (out.Records ?? []).map((r) => {
      const data = r.Data ?? new Uint8Array(0);
      bytes += data.byteLength;
      return {
        shardId,
        sequenceNumber: r.SequenceNumber!,
        subSequenceNumber: undefined,
        partitionKey: r.PartitionKey ?? '',
        explicitHashKey: undefined,
        arrivalMs: r.ApproximateArrivalTimestamp ? r.ApproximateArrivalTimestamp.getTime() : 0,
        data,
      };
    });
    return {
      records,
      nextIterator: out.NextShardIterator ?? undefined,
      millisBehindLatest: out.MillisBehindLatest,
      childShardIds: (out.ChildShards ?? []).map((c) => c.ShardId!).filter(Boolean),
      bytes,
    };
  }
}
