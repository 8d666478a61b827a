/** The smallest valid environment for loadConfig, and the ConfigError a call throws. */
import { ConfigError } from '../../src/errors.js';

export const BASE_ENV = { KL_STREAM_NAME: 'clicks', KL_BUCKET: 'lake-bucket', KL_DLQ_URL: 'http://127.0.0.1:4566/000000000000/dlq' };

/** The ConfigError `fn` throws; fails the test when it throws nothing or something else. */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}
