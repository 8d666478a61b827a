import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { OPTIONS, type Config } from './options.js';

export type Env = Record<string, string | undefined>;

/**
 * Reads `--config FILE` (a JSON object keyed by the same variable names), then
 * the environment on top of it, and validates every option. Throws a
 * ConfigError naming the first bad field; the CLI turns it into one line and
 * exit status 2.
 */
export function loadConfig(env: Env, configFile?: string): Config {
  const merged: Env = { ...readConfigFile(configFile), ...pickDefined(env) };
  const out: Partial<Record<keyof Config, unknown>> = {};
  for (const spec of OPTIONS) {
    const raw = merged[spec.env];
    if (raw === undefined || raw === '') {
      if (!spec.defaultValue) {
        throw new ConfigError(spec.env, `${spec.env} is required: ${spec.doc} Set it in the environment or in --config FILE.`);
      }
      out[spec.key] = spec.defaultValue();
    } else {
      out[spec.key] = spec.parse(raw, spec.env);
    }
  }
  const config = out as Config;
  config.logLevel = config.logLevel.toLowerCase();
  if (config.tableName === '') config.tableName = defaultTableName(config.streamName);
  if (config.cleansedFlushIntervalMs < config.flushIntervalMs) {
    throw new ConfigError(
      'KL_CLEANSED_FLUSH_INTERVAL_MS',
      `KL_CLEANSED_FLUSH_INTERVAL_MS=${config.cleansedFlushIntervalMs} is shorter than KL_FLUSH_INTERVAL_MS=${config.flushIntervalMs}: the cleansed window must be at least the raw window`,
    );
  }
  if (config.initialPosition === 'AT_TIMESTAMP' && config.initialTimestampMs === undefined) {
    throw new ConfigError(
      'KL_INITIAL_TIMESTAMP',
      'KL_INITIAL_TIMESTAMP is required when KL_INITIAL_POSITION=AT_TIMESTAMP: set an ISO-8601 time such as 2026-01-31T12:00:00Z',
    );
  }
  if (config.sink === 'FIREHOSE' && config.firehoseStream === undefined) {
    throw new ConfigError('KL_FIREHOSE_STREAM', 'KL_FIREHOSE_STREAM is required when KL_SINK=firehose: set the name of the Firehose delivery stream that receives the cleansed rows');
  }
  return config;
}

/** The variables that are set: an empty one means "not set" here too, so it leaves a --config FILE value in force. */
function pickDefined(env: Env): Env {
  const out: Env = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}

function readConfigFile(path: string | undefined): Env {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('--config', `--config ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}): give the path of a JSON file`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError('--config', `--config ${path} is not valid JSON: expected an object such as {"KL_STREAM_NAME": "clicks"}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('--config', `--config ${path} must hold a JSON object such as {"KL_STREAM_NAME": "clicks"}`);
  }
  const known = new Set(OPTIONS.map((o) => o.env));
  const out: Env = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (!known.has(k)) {
      throw new ConfigError(k, `--config ${path}: unknown setting ${k}; known settings are ${[...known].join(', ')}`);
    }
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw new ConfigError(k, `--config ${path}: ${k} must be a string, number or boolean`);
    }
    out[k] = String(v);
  }
  return out;
}

/** KL_* variables read outside OPTIONS: the local stack's choice of SQS, and test hooks. */
const OTHER_VARIABLES = /^KL_(LOCAL_SQS|TEST_[A-Z0-9_]+)$/;

/**
 * Environment variables that look like settings (KL_*) but are none, each
 * with a hint: a typo in a task definition would otherwise be ignored in
 * silence and its default used. The service logs them at start-up.
 */
export function unknownVariables(env: Env): { name: string; hint: string }[] {
  const known = OPTIONS.map((o) => o.env);
  return Object.keys(env)
    .filter((name) => name.startsWith('KL_') && !known.includes(name) && !OTHER_VARIABLES.test(name))
    .sort()
    .map((name) => {
      const close = known.find((k) => k.startsWith(name) || name.startsWith(k));
      return { name, hint: close ? `did you mean ${close}?` : 'no setting has this name (README lists them)' };
    });
}

/** The stream name as a Glue/Athena table name: lower case, underscores. */
export function defaultTableName(streamName: string): string {
  const t = streamName.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return /^[a-z]/.test(t) ? t : `t_${t}`;
}
