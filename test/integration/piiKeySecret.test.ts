/**
 * KL_PII_KEY_SECRET_ARN against a real Secrets Manager API (moto): the
 * service's own client, configured from the SDK's endpoint variables only,
 * reads the key; a secret that does not exist fails start-up naming it.
 */
import { randomUUID } from 'node:crypto';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { resolvePiiKey } from '../../src/processors/piiKey.js';
import { createSecretPort } from '../../src/processors/secretsManagerPort.js';

// moto serves Secrets Manager; the npm-only fallback stack has none.
describe.runIf(process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER !== undefined)('PII key from Secrets Manager', () => {
  it('reads the key with the service client, and names a secret that cannot be read', async () => {
    const admin = new SecretsManagerClient({});
    try {
      const created = await admin.send(new CreateSecretCommand({ Name: `kl-pii-${randomUUID()}`, SecretString: 'secret-pii-key-0123456789' }));
      const settings = { piiFields: ['user_id'], piiKey: 'env-key-0123456789' };
      expect(await resolvePiiKey({ ...settings, piiKeySecretArn: created.ARN! }, createSecretPort())).toBe('secret-pii-key-0123456789');
      const missing = `kl-pii-missing-${randomUUID()}`;
      const err = await resolvePiiKey({ ...settings, piiKeySecretArn: missing }, createSecretPort()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(new RegExp(`^KL_PII_KEY_SECRET_ARN=${missing} cannot be read: `));
    } finally {
      admin.destroy();
    }
  });
});
