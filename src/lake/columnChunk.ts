/**
 * Column chunks: the cleansed rows of one piece and one event hour, as the
 * processors hand them to the Parquet encoder. Binary and already in Arrow's
 * layout (validity bits, little-endian values, UTF-8 bytes with int32
 * offsets), so that the encoder builds a row group by copying byte ranges
 * instead of parsing text: the JSON form this replaced cost about as much to
 * write and read back as the rest of the Parquet encoding did.
 *
 * Layout, every section starting on an 8-byte boundary:
 *   header   u32 magic "KLC1", u32 rows, u32 columns, u32 0
 *   per column, in CLEANSED_COLUMNS order:
 *     u32 type code, u32 null count, u32 value bytes, u32 0
 *     validity bitmap, ceil(rows / 8) bytes (only when the null count > 0)
 *     strings: (rows + 1) int32 offsets, then the UTF-8 bytes
 *     others:  rows values of the type's width (int64, double: 8; int32: 4)
 */
import { CLEANSED_COLUMNS, type CellValue, type CleansedColumn, type CleansedColumnType, type ColumnChunk } from './cleansedColumns.js';
import { CleansedChunkError } from '../sinks/parquet/errors.js';

const MAGIC = 0x31434c4b; // "KLC1" read as a little-endian u32
const HEADER_BYTES = 16;
const COLUMN_HEADER_BYTES = 16;
const TWO_POW_32 = 4294967296;
const INT32_MAX = 2147483647;

const TYPE_CODES: Record<CleansedColumnType, number> = { timestamp_ms: 1, string: 2, int64: 3, int32: 4, double: 5 };

/** Bytes per value of a fixed-width type. */
export function widthOf(type: CleansedColumnType): number {
  return type === 'int32' ? 4 : 8;
}

/** `n` rounded up to a multiple of 8: every section of a chunk (and of an Arrow IPC body) starts on one. */
export function align8(n: number): number {
  return (n + 7) & ~7;
}

function describe(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

// Per column, as small integers: the row check runs for every cell on the hot path.
const KIND_STRING = 0;
const KIND_INT = 1;
const KIND_INT32 = 2;
const KIND_DOUBLE = 3;
const KINDS = CLEANSED_COLUMNS.map((c) => (c.type === 'string' ? KIND_STRING : c.type === 'int32' ? KIND_INT32 : c.type === 'double' ? KIND_DOUBLE : KIND_INT));
const NULLABLE = CLEANSED_COLUMNS.map((c) => c.nullable);

/** Why `value` cannot go in column `i`, or undefined when it can. */
function misfit(i: number, value: unknown): string | undefined {
  if (value === null) return NULLABLE[i] ? undefined : 'a value (the column is not nullable)';
  switch (KINDS[i]) {
    case KIND_STRING:
      return typeof value === 'string' ? undefined : 'a string';
    case KIND_INT:
      return typeof value === 'number' && Number.isSafeInteger(value) ? undefined : 'a whole number within 2^53';
    case KIND_INT32:
      return typeof value === 'number' && (value | 0) === value ? undefined : 'a 32-bit whole number';
    default:
      return typeof value === 'number' ? undefined : 'a number';
  }
}

class Validity {
  bits = new Uint8Array(64);
  nulls = 0;

  present(row: number): boolean {
    return (this.bits[row >> 3]! & (1 << (row & 7))) !== 0;
  }

  set(row: number, present: boolean): void {
    if (row >> 3 >= this.bits.length) {
      const next = new Uint8Array(this.bits.length * 2);
      next.set(this.bits);
      this.bits = next;
    }
    if (present) this.bits[row >> 3]! |= 1 << (row & 7);
    else this.nulls++;
  }

  /** Forgets `rows` rows, keeping the memory. */
  clear(rows: number): void {
    this.bits.fill(0, 0, (rows + 7) >> 3);
    this.nulls = 0;
  }
}

class FixedColumn {
  readonly validity = new Validity();
  values = new Float64Array(256);

  push(row: number, value: CellValue): void {
    const v = value as number | null;
    if (row >= this.values.length) {
      const next = new Float64Array(this.values.length * 2);
      next.set(this.values);
      this.values = next;
    }
    this.values[row] = v ?? 0;
    this.validity.set(row, v !== null);
  }

  clear(rows: number): void {
    this.validity.clear(rows);
  }
}

/**
 * Text is kept as strings until the chunk is written, then encoded in one
 * native call: per-string UTF-8 writes cost more than the rest of the
 * builder. Offsets count UTF-16 units, which are UTF-8 bytes for ASCII;
 * any other text is re-encoded value by value when the chunk is written.
 */
class StringColumn {
  readonly validity = new Validity();
  texts: string[] = [];
  offsets = new Int32Array(257);
  chars = 0;

  push(row: number, value: CellValue): void {
    const v = value as string | null;
    if (v !== null) {
      this.texts.push(v);
      this.chars += v.length;
      if (this.chars > INT32_MAX) throw new CleansedChunkError('a column chunk holds over 2 GiB of text: use smaller pieces');
    }
    if (row + 1 >= this.offsets.length) {
      const next = new Int32Array(this.offsets.length * 2);
      next.set(this.offsets);
      this.offsets = next;
    }
    this.offsets[row + 1] = this.chars;
    this.validity.set(row, v !== null);
  }

  clear(rows: number): void {
    this.validity.clear(rows);
    // A fresh array, not the old one emptied: a kept array would be old-generation and hold each piece's
    // young strings, which the collector must then trace and promote.
    this.texts = [];
    this.chars = 0;
  }

  /** The text to write: UTF-8 byte length, and the joined string when offsets already count bytes (ASCII). */
  text(): { joined: string | undefined; bytes: number } {
    const joined = this.texts.join('');
    let bytes = Buffer.byteLength(joined, 'utf8');
    if (bytes !== this.chars) {
      // Not ASCII: measured value by value, as write() writes them. Joined, a value ending in a lone high
      // surrogate and the next starting with a lone low one would make one 4-byte character, where the two
      // values written apart are two 3-byte replacement characters.
      bytes = 0;
      for (const t of this.texts) bytes += Buffer.byteLength(t, 'utf8');
    }
    if (bytes > INT32_MAX) throw new CleansedChunkError('a column chunk holds over 2 GiB of text: use smaller pieces');
    return { joined: bytes === this.chars ? joined : undefined, bytes };
  }

  /** Writes `rows` offsets, then the text, into `out` at `at` (offsets: align8((rows + 1) * 4) bytes). */
  write(out: Buffer, at: number, rows: number, joined: string | undefined): void {
    const textAt = at + align8((rows + 1) * 4);
    if (joined !== undefined) {
      out.set(new Uint8Array(this.offsets.buffer, 0, (rows + 1) * 4), at);
      out.write(joined, textAt, 'utf8');
      return;
    }
    // Some text is not ASCII: byte offsets differ from UTF-16 ones, so each value is written and measured.
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    const offsets = this.offsets;
    let bytes = 0;
    let t = 0;
    view.setInt32(at, 0, true);
    for (let r = 0; r < rows; r++) {
      if (offsets[r + 1] !== offsets[r] || this.validity.present(r)) bytes += out.write(this.texts[t++]!, textAt + bytes, 'utf8');
      view.setInt32(at + (r + 1) * 4, bytes, true);
    }
  }
}

type Column = FixedColumn | StringColumn;

/** Gathers rows column by column and writes them out once as a chunk. */
export class ColumnChunkBuilder {
  rows = 0;
  readonly #columns: Column[] = CLEANSED_COLUMNS.map((c) => (c.type === 'string' ? new StringColumn() : new FixedColumn()));

  /**
   * Appends one row (one value per CLEANSED_COLUMNS entry). Every value is
   * checked before any is written, so a row that throws leaves no trace.
   */
  push(values: readonly CellValue[]): void {
    if (values.length !== CLEANSED_COLUMNS.length) throw new CleansedChunkError(`a row has ${values.length} values for ${CLEANSED_COLUMNS.length} columns`);
    for (let i = 0; i < values.length; i++) {
      const expected = misfit(i, values[i]);
      if (expected !== undefined) throw new CleansedChunkError(`column "${CLEANSED_COLUMNS[i]!.name}" row ${this.rows} is ${describe(values[i])}: expected ${expected}`);
    }
    const row = this.rows;
    const columns = this.#columns;
    for (let i = 0; i < values.length; i++) columns[i]!.push(row, values[i]!);
    this.rows++;
  }

  /** The chunk's bytes, on memory of their own (transferable to another thread). */
  encode(): Uint8Array<ArrayBuffer> {
    const rows = this.rows;
    const validityBytes = align8((rows + 7) >> 3);
    const text = this.#columns.map((column) => (column instanceof StringColumn ? column.text() : undefined));
    let total = HEADER_BYTES;
    CLEANSED_COLUMNS.forEach((c, i) => {
      const column = this.#columns[i]!;
      total += COLUMN_HEADER_BYTES + (column.validity.nulls > 0 ? validityBytes : 0);
      total += text[i] !== undefined ? align8((rows + 1) * 4) + align8(text[i].bytes) : align8(rows * widthOf(c.type));
    });
    // Zeroed, so the alignment padding is too; its own memory (not the shared pool), so it can be transferred.
    const out = Buffer.alloc(total);
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    view.setUint32(0, MAGIC, true);
    view.setUint32(4, rows, true);
    view.setUint32(8, CLEANSED_COLUMNS.length, true);
    let at = HEADER_BYTES;
    CLEANSED_COLUMNS.forEach((c, i) => {
      const column = this.#columns[i]!;
      const t = text[i];
      const valueBytes = t !== undefined ? t.bytes : rows * widthOf(c.type);
      view.setUint32(at, TYPE_CODES[c.type], true);
      view.setUint32(at + 4, column.validity.nulls, true);
      view.setUint32(at + 8, valueBytes, true);
      at += COLUMN_HEADER_BYTES;
      if (column.validity.nulls > 0) {
        out.set(column.validity.bits.subarray(0, (rows + 7) >> 3), at);
        at += validityBytes;
      }
      if (t !== undefined) {
        (column as StringColumn).write(out, at, rows, t.joined);
        at += align8((rows + 1) * 4) + align8(t.bytes);
        return;
      }
      const values = (column as FixedColumn).values;
      if (c.type === 'double') out.set(new Uint8Array(values.buffer, 0, rows * 8), at);
      else if (c.type === 'int32') for (let r = 0; r < rows; r++) view.setInt32(at + r * 4, values[r]!, true);
      else {
        // int64 as two 32-bit halves: no BigInt per value.
        for (let r = 0; r < rows; r++) {
          const v = values[r]!;
          view.setUint32(at + r * 8, v >>> 0, true);
          view.setUint32(at + r * 8 + 4, Math.floor(v / TWO_POW_32) >>> 0, true);
        }
      }
      at += align8(valueBytes);
    });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }

  /**
   * Empties the builder for the next chunk and keeps its arrays: a worker
   * builds a chunk per piece, and fresh arrays for every column of every
   * piece kept the collector's background threads busy on the cores the
   * workers need.
   */
  reset(): void {
    for (const column of this.#columns) column.clear(this.rows);
    this.rows = 0;
  }
}

/** One column of a decoded chunk: views into the chunk's bytes. */
export interface ChunkColumn {
  column: CleansedColumn;
  nullCount: number;
  /** Validity bits (1 = present); undefined when the column has no nulls. */
  validity: Uint8Array | undefined;
  /** Fixed-width values, or the UTF-8 bytes of a string column. */
  values: Uint8Array;
  /** String columns: rows + 1 offsets into `values`. */
  offsets: Int32Array | undefined;
}

export interface DecodedChunk {
  rows: number;
  /** In CLEANSED_COLUMNS order. */
  columns: ChunkColumn[];
}

/**
 * Reads a chunk's layout and checks it against CLEANSED_COLUMNS (types,
 * lengths, nulls only where allowed, string offsets in order). `index`
 * names the chunk in error messages.
 */
export function decodeColumnChunk(input: Uint8Array, index: number): DecodedChunk {
  // Typed views need aligned offsets; a chunk that does not start on one is copied first.
  const bytes = input.byteOffset % 8 === 0 ? input : new Uint8Array(input);
  const fail = (why: string): never => {
    throw new CleansedChunkError(`column chunk ${index} ${why}`);
  };
  if (bytes.byteLength < HEADER_BYTES) fail(`is ${bytes.byteLength} bytes, too short for a column chunk`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) fail('is not a column chunk (bad magic)');
  const rows = view.getUint32(4, true);
  const count = view.getUint32(8, true);
  if (count !== CLEANSED_COLUMNS.length) fail(`has ${count} columns; CLEANSED_COLUMNS declares ${CLEANSED_COLUMNS.length}`);
  const validityBytes = align8((rows + 7) >> 3);
  let at = HEADER_BYTES;
  const take = (n: number, what: string): number => {
    if (at + n > bytes.byteLength) fail(`is truncated in ${what}`);
    const start = at;
    at += align8(n);
    return start;
  };
  const columns = CLEANSED_COLUMNS.map((column): ChunkColumn => {
    const h = take(COLUMN_HEADER_BYTES, `the header of column "${column.name}"`);
    const code = view.getUint32(h, true);
    if (code !== TYPE_CODES[column.type]) fail(`column "${column.name}" has type code ${code}; CLEANSED_COLUMNS says ${column.type}`);
    const nullCount = view.getUint32(h + 4, true);
    const valueBytes = view.getUint32(h + 8, true);
    if (nullCount > rows) fail(`column "${column.name}" has ${nullCount} nulls in ${rows} rows`);
    if (nullCount > 0 && !column.nullable) fail(`column "${column.name}" has ${nullCount} nulls but is not nullable`);
    let validity: Uint8Array | undefined;
    if (nullCount > 0) {
      const start = take(validityBytes, `the validity of "${column.name}"`);
      validity = bytes.subarray(start, start + ((rows + 7) >> 3));
    }
    if (column.type !== 'string') {
      if (valueBytes !== rows * widthOf(column.type)) fail(`column "${column.name}" has ${valueBytes} value bytes for ${rows} rows`);
      const start = take(valueBytes, `the values of "${column.name}"`);
      return { column, nullCount, validity, values: bytes.subarray(start, start + valueBytes), offsets: undefined };
    }
    const offsets = new Int32Array(bytes.buffer, bytes.byteOffset + take((rows + 1) * 4, `the offsets of "${column.name}"`), rows + 1);
    if (offsets[0] !== 0 || offsets[rows] !== valueBytes) fail(`column "${column.name}" has offsets that do not span its ${valueBytes} bytes`);
    for (let r = 0; r < rows; r++) if (offsets[r + 1]! < offsets[r]!) fail(`column "${column.name}" has decreasing offsets at row ${r}`);
    const start = take(valueBytes, `the text of "${column.name}"`);
    return { column, nullCount, validity, values: bytes.subarray(start, start + valueBytes), offsets };
  });
  return { rows, columns };
}

function isPresent(c: ChunkColumn, row: number): boolean {
  return c.validity === undefined || (c.validity[row >> 3]! & (1 << (row & 7))) !== 0;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The chunk's values as JavaScript arrays (for Firehose rows, merging, tests): not the hot path. */
export function chunkValues(chunk: DecodedChunk): ColumnChunk {
  const columns: ColumnChunk['columns'] = {};
  for (const c of chunk.columns) {
    const out = new Array<CellValue>(chunk.rows);
    const view = new DataView(c.values.buffer, c.values.byteOffset, c.values.byteLength);
    for (let r = 0; r < chunk.rows; r++) {
      if (!isPresent(c, r)) out[r] = null;
      else if (c.offsets !== undefined) out[r] = utf8.decode(c.values.subarray(c.offsets[r], c.offsets[r + 1]));
      else if (c.column.type === 'double') out[r] = view.getFloat64(r * 8, true);
      else if (c.column.type === 'int32') out[r] = view.getInt32(r * 4, true);
      else out[r] = view.getInt32(r * 8 + 4, true) * TWO_POW_32 + view.getUint32(r * 8, true);
    }
    columns[c.column.name] = out;
  }
  return { rows: chunk.rows, columns };
}

/** A chunk from column arrays, checked like the builder checks rows (missing, unknown or short columns included). */
export function encodeColumnChunk(chunk: ColumnChunk): Uint8Array<ArrayBuffer> {
  const known = new Set(CLEANSED_COLUMNS.map((c) => c.name));
  for (const name of Object.keys(chunk.columns)) {
    if (!known.has(name)) throw new CleansedChunkError(`column "${name}" is not declared in CLEANSED_COLUMNS`);
  }
  const arrays = CLEANSED_COLUMNS.map(({ name }) => {
    const values = chunk.columns[name];
    if (!Array.isArray(values)) throw new CleansedChunkError(`column "${name}" is missing`);
    if (values.length !== chunk.rows) throw new CleansedChunkError(`column "${name}" has ${values.length} values for ${chunk.rows} rows`);
    return values;
  });
  const builder = new ColumnChunkBuilder();
  for (let r = 0; r < chunk.rows; r++) builder.push(arrays.map((a) => a[r]!));
  return builder.encode();
}
