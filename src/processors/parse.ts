/**
 * Bytes to a JSON object, or the first reason it cannot be one. The order of
 * checks is part of the contract (each bad input gets one stable reason):
 * too_large, empty_payload, invalid_utf8, too_deep, invalid_json,
 * not_an_object, unsafe_number.
 */
import { scanJson } from './jsonScan.js';
import { failure, type Failure } from './failure.js';

export type JsonObject = Record<string, unknown>;

export type ParseResult =
  | { ok: true; value: JsonObject; /** safe to embed verbatim in a raw line */ verbatim: boolean }
  | { ok: false; failure: Failure; verbatim: boolean };

export interface ParseLimits {
  maxRecordBytes: number;
  maxJsonDepth: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function parsePayload(data: Uint8Array, limits: ParseLimits): ParseResult {
  if (data.length > limits.maxRecordBytes) {
    return { ok: false, verbatim: false, failure: failure('parse', 'too_large', `payload is ${data.length} bytes; the limit (KL_MAX_RECORD_BYTES) is ${limits.maxRecordBytes}`) };
  }
  if (data.length === 0) return { ok: false, verbatim: false, failure: failure('parse', 'empty_payload', 'payload is empty') };
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    return { ok: false, verbatim: false, failure: failure('parse', 'invalid_utf8', 'payload is not valid UTF-8') };
  }
  const scan = scanJson(data, limits.maxJsonDepth);
  if (scan.tooDeep) {
    return { ok: false, verbatim: false, failure: failure('parse', 'too_deep', `JSON nesting is deeper than ${limits.maxJsonDepth} levels`) };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, verbatim: false, failure: failure('parse', 'invalid_json', `payload is not JSON (${jsonErrorPosition(err)})`) };
  }
  // A leading BOM is kept by the decoder (ignoreBOM) so JSON.parse rejects it, like isVerbatimJson.
  const verbatim = !scan.hasLineBreak;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`;
    return { ok: false, verbatim, failure: failure('parse', 'not_an_object', `payload is ${kind}, expected a JSON object`) };
  }
  if (scan.unsafeIntegerAt >= 0) {
    return { ok: false, verbatim, failure: failure('parse', 'unsafe_number', `an integer at byte ${scan.unsafeIntegerAt} is beyond 2^53 and would lose precision`) };
  }
  return { ok: true, value: value as JsonObject, verbatim };
}

// V8's messages quote the offending text, which may be PII: keep only the position.
function jsonErrorPosition(err: unknown): string {
  const m = /position (\d+)/.exec(err instanceof Error ? err.message : '');
  return m ? `syntax error at position ${m[1]}` : 'syntax error';
}
