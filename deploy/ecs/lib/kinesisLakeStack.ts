/**
 * The whole deployment of kinesis-lake: stream, lake bucket and key, lease
 * table, dead-letter queue, Glue tables, the Fargate service with its
 * least-privilege task role, the shard scaler and the alarms.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnOutput, Stack } from 'aws-cdk-lib';
import { GatewayVpcEndpointAwsService, IpAddresses, Vpc, type IVpc } from 'aws-cdk-lib/aws-ec2';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LakeAlarms } from './alarms.js';
import { containerEnvironment } from './containerEnvironment.js';
import { deadLetterQueue } from './deadLetterQueue.js';
import { lakeTables } from '../../../src/lake/tables.js';
import { GlueTables } from './glueTables.js';
import { LakeService } from './lakeService.js';
import { LakeStorage } from './lakeStorage.js';
import { lakeStream } from './lakeStream.js';
import { leaseTable } from './leaseTable.js';
import { ShardScaler } from './shardScaler.js';
import { streamNameOf, type KinesisLakeStackProps } from './stackProps.js';
import { taskRoleStatements } from './taskRolePolicy.js';

/** The repository root, where the Dockerfile is. */
export const REPOSITORY_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function lakeVpc(scope: Construct, vpcId: string | undefined): IVpc {
  if (vpcId) return Vpc.fromLookup(scope, 'Vpc', { vpcId });
  return new Vpc(scope, 'Vpc', {
    ipAddresses: IpAddresses.cidr('10.40.0.0/16'),
    maxAzs: 2,
    natGateways: 1,
    // The bulk of the traffic (S3 writes, lease table) skips the NAT gateway.
    gatewayEndpoints: {
      S3: { service: GatewayVpcEndpointAwsService.S3 },
      DynamoDB: { service: GatewayVpcEndpointAwsService.DYNAMODB },
    },
  });
}

function logRetentionOf(days: number): RetentionDays {
  const allowed = Object.values(RetentionDays).filter((v): v is RetentionDays => typeof v === 'number');
  const match = allowed.find((v) => v === days);
  if (match === undefined) throw new Error(`logRetentionDays ${days} is not a CloudWatch Logs retention (${allowed.join(', ')})`);
  return match;
}

export class KinesisLakeStack extends Stack {
  readonly storage: LakeStorage;
  readonly lakeService: LakeService;
  readonly scaler: ShardScaler;
  readonly alarms: LakeAlarms;

  constructor(scope: Construct, id: string, props: KinesisLakeStackProps) {
    super(scope, id, props);
    const streamName = streamNameOf(props.stream);
    const logRetention = logRetentionOf(props.logRetentionDays);

    this.storage = new LakeStorage(this, 'Lake', { appName: props.appName });
    const { key, bucket } = this.storage;
    const stream = lakeStream(this, props.stream, key);
    const table = leaseTable(this, { appName: props.appName, importExisting: props.importLeaseTable, key });
    const queue = deadLetterQueue(this, { appName: props.appName, key });

    // The same definitions `kinesis-lake ddl` prints, so Glue and the DDL cannot drift.
    const tables = (props.lakeTables ?? lakeTables)({
      database: props.glueDatabase,
      bucket: bucket.bucketName,
      stream: streamName,
      table: props.cleansedTable,
    });
    new GlueTables(this, 'Glue', { databaseName: props.glueDatabase, definitions: tables });

    const firehoseName = props.firehoseDeliveryStreamArn?.split('/').pop();
    this.lakeService = new LakeService(this, 'Service', {
      vpc: lakeVpc(this, props.vpcId),
      appName: props.appName,
      image: props.image ? { uri: props.image } : { directory: REPOSITORY_ROOT },
      cpu: props.cpu,
      memoryMiB: props.memoryMiB,
      cpuArchitecture: props.cpuArchitecture,
      logRetention,
      environment: containerEnvironment({
        streamName,
        appName: props.appName,
        bucketName: bucket.bucketName,
        dlqUrl: queue.queueUrl,
        tableName: props.cleansedTable,
        piiKeySecretArn: props.piiKeySecretArn,
        firehoseDeliveryStreamName: firehoseName,
        taskMemoryMiB: props.memoryMiB,
        overrides: props.environment,
      }),
      taskRoleStatements: taskRoleStatements({
        streamArn: stream.streamArn,
        streamKeyArn: props.stream.kind === 'import' ? props.stream.encryptionKeyArn : undefined,
        leaseTableArn: table.tableArn,
        bucketArn: bucket.bucketArn,
        queueArn: queue.queueArn,
        lakeKeyArn: key.keyArn,
        piiKeySecretArn: props.piiKeySecretArn,
        firehoseDeliveryStreamArn: props.firehoseDeliveryStreamArn,
      }),
    });

    this.scaler = new ShardScaler(this, 'ShardScaler', {
      streamArn: stream.streamArn,
      cluster: this.lakeService.cluster,
      service: this.lakeService.service,
      shardsPerTask: props.shardsPerTask,
      minTasks: props.minTasks,
      maxTasks: props.maxTasks,
      logRetention,
    });

    this.alarms = new LakeAlarms(this, 'Alarms', {
      queue,
      stream,
      service: this.lakeService.service,
      clusterName: this.lakeService.cluster.clusterName,
      thresholds: props.alarms,
      topicArn: props.alarmTopicArn,
    });

    new CfnOutput(this, 'BucketName', { value: bucket.bucketName });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: queue.queueUrl });
    new CfnOutput(this, 'StreamArn', { value: stream.streamArn });
    new CfnOutput(this, 'ClusterName', { value: this.lakeService.cluster.clusterName });
    new CfnOutput(this, 'ServiceName', { value: this.lakeService.service.serviceName });
  }
}
