/**
 * Builds one Arrow record batch as IPC stream bytes (the schema message, one
 * record batch message, the end-of-stream marker) from a row group's column
 * slices. The chunks are already in Arrow's layout, so the body is the
 * slices' byte ranges copied once, straight into the output (string offsets
 * shifted); the two messages' metadata are small FlatBuffers (flatBuffer.ts).
 *
 * apache-arrow did this before. Loading it cost each worker thread ~0.23
 * CPU-s (0.16–0.18 s) at start, and its builders copied every buffer twice.
 * test/unit/arrowBatch.test.ts reads these bytes back with apache-arrow.
 */
import { CLEANSED_COLUMNS, type CleansedColumn, type CleansedColumnType } from '../../lake/cleansedColumns.js';
import { align8, widthOf } from '../../lake/columnChunk.js';
import type { ColumnSlice, RowGroupSlices } from './chunkReader.js';
import { CleansedChunkError } from './errors.js';
import { flatBuffer, type FlatTable } from './flatBuffer.js';

const INT32_MAX = 2147483647;

// Arrow's format constants (format/Schema.fbs, format/Message.fbs).
const METADATA_V5 = 4;
const HEADER_SCHEMA = 1;
const HEADER_RECORD_BATCH = 3;
const TYPE_INT = 2;
const TYPE_FLOATING_POINT = 3;
const TYPE_UTF8 = 5;
const TYPE_TIMESTAMP = 10;
const UNIT_MILLISECOND = 1;
const PRECISION_DOUBLE = 2;
const CONTINUATION = 0xffffffff;

/** Field type id and type table of a cleansed column's Arrow type. */
function arrowType(type: CleansedColumnType): [number, FlatTable] {
  switch (type) {
    // A zone name makes parquet-rs write isAdjustedToUTC=true.
    case 'timestamp_ms':
      return [TYPE_TIMESTAMP, [{ type: 'i16', value: UNIT_MILLISECOND }, { type: 'string', value: 'UTC' }]];
    case 'string':
      return [TYPE_UTF8, []];
    case 'int64':
      return [TYPE_INT, [{ type: 'i32', value: 64 }, { type: 'bool', value: true }]];
    case 'int32':
      return [TYPE_INT, [{ type: 'i32', value: 32 }, { type: 'bool', value: true }]];
    case 'double':
      return [TYPE_FLOATING_POINT, [{ type: 'i16', value: PRECISION_DOUBLE }]];
  }
}

function fieldTable(column: CleansedColumn): FlatTable {
  const [typeId, typeTable] = arrowType(column.type);
  return [
    { type: 'string', value: column.name },
    { type: 'bool', value: column.nullable },
    { type: 'u8', value: typeId },
    { type: 'table', value: typeTable },
    undefined, // no dictionary
    { type: 'tables', value: [] }, // no children
  ];
}

/** A message's metadata, framed for a stream: continuation marker, metadata length, metadata (8-byte multiple). */
function messageHead(headerType: number, header: FlatTable, bodyLength: number): Uint8Array {
  const metadata = flatBuffer([
    { type: 'i16', value: METADATA_V5 },
    { type: 'u8', value: headerType },
    { type: 'table', value: header },
    { type: 'i64', value: bodyLength },
  ]);
  const head = new Uint8Array(8 + metadata.length);
  const view = new DataView(head.buffer);
  view.setUint32(0, CONTINUATION, true);
  view.setInt32(4, metadata.length, true);
  head.set(metadata, 8);
  return head;
}

/** The schema message of the cleansed zone, in CLEANSED_COLUMNS order (little-endian, the default). */
const SCHEMA_MESSAGE = messageHead(HEADER_SCHEMA, [undefined, { type: 'tables', value: CLEANSED_COLUMNS.map(fieldTable) }], 0);
const END_OF_STREAM = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** Validity bitmap of the row group, or undefined when no slice has a null. */
function validity(slices: readonly ColumnSlice[], rows: number): { bitmap: Uint8Array | undefined; nullCount: number } {
  if (!slices.some((s) => s.data.nullCount > 0)) return { bitmap: undefined, nullCount: 0 };
  const bitmap = new Uint8Array((rows + 7) >> 3);
  let nullCount = 0;
  let out = 0;
  for (const { data, start, end } of slices) {
    const bits = data.validity;
    for (let r = start; r < end; r++, out++) {
      if (bits === undefined || (bits[r >> 3]! & (1 << (r & 7))) !== 0) bitmap[out >> 3]! |= 1 << (out & 7);
      else nullCount++;
    }
  }
  return { bitmap, nullCount };
}

function textBytes(column: CleansedColumn, slices: readonly ColumnSlice[]): number {
  let total = 0;
  for (const { data, start, end } of slices) total += data.offsets![end]! - data.offsets![start]!;
  if (total > INT32_MAX) throw new CleansedChunkError(`column "${column.name}" holds over 2 GiB of text in one row group: lower rowGroupRows`);
  return total;
}

interface ColumnPlan {
  column: CleansedColumn;
  slices: readonly ColumnSlice[];
  bitmap: Uint8Array | undefined;
  nullCount: number;
  /** Body offset and byte length of each of the column's buffers: validity, then offsets (strings), then values. */
  buffers: [number, number][];
}

/** Arrow IPC stream bytes (schema + one record batch) of one row group. */
export function rowGroupToIpc(group: RowGroupSlices): Uint8Array {
  const rows = group.rows;
  let body = 0;
  const place = (length: number): [number, number] => {
    const at = body;
    body += align8(length);
    return [at, length];
  };
  const plans = CLEANSED_COLUMNS.map((column, i): ColumnPlan => {
    const slices = group.columns[i]!;
    const { bitmap, nullCount } = validity(slices, rows);
    const buffers = [place(bitmap === undefined ? 0 : bitmap.length)];
    if (column.type === 'string') buffers.push(place((rows + 1) * 4), place(textBytes(column, slices)));
    else buffers.push(place(rows * widthOf(column.type)));
    return { column, slices, bitmap, nullCount, buffers };
  });
  const head = messageHead(
    HEADER_RECORD_BATCH,
    [
      { type: 'i64', value: rows },
      { type: 'int64Pairs', value: plans.map((p) => [rows, p.nullCount] as const) },
      { type: 'int64Pairs', value: plans.flatMap((p) => p.buffers) },
    ],
    body,
  );

  // Zeroed, so the padding between buffers is too.
  const out = new Uint8Array(SCHEMA_MESSAGE.length + head.length + body + END_OF_STREAM.length);
  out.set(SCHEMA_MESSAGE, 0);
  out.set(head, SCHEMA_MESSAGE.length);
  const bodyAt = SCHEMA_MESSAGE.length + head.length;
  for (const plan of plans) writeColumn(out, bodyAt, plan, rows);
  out.set(END_OF_STREAM, bodyAt + body);
  return out;
}

function writeColumn(out: Uint8Array, bodyAt: number, plan: ColumnPlan, rows: number): void {
  const { column, slices, bitmap, buffers } = plan;
  if (bitmap !== undefined) out.set(bitmap, bodyAt + buffers[0]![0]);
  if (column.type !== 'string') {
    const width = widthOf(column.type);
    let at = bodyAt + buffers[1]![0];
    for (const { data, start, end } of slices) {
      out.set(data.values.subarray(start * width, end * width), at);
      at += (end - start) * width;
    }
    return;
  }
  // The body starts on an 8-byte boundary of `out`'s own buffer, so the offsets can be an Int32Array view.
  const offsets = new Int32Array(out.buffer, out.byteOffset + bodyAt + buffers[1]![0], rows + 1);
  let text = bodyAt + buffers[2]![0];
  let row = 0;
  let written = 0;
  for (const { data, start, end } of slices) {
    const src = data.offsets!;
    const shift = written - src[start]!;
    for (let r = start; r < end; r++) offsets[++row] = src[r + 1]! + shift;
    out.set(data.values.subarray(src[start], src[end]), text);
    text += src[end]! - src[start]!;
    written += src[end]! - src[start]!;
  }
}
