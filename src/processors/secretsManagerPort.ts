/** The SDK side of SecretPort (piiKey.ts): loaded only when KL_PII_KEY_SECRET_ARN is set. */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { MAX_ATTEMPTS, SILENT_SDK_LOGGER } from '../aws/sdkDefaults.js';
import type { SecretPort } from './piiKey.js';

// One call at start-up: no keep-alive agent (nothing to reuse), but the project's retries, timeouts and quiet logger.
function defaultSecretsClient(): SecretsManagerClient {
  return new SecretsManagerClient({ requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 10_000 }), maxAttempts: MAX_ATTEMPTS, logger: SILENT_SDK_LOGGER });
}

export function createSecretPort(client: SecretsManagerClient = defaultSecretsClient()): SecretPort {
  return {
    async getSecretString(secretId) {
      const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (out.SecretString !== undefined) return out.SecretString;
      return out.SecretBinary === undefined ? undefined : Buffer.from(out.SecretBinary).toString('utf8');
    },
  };
}
