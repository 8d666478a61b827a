/**
 * The few FlatBuffers the Arrow IPC messages of arrowBatch.ts need: tables
 * of scalars, strings, vectors of tables and vectors of two-int64 structs.
 * apache-arrow's builder did this before, at ~0.23 CPU-s of module loading
 * in every worker thread for a handful of small messages per Parquet file.
 *
 * Laid out front to back: each table's vtable right before it, its children
 * after it, so every offset points forward as FlatBuffers requires. Every
 * scalar sits on its own size's boundary (Arrow's Rust reader, inside
 * parquet-wasm, verifies that), counted from the buffer's start, which the
 * caller keeps on an 8-byte boundary.
 */

/** One field of a table; a table is an array of them indexed by field id (undefined: absent). */
export type FlatValue =
  | { type: 'bool'; value: boolean }
  | { type: 'u8'; value: number }
  | { type: 'i16'; value: number }
  | { type: 'i32'; value: number }
  /** A whole number within 2^53 (lengths and offsets). */
  | { type: 'i64'; value: number }
  | { type: 'table'; value: FlatTable }
  | { type: 'string'; value: string }
  | { type: 'tables'; value: readonly FlatTable[] }
  /** A vector of structs of two int64s (Arrow's FieldNode and Buffer). */
  | { type: 'int64Pairs'; value: readonly (readonly [number, number])[] };

export type FlatTable = readonly (FlatValue | undefined)[];

const TWO_POW_32 = 4294967296;

function inlineSize(v: FlatValue): number {
  switch (v.type) {
    case 'bool':
    case 'u8':
      return 1;
    case 'i16':
      return 2;
    case 'i64':
      return 8;
    default:
      // i32, and the 32-bit offset of every child object.
      return 4;
  }
}

class Output {
  bytes = new Uint8Array(512);
  view = new DataView(this.bytes.buffer);
  at = 0;

  reserve(n: number): void {
    if (this.at + n <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.at + n));
    next.set(this.bytes.subarray(0, this.at));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }

  /** Zero bytes until `at + extra` is a multiple of `alignment`. */
  pad(alignment: number, extra = 0): void {
    const n = (alignment - ((this.at + extra) % alignment)) % alignment;
    this.reserve(n);
    this.bytes.fill(0, this.at, this.at + n);
    this.at += n;
  }

  /** `at`, then moves past `n` bytes (zeroed). */
  skip(n: number): number {
    this.reserve(n);
    const start = this.at;
    this.bytes.fill(0, start, start + n);
    this.at += n;
    return start;
  }

  setInt64(pos: number, value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`a FlatBuffers int64 here must be a whole number from 0 to 2^53, got ${value}`);
    this.view.setUint32(pos, value >>> 0, true);
    this.view.setUint32(pos + 4, Math.floor(value / TWO_POW_32), true);
  }

  /** Points the 32-bit offset at `from` to `to` (after it). */
  link(from: number, to: number): void {
    this.view.setUint32(from, to - from, true);
  }
}

function writeTable(out: Output, table: FlatTable): number {
  // Widest fields first: with the table on an 8-byte boundary, padding is only needed after the vtable offset.
  const fields = table.flatMap((value, id) => (value === undefined ? [] : [{ id, value, size: inlineSize(value), at: 0 }]));
  fields.sort((a, b) => b.size - a.size || a.id - b.id);
  let size = 4; // the table's offset to its vtable
  for (const f of fields) {
    size += (f.size - (size % f.size)) % f.size;
    f.at = size;
    size += f.size;
  }
  const slots = fields.reduce((n, f) => Math.max(n, f.id + 1), 0);

  out.pad(2);
  const vtable = out.skip(4 + 2 * slots);
  out.view.setUint16(vtable, 4 + 2 * slots, true);
  out.view.setUint16(vtable + 2, size, true);
  for (const f of fields) out.view.setUint16(vtable + 4 + 2 * f.id, f.at, true);

  out.pad(8);
  const start = out.skip(size);
  out.view.setInt32(start, start - vtable, true);
  const children: { at: number; value: FlatValue }[] = [];
  for (const { value, at } of fields) {
    const pos = start + at;
    switch (value.type) {
      case 'bool':
        out.bytes[pos] = value.value ? 1 : 0;
        break;
      case 'u8':
        out.bytes[pos] = value.value;
        break;
      case 'i16':
        out.view.setInt16(pos, value.value, true);
        break;
      case 'i32':
        out.view.setInt32(pos, value.value, true);
        break;
      case 'i64':
        out.setInt64(pos, value.value);
        break;
      default:
        children.push({ at: pos, value });
    }
  }
  children.sort((a, b) => a.at - b.at);
  for (const child of children) out.link(child.at, writeChild(out, child.value));
  return start;
}

function writeChild(out: Output, value: FlatValue): number {
  switch (value.type) {
    case 'table':
      return writeTable(out, value.value);
    case 'string': {
      const text = Buffer.from(value.value, 'utf8');
      out.pad(4);
      const start = out.skip(4 + text.length + 1);
      out.view.setUint32(start, text.length, true);
      out.bytes.set(text, start + 4);
      return start;
    }
    case 'tables': {
      out.pad(4);
      const start = out.skip(4 + 4 * value.value.length);
      out.view.setUint32(start, value.value.length, true);
      value.value.forEach((table, i) => out.link(start + 4 + 4 * i, writeTable(out, table)));
      return start;
    }
    case 'int64Pairs': {
      // The length is 4 bytes; the structs after it must start on an 8-byte boundary.
      out.pad(8, 4);
      const start = out.skip(4 + 16 * value.value.length);
      out.view.setUint32(start, value.value.length, true);
      value.value.forEach(([a, b], i) => {
        out.setInt64(start + 4 + 16 * i, a);
        out.setInt64(start + 12 + 16 * i, b);
      });
      return start;
    }
    default:
      throw new Error(`a ${value.type} is stored inline, not as a child object`);
  }
}

/** The FlatBuffer whose root is `root`, padded to a multiple of 8 bytes. */
export function flatBuffer(root: FlatTable): Uint8Array {
  const out = new Output();
  const rootOffset = out.skip(4);
  out.link(rootOffset, writeTable(out, root));
  out.pad(8);
  return out.bytes.slice(0, out.at);
}
