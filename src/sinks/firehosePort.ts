/** The one Firehose call the cleansed sink makes, behind a port so tests can inject partial failures. */
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { DEFAULT_MAX_SOCKETS, MAX_ATTEMPTS, SILENT_SDK_LOGGER, httpHandler } from '../aws/sdkDefaults.js';

export interface FirehoseBatchResult {
  /** One entry per record sent, in order: the ErrorCode Firehose reported, or undefined when accepted. */
  errorCodes: (string | undefined)[];
}

export interface FirehosePort {
  /** Throws when the call itself failed; per-record failures come back in errorCodes. */
  putRecordBatch(deliveryStream: string, records: Uint8Array[]): Promise<FirehoseBatchResult>;
  destroy(): void;
}

/** The project's shared client settings (aws/sdkDefaults.ts); a batch carries up to 4 MiB, hence the longer timeout. */
function defaultFirehoseClient(): FirehoseClient {
  return new FirehoseClient({ requestHandler: httpHandler(DEFAULT_MAX_SOCKETS, 30_000), maxAttempts: MAX_ATTEMPTS, logger: SILENT_SDK_LOGGER });
}

export function createFirehosePort(client: FirehoseClient = defaultFirehoseClient()): FirehosePort {
  return {
    async putRecordBatch(deliveryStream, records) {
      const out = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: deliveryStream, Records: records.map((Data) => ({ Data })) }));
      const responses = out.RequestResponses ?? [];
      if (responses.length !== records.length && (out.FailedPutCount ?? 0) > 0) {
        throw new Error(`PutRecordBatch reported ${out.FailedPutCount} failures but ${responses.length} responses for ${records.length} records`);
      }
      return { errorCodes: records.map((_, i) => responses[i]?.ErrorCode ?? undefined) };
    },
    destroy: () => client.destroy(),
  };
}
