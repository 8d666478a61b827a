/** The Kinesis stream: created encrypted with the lake key, or imported by ARN. */
import { Stream, StreamEncryption, StreamMode, type IStream } from 'aws-cdk-lib/aws-kinesis';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { StreamSource } from './stackProps.js';

export function lakeStream(scope: Construct, source: StreamSource, key: IKey): IStream {
  if (source.kind === 'import') return Stream.fromStreamArn(scope, 'Stream', source.arn);
  return new Stream(scope, 'Stream', {
    streamName: source.name,
    streamMode: StreamMode.PROVISIONED,
    shardCount: source.shardCount,
    encryption: StreamEncryption.KMS,
    encryptionKey: key,
    removalPolicy: RemovalPolicy.RETAIN,
  });
}
