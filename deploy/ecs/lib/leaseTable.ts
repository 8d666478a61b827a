/**
 * The KCL-compatible lease table, named after KL_APP_NAME with hash key
 * `leaseKey`. Imported instead when migrating from a KCL application that
 * already owns it.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export function leaseTable(scope: Construct, props: { appName: string; importExisting: boolean; key: IKey }): ITable {
  if (props.importExisting) return Table.fromTableName(scope, 'LeaseTable', props.appName);
  return new Table(scope, 'LeaseTable', {
    tableName: props.appName,
    partitionKey: { name: 'leaseKey', type: AttributeType.STRING },
    // Lease traffic is a few writes per shard per second: on-demand, no capacity to manage.
    billingMode: BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: TableEncryption.CUSTOMER_MANAGED,
    encryptionKey: props.key,
    deletionProtection: true,
    // Checkpoints are the exactly-once state: losing them means replaying the stream.
    removalPolicy: RemovalPolicy.RETAIN,
  });
}
