/**
 * Keeps the service's desired count at ceil(open shards / shardsPerTask):
 * a Lambda on a one-minute EventBridge schedule lists the stream's shards and
 * calls ecs:UpdateService when the count is off (see docs/deploy.md for why
 * not Application Auto Scaling). The code is a plain .mjs asset that imports
 * only the AWS SDK the Node.js runtime ships: no bundler, no Docker at synth.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import type { FargateService, ICluster } from 'aws-cdk-lib/aws-ecs';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Code, Function as LambdaFn, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export const SHARD_SCALER_CODE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'lambda', 'shardScaler');
export const SCALER_INTERVAL = Duration.minutes(1);

export interface ShardScalerProps {
  streamArn: string;
  cluster: ICluster;
  service: FargateService;
  shardsPerTask: number;
  minTasks: number;
  maxTasks: number | undefined;
  logRetention: RetentionDays;
}

export class ShardScaler extends Construct {
  readonly function: LambdaFn;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: ShardScalerProps) {
    super(scope, id);
    const logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention });
    // Own role instead of AWSLambdaBasicExecutionRole, whose logs statements cover every log group.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Shard scaler: list one stream\'s shards, set one service\'s desired count',
    });
    this.role.addToPolicy(new PolicyStatement({ sid: 'ListShards', actions: ['kinesis:ListShards'], resources: [props.streamArn] }));
    this.role.addToPolicy(
      new PolicyStatement({ sid: 'ScaleService', actions: ['ecs:DescribeServices', 'ecs:UpdateService'], resources: [props.service.serviceArn] }),
    );
    this.role.addToPolicy(
      new PolicyStatement({ sid: 'WriteLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
    );

    const environment: Record<string, string> = {
      SCALER_STREAM_ARN: props.streamArn,
      SCALER_CLUSTER: props.cluster.clusterName,
      SCALER_SERVICE: props.service.serviceName,
      SCALER_SHARDS_PER_TASK: String(props.shardsPerTask),
      SCALER_MIN_TASKS: String(props.minTasks),
    };
    if (props.maxTasks !== undefined) environment.SCALER_MAX_TASKS = String(props.maxTasks);

    this.function = new LambdaFn(this, 'Function', {
      description: 'Sets the kinesis-lake service desired count from the open shard count',
      runtime: Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: Code.fromAsset(SHARD_SCALER_CODE_DIR, { exclude: ['*.d.mts'] }),
      role: this.role,
      logGroup,
      timeout: Duration.seconds(30),
      memorySize: 128,
      environment,
    });
    new Rule(this, 'Schedule', {
      description: 'Reconcile the service with the stream\'s shard count',
      schedule: Schedule.rate(SCALER_INTERVAL),
      targets: [new LambdaFunction(this.function, { retryAttempts: 0 })],
    });
  }
}
