/** The alarms an operator needs: dead letters piling up, consumers falling behind, tasks missing. */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, MathExpression, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { FargateService } from 'aws-cdk-lib/aws-ecs';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { AlarmThresholds } from './stackProps.js';

export interface LakeAlarmsProps {
  queue: IQueue;
  stream: IStream;
  service: FargateService;
  clusterName: string;
  thresholds: AlarmThresholds;
  topicArn: string | undefined;
}

export class LakeAlarms extends Construct {
  readonly deadLetters: Alarm;
  readonly iteratorAge: Alarm;
  readonly taskShortfall: Alarm;

  constructor(scope: Construct, id: string, props: LakeAlarmsProps) {
    super(scope, id);
    const minute = Duration.minutes(1);
    this.deadLetters = new Alarm(this, 'DeadLetters', {
      alarmDescription: 'Records reached the dead-letter queue: inspect and redrive them',
      metric: props.queue.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: 'Maximum' }),
      threshold: props.thresholds.dlqVisibleMessages,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.iteratorAge = new Alarm(this, 'IteratorAge', {
      alarmDescription: 'The consumer is behind the stream tip; data risks expiring before it is landed',
      metric: props.stream.metricGetRecordsIteratorAgeMilliseconds({ period: minute, statistic: 'Maximum' }),
      threshold: props.thresholds.iteratorAgeMs,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const insight = (metricName: string): Metric =>
      new Metric({
        namespace: 'ECS/ContainerInsights',
        metricName,
        dimensionsMap: { ClusterName: props.clusterName, ServiceName: props.service.serviceName },
        statistic: 'Average',
        period: minute,
      });
    this.taskShortfall = new Alarm(this, 'TaskShortfall', {
      alarmDescription: 'Fewer tasks running than desired: some shards may have no consumer',
      metric: new MathExpression({
        expression: 'desired - running',
        usingMetrics: { desired: insight('DesiredTaskCount'), running: insight('RunningTaskCount') },
        label: 'Missing tasks',
        period: minute,
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // A rolling deploy or a scale-out is short; a shortfall that lasts is not.
      evaluationPeriods: props.thresholds.taskShortfallMinutes,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    if (props.topicArn) {
      const action = new SnsAction(Topic.fromTopicArn(this, 'Topic', props.topicArn));
      for (const alarm of [this.deadLetters, this.iteratorAge, this.taskShortfall]) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }
  }
}
