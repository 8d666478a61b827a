/**
 * Turns the encoder's input (UTF-8 JSON ColumnChunks) into row groups of
 * column slices, one chunk parsed at a time. Slices point into the parsed
 * chunk arrays, so building a row group never copies rows twice.
 */
import { CLEANSED_COLUMNS, type ColumnChunk } from '../../lake/cleansedColumns.js';
import { CleansedChunkError } from './errors.js';

export type CellValue = string | number | null;

/** Rows [start, end) of one column of one input chunk. */
export interface ColumnSlice {
  values: readonly CellValue[];
  start: number;
  end: number;
  /** Index of the input chunk, for error messages. */
  chunk: number;
}

export interface RowGroupSlices {
  rows: number;
  /** One list of slices per CLEANSED_COLUMNS entry, in that order. */
  columns: ColumnSlice[][];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const KNOWN = new Set(CLEANSED_COLUMNS.map((c) => c.name));

/** Parses and checks the shape of one chunk (value types are checked while encoding). */
export function parseColumnChunk(bytes: Uint8Array, index: number): ColumnChunk {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(bytes));
  } catch (err) {
    throw new CleansedChunkError(`column chunk ${index} is not UTF-8 JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new CleansedChunkError(`column chunk ${index} is not an object`);
  const { rows, columns } = parsed as Partial<ColumnChunk>;
  if (typeof rows !== 'number' || !Number.isSafeInteger(rows) || rows < 0) {
    throw new CleansedChunkError(`column chunk ${index} has no valid "rows" count`);
  }
  if (typeof columns !== 'object' || columns === null) throw new CleansedChunkError(`column chunk ${index} has no "columns" object`);
  for (const name of Object.keys(columns)) {
    if (!KNOWN.has(name)) throw new CleansedChunkError(`column chunk ${index} has column "${name}", which CLEANSED_COLUMNS does not declare`);
  }
  for (const { name } of CLEANSED_COLUMNS) {
    const values = columns[name];
    if (!Array.isArray(values)) throw new CleansedChunkError(`column chunk ${index} lacks column "${name}"`);
    if (values.length !== rows) {
      throw new CleansedChunkError(`column chunk ${index} column "${name}" has ${values.length} values for ${rows} rows`);
    }
  }
  return { rows, columns };
}

/**
 * Yields row groups of exactly `rowGroupRows` rows (the last one shorter),
 * parsing the next chunk only when the current row group needs more rows.
 */
export function* rowGroupSlices(chunks: readonly Uint8Array[], rowGroupRows: number): Generator<RowGroupSlices> {
  let pending = emptyGroup();
  let yielded = 0;
  for (let c = 0; c < chunks.length; c++) {
    const chunk = parseColumnChunk(chunks[c]!, c);
    let offset = 0;
    while (offset < chunk.rows) {
      const take = Math.min(chunk.rows - offset, rowGroupRows - pending.rows);
      CLEANSED_COLUMNS.forEach(({ name }, i) => {
        pending.columns[i]!.push({ values: chunk.columns[name]!, start: offset, end: offset + take, chunk: c });
      });
      pending.rows += take;
      offset += take;
      if (pending.rows === rowGroupRows) {
        yield pending;
        yielded++;
        pending = emptyGroup();
      }
    }
  }
  // With no rows at all, one empty group still carries the schema into the file.
  if (pending.rows > 0 || yielded === 0) yield pending;
}

function emptyGroup(): RowGroupSlices {
  return { rows: 0, columns: CLEANSED_COLUMNS.map(() => []) };
}
