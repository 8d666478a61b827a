/**
 * Start-up resolution of the PII key: KL_PII_KEY, or a Secrets Manager
 * secret (KL_PII_KEY_SECRET_ARN) fetched once, before workers start; the
 * key then reaches the workers in their start-up data.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { ConfigError, errorMessage } from '../errors.js';
import { MAX_ATTEMPTS, SILENT_SDK_LOGGER } from '../aws/sdkDefaults.js';

/** The one Secrets Manager call the service makes. */
export interface SecretPort {
  getSecretString(secretId: string): Promise<string | undefined>;
}

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

export interface PiiKeySettings {
  piiFields: readonly string[];
  piiKey: string | undefined;
  piiKeySecretArn: string | undefined;
}

export const MIN_PII_KEY_CHARS = 16;

/**
 * The key to tokenize with, or undefined when no field is listed. Throws a
 * ConfigError when fields are listed and no usable key can be had.
 */
export async function resolvePiiKey(settings: PiiKeySettings, secrets?: SecretPort): Promise<string | undefined> {
  if (settings.piiFields.length === 0) return undefined;
  if (settings.piiKeySecretArn !== undefined) {
    const port = secrets ?? createSecretPort();
    let value: string | undefined;
    try {
      value = await port.getSecretString(settings.piiKeySecretArn);
    } catch (err) {
      throw new ConfigError('KL_PII_KEY_SECRET_ARN', `KL_PII_KEY_SECRET_ARN=${settings.piiKeySecretArn} cannot be read: ${errorMessage(err)}`);
    }
    if (value === undefined || value.length < MIN_PII_KEY_CHARS) {
      throw new ConfigError('KL_PII_KEY_SECRET_ARN', `the secret ${settings.piiKeySecretArn} must hold a string of at least ${MIN_PII_KEY_CHARS} characters`);
    }
    return value;
  }
  if (settings.piiKey !== undefined) return settings.piiKey;
  throw new ConfigError(
    'KL_PII_KEY',
    `KL_PII_FIELDS lists ${settings.piiFields.join(', ')} but no key is set: set KL_PII_KEY (at least ${MIN_PII_KEY_CHARS} characters) or KL_PII_KEY_SECRET_ARN, or KL_PII_FIELDS=none to store these fields in clear`,
  );
}
