/**
 * The raw zone's line format: one JSON object per record, Kinesis metadata
 * first and the payload last, so the original bytes can be recovered exactly:
 *
 *   {"shardId":"…","sequenceNumber":"…","subSequenceNumber":0,"partitionKey":"…","arrivalTime":"2026-…Z","data":<payload>}
 *   {"shardId":"…","sequenceNumber":"…","partitionKey":"…","arrivalTime":"…","dataBase64":"…"}
 *
 * `data` holds the payload verbatim when it is valid UTF-8, valid JSON and
 * has no line break; the bytes are then the slice between `"data":` and the
 * closing brace. Anything else is base64 in `dataBase64`. `subSequenceNumber`
 * appears only for KPL user records.
 */
import type { StreamRecord } from '../consumer/records.js';
import { isoMillis } from './isoTime.js';

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** True when the payload can be embedded verbatim (UTF-8, JSON, single line). */
export function isVerbatimJson(data: Uint8Array): boolean {
  if (data.length === 0) return false;
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b === 0x0a || b === 0x0d) return false;
  }
  let text: string;
  try {
    text = utf8Decoder.decode(data);
  } catch {
    return false;
  }
  // A BOM would survive decode but is not JSON.
  if (text.charCodeAt(0) === 0xfeff) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The metadata prefix of a line, up to and including `"data":` or `"dataBase64":`. */
export function rawLinePrefix(record: StreamRecord, verbatim: boolean): string {
  const sub = record.subSequenceNumber === undefined ? '' : `"subSequenceNumber":${record.subSequenceNumber},`;
  return (
    `{"shardId":${JSON.stringify(record.shardId)},"sequenceNumber":"${record.sequenceNumber}",${sub}` +
    `"partitionKey":${JSON.stringify(record.partitionKey)},"arrivalTime":"${isoMillis(record.arrivalMs)}",` +
    (verbatim ? '"data":' : '"dataBase64":')
  );
}

/** Encodes one record as a raw line, newline included. */
export function encodeRawLine(record: StreamRecord, verbatim = isVerbatimJson(record.data)): Uint8Array {
  const prefix = encoder.encode(rawLinePrefix(record, verbatim));
  if (verbatim) {
    const out = new Uint8Array(prefix.length + record.data.length + 2);
    out.set(prefix, 0);
    out.set(record.data, prefix.length);
    out[out.length - 2] = 0x7d; // }
    out[out.length - 1] = 0x0a; // \n
    return out;
  }
  const b64 = encoder.encode(`"${Buffer.from(record.data.buffer, record.data.byteOffset, record.data.byteLength).toString('base64')}"}\n`);
  const out = new Uint8Array(prefix.length + b64.length);
  out.set(prefix, 0);
  out.set(b64, prefix.length);
  return out;
}

export interface DecodedRawLine {
  shardId: string;
  sequenceNumber: string;
  subSequenceNumber: number | undefined;
  partitionKey: string;
  arrivalMs: number;
  data: Buffer;
}

/** Reads one raw line back (without its newline), recovering the payload bytes exactly. */
export function decodeRawLine(line: string): DecodedRawLine {
  const parsed = JSON.parse(line) as {
    shardId: string;
    sequenceNumber: string;
    subSequenceNumber?: number;
    partitionKey: string;
    arrivalTime: string;
    data?: unknown;
    dataBase64?: string;
  };
  let data: Buffer;
  if (parsed.dataBase64 !== undefined) {
    data = Buffer.from(parsed.dataBase64, 'base64');
  } else {
    const marker = line.indexOf(',"data":');
    if (marker < 0 || !line.endsWith('}')) throw new Error('raw line has neither data nor dataBase64');
    data = Buffer.from(line.slice(marker + ',"data":'.length, -1), 'utf8');
  }
  return {
    shardId: parsed.shardId,
    sequenceNumber: parsed.sequenceNumber,
    subSequenceNumber: parsed.subSequenceNumber,
    partitionKey: parsed.partitionKey,
    arrivalMs: Date.parse(parsed.arrivalTime),
    data,
  };
}
