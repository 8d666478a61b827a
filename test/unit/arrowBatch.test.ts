import { DataType, TimeUnit, tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { CLEANSED_COLUMNS } from '../../src/lake/cleansedColumns.js';
import { rowGroupToIpc } from '../../src/sinks/parquet/arrowBatch.js';
import { rowGroupSlices } from '../../src/sinks/parquet/chunkReader.js';
import { cleansedRow, encodeChunk, syntheticEvents, toColumnChunk } from '../support/cleansedFixtures.js';

// The hand-written IPC bytes, read back by Arrow's own JavaScript reader.
describe('rowGroupToIpc', () => {
  const events = syntheticEvents(1_203, 20261123);
  // Chunks of uneven sizes and row groups that start mid-chunk and mid-byte of the validity bitmaps.
  const chunks = [events.slice(0, 5), events.slice(5, 700), events.slice(700)].map((p) => encodeChunk(toColumnChunk(p)));
  const groups = [...rowGroupSlices(chunks, 401)];

  it('declares the cleansed columns: names, nullability, UTC millisecond timestamps, 64/32-bit ints, doubles, UTF-8', () => {
    const table = tableFromIPC(rowGroupToIpc(groups[0]!));
    expect(table.schema.fields.map((f) => [f.name, f.nullable])).toEqual(CLEANSED_COLUMNS.map((c) => [c.name, c.nullable]));
    table.schema.fields.forEach((f, i) => {
      const type = CLEANSED_COLUMNS[i]!.type;
      if (type === 'timestamp_ms') {
        expect(DataType.isTimestamp(f.type)).toBe(true);
        expect([f.type.unit, f.type.timezone]).toEqual([TimeUnit.MILLISECOND, 'UTC']);
      } else if (type === 'string') expect(DataType.isUtf8(f.type), f.name).toBe(true);
      else if (type === 'double') expect(DataType.isFloat(f.type) && f.type.precision === 2, f.name).toBe(true);
      else expect([DataType.isInt(f.type), f.type.bitWidth, f.type.isSigned], f.name).toEqual([true, type === 'int64' ? 64 : 32, true]);
    });
  });

  it('carries every value of every row group, nulls and non-ASCII text included', () => {
    expect(groups.map((g) => g.rows)).toEqual([401, 401, 401]);
    const read = groups.flatMap((g) => {
      const table = tableFromIPC(rowGroupToIpc(g));
      expect(table.batches.length).toBe(1);
      return table.toArray().map((row) => {
        const plain = row.toJSON() as Record<string, unknown>;
        return Object.fromEntries(CLEANSED_COLUMNS.map((c) => [c.name, typeof plain[c.name] === 'bigint' ? Number(plain[c.name]) : plain[c.name]]));
      });
    });
    const expected = events.map(cleansedRow);
    expect(read).toEqual(expected);
    for (const c of CLEANSED_COLUMNS.filter((col) => col.nullable)) expect(expected.some((r) => r[c.name] === null), `no null in ${c.name}`).toBe(true);
    expect(expected.some((r) => Object.values(r).some((v) => typeof v === 'string' && [...v].some((ch) => ch.charCodeAt(0) > 0x7f))), 'no non-ASCII text').toBe(true);
  });

  it('writes an empty row group as a schema and a batch of no rows', () => {
    const [empty] = [...rowGroupSlices([], 10)];
    const table = tableFromIPC(rowGroupToIpc(empty!));
    expect(table.numRows).toBe(0);
    expect(table.schema.fields.length).toBe(CLEANSED_COLUMNS.length);
  });
});
