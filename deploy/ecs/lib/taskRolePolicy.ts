/**
 * The task role's statements: exactly the calls the service makes, on exactly
 * its own resources. Written out rather than via grant*() helpers, which add
 * actions the service never calls (kinesis:SubscribeToShard, kms:ReEncrypt*...).
 * No statement needs a `*` action or resource: metrics are scraped by
 * Prometheus, so there is no cloudwatch:PutMetricData.
 */
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';

/** The S3 prefixes the service writes (replay/: the replay command's progress markers); everything else in the bucket is out of reach. */
export const LAKE_PREFIXES = ['raw/', 'cleansed/', 'dlq/', 'replay/'] as const;

/** Where the replay command (run as a one-off task of this definition) deletes: stale cleansed objects and its marker. */
export const REPLAY_DELETE_PREFIXES = ['cleansed/', 'replay/'] as const;

export const KINESIS_READ_ACTIONS = [
  'kinesis:DescribeStream',
  'kinesis:DescribeStreamSummary',
  'kinesis:ListShards',
  'kinesis:GetShardIterator',
  'kinesis:GetRecords',
];

/** Lease table: the service reads, takes, renews, checkpoints and deletes (finished shards) leases; CDK creates the table. */
export const LEASE_TABLE_ACTIONS = [
  'dynamodb:DescribeTable',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Scan',
  'dynamodb:Query',
];

export const LAKE_OBJECT_ACTIONS = ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'];

/** Send dead letters; Receive/Delete/ChangeVisibility serve the redrive command. */
export const DLQ_ACTIONS = [
  'sqs:SendMessage',
  'sqs:GetQueueAttributes',
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:ChangeMessageVisibility',
];

export const LAKE_KEY_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt', 'kms:Encrypt'];

export interface TaskRoleResources {
  streamArn: string;
  /** Key of an imported stream encrypted with a customer key (decrypt only). */
  streamKeyArn: string | undefined;
  leaseTableArn: string;
  bucketArn: string;
  queueArn: string;
  lakeKeyArn: string;
  piiKeySecretArn: string | undefined;
  firehoseDeliveryStreamArn: string | undefined;
}

export function taskRoleStatements(r: TaskRoleResources): PolicyStatement[] {
  const statements = [
    new PolicyStatement({ sid: 'ReadStream', actions: KINESIS_READ_ACTIONS, resources: [r.streamArn] }),
    new PolicyStatement({ sid: 'LeaseTable', actions: LEASE_TABLE_ACTIONS, resources: [r.leaseTableArn] }),
    new PolicyStatement({
      sid: 'LakeObjects',
      actions: LAKE_OBJECT_ACTIONS,
      resources: LAKE_PREFIXES.map((p) => `${r.bucketArn}/${p}*`),
    }),
    new PolicyStatement({
      sid: 'ListLakePrefixes',
      actions: ['s3:ListBucket'],
      resources: [r.bucketArn],
      conditions: { StringLike: { 's3:prefix': LAKE_PREFIXES.map((p) => `${p}*`) } },
    }),
    new PolicyStatement({
      sid: 'ReplayDeletes',
      actions: ['s3:DeleteObject'],
      resources: REPLAY_DELETE_PREFIXES.map((p) => `${r.bucketArn}/${p}*`),
    }),
    new PolicyStatement({ sid: 'DeadLetters', actions: DLQ_ACTIONS, resources: [r.queueArn] }),
    new PolicyStatement({ sid: 'LakeKey', actions: LAKE_KEY_ACTIONS, resources: [r.lakeKeyArn] }),
  ];
  if (r.streamKeyArn) {
    statements.push(new PolicyStatement({ sid: 'StreamKey', actions: ['kms:Decrypt'], resources: [r.streamKeyArn] }));
  }
  if (r.piiKeySecretArn) {
    statements.push(new PolicyStatement({ sid: 'PiiKey', actions: ['secretsmanager:GetSecretValue'], resources: [r.piiKeySecretArn] }));
  }
  if (r.firehoseDeliveryStreamArn) {
    statements.push(new PolicyStatement({ sid: 'Firehose', actions: ['firehose:PutRecordBatch'], resources: [r.firehoseDeliveryStreamArn] }));
  }
  return statements;
}
