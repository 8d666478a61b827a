/**
 * What processPiece needs besides the records: compiled schemas, the PII
 * tokenizer and limits. Built once per thread from plain, cloneable options
 * (the same object travels to workers as piscina workerData).
 */
import { loadEventSchemas, type EventSchema } from './schemas.js';
import { PiiTokenizer } from './pii.js';
import { packageVersion, type ProcessorOptions } from './processorOptions.js';

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
