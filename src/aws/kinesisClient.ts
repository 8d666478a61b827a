import { KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisJsonProtocol } from './kinesisProtocol.js';
import { DEFAULT_MAX_SOCKETS, MAX_ATTEMPTS, SILENT_SDK_LOGGER, httpHandler } from './sdkDefaults.js';

/** The Kinesis client every command uses: HTTP/1.1, GetRecords read by hand (kinesisProtocol.ts). */
export function createKinesisClient(maxSockets = DEFAULT_MAX_SOCKETS): KinesisClient {
  return new KinesisClient({ requestHandler: httpHandler(maxSockets, 30_000), maxAttempts: MAX_ATTEMPTS, logger: SILENT_SDK_LOGGER, protocol: KinesisJsonProtocol });
}
