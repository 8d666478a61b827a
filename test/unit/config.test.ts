import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, unknownVariables } from '../../src/config/loadConfig.js';
import type { ConfigError } from '../../src/errors.js';
import { BASE_ENV, configError } from '../support/configFixtures.js';
import { tempDir } from '../support/env.js';

const base = BASE_ENV;

function errorOf(env: Record<string, string>): ConfigError {
  return configError(() => loadConfig(env));
}

describe('loadConfig', () => {
  it('applies defaults to a minimal environment', () => {
    const c = loadConfig(base);
    expect(c.streamName).toBe('clicks');
    expect(c.appName).toBe('kinesis-lake');
    expect(c.flushIntervalMs).toBe(60_000);
    expect(c.shutdownTimeoutMs).toBe(25_000);
    expect(c.initialPosition).toBe('TRIM_HORIZON');
    expect(c.logLevel).toBe('info');
    expect(c.staggerFlushWindows).toBe(true);
  });

  it('names a missing KL_STREAM_NAME', () => {
    const { KL_STREAM_NAME: _omit, ...rest } = base;
    const e = errorOf(rest);
    expect(e.field).toBe('KL_STREAM_NAME');
    expect(e.message).toMatch(/^KL_STREAM_NAME is required/);
  });

  it('names a non-numeric KL_FLUSH_INTERVAL_MS with its value and what is expected', () => {
    const e = errorOf({ ...base, KL_FLUSH_INTERVAL_MS: 'soon' });
    expect(e.field).toBe('KL_FLUSH_INTERVAL_MS');
    expect(e.message).toBe('KL_FLUSH_INTERVAL_MS="soon" is invalid: expected a whole number of milliseconds between 1000 and 3600000');
  });

  it('rejects an out-of-range number', () => {
    expect(errorOf({ ...base, KL_FLUSH_MAX_RECORDS: '0' }).field).toBe('KL_FLUSH_MAX_RECORDS');
  });

  it('rejects an unknown initial position', () => {
    const e = errorOf({ ...base, KL_INITIAL_POSITION: 'EARLIEST' });
    expect(e.message).toContain('one of TRIM_HORIZON, LATEST, AT_TIMESTAMP');
  });

  it('requires KL_INITIAL_TIMESTAMP with AT_TIMESTAMP and parses it', () => {
    expect(errorOf({ ...base, KL_INITIAL_POSITION: 'AT_TIMESTAMP' }).field).toBe('KL_INITIAL_TIMESTAMP');
    expect(errorOf({ ...base, KL_INITIAL_POSITION: 'AT_TIMESTAMP', KL_INITIAL_TIMESTAMP: 'yesterday' }).field).toBe('KL_INITIAL_TIMESTAMP');
    const c = loadConfig({ ...base, KL_INITIAL_POSITION: 'at_timestamp', KL_INITIAL_TIMESTAMP: '2026-01-31T12:00:00Z' });
    expect(c.initialTimestampMs).toBe(Date.UTC(2026, 0, 31, 12));
  });

  it('takes KL_INITIAL_TIMESTAMP only with a zone and on a day that exists', () => {
    for (const raw of ['2026-01-31T12:00', '2026-02-30T00:00:00Z']) {
      const e = errorOf({ ...base, KL_INITIAL_POSITION: 'AT_TIMESTAMP', KL_INITIAL_TIMESTAMP: raw });
      expect(e.message, raw).toBe(`KL_INITIAL_TIMESTAMP=${JSON.stringify(raw)} is invalid: expected an ISO-8601 timestamp with Z or an offset, such as 2026-01-31T12:00:00Z`);
    }
    expect(loadConfig({ ...base, KL_INITIAL_POSITION: 'AT_TIMESTAMP', KL_INITIAL_TIMESTAMP: '2026-01-31T13:00:00+01:00' }).initialTimestampMs).toBe(Date.UTC(2026, 0, 31, 12));
  });

  it('names KL_ variables that are no setting, with the setting meant when it is a near miss', () => {
    expect(unknownVariables({ ...base, KL_FLUSH_INTERVAL: '30000', KL_FLUSHINTERVALMS: '1', KL_LOCAL_SQS: 'fauxqs', KL_TEST_REPLAY_STALL_AFTER_SEGMENTS: '1', OTHER: 'x' })).toEqual([
      { name: 'KL_FLUSHINTERVALMS', hint: 'no setting has this name (README lists them)' },
      { name: 'KL_FLUSH_INTERVAL', hint: 'did you mean KL_FLUSH_INTERVAL_MS?' },
    ]);
    expect(unknownVariables(base)).toEqual([]);
  });

  it('lets a --config FILE value stand when the environment sets the same variable empty', () => {
    const dir = tempDir('kl-config-');
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ KL_FLUSH_INTERVAL_MS: '30000' }));
    expect(loadConfig({ ...base, KL_FLUSH_INTERVAL_MS: '' }, file).flushIntervalMs).toBe(30_000);
    expect(loadConfig({ ...base, KL_FLUSH_INTERVAL_MS: '45000' }, file).flushIntervalMs).toBe(45_000);
  });

  it('rejects a malformed bucket name and boolean', () => {
    expect(errorOf({ ...base, KL_BUCKET: 'Not_A_Bucket' }).field).toBe('KL_BUCKET');
    expect(errorOf({ ...base, KL_S3_FORCE_PATH_STYLE: 'maybe' }).message).toContain('true or false');
    const stagger = errorOf({ ...base, KL_STAGGER_FLUSH_WINDOWS: 'yes please' });
    expect(stagger.field).toBe('KL_STAGGER_FLUSH_WINDOWS');
    expect(stagger.message).toContain('true or false');
    expect(loadConfig({ ...base, KL_STAGGER_FLUSH_WINDOWS: 'false' }).staggerFlushWindows).toBe(false);
  });

  it('rejects a DLQ URL that is not a URL', () => {
    expect(errorOf({ ...base, KL_DLQ_URL: 'dlq' }).field).toBe('KL_DLQ_URL');
  });
});
