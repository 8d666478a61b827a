/**
 * The ECS Fargate service running `kinesis-lake run`. Its desired count is
 * left out of the template on purpose: the shard scaler owns it, and a
 * deployment must not reset it.
 */
import { Duration } from 'aws-cdk-lib';
import { Peer, Port, SubnetType, type IVpc } from 'aws-cdk-lib/aws-ec2';
import {
  Cluster,
  ContainerImage,
  ContainerInsights,
  CpuArchitecture,
  FargateService,
  FargateTaskDefinition,
  LogDrivers,
  OperatingSystemFamily,
  Protocol,
} from 'aws-cdk-lib/aws-ecs';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { Role, ServicePrincipal, type PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HEALTHCHECK_COMMAND } from './healthCheck.js';
import { METRICS_PORT, STOP_TIMEOUT_SECONDS } from './stackProps.js';

/** Fargate runs the image as the node image's unprivileged `node` user (uid 1000). */
export const CONTAINER_USER = '1000';
export const CONTAINER_NAME = 'kinesis-lake';

export interface LakeServiceProps {
  vpc: IVpc;
  appName: string;
  /** Image URI, or the directory holding the Dockerfile (built by cdk deploy). */
  image: { uri: string } | { directory: string };
  cpu: number;
  memoryMiB: number;
  cpuArchitecture: 'X86_64' | 'ARM64';
  environment: Record<string, string>;
  taskRoleStatements: PolicyStatement[];
  logRetention: RetentionDays;
}

export class LakeService extends Construct {
  readonly cluster: Cluster;
  readonly service: FargateService;
  readonly taskRole: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: LakeServiceProps) {
    super(scope, id);
    this.cluster = new Cluster(this, 'Cluster', {
      vpc: props.vpc,
      // RunningTaskCount/DesiredTaskCount for the task-shortfall alarm.
      containerInsightsV2: ContainerInsights.ENABLED,
    });
    this.taskRole = new Role(this, 'TaskRole', {
      assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `${props.appName} service: its stream, lease table, lake prefixes, DLQ and key only`,
    });
    for (const statement of props.taskRoleStatements) this.taskRole.addToPolicy(statement);

    const arm = props.cpuArchitecture === 'ARM64';
    const taskDefinition = new FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: props.cpu,
      memoryLimitMiB: props.memoryMiB,
      runtimePlatform: {
        cpuArchitecture: arm ? CpuArchitecture.ARM64 : CpuArchitecture.X86_64,
        operatingSystemFamily: OperatingSystemFamily.LINUX,
      },
      taskRole: this.taskRole,
      // The root file system is read-only; /tmp is the one writable place (spill files, npm/node caches).
      volumes: [{ name: 'tmp' }],
    });
    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention });
    const image =
      'uri' in props.image
        ? ContainerImage.fromRegistry(props.image.uri)
        : ContainerImage.fromAsset(props.image.directory, { platform: arm ? Platform.LINUX_ARM64 : Platform.LINUX_AMD64 });
    const container = taskDefinition.addContainer('Service', {
      containerName: CONTAINER_NAME,
      image,
      command: ['run'],
      environment: props.environment,
      user: CONTAINER_USER,
      readonlyRootFilesystem: true,
      // Time for the graceful shutdown (flush, checkpoint, release leases) before SIGKILL.
      stopTimeout: Duration.seconds(STOP_TIMEOUT_SECONDS),
      portMappings: [{ containerPort: METRICS_PORT, protocol: Protocol.TCP, name: 'metrics' }],
      healthCheck: {
        command: ['CMD', ...HEALTHCHECK_COMMAND],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(60),
      },
      logging: LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: props.appName }),
    });
    container.addMountPoints({ containerPath: '/tmp', sourceVolume: 'tmp', readOnly: false });

    this.service = new FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition,
      vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
      assignPublicIp: false,
      // Rolling deploy: new tasks start before old ones get SIGTERM and hand their leases over.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { rollback: true },
    });
    // Prometheus scrapes from inside the VPC.
    this.service.connections.allowFrom(Peer.ipv4(props.vpc.vpcCidrBlock), Port.tcp(METRICS_PORT), 'Prometheus scrape of /metrics');
  }
}
