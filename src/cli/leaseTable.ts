import { DynamoLeaseStore } from '../checkpoint/leaseStore.js';
import type { Lease } from '../checkpoint/lease.js';
import { MissingResourceError, errorName } from '../errors.js';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * The lease table of an application, read for `leases` and `status`. A
 * table that does not exist means no worker of that application ever started
 * in this account and region: usually a wrong --app or KL_APP_NAME, which
 * deserves one line that says so rather than the SDK's stack trace.
 */
export async function readLeaseTable(client: DynamoDBClient, appName: string): Promise<Lease[]> {
  try {
    return await new DynamoLeaseStore(client, appName).listLeases();
  } catch (err) {
    if (errorName(err) === 'ResourceNotFoundException') {
      throw new MissingResourceError(
        `lease table ${JSON.stringify(appName)} does not exist in this account and region: no worker of that application has started here; check --app or KL_APP_NAME`,
        err,
      );
    }
    throw err;
  }
}
