/**
 * Least privilege: the task role and the scaler role may do exactly what the
 * service and the scaler call, on exactly their own resources, with no
 * wildcard action or resource (no documented exception is needed today).
 */
import type { CfnElement } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { synthStack } from './synthStack.js';
import { asList, refersTo, roleStatements, type Statement } from './templateQueries.js';
import type { Template } from 'aws-cdk-lib/assertions';
import type { KinesisLakeStack } from '../../deploy/ecs/lib/kinesisLakeStack.js';

/** Actions by statement, as the service's AWS calls require (issue 8). */
const EXPECTED_TASK_ACTIONS = {
  stream: ['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'],
  table: ['dynamodb:DeleteItem', 'dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:UpdateItem'],
  objects: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
  list: ['s3:ListBucket'],
  replayDeletes: ['s3:DeleteObject'],
  queue: ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage', 'sqs:SendMessage'],
  key: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
};

const EXPECTED_SCALER_ACTIONS = ['ecs:DescribeServices', 'ecs:UpdateService', 'kinesis:ListShards', 'logs:CreateLogStream', 'logs:PutLogEvents'];

function idOf(stack: KinesisLakeStack, element: unknown): string {
  return stack.getLogicalId(element as CfnElement);
}

function actions(statement: Statement): string[] {
  return asList(statement.Action).slice().sort();
}

function expectNoWildcards(statements: Statement[]): void {
  expect(statements.length).toBeGreaterThan(0);
  for (const statement of statements) {
    expect(statement.Effect).toBe('Allow');
    for (const action of asList(statement.Action)) expect(action, JSON.stringify(statement)).not.toMatch(/\*/);
    for (const resource of asList(statement.Resource)) {
      // A literal '*' or an ARN that ends in a bare wildcard segment ("...:*" or "/*" on a whole service).
      expect(resource, JSON.stringify(statement)).not.toBe('*');
      expect(JSON.stringify(resource)).not.toMatch(/"\*"|:\*"$/);
    }
  }
}

function statementWith(statements: Statement[], expectedActions: string[]): Statement {
  const found = statements.filter((s) => JSON.stringify(actions(s)) === JSON.stringify(expectedActions));
  expect(found, `one statement with ${expectedActions.join(', ')}`).toHaveLength(1);
  return found[0]!;
}

function taskStatements(stack: KinesisLakeStack, template: Template): Statement[] {
  return roleStatements(template, idOf(stack, stack.lakeService.taskRole.node.defaultChild));
}

describe('task role', () => {
  const { stack, template } = synthStack();
  const statements = taskStatements(stack, template);
  const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
  const idOfType = (type: string): string => Object.keys(resources).find((id) => resources[id]!.Type === type)!;

  it('has no wildcard action or resource and no managed policy', () => {
    expectNoWildcards(statements);
    const role = resources[idOf(stack, stack.lakeService.taskRole.node.defaultChild)]!;
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('grants exactly the service calls, each on its own resource', () => {
    expect(statements.flatMap(actions).sort()).toEqual(Object.values(EXPECTED_TASK_ACTIONS).flat().sort());
    const onlyRefersTo = (s: Statement, logicalId: string) => {
      for (const r of asList(s.Resource)) expect(refersTo(r, logicalId), JSON.stringify(r)).toBe(true);
    };
    onlyRefersTo(statementWith(statements, EXPECTED_TASK_ACTIONS.stream), idOfType('AWS::Kinesis::Stream'));
    onlyRefersTo(statementWith(statements, EXPECTED_TASK_ACTIONS.table), idOfType('AWS::DynamoDB::Table'));
    onlyRefersTo(statementWith(statements, EXPECTED_TASK_ACTIONS.queue), idOfType('AWS::SQS::Queue'));
    onlyRefersTo(statementWith(statements, EXPECTED_TASK_ACTIONS.key), idOfType('AWS::KMS::Key'));
  });

  it('reaches only the raw/, cleansed/, dlq/ and replay/ prefixes of the bucket, and deletes only under cleansed/ and replay/ (replay)', () => {
    const bucketId = idOfType('AWS::S3::Bucket');
    const objects = statementWith(statements, EXPECTED_TASK_ACTIONS.objects);
    const suffixes = asList(objects.Resource).map((r) => {
      expect(refersTo(r, bucketId)).toBe(true);
      return JSON.stringify(r).match(/"(\/[^"]*)"/)?.[1];
    });
    expect(suffixes.sort()).toEqual(['/cleansed/*', '/dlq/*', '/raw/*', '/replay/*']);
    const list = statementWith(statements, EXPECTED_TASK_ACTIONS.list);
    expect(refersTo(list.Resource, bucketId)).toBe(true);
    expect(asList(list.Condition?.StringLike?.['s3:prefix'] as string[]).sort()).toEqual(['cleansed/*', 'dlq/*', 'raw/*', 'replay/*']);
    const deletes = statementWith(statements, EXPECTED_TASK_ACTIONS.replayDeletes);
    expect(asList(deletes.Resource).map((r) => JSON.stringify(r).match(/"(\/[^"]*)"/)?.[1]).sort()).toEqual(['/cleansed/*', '/replay/*']);
  });

  it('adds the PII secret, the Firehose stream and an imported stream key only when configured, each on its one ARN', () => {
    const secret = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:lake-pii-key-AbCdEf';
    const firehose = 'arn:aws:firehose:eu-west-1:123456789012:deliverystream/lake-copy';
    const streamKey = 'arn:aws:kms:eu-west-1:123456789012:key/0b4c2f7e-1111-2222-3333-444455556666';
    const configured = synthStack({
      piiKeySecretArn: secret,
      firehoseDeliveryStreamArn: firehose,
      stream: { kind: 'import', arn: 'arn:aws:kinesis:eu-west-1:123456789012:stream/other', encryptionKeyArn: streamKey },
    });
    const extra = taskStatements(configured.stack, configured.template);
    expectNoWildcards(extra);
    expect(statementWith(extra, ['secretsmanager:GetSecretValue']).Resource).toBe(secret);
    expect(statementWith(extra, ['firehose:PutRecordBatch']).Resource).toBe(firehose);
    expect(statementWith(extra, ['kms:Decrypt']).Resource).toBe(streamKey);
    expect(statementWith(extra, EXPECTED_TASK_ACTIONS.stream).Resource).toBe('arn:aws:kinesis:eu-west-1:123456789012:stream/other');
    const plain = statements.flatMap(actions);
    for (const action of ['secretsmanager:GetSecretValue', 'firehose:PutRecordBatch']) expect(plain).not.toContain(action);
  });
});

describe('shard scaler role', () => {
  const { stack, template } = synthStack();
  const statements = roleStatements(template, idOf(stack, stack.scaler.role.node.defaultChild));

  it('lists one stream, scales one service, writes one log group, with no wildcard', () => {
    expectNoWildcards(statements);
    expect(statements.flatMap(actions).sort()).toEqual(EXPECTED_SCALER_ACTIONS);
    expect(refersTo(statementWith(statements, ['kinesis:ListShards']).Resource, idOf(stack, stack.node.findChild('Stream').node.defaultChild))).toBe(true);
    expect(refersTo(statementWith(statements, ['ecs:DescribeServices', 'ecs:UpdateService']).Resource, idOf(stack, stack.lakeService.service.node.defaultChild))).toBe(true);
    const role = (template.toJSON().Resources as Record<string, { Properties: Record<string, unknown> }>)[idOf(stack, stack.scaler.role.node.defaultChild)]!;
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });
});

describe('task execution role', () => {
  it('has no wildcard when the image comes from a registry', () => {
    const { stack, template } = synthStack();
    const executionRole = stack.lakeService.service.taskDefinition.executionRole!;
    expectNoWildcards(roleStatements(template, idOf(stack, executionRole.node.defaultChild)));
  });
});
