/**
 * Everything a deployment chooses. Filled from CDK context by contextProps.ts
 * (`cdk deploy -c streamName=clicks -c shardCount=8 ...`) or directly by tests.
 */
import type { StackProps } from 'aws-cdk-lib';
import type { LakeTableDefinition, LakeTablesInput } from './lakeTableDefinition.js';

/** Create a new encrypted stream, or consume one that already exists. */
export type StreamSource =
  | { kind: 'create'; name: string; shardCount: number }
  | { kind: 'import'; arn: string; /** KMS key of an imported stream encrypted with a customer key. */ encryptionKeyArn?: string };

export interface AlarmThresholds {
  /** DLQ alarm when at least this many messages are visible. */
  dlqVisibleMessages: number;
  /** Iterator-age alarm (maximum over a minute), in milliseconds. */
  iteratorAgeMs: number;
  /** Consecutive minutes with running < desired tasks before alarming (covers deployments). */
  taskShortfallMinutes: number;
}

export interface KinesisLakeStackProps extends StackProps {
  stream: StreamSource;
  /** KL_APP_NAME: names the lease table, like a KCL application name. */
  appName: string;
  /** Reuse an existing lease table named appName (migration from KCL) instead of creating it. */
  importLeaseTable: boolean;
  /** Image URI; undefined builds the repository's Dockerfile as a CDK asset at deploy time. */
  image: string | undefined;
  shardsPerTask: number;
  minTasks: number;
  maxTasks: number | undefined;
  cpu: number;
  memoryMiB: number;
  cpuArchitecture: 'X86_64' | 'ARM64';
  alarms: AlarmThresholds;
  /** SNS topic ARN that receives alarm notifications. */
  alarmTopicArn: string | undefined;
  logRetentionDays: number;
  /** Name of the cleansed Glue table and of its cleansed/<table>/ prefix. */
  cleansedTable: string;
  glueDatabase: string;
  /** Existing VPC (looked up at synth); undefined creates one. */
  vpcId: string | undefined;
  /** Secrets Manager secret holding the PII tokenization key. */
  piiKeySecretArn: string | undefined;
  /** Firehose delivery stream the service may forward to. */
  firehoseDeliveryStreamArn: string | undefined;
  /** Extra KL_* variables for the container; each is checked against OPTIONS at synth. */
  environment: Record<string, string>;
  /** Builds the Glue table definitions; defaults to defaultLakeTables. */
  lakeTables?: (input: LakeTablesInput) => LakeTableDefinition[];
}

export const DEFAULT_STACK_PROPS = {
  appName: 'kinesis-lake',
  importLeaseTable: false,
  image: undefined,
  shardsPerTask: 4,
  minTasks: 1,
  maxTasks: undefined,
  cpu: 1024,
  memoryMiB: 2048,
  cpuArchitecture: 'X86_64',
  alarms: { dlqVisibleMessages: 1, iteratorAgeMs: 300_000, taskShortfallMinutes: 10 },
  alarmTopicArn: undefined,
  logRetentionDays: 30,
  cleansedTable: 'events',
  glueDatabase: 'kinesis_lake',
  vpcId: undefined,
  piiKeySecretArn: undefined,
  firehoseDeliveryStreamArn: undefined,
  environment: {},
} satisfies Omit<KinesisLakeStackProps, 'stream'>;

/** ECS waits this long after SIGTERM before SIGKILL (the Fargate maximum). */
export const STOP_TIMEOUT_SECONDS = 120;
/** The service's own shutdown deadline: well inside the stop timeout, so it finishes before SIGKILL. */
export const SHUTDOWN_TIMEOUT_MS = 100_000;
export const METRICS_PORT = 9464;

/** The stream's name, known at synth even for an imported stream (Glue table names need it). */
export function streamNameOf(source: StreamSource): string {
  if (source.kind === 'create') return source.name;
  const match = /^arn:[^:]+:kinesis:[^:]*:\d{12}:stream\/([a-zA-Z0-9_.-]{1,128})$/.exec(source.arn);
  if (!match) throw new Error(`not a Kinesis stream ARN: ${source.arn}`);
  return match[1]!;
}
