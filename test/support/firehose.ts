/** A moto Firehose delivery stream writing into a test lake's bucket, and its output read back. */
import { CreateDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { randomName } from '../../src/local/provision.js';
import type { Lake } from './env.js';

export function firehoseClient(): FirehoseClient {
  return new FirehoseClient({ requestHandler: new NodeHttpHandler() });
}

/** DirectPut with an extended S3 destination under <prefix> in the lake's bucket. */
export async function createDeliveryStream(client: FirehoseClient, lake: Lake, prefix: string): Promise<string> {
  const name = randomName('fh');
  await client.send(
    new CreateDeliveryStreamCommand({
      DeliveryStreamName: name,
      DeliveryStreamType: 'DirectPut',
      ExtendedS3DestinationConfiguration: {
        BucketARN: `arn:aws:s3:::${lake.bucket}`,
        RoleARN: 'arn:aws:iam::123456789012:role/firehose-delivery',
        Prefix: prefix,
      },
    }),
  );
  return name;
}

export interface DeliveredRow {
  _shard_id: string;
  _sequence_number: string;
  _sub_sequence_number: number | null;
  [column: string]: unknown;
}

/** Every JSON line the delivery stream wrote under `prefix`. */
export async function deliveredRows(lake: Lake, prefix: string): Promise<DeliveredRow[]> {
  const rows: DeliveredRow[] = [];
  for (const o of await lake.store.list(prefix)) {
    const text = (await lake.store.get(o.key)).toString('utf8');
    for (const line of text.split('\n')) if (line.length > 0) rows.push(JSON.parse(line) as DeliveredRow);
  }
  return rows;
}

export function rowIdentity(r: DeliveredRow): string {
  return `${r._shard_id}/${r._sequence_number}/${r._sub_sequence_number ?? '-'}`;
}
