/**
 * Stack properties from CDK context (`-c name=value` or cdk.json "context").
 * Values arrive as strings from the command line and as JSON from cdk.json;
 * both are accepted and checked here, so a bad value fails the synth.
 */
import { DEFAULT_STACK_PROPS, type KinesisLakeStackProps, type StreamSource } from './stackProps.js';

export type ContextReader = (key: string) => unknown;

function text(read: ContextReader, key: string): string | undefined {
  const value = read(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw new Error(`context ${key} must be a string, number or boolean`);
  }
  return String(value);
}

function whole(read: ContextReader, key: string, min: number): number | undefined {
  const raw = text(read, key);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new Error(`context ${key}=${raw} must be a whole number >= ${min}`);
  return Number(raw);
}

function flag(read: ContextReader, key: string): boolean | undefined {
  const raw = text(read, key);
  if (raw === undefined) return undefined;
  if (raw !== 'true' && raw !== 'false') throw new Error(`context ${key}=${raw} must be true or false`);
  return raw === 'true';
}

function streamSource(read: ContextReader): StreamSource {
  const arn = text(read, 'streamArn');
  const name = text(read, 'streamName');
  if (arn !== undefined) {
    if (name !== undefined) throw new Error('give either context streamArn (import) or streamName (create), not both');
    return { kind: 'import', arn, encryptionKeyArn: text(read, 'streamKeyArn') };
  }
  if (name === undefined) throw new Error('context streamName (create a stream) or streamArn (import one) is required');
  return { kind: 'create', name, shardCount: whole(read, 'shardCount', 1) ?? 1 };
}

/** Context keys and their meaning are listed in docs/deploy.md. */
export function propsFromContext(read: ContextReader): KinesisLakeStackProps {
  const d = DEFAULT_STACK_PROPS;
  const architecture = text(read, 'cpuArchitecture') ?? d.cpuArchitecture;
  if (architecture !== 'X86_64' && architecture !== 'ARM64') throw new Error(`context cpuArchitecture=${architecture} must be X86_64 or ARM64`);
  const environment = read('environment');
  if (environment !== undefined && (typeof environment !== 'object' || environment === null || Array.isArray(environment))) {
    throw new Error('context environment must be an object of KL_* names to string values (set it in cdk.json)');
  }
  return {
    stream: streamSource(read),
    appName: text(read, 'appName') ?? d.appName,
    importLeaseTable: flag(read, 'importLeaseTable') ?? d.importLeaseTable,
    image: text(read, 'image') ?? d.image,
    shardsPerTask: whole(read, 'shardsPerTask', 1) ?? d.shardsPerTask,
    minTasks: whole(read, 'minTasks', 1) ?? d.minTasks,
    maxTasks: whole(read, 'maxTasks', 1) ?? d.maxTasks,
    cpu: whole(read, 'cpu', 256) ?? d.cpu,
    memoryMiB: whole(read, 'memoryMiB', 512) ?? d.memoryMiB,
    cpuArchitecture: architecture,
    alarms: {
      dlqVisibleMessages: whole(read, 'dlqAlarmMessages', 1) ?? d.alarms.dlqVisibleMessages,
      iteratorAgeMs: whole(read, 'iteratorAgeAlarmMs', 1) ?? d.alarms.iteratorAgeMs,
      taskShortfallMinutes: whole(read, 'taskShortfallAlarmMinutes', 1) ?? d.alarms.taskShortfallMinutes,
    },
    alarmTopicArn: text(read, 'alarmTopicArn') ?? d.alarmTopicArn,
    logRetentionDays: whole(read, 'logRetentionDays', 1) ?? d.logRetentionDays,
    cleansedTable: text(read, 'cleansedTable') ?? d.cleansedTable,
    glueDatabase: text(read, 'glueDatabase') ?? d.glueDatabase,
    vpcId: text(read, 'vpcId') ?? d.vpcId,
    piiKeySecretArn: text(read, 'piiKeySecretArn') ?? d.piiKeySecretArn,
    firehoseDeliveryStreamArn: text(read, 'firehoseDeliveryStreamArn') ?? d.firehoseDeliveryStreamArn,
    environment: Object.fromEntries(Object.entries((environment ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)])),
  };
}
