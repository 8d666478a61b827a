import { writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/loadConfig.js';
import { ConfigError } from '../../src/errors.js';
import { createProcessorContext } from '../../src/processors/context.js';
import { processorOptionsFromConfig } from '../../src/processors/processorOptions.js';
import { resolvePiiKey, type SecretPort } from '../../src/processors/piiKey.js';
import { DEFAULT_SCHEMA_DIR, loadEventSchemas } from '../../src/processors/schemas.js';
import { testOptions } from '../support/processorFixtures.js';
import { BASE_ENV, configError } from '../support/configFixtures.js';
import { tempDir } from '../support/env.js';

const base = BASE_ENV;

async function configErrorAsync(p: Promise<unknown>): Promise<ConfigError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('processor options', () => {
  it('defaults: shipped schemas, 1,000,000-byte records, 1 h future limit, user_id and session_id tokenized', () => {
    const c = loadConfig(base);
    expect(c.schemaDir).toBe(DEFAULT_SCHEMA_DIR);
    expect(c.maxRecordBytes).toBe(1_000_000);
    expect(c.maxJsonDepth).toBe(64);
    expect(c.maxFutureMs).toBe(3_600_000);
    expect(c.piiFields).toEqual(['user_id', 'session_id']);
    expect(c.piiKey).toBeUndefined();
    expect(c.workers).toBeGreaterThanOrEqual(1);
    expect(c.workerNiceness).toBe(19);
  });

  it('names a bad KL_WORKERS', () => {
    const e = configError(() => loadConfig({ ...base, KL_WORKERS: '0' }));
    expect(e.message).toBe('KL_WORKERS="0" is invalid: expected a whole number of threads between 1 and 256');
  });

  it('names a bad KL_WORKER_NICENESS, and takes 19 (the lowest priority) and 0 (one priority for every thread)', () => {
    const e = configError(() => loadConfig({ ...base, KL_WORKER_NICENESS: '20' }));
    expect(e.message).toBe('KL_WORKER_NICENESS="20" is invalid: expected a whole number of niceness steps between 0 and 19');
    expect(configError(() => loadConfig({ ...base, KL_WORKER_NICENESS: 'low' })).field).toBe('KL_WORKER_NICENESS');
    expect(loadConfig({ ...base, KL_WORKER_NICENESS: '19' }).workerNiceness).toBe(19);
    expect(loadConfig({ ...base, KL_WORKER_NICENESS: '0' }).workerNiceness).toBe(0);
  });

  it('names a bad KL_MAX_RECORD_BYTES and KL_MAX_FUTURE_MS', () => {
    expect(configError(() => loadConfig({ ...base, KL_MAX_RECORD_BYTES: '1mb' })).message).toBe('KL_MAX_RECORD_BYTES="1mb" is invalid: expected a whole number of bytes between 1024 and 10485760');
    expect(configError(() => loadConfig({ ...base, KL_MAX_FUTURE_MS: '-1' })).message).toBe('KL_MAX_FUTURE_MS="-1" is invalid: expected a whole number of milliseconds between 0 and 86400000');
    expect(configError(() => loadConfig({ ...base, KL_MAX_JSON_DEPTH: '1' })).field).toBe('KL_MAX_JSON_DEPTH');
  });

  it('parses KL_PII_FIELDS as a list, accepts none, and rejects junk', () => {
    expect(loadConfig({ ...base, KL_PII_FIELDS: ' user_id , email,user_id' }).piiFields).toEqual(['user_id', 'email']);
    expect(loadConfig({ ...base, KL_PII_FIELDS: 'none' }).piiFields).toEqual([]);
    expect(configError(() => loadConfig({ ...base, KL_PII_FIELDS: 'user id,' })).message).toBe('KL_PII_FIELDS="user id," is invalid: expected a comma-separated list of field names, or none');
  });

  it('rejects a short KL_PII_KEY without echoing it', () => {
    const e = configError(() => loadConfig({ ...base, KL_PII_KEY: 'hunter2' }));
    expect(e.message).toBe('KL_PII_KEY is invalid: expected at least 16 characters (value not shown)');
    expect(e.message).not.toContain('hunter2');
  });
});

describe('PII key at start-up', () => {
  const fakeSecrets = (value: string | undefined, calls: string[] = []): SecretPort => ({
    async getSecretString(id) {
      calls.push(id);
      return value;
    },
  });

  it('fails with a clear ConfigError when fields are listed and no key is given', async () => {
    const e = await configErrorAsync(resolvePiiKey({ piiFields: ['user_id'], piiKey: undefined, piiKeySecretArn: undefined }));
    expect(e.field).toBe('KL_PII_KEY');
    expect(e.message).toMatch(/^KL_PII_FIELDS lists user_id but no key is set: set KL_PII_KEY .* or KL_PII_KEY_SECRET_ARN, or KL_PII_FIELDS=none/);
    expect(configError(() => createProcessorContext(testOptions({ piiKey: undefined }))).field).toBe('KL_PII_KEY');
  });

  it('needs no key when no field is listed', async () => {
    expect(await resolvePiiKey({ piiFields: [], piiKey: undefined, piiKeySecretArn: undefined })).toBeUndefined();
  });

  it('reads the key from Secrets Manager once, preferring it over KL_PII_KEY', async () => {
    const calls: string[] = [];
    const key = await resolvePiiKey({ piiFields: ['user_id'], piiKey: 'env-key-0123456789', piiKeySecretArn: 'arn:aws:secretsmanager:eu-west-1:1:secret:pii' }, fakeSecrets('secret-key-0123456789', calls));
    expect(key).toBe('secret-key-0123456789');
    expect(calls).toEqual(['arn:aws:secretsmanager:eu-west-1:1:secret:pii']);
  });

  it('names the secret when it is too short or cannot be read', async () => {
    const short = await configErrorAsync(resolvePiiKey({ piiFields: ['user_id'], piiKey: undefined, piiKeySecretArn: 'pii' }, fakeSecrets('short')));
    expect(short.message).toBe('the secret pii must hold a string of at least 16 characters');
    const failing: SecretPort = { getSecretString: async () => Promise.reject(new Error('AccessDenied')) };
    const denied = await configErrorAsync(resolvePiiKey({ piiFields: ['user_id'], piiKey: undefined, piiKeySecretArn: 'pii' }, failing));
    expect(denied.message).toBe('KL_PII_KEY_SECRET_ARN=pii cannot be read: AccessDenied');
  });

  it('builds processor options from the config', () => {
    const c = loadConfig({ ...base, KL_PII_KEY: 'env-key-0123456789', KL_MAX_FUTURE_MS: '1000' });
    const o = processorOptionsFromConfig(c, c.piiKey);
    expect(o).toEqual({ schemaDir: DEFAULT_SCHEMA_DIR, maxRecordBytes: 1_000_000, maxJsonDepth: 64, maxFutureMs: 1000, piiFields: ['user_id', 'session_id'], piiKey: 'env-key-0123456789' });
    expect(createProcessorContext(o).schemas.size).toBe(4);
  });
});

describe('schema folder', () => {
  function dirWith(files: Record<string, string>): string {
    const dir = tempDir('kl-schemas-');
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  }

  it('loads the four shipped event types', () => {
    expect([...loadEventSchemas(DEFAULT_SCHEMA_DIR).keys()]).toEqual(['add_to_cart', 'page_view', 'purchase', 'search']);
  });

  it('names the file and the reason when a schema does not compile', () => {
    const dir = dirWith({ 'purchase.schema.json': JSON.stringify({ type: 'object', properties: { price: { type: 'nummber' } } }) });
    const e = configError(() => loadEventSchemas(dir));
    expect(e.field).toBe('KL_SCHEMA_DIR');
    expect(e.message).toContain(join(dir, 'purchase.schema.json'));
    expect(e.message).toMatch(/does not compile: .*type/);
  });

  it('names the file when a schema is not JSON, and rejects an unknown keyword', () => {
    const notJson = dirWith({ 'search.schema.json': '{ "type": ' });
    expect(configError(() => loadEventSchemas(notJson)).message).toMatch(/^schema .*search\.schema\.json is not valid JSON/);
    const typo = dirWith({ 'search.schema.json': JSON.stringify({ type: 'object', requird: ['x'] }) });
    expect(configError(() => loadEventSchemas(typo)).message).toMatch(/search\.schema\.json does not compile: .*requird/);
  });

  it('rejects a missing or empty folder', () => {
    expect(configError(() => loadEventSchemas('/nonexistent/kl-schemas')).message).toMatch(/^KL_SCHEMA_DIR="\/nonexistent\/kl-schemas" cannot be read/);
    expect(configError(() => loadEventSchemas(dirWith({ 'README.md': 'x' }))).message).toMatch(/holds no <event_type>\.schema\.json file/);
  });

  it('uses a custom folder: its event types are the only ones accepted', () => {
    const dir = tempDir('kl-schemas-');
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(DEFAULT_SCHEMA_DIR, 'search.schema.json'), join(dir, 'search.schema.json'));
    expect([...createProcessorContext(testOptions({ schemaDir: dir })).schemas.keys()]).toEqual(['search']);
  });
});
