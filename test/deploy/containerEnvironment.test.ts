/** The container environment is checked against the service's own KL_* contract at synth time. */
import { describe, expect, it } from 'vitest';
import { containerEnvironment, memoryBudgetBytesFor, type ContainerEnvironmentInput } from '../../deploy/ecs/lib/containerEnvironment.js';
import { OPTIONS } from '../../src/config/options.js';

const base: ContainerEnvironmentInput = {
  streamName: 'clicks',
  appName: 'lake-app',
  bucketName: 'lake-bucket-1',
  dlqUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/lake-dlq',
  tableName: 'events',
  piiKeySecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:lake-pii-AbCdEf',
  firehoseDeliveryStreamName: undefined,
  taskMemoryMiB: 2048,
  overrides: {},
};

describe('containerEnvironment', () => {
  it('sets every required option and only contract names, each accepted by its parser', () => {
    const env = containerEnvironment(base);
    for (const option of OPTIONS.filter((o) => o.defaultText === undefined)) expect(env).toHaveProperty(option.env);
    for (const [name, value] of Object.entries(env)) {
      const option = OPTIONS.find((o) => o.env === name);
      expect(option, name).toBeDefined();
      expect(() => option!.parse(value, name)).not.toThrow();
    }
  });

  it('accepts a valid override of another option', () => {
    expect(containerEnvironment({ ...base, overrides: { KL_FLUSH_INTERVAL_MS: '30000' } }).KL_FLUSH_INTERVAL_MS).toBe('30000');
  });

  it('rejects a name the service does not read', () => {
    expect(() => containerEnvironment({ ...base, overrides: { KL_FLUSH_INTERVAL: '30000' } })).toThrow(/KL_FLUSH_INTERVAL is not one of/);
  });

  it('rejects a value the service would reject at start-up', () => {
    expect(() => containerEnvironment({ ...base, overrides: { KL_FLUSH_INTERVAL_MS: '5' } })).toThrow(/KL_FLUSH_INTERVAL_MS/);
    expect(() => containerEnvironment({ ...base, streamName: 'bad name!' })).toThrow(/KL_STREAM_NAME/);
  });

  it('sizes the memory budget from the task: the service default for 2 GiB, the same share of larger tasks', () => {
    const defaultBudget = OPTIONS.find((o) => o.env === 'KL_MEMORY_BUDGET_BYTES')!.defaultValue!();
    expect(Number(containerEnvironment(base).KL_MEMORY_BUDGET_BYTES)).toBe(768 * 1024 * 1024);
    expect(memoryBudgetBytesFor(2048)).toBe(defaultBudget);
    expect(Number(containerEnvironment({ ...base, taskMemoryMiB: 8192 }).KL_MEMORY_BUDGET_BYTES)).toBe(3072 * 1024 * 1024);
  });

  it('keeps 400 MiB of a small task beside the budget, and refuses a task with no room for one', () => {
    // 37.5 % of 512 MiB would leave the process 320 MiB.
    expect(Number(containerEnvironment({ ...base, taskMemoryMiB: 512 }).KL_MEMORY_BUDGET_BYTES)).toBe(112 * 1024 * 1024);
    expect(Number(containerEnvironment({ ...base, taskMemoryMiB: 1024 }).KL_MEMORY_BUDGET_BYTES)).toBe(384 * 1024 * 1024);
    expect(() => memoryBudgetBytesFor(410)).toThrow('memoryMiB=410 leaves no room for a memory budget beside the 400 MiB the process itself needs: raise memoryMiB to at least 416');
  });

  it('keeps an overridden budget, and refuses one that leaves the task too little memory', () => {
    expect(containerEnvironment({ ...base, overrides: { KL_MEMORY_BUDGET_BYTES: String(1024 * 1024 * 1024) } }).KL_MEMORY_BUDGET_BYTES).toBe(String(1024 * 1024 * 1024));
    expect(() => containerEnvironment({ ...base, overrides: { KL_MEMORY_BUDGET_BYTES: String(1800 * 1024 * 1024) } })).toThrow(
      /^KL_MEMORY_BUDGET_BYTES=1887436800 is over 75 % of the task's 2048 MiB: lower it, or raise memoryMiB/,
    );
    // Under 75 % of a 1 GiB task, but 324 MiB beside it is less than the process needs.
    expect(() => containerEnvironment({ ...base, taskMemoryMiB: 1024, overrides: { KL_MEMORY_BUDGET_BYTES: String(700 * 1024 * 1024) } })).toThrow(
      'KL_MEMORY_BUDGET_BYTES=734003200 leaves 324 MiB of the task\'s 1024 MiB beside the budget, and the process itself needs about 400 (docs/deploy.md): lower it to at most 654311424, or raise memoryMiB to at least 1100',
    );
    expect(containerEnvironment({ ...base, taskMemoryMiB: 1024, overrides: { KL_MEMORY_BUDGET_BYTES: String(624 * 1024 * 1024) } }).KL_MEMORY_BUDGET_BYTES).toBe(String(624 * 1024 * 1024));
  });

  it('gives the service the Glue table name, so the cleansed zone lands where Glue reads', () => {
    expect(containerEnvironment(base).KL_TABLE_NAME).toBe('events');
  });

  it('refuses a stack whose service would tokenize PII fields without a key, and says how to fix it', () => {
    expect(() => containerEnvironment({ ...base, piiKeySecretArn: undefined })).toThrow(
      'KL_PII_FIELDS (user_id,session_id) are tokenized with a key the stack does not give: set piiKeySecretArn to a Secrets Manager secret of at least 16 characters, or environment KL_PII_FIELDS=none to keep those fields in clear',
    );
    expect(() => containerEnvironment({ ...base, piiKeySecretArn: undefined, overrides: { KL_PII_FIELDS: 'email' } })).toThrow(/KL_PII_FIELDS \(email\)/);
    expect(containerEnvironment({ ...base, piiKeySecretArn: undefined, overrides: { KL_PII_FIELDS: 'none' } }).KL_PII_FIELDS).toBe('none');
    expect(containerEnvironment(base).KL_PII_KEY_SECRET_ARN).toBe(base.piiKeySecretArn);
  });

  it('points the cleansed zone at Firehose when the stack is given a delivery stream', () => {
    const env = containerEnvironment({ ...base, firehoseDeliveryStreamName: 'clicks-cleansed' });
    expect(env.KL_SINK).toBe('FIREHOSE');
    expect(env.KL_FIREHOSE_STREAM).toBe('clicks-cleansed');
    expect(containerEnvironment(base).KL_SINK).toBeUndefined();
  });

  it('refuses to override what the stack derives itself', () => {
    expect(() => containerEnvironment({ ...base, overrides: { KL_BUCKET: 'other-bucket' } })).toThrow(/set by the stack/);
  });
});
