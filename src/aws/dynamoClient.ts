import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DEFAULT_MAX_SOCKETS, MAX_ATTEMPTS, SILENT_SDK_LOGGER, httpHandler } from './sdkDefaults.js';

/** The DynamoDB client of the lease table, for the service and for the commands that read it. */
export function createDynamoClient(maxSockets = DEFAULT_MAX_SOCKETS): DynamoDBClient {
  return new DynamoDBClient({ requestHandler: httpHandler(maxSockets, 10_000), maxAttempts: MAX_ATTEMPTS, logger: SILENT_SDK_LOGGER });
}
