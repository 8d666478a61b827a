/**
 * Builds one Arrow record batch (as IPC stream bytes) from a row group's
 * column slices. The chunks are already in Arrow's layout, so each buffer
 * is the slices' byte ranges copied back to back (string offsets shifted);
 * apache-arrow's generic builders (`vectorFromArray`) were measured ~10x
 * slower for strings.
 */
import * as arrow from 'apache-arrow';
import { CLEANSED_COLUMNS, type CleansedColumn, type CleansedColumnType } from '../../lake/cleansedColumns.js';
import type { ColumnSlice, RowGroupSlices } from './chunkReader.js';
import { CleansedChunkError } from './errors.js';

const INT32_MAX = 2147483647;

function arrowType(type: CleansedColumnType): arrow.DataType {
  switch (type) {
    // A zone name makes parquet-rs write isAdjustedToUTC=true.
    case 'timestamp_ms':
      return new arrow.TimestampMillisecond('UTC');
    case 'string':
      return new arrow.Utf8();
    case 'int64':
      return new arrow.Int64();
    case 'int32':
      return new arrow.Int32();
    case 'double':
      return new arrow.Float64();
  }
}

/** The Arrow schema of the cleansed zone, in CLEANSED_COLUMNS order. */
export const CLEANSED_ARROW_FIELDS: readonly arrow.Field[] = CLEANSED_COLUMNS.map(
  (c) => new arrow.Field(c.name, arrowType(c.type), c.nullable),
);
const CLEANSED_ARROW_SCHEMA = new arrow.Schema([...CLEANSED_ARROW_FIELDS]);
const STRUCT_TYPE = new arrow.Struct([...CLEANSED_ARROW_FIELDS]);

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

/** The slices' fixed-width values, back to back: one copy per slice. */
function fixedValues(slices: readonly ColumnSlice[], rows: number, width: number): ArrayBuffer {
  const out = new Uint8Array(rows * width);
  let at = 0;
  for (const { data, start, end } of slices) {
    out.set(data.values.subarray(start * width, end * width), at);
    at += (end - start) * width;
  }
  return out.buffer;
}

/** UTF-8 bytes and Arrow offsets of a string column: each slice's bytes copied once, its offsets shifted. */
function stringValues(column: CleansedColumn, slices: readonly ColumnSlice[], rows: number): { offsets: Int32Array; bytes: Uint8Array } {
  let total = 0;
  for (const { data, start, end } of slices) total += data.offsets![end]! - data.offsets![start]!;
  if (total > INT32_MAX) throw new CleansedChunkError(`column "${column.name}" holds over 2 GiB of text in one row group: lower rowGroupRows`);
  const offsets = new Int32Array(rows + 1);
  const bytes = new Uint8Array(total);
  let out = 0;
  let at = 0;
  for (const { data, start, end } of slices) {
    const src = data.offsets!;
    const shift = at - src[start]!;
    for (let r = start; r < end; r++) offsets[++out] = src[r + 1]! + shift;
    bytes.set(data.values.subarray(src[start], src[end]), at);
    at += src[end]! - src[start]!;
  }
  return { offsets, bytes };
}

function columnData(column: CleansedColumn, field: arrow.Field, slices: readonly ColumnSlice[], rows: number): arrow.Data {
  const { bitmap: nullBitmap, nullCount } = validity(slices, rows);
  const type = field.type as arrow.DataType;
  switch (column.type) {
    case 'timestamp_ms':
    case 'int64':
      return arrow.makeData({ type: type as arrow.Int64, length: rows, nullCount, nullBitmap, data: new BigInt64Array(fixedValues(slices, rows, 8)) });
    case 'int32':
      return arrow.makeData({ type: type as arrow.Int32, length: rows, nullCount, nullBitmap, data: new Int32Array(fixedValues(slices, rows, 4)) });
    case 'double':
      return arrow.makeData({ type: type as arrow.Float64, length: rows, nullCount, nullBitmap, data: new Float64Array(fixedValues(slices, rows, 8)) });
    case 'string': {
      const { offsets, bytes } = stringValues(column, slices, rows);
      return arrow.makeData({ type: type as arrow.Utf8, length: rows, nullCount, nullBitmap, valueOffsets: offsets, data: bytes });
    }
  }
}

/** Arrow IPC stream bytes (schema + one record batch) of one row group. */
export function rowGroupToIpc(group: RowGroupSlices): Uint8Array {
  const children = CLEANSED_COLUMNS.map((column, i) => columnData(column, CLEANSED_ARROW_FIELDS[i]!, group.columns[i]!, group.rows));
  const struct = arrow.makeData({ type: STRUCT_TYPE, length: group.rows, nullCount: 0, children });
  const batch = new arrow.RecordBatch(CLEANSED_ARROW_SCHEMA, struct);
  return arrow.tableToIPC(new arrow.Table([batch]), 'stream');
}
