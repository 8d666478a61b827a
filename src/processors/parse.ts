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
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // Nesting is judged first, as if the bytes had been scanned before parsing.
    if (scanJson(data, limits.maxJsonDepth).tooDeep) return tooDeep(limits);
    return { ok: false, verbatim: false, failure: failure('parse', 'invalid_json', `payload is not JSON (${jsonErrorPosition(err)})`) };
  }
  // The byte scan is only needed when the parsed value hints at what it finds
  // (deep nesting, or a number at or beyond 2^53): otherwise its answers are
  // known, and a line break can only be whitespace between tokens.
  let verbatim: boolean;
  let unsafeIntegerAt = -1;
  if (isShallowAndSafe(value, limits.maxJsonDepth)) {
    verbatim = text.indexOf('\n') < 0 && text.indexOf('\r') < 0;
  } else {
    const scan = scanJson(data, limits.maxJsonDepth);
    if (scan.tooDeep) return tooDeep(limits);
    verbatim = !scan.hasLineBreak;
    unsafeIntegerAt = scan.unsafeIntegerAt;
  }
  // A leading BOM is kept by the decoder (ignoreBOM) so JSON.parse rejects it, like isVerbatimJson.
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`;
    return { ok: false, verbatim, failure: failure('parse', 'not_an_object', `payload is ${kind}, expected a JSON object`) };
  }
  if (unsafeIntegerAt >= 0) {
    return { ok: false, verbatim, failure: failure('parse', 'unsafe_number', `an integer at byte ${unsafeIntegerAt} is beyond 2^53 and would lose precision`) };
  }
  return { ok: true, value: value as JsonObject, verbatim };
}

function tooDeep(limits: ParseLimits): ParseResult {
  return { ok: false, verbatim: false, failure: failure('parse', 'too_deep', `JSON nesting is deeper than ${limits.maxJsonDepth} levels`) };
}

const TWO_POW_53 = 2 ** 53;

/**
 * True when the parsed value nests no deeper than maxDepth and holds no
 * number of magnitude 2^53 or more. Then the byte scan would find nothing:
 * the value's nesting is the text's, and an integer token at or beyond 2^53
 * parses to a number at or beyond 2^53. (The converse does not hold, e.g.
 * 1e20, so a false here means "scan", not "reject".) No recursion.
 */
function isShallowAndSafe(root: unknown, maxDepth: number): boolean {
  if (typeof root !== 'object' || root === null) return typeof root !== 'number' || Math.abs(root) < TWO_POW_53;
  const stack: unknown[] = [root];
  const depths: number[] = [1];
  while (stack.length > 0) {
    const node = stack.pop() as Record<string, unknown> | unknown[];
    const depth = depths.pop()!;
    if (depth > maxDepth) return false;
    const values = Array.isArray(node) ? node : Object.values(node);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v === 'number') {
        if (!(Math.abs(v) < TWO_POW_53)) return false;
      } else if (typeof v === 'object' && v !== null) {
        stack.push(v);
        depths.push(depth + 1);
      }
    }
  }
  return true;
}

// V8's messages quote the offending text, which may be PII: keep only the position.
function jsonErrorPosition(err: unknown): string {
  const m = /position (\d+)/.exec(err instanceof Error ? err.message : '');
  return m ? `syntax error at position ${m[1]}` : 'syntax error';
}
