/**
 * LeaseTableProbe over the AWS SDK: DescribeTable, and a table that is being
 * created or deleted counts as not usable.
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LeaseTableProbe } from './readiness.js';

const USABLE = new Set(['ACTIVE', 'UPDATING']);

export function dynamoLeaseTableProbe(client: DynamoDBClient): LeaseTableProbe {
  return {
    async describeTable(tableName, signal) {
      const out = await client.send(new DescribeTableCommand({ TableName: tableName }), signal ? { abortSignal: signal } : {});
      const status = out.Table?.TableStatus;
      if (!status || !USABLE.has(status)) throw new Error(`table ${tableName} is ${status ?? 'in an unknown state'}`);
    },
  };
}
