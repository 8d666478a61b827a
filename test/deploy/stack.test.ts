/**
 * The synthesized stack (in-process `cdk synth`) has every resource the
 * service needs, configured as the security and operations rules require.
 */
import { Stack, type CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { OPTIONS } from '../../src/config/options.js';
import { synthStack } from './synthStack.js';
import { memoryBudgetBytesFor } from '../../deploy/ecs/lib/containerEnvironment.js';
import { onlyResource, refersTo, resourcesOf } from './templateQueries.js';

const APP = 'lake-stack-test';
const STREAM = 'clickstream-test';
const SHARDS = 6;
const SHARDS_PER_TASK = 5;
const { stack, template } = synthStack({ appName: APP, stream: { kind: 'create', name: STREAM, shardCount: SHARDS }, logRetentionDays: 14, shardsPerTask: SHARDS_PER_TASK });
const keyId = stack.getLogicalId(stack.storage.key.node.defaultChild as CfnElement);
const bucketId = stack.getLogicalId(stack.storage.bucket.node.defaultChild as CfnElement);

interface ContainerDefinition {
  Environment: { Name: string; Value: unknown }[];
  StopTimeout: number;
  ReadonlyRootFilesystem: boolean;
  User: string;
  PortMappings: { ContainerPort: number }[];
  HealthCheck: { Command: string[] };
  LogConfiguration: { LogDriver: string; Options: Record<string, unknown> };
  MountPoints: { ContainerPath: string; SourceVolume: string; ReadOnly: boolean }[];
}

function container(): ContainerDefinition {
  const [, taskDefinition] = onlyResource(template, 'AWS::ECS::TaskDefinition');
  const containers = taskDefinition.Properties.ContainerDefinitions as ContainerDefinition[];
  expect(containers).toHaveLength(1);
  return containers[0]!;
}

describe('KinesisLakeStack', () => {
  it('creates one customer-managed key with rotation', () => {
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('creates the stream encrypted with the lake key', () => {
    const [, stream] = onlyResource(template, 'AWS::Kinesis::Stream');
    expect(stream.Properties).toMatchObject({ Name: STREAM, ShardCount: SHARDS, StreamEncryption: { EncryptionType: 'KMS' } });
    expect(refersTo((stream.Properties.StreamEncryption as { KeyId: unknown }).KeyId, keyId)).toBe(true);
  });

  it('encrypts the bucket with the CMK and blocks all public access', () => {
    const [, bucket] = onlyResource(template, 'AWS::S3::Bucket');
    const sse = (bucket.Properties.BucketEncryption as { ServerSideEncryptionConfiguration: { ServerSideEncryptionByDefault: { SSEAlgorithm: string; KMSMasterKeyID: unknown } }[] })
      .ServerSideEncryptionConfiguration;
    expect(sse).toHaveLength(1);
    expect(sse[0]!.ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
    expect(refersTo(sse[0]!.ServerSideEncryptionByDefault.KMSMasterKeyID, keyId)).toBe(true);
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
  });

  it('denies any request to the bucket that is not over TLS', () => {
    const [, policy] = onlyResource(template, 'AWS::S3::BucketPolicy');
    expect(refersTo(policy.Properties.Bucket, bucketId)).toBe(true);
    const statements = (policy.Properties.PolicyDocument as { Statement: { Effect: string; Condition?: unknown; Resource: unknown }[] }).Statement;
    const denyPlainText = statements.filter(
      (s) => s.Effect === 'Deny' && JSON.stringify(s.Condition) === JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }),
    );
    expect(denyPlainText).toHaveLength(1);
    expect(refersTo(denyPlainText[0]!.Resource, bucketId)).toBe(true);
  });

  it('moves raw/ to colder storage and aborts stale multipart uploads', () => {
    const [, bucket] = onlyResource(template, 'AWS::S3::Bucket');
    const rules = (bucket.Properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    const raw = rules.filter((r) => r.Prefix === 'raw/');
    expect(raw).toHaveLength(1);
    expect(raw[0]!.Transitions).toEqual([
      { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
      { StorageClass: 'GLACIER', TransitionInDays: 90 },
    ]);
    const abort = rules.filter((r) => r.AbortIncompleteMultipartUpload !== undefined);
    expect(abort).toHaveLength(1);
    expect(abort[0]!.Prefix, 'abort applies to the whole bucket').toBeUndefined();
    expect((abort[0]!.AbortIncompleteMultipartUpload as { DaysAfterInitiation: number }).DaysAfterInitiation).toBeGreaterThan(0);
    expect(rules.every((r) => r.Status === 'Enabled')).toBe(true);
  });

  it('creates the lease table: on-demand, PITR, hash key leaseKey, named after the app', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: APP,
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }],
    });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
  });

  it('creates the dead-letter queue: KMS, 14 days, TLS only', () => {
    const [queueId, queue] = onlyResource(template, 'AWS::SQS::Queue');
    expect(queue.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    expect(refersTo(queue.Properties.KmsMasterKeyId, keyId)).toBe(true);
    const [, queuePolicy] = onlyResource(template, 'AWS::SQS::QueuePolicy');
    expect(refersTo(queuePolicy.Properties.Queues, queueId)).toBe(true);
    expect(JSON.stringify(queuePolicy.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
  });

  it('alarms on DLQ depth, iterator age and missing tasks', () => {
    const alarms = resourcesOf(template, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    expect(alarms).toHaveLength(3);
    const dlq = alarms.find((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible');
    expect(dlq).toMatchObject({ Namespace: 'AWS/SQS', ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    const iterator = alarms.find((a) => a.MetricName === 'GetRecords.IteratorAgeMilliseconds');
    expect(iterator).toMatchObject({ Namespace: 'AWS/Kinesis', Statistic: 'Maximum' });
    expect(JSON.stringify(iterator!.Dimensions)).toContain('StreamName');
    const shortfall = alarms.find((a) => JSON.stringify(a.Metrics ?? []).includes('RunningTaskCount'));
    expect(shortfall).toBeDefined();
    expect(JSON.stringify(shortfall!.Metrics)).toContain('DesiredTaskCount');
    template.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] });
  });

  it('sends alarm notifications to a topic when one is given', () => {
    const topicArn = 'arn:aws:sns:eu-west-1:123456789012:lake-alarms';
    const alarms = resourcesOf(synthStack({ alarmTopicArn: topicArn }).template, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(0);
    for (const [, alarm] of alarms) expect(alarm.Properties.AlarmActions).toEqual([topicArn]);
  });

  it('runs the container with the KL_* contract, a 120 s stop timeout and a read-only root', () => {
    const c = container();
    const names = c.Environment.map((e) => e.Name);
    const contract = new Set(OPTIONS.map((o) => o.env));
    for (const name of names) expect(contract.has(name), `${name} is in OPTIONS`).toBe(true);
    const required = OPTIONS.filter((o) => o.defaultText === undefined).map((o) => o.env);
    expect(required.length).toBeGreaterThan(0);
    for (const name of [...required, 'KL_APP_NAME', 'KL_METRICS_PORT', 'KL_SHUTDOWN_TIMEOUT_MS']) expect(names).toContain(name);
    const value = (name: string): unknown => c.Environment.find((e) => e.Name === name)?.Value;
    expect(value('KL_STREAM_NAME')).toBe(STREAM);
    expect(value('KL_APP_NAME')).toBe(APP);
    expect(refersTo(value('KL_BUCKET'), bucketId)).toBe(true);
    expect(c.StopTimeout).toBe(120);
    expect(Number(value('KL_SHUTDOWN_TIMEOUT_MS'))).toBeLessThan(c.StopTimeout * 1000);
    expect(c.ReadonlyRootFilesystem).toBe(true);
    const [, taskDefinition] = onlyResource(template, 'AWS::ECS::TaskDefinition');
    expect(Number(value('KL_MEMORY_BUDGET_BYTES'))).toBe(memoryBudgetBytesFor(Number(taskDefinition.Properties.Memory)));
    expect(c.User).not.toMatch(/^(root|0)(:|$)/);
    expect(c.PortMappings.map((p) => p.ContainerPort)).toEqual([Number(value('KL_METRICS_PORT'))]);
    expect(c.HealthCheck.Command[0]).toBe('CMD');
    expect(c.HealthCheck.Command.join(' ')).toContain('/healthz');
    expect(c.MountPoints).toEqual([{ ContainerPath: '/tmp', SourceVolume: 'tmp', ReadOnly: false }]);
    template.hasResourceProperties('AWS::ECS::TaskDefinition', { Volumes: [{ Name: 'tmp' }], RequiresCompatibilities: ['FARGATE'] });
  });

  it('logs through awslogs to a group with retention', () => {
    const c = container();
    expect(c.LogConfiguration.LogDriver).toBe('awslogs');
    const [groupId] = resourcesOf(template, 'AWS::Logs::LogGroup').find(([id]) => refersTo(c.LogConfiguration.Options, id))!;
    template.hasResourceProperties('AWS::Logs::LogGroup', Match.objectLike({ RetentionInDays: 14 }));
    expect((template.toJSON().Resources[groupId] as { Properties: { RetentionInDays: number } }).Properties.RetentionInDays).toBe(14);
  });

  it('leaves the desired count to the shard scaler (absent from the service)', () => {
    const [, service] = onlyResource(template, 'AWS::ECS::Service');
    expect(service.Properties).not.toHaveProperty('DesiredCount');
    expect(service.Properties).toMatchObject({ LaunchType: 'FARGATE', DeploymentConfiguration: { MinimumHealthyPercent: 100 } });
  });

  it('schedules the shard scaler every minute with the scaling limits', () => {
    const [functionId, fn] = onlyResource(template, 'AWS::Lambda::Function');
    expect(fn.Properties.Handler).toBe('index.handler');
    expect(String(fn.Properties.Runtime)).toMatch(/^nodejs\d+\.x$/);
    const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.SCALER_SHARDS_PER_TASK).toBe(String(SHARDS_PER_TASK));
    expect(env.SCALER_MIN_TASKS).toBe('1');
    expect(env).not.toHaveProperty('SCALER_MAX_TASKS');
    const [, rule] = onlyResource(template, 'AWS::Events::Rule');
    expect(rule.Properties.ScheduleExpression).toBe('rate(1 minute)');
    expect(refersTo(rule.Properties.Targets, functionId)).toBe(true);
    template.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'events.amazonaws.com', Action: 'lambda:InvokeFunction' });
  });

  it('passes shardsPerTask and maxTasks to the scaler', () => {
    const { template: t } = synthStack({ shardsPerTask: 3, minTasks: 2, maxTasks: 9 });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SCALER_SHARDS_PER_TASK: '3', SCALER_MIN_TASKS: '2', SCALER_MAX_TASKS: '9' }) },
    });
  });

  it('outputs the names an operator needs', () => {
    const outputs = Object.keys(template.toJSON().Outputs as Record<string, unknown>);
    expect(outputs).toEqual(expect.arrayContaining(['BucketName', 'DeadLetterQueueUrl', 'StreamArn', 'ClusterName', 'ServiceName']));
    expect(Stack.of(stack).region).toBe('eu-west-1');
  });
});

describe('KinesisLakeStack with an imported stream and lease table', () => {
  const streamArn = 'arn:aws:kinesis:eu-west-1:123456789012:stream/existing-clicks';
  const { template: t } = synthStack({ stream: { kind: 'import', arn: streamArn }, importLeaseTable: true, appName: 'old-kcl-app' });

  it('creates neither, and points the service at them', () => {
    t.resourceCountIs('AWS::Kinesis::Stream', 0);
    t.resourceCountIs('AWS::DynamoDB::Table', 0);
    const [, taskDefinition] = onlyResource(t, 'AWS::ECS::TaskDefinition');
    const env = (taskDefinition.Properties.ContainerDefinitions as { Environment: { Name: string; Value: unknown }[] }[])[0]!.Environment;
    expect(env).toEqual(expect.arrayContaining([{ Name: 'KL_STREAM_NAME', Value: 'existing-clicks' }, { Name: 'KL_APP_NAME', Value: 'old-kcl-app' }]));
    expect(JSON.stringify(t.toJSON().Resources)).toContain(streamArn);
    expect(JSON.stringify(t.toJSON().Resources)).toContain(':table/old-kcl-app');
  });
});
