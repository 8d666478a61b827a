/**
 * The processing stage's options, plain and cloneable: they travel to every
 * worker thread as piscina workerData. Kept apart from context.ts, which
 * compiles the schemas, so that the main thread can start the pool without
 * loading the schema compiler (ajv) at all.
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../config/options.js';

/** The configuration's processing limits, with the PII key as resolved and the version to stamp. */
export type ProcessorOptions = Pick<Config, 'schemaDir' | 'maxRecordBytes' | 'maxJsonDepth' | 'maxFutureMs' | 'piiFields'> & {
  /** The resolved key (see resolvePiiKey), not KL_PII_KEY as configured; required when piiFields is not empty. */
  piiKey: string | undefined;
  /** Stamped on DLQ envelopes; defaults to package.json's version. */
  serviceVersion?: string;
};

export function processorOptionsFromConfig(config: Config, piiKey: string | undefined): ProcessorOptions {
  return {
    schemaDir: config.schemaDir,
    maxRecordBytes: config.maxRecordBytes,
    maxJsonDepth: config.maxJsonDepth,
    maxFutureMs: config.maxFutureMs,
    piiFields: config.piiFields,
    piiKey,
  };
}

let cachedVersion: string | undefined;
/** package.json's version, stamped on DLQ envelopes when the options name none. */
export function packageVersion(): string {
  if (cachedVersion === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
      cachedVersion = pkg.version ?? 'unknown';
    } catch {
      cachedVersion = 'unknown';
    }
  }
  return cachedVersion;
}
