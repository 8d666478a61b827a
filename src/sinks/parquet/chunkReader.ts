/**
 * Turns the encoder's input (binary column chunks, see lake/columnChunk.ts)
 * into row groups of column slices, one chunk decoded at a time. Slices are
 * row ranges of a chunk's columns: building a row group copies byte ranges.
 */
import { CLEANSED_COLUMNS } from '../../lake/cleansedColumns.js';
import { decodeColumnChunk, type ChunkColumn } from '../../lake/columnChunk.js';

/** Rows [start, end) of one column of one input chunk. */
export interface ColumnSlice {
  data: ChunkColumn;
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

/**
 * Yields row groups of exactly `rowGroupRows` rows (the last one shorter),
 * decoding the next chunk only when the current row group needs more rows.
 */
export function* rowGroupSlices(chunks: readonly Uint8Array[], rowGroupRows: number): Generator<RowGroupSlices> {
  let pending = emptyGroup();
  let yielded = 0;
  for (let c = 0; c < chunks.length; c++) {
    const chunk = decodeColumnChunk(chunks[c]!, c);
    let offset = 0;
    while (offset < chunk.rows) {
      const take = Math.min(chunk.rows - offset, rowGroupRows - pending.rows);
      chunk.columns.forEach((data, i) => {
        pending.columns[i]!.push({ data, start: offset, end: offset + take, chunk: c });
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
