import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/loadConfig.js';
import type { ConfigError } from '../../src/errors.js';
import { BASE_ENV, configError } from '../support/configFixtures.js';

const base = BASE_ENV;

function errorOf(env: Record<string, string>): ConfigError {
  return configError(() => loadConfig(env));
}

describe('KL_SINK and KL_FIREHOSE_STREAM', () => {
  it('default to the S3 sink with no delivery stream', () => {
    const c = loadConfig(base);
    expect(c.sink).toBe('S3');
    expect(c.firehoseStream).toBeUndefined();
  });

  it('accept firehose in any case with a stream name', () => {
    const c = loadConfig({ ...base, KL_SINK: 'firehose', KL_FIREHOSE_STREAM: 'clicks-cleansed' });
    expect(c.sink).toBe('FIREHOSE');
    expect(c.firehoseStream).toBe('clicks-cleansed');
  });

  it('names an unknown KL_SINK', () => {
    const e = errorOf({ ...base, KL_SINK: 'kafka' });
    expect(e.field).toBe('KL_SINK');
    expect(e.message).toBe('KL_SINK="kafka" is invalid: expected one of S3, FIREHOSE');
  });

  it('names a malformed KL_FIREHOSE_STREAM', () => {
    const e = errorOf({ ...base, KL_SINK: 'firehose', KL_FIREHOSE_STREAM: 'no spaces' });
    expect(e.field).toBe('KL_FIREHOSE_STREAM');
    expect(e.message).toBe('KL_FIREHOSE_STREAM="no spaces" is invalid: expected a Firehose delivery stream name (1-64 of a-z A-Z 0-9 _ . -)');
  });

  it('requires KL_FIREHOSE_STREAM with KL_SINK=firehose', () => {
    const e = errorOf({ ...base, KL_SINK: 'firehose' });
    expect(e.field).toBe('KL_FIREHOSE_STREAM');
    expect(e.message).toMatch(/^KL_FIREHOSE_STREAM is required when KL_SINK=firehose/);
  });
});
