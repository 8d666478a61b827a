/**
 * One JSON Schema per event type, `<event_type>.schema.json` in the schema
 * folder, compiled once per thread with ajv. Dispatching on `event_type`
 * first gives precise messages (a union schema only says "no branch
 * matched") and runs one validator instead of several.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ConfigError } from '../errors.js';

export const SCHEMA_SUFFIX = '.schema.json';

/** The shipped clickstream schemas; the same relative path from src/ and dist/. */
export const DEFAULT_SCHEMA_DIR = fileURLToPath(new URL('../../schemas/clickstream', import.meta.url));

export interface EventSchema {
  eventType: string;
  file: string;
  validate: ValidateFunction;
  /** Top-level property names the schema declares. */
  properties: ReadonlySet<string>;
  /** Top-level properties whose type allows a number; numeric strings are cast before validation. */
  numericFields: ReadonlyMap<string, 'number' | 'integer'>;
}

export function loadEventSchemas(dir: string): Map<string, EventSchema> {
  const field = 'KL_SCHEMA_DIR';
  let files: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    files = readdirSync(dir).filter((f) => f.endsWith(SCHEMA_SUFFIX)).sort();
  } catch (err) {
    throw new ConfigError(field, `KL_SCHEMA_DIR=${JSON.stringify(dir)} cannot be read (${err instanceof Error ? err.message : String(err)}): give a folder of <event_type>${SCHEMA_SUFFIX} files`);
  }
  if (files.length === 0) {
    throw new ConfigError(field, `KL_SCHEMA_DIR=${JSON.stringify(dir)} holds no <event_type>${SCHEMA_SUFFIX} file`);
  }
  // strict: a misspelt keyword is a start-up error, not a rule silently ignored.
  const ajv = new Ajv({ strict: true, allowUnionTypes: true, allErrors: false });
  const out = new Map<string, EventSchema>();
  for (const file of files) {
    const path = join(dir, file);
    const eventType = file.slice(0, -SCHEMA_SUFFIX.length);
    let schema: unknown;
    try {
      schema = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new ConfigError(field, `schema ${path} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
      throw new ConfigError(field, `schema ${path} must be a JSON object (a JSON Schema)`);
    }
    let validate: ValidateFunction;
    try {
      validate = ajv.compile(schema);
    } catch (err) {
      throw new ConfigError(field, `schema ${path} does not compile: ${err instanceof Error ? err.message : String(err)}`);
    }
    const props = (schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {};
    const numericFields = new Map<string, 'number' | 'integer'>();
    for (const [name, def] of Object.entries(props)) {
      const types = Array.isArray(def?.type) ? (def.type as unknown[]) : [def?.type];
      if (types.includes('integer')) numericFields.set(name, 'integer');
      else if (types.includes('number')) numericFields.set(name, 'number');
    }
    out.set(eventType, { eventType, file: path, validate, properties: new Set(Object.keys(props)), numericFields });
  }
  return out;
}

/** Maps ajv's first error to a reason and a detail that names the path and rule, never the value. */
export function describeSchemaError(err: ErrorObject | undefined): { reason: 'missing_field' | 'wrong_type' | 'schema_violation'; detail: string } {
  if (!err) return { reason: 'schema_violation', detail: 'schema validation failed' };
  const path = err.instancePath === '' ? '/' : err.instancePath;
  if (err.keyword === 'required') {
    const missing = (err.params as { missingProperty?: string }).missingProperty ?? '?';
    return { reason: 'missing_field', detail: `${path === '/' ? '' : path}/${missing}: required field is missing` };
  }
  if (err.keyword === 'type') {
    return { reason: 'wrong_type', detail: `${path}: ${err.message ?? 'wrong type'} (rule: type)` };
  }
  return { reason: 'schema_violation', detail: `${path}: ${err.message ?? 'violates the schema'} (rule: ${err.keyword})` };
}
