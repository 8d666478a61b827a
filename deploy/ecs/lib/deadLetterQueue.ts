/** The SQS dead-letter queue: KMS-encrypted, TLS only, 14 days (the SQS maximum) to investigate and redrive. */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export const DLQ_RETENTION_DAYS = 14;

export function deadLetterQueue(scope: Construct, props: { appName: string; key: IKey }): Queue {
  return new Queue(scope, 'DeadLetterQueue', {
    queueName: `${props.appName}-dlq`,
    encryption: QueueEncryption.KMS,
    encryptionMasterKey: props.key,
    // Reuse a data key for 5 minutes: fewer kms:GenerateDataKey calls during a burst of failures.
    dataKeyReuse: Duration.minutes(5),
    retentionPeriod: Duration.days(DLQ_RETENTION_DAYS),
    enforceSSL: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
}
