/**
 * The container's environment, checked against the service's KL_* contract
 * (src/config/options.ts): every name must be an option the service reads and
 * every value known at synth must pass that option's own parser, so a typo or
 * a stale name fails `cdk synth` instead of the task at start-up.
 */
import { Token } from 'aws-cdk-lib';
import { PROCESS_MEMORY_BYTES } from '../../../src/config/memoryFit.js';
import { MIN_MEMORY_BUDGET_BYTES, OPTIONS, type OptionSpec } from '../../../src/config/options.js';
import { METRICS_PORT, SHUTDOWN_TIMEOUT_MS } from './stackProps.js';

/** Variables of the optional integrations (checked against OPTIONS like every other name). */
export const PII_KEY_SECRET_ENV = 'KL_PII_KEY_SECRET_ARN';
export const FIREHOSE_STREAM_ENV = 'KL_FIREHOSE_STREAM';

export interface ContainerEnvironmentInput {
  streamName: string;
  appName: string;
  bucketName: string;
  dlqUrl: string;
  /** The cleansed table: the Glue table and the cleansed/<table>/ prefix the service writes must be one name. */
  tableName: string;
  piiKeySecretArn: string | undefined;
  firehoseDeliveryStreamName: string | undefined;
  /** The task's memory: KL_MEMORY_BUDGET_BYTES is sized from it unless overridden. */
  taskMemoryMiB: number;
  overrides: Record<string, string>;
}

const MiB = 1024 * 1024;
export const MEMORY_BUDGET_ENV = 'KL_MEMORY_BUDGET_BYTES';
/** The service's default budget is 768 MiB for a 2 GiB task: the same share of any task size. */
const BUDGET_SHARE_OF_TASK = 0.375;
/** Most of the task an overridden budget may take. */
const MAX_BUDGET_SHARE_OF_TASK = 0.75;
/** What the task must keep beside the budget for the process itself; the service checks the same at start-up. */
const PROCESS_MEMORY_MIB = PROCESS_MEMORY_BYTES / MiB;
const MIN_BUDGET_MIB = MIN_MEMORY_BUDGET_BYTES / MiB;

/**
 * KL_MEMORY_BUDGET_BYTES for a task of `taskMemoryMiB`: BUDGET_SHARE_OF_TASK
 * of it, less on a task too small to keep PROCESS_MEMORY_MIB beside that.
 */
export function memoryBudgetBytesFor(taskMemoryMiB: number): number {
  const budgetMiB = Math.min(Math.floor(taskMemoryMiB * BUDGET_SHARE_OF_TASK), taskMemoryMiB - PROCESS_MEMORY_MIB);
  if (budgetMiB < MIN_BUDGET_MIB) {
    throw new Error(`memoryMiB=${taskMemoryMiB} leaves no room for a memory budget beside the ${PROCESS_MEMORY_MIB} MiB the process itself needs: raise memoryMiB to at least ${PROCESS_MEMORY_MIB + MIN_BUDGET_MIB}`);
  }
  return budgetMiB * MiB;
}

function optionNamed(env: string): OptionSpec | undefined {
  return OPTIONS.find((o) => o.env === env);
}

export function isContractVariable(env: string): boolean {
  return optionNamed(env) !== undefined;
}

function checked(env: string, value: string): string {
  const option = optionNamed(env);
  if (!option) throw new Error(`${env} is not one of the service's options (src/config/options.ts)`);
  // Tokens (bucket name, queue URL) resolve at deploy time; CloudFormation supplies real ones.
  if (!Token.isUnresolved(value)) option.parse(value, env);
  return value;
}

export function containerEnvironment(input: ContainerEnvironmentInput): Record<string, string> {
  const env: Record<string, string> = {
    KL_STREAM_NAME: input.streamName,
    KL_APP_NAME: input.appName,
    KL_BUCKET: input.bucketName,
    KL_DLQ_URL: input.dlqUrl,
    KL_TABLE_NAME: input.tableName,
    KL_METRICS_PORT: String(METRICS_PORT),
    KL_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
  };
  if (input.piiKeySecretArn) env[PII_KEY_SECRET_ENV] = input.piiKeySecretArn;
  if (input.firehoseDeliveryStreamName) {
    env[FIREHOSE_STREAM_ENV] = input.firehoseDeliveryStreamName;
    env.KL_SINK = 'FIREHOSE';
  }
  for (const [name, value] of Object.entries(input.overrides)) {
    if (name in env) throw new Error(`${name} is set by the stack itself; change its stack property instead`);
    env[name] = value;
  }
  requirePiiKey(env);
  // A budget sized for a 2 GiB task would leave a larger task's memory unused, and cut segments early.
  env[MEMORY_BUDGET_ENV] ??= String(memoryBudgetBytesFor(input.taskMemoryMiB));
  const budget = Number(env[MEMORY_BUDGET_ENV]);
  if (!Token.isUnresolved(env[MEMORY_BUDGET_ENV])) {
    if (budget > input.taskMemoryMiB * MiB * MAX_BUDGET_SHARE_OF_TASK) {
      throw new Error(
        `${MEMORY_BUDGET_ENV}=${env[MEMORY_BUDGET_ENV]} is over ${MAX_BUDGET_SHARE_OF_TASK * 100} % of the task's ${input.taskMemoryMiB} MiB: lower it, or raise memoryMiB (the rest holds Node, the worker threads and buffers outside the budget)`,
      );
    }
    const besideMiB = Math.floor((input.taskMemoryMiB * MiB - budget) / MiB);
    if (besideMiB < PROCESS_MEMORY_MIB) {
      throw new Error(
        `${MEMORY_BUDGET_ENV}=${env[MEMORY_BUDGET_ENV]} leaves ${besideMiB} MiB of the task's ${input.taskMemoryMiB} MiB beside the budget, and the process itself needs about ${PROCESS_MEMORY_MIB} (docs/deploy.md): lower it to at most ${(input.taskMemoryMiB - PROCESS_MEMORY_MIB) * MiB}, or raise memoryMiB to at least ${Math.ceil(budget / MiB) + PROCESS_MEMORY_MIB}`,
      );
    }
  }
  for (const [name, value] of Object.entries(env)) checked(name, value);
  return env;
}

/**
 * The service tokenizes KL_PII_FIELDS (user_id and session_id unless set)
 * and refuses to start without a key: a stack that gives it none would
 * deploy a task that fails at every start.
 */
function requirePiiKey(env: Record<string, string>): void {
  const option = optionNamed('KL_PII_FIELDS')!;
  const raw = env.KL_PII_FIELDS;
  const fields = (raw === undefined ? option.defaultValue!() : option.parse(raw, 'KL_PII_FIELDS')) as string[];
  if (fields.length === 0 || env[PII_KEY_SECRET_ENV] !== undefined || env.KL_PII_KEY !== undefined) return;
  throw new Error(
    `KL_PII_FIELDS (${fields.join(',')}) are tokenized with a key the stack does not give: set piiKeySecretArn to a Secrets Manager secret of at least 16 characters, or environment KL_PII_FIELDS=none to keep those fields in clear`,
  );
}
