/**
 * Start-up resolution of the PII key: KL_PII_KEY, or a Secrets Manager
 * secret (KL_PII_KEY_SECRET_ARN) fetched once, before workers start; the
 * key then reaches the workers in their start-up data.
 */
import { ConfigError, errorMessage } from '../errors.js';

/** The one Secrets Manager call the service makes. */
export interface SecretPort {
  getSecretString(secretId: string): Promise<string | undefined>;
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
    // The SDK client loads only when a secret is configured: ~0.1 s of start-up CPU otherwise spent for nothing.
    const port = secrets ?? (await import('./secretsManagerPort.js')).createSecretPort();
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
