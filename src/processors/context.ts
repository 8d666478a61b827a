/**
 * What processPiece needs besides the records: compiled schemas, the PII
 * tokenizer and limits. Built once per thread from plain, cloneable options
 * (the same object travels to workers as piscina workerData).
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../config/options.js';
import { loadEventSchemas, type EventSchema } from './schemas.js';
import { PiiTokenizer } from './pii.js';

export interface ProcessorOptions {
  /** Folder of `<event_type>.schema.json` files (KL_SCHEMA_DIR). */
  schemaDir: string;
  maxRecordBytes: number;
  maxJsonDepth: number;
  maxFutureMs: number;
  piiFields: string[];
  /** The resolved key (see resolvePiiKey); required when piiFields is not empty. */
  piiKey: string | undefined;
  /** Stamped on DLQ envelopes; defaults to package.json's version. */
  serviceVersion?: string;
}

export interface ProcessorContext {
  readonly options: ProcessorOptions;
  readonly schemas: ReadonlyMap<string, EventSchema>;
  readonly pii: PiiTokenizer;
  readonly serviceVersion: string;
  /**
   * Test-only: called for every user record outside the per-record error
   * guard, so a throw (or process.exit) here takes the whole piece down the
   * way a real worker crash would.
   */
  readonly crashHook?: (data: Uint8Array) => void;
}

/** Throws ConfigError when a schema does not compile or PII fields have no key. */
export function createProcessorContext(options: ProcessorOptions, crashHook?: (data: Uint8Array) => void): ProcessorContext {
  return {
    options,
    schemas: loadEventSchemas(options.schemaDir),
    pii: new PiiTokenizer(options.piiFields, options.piiKey),
    serviceVersion: options.serviceVersion ?? packageVersion(),
    ...(crashHook ? { crashHook } : {}),
  };
}

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
function packageVersion(): string {
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
