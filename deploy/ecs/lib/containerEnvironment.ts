/**
 * The container's environment, checked against the service's KL_* contract
 * (src/config/options.ts): every name must be an option the service reads and
 * every value known at synth must pass that option's own parser, so a typo or
 * a stale name fails `cdk synth` instead of the task at start-up.
 */
import { Token } from 'aws-cdk-lib';
import { OPTIONS, type OptionSpec } from '../../../src/config/options.js';
import { METRICS_PORT, SHUTDOWN_TIMEOUT_MS } from './stackProps.js';

/**
 * Variables for optional integrations, emitted only once the service declares
 * them in OPTIONS (the IAM grants exist either way; see taskRolePolicy.ts).
 */
export const PII_KEY_SECRET_ENV = 'KL_PII_KEY_SECRET_ARN';
export const FIREHOSE_STREAM_ENV = 'KL_FIREHOSE_DELIVERY_STREAM';

export interface ContainerEnvironmentInput {
  streamName: string;
  appName: string;
  bucketName: string;
  dlqUrl: string;
  piiKeySecretArn: string | undefined;
  firehoseDeliveryStreamName: string | undefined;
  overrides: Record<string, string>;
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
    KL_METRICS_PORT: String(METRICS_PORT),
    KL_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
  };
  if (input.piiKeySecretArn && isContractVariable(PII_KEY_SECRET_ENV)) env[PII_KEY_SECRET_ENV] = input.piiKeySecretArn;
  if (input.firehoseDeliveryStreamName && isContractVariable(FIREHOSE_STREAM_ENV)) env[FIREHOSE_STREAM_ENV] = input.firehoseDeliveryStreamName;
  for (const [name, value] of Object.entries(input.overrides)) {
    if (name in env) throw new Error(`${name} is set by the stack itself; change its stack property instead`);
    env[name] = value;
  }
  for (const [name, value] of Object.entries(env)) checked(name, value);
  return env;
}
