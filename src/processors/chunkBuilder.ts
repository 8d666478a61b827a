/** Cleansed rows of one event hour, gathered column-wise and JSON-encoded once. */
import { CLEANSED_COLUMNS, type ColumnChunk } from '../lake/cleansedColumns.js';
import type { CellValue } from './normalize.js';
import { ownedBytes } from './packing.js';

export class ChunkBuilder {
  rows = 0;
  readonly columns: CellValue[][] = CLEANSED_COLUMNS.map(() => []);

  push(values: readonly CellValue[]): void {
    for (let i = 0; i < values.length; i++) this.columns[i]!.push(values[i]!);
    this.rows++;
  }

  toChunk(): ColumnChunk {
    const columns: ColumnChunk['columns'] = {};
    CLEANSED_COLUMNS.forEach((c, i) => (columns[c.name] = this.columns[i]!));
    return { rows: this.rows, columns };
  }

  /** UTF-8 JSON on memory of its own (transferable to another thread). */
  encode(): Uint8Array {
    // Buffer.from encodes large strings faster than TextEncoder, but a short one lands in Node's shared pool.
    return ownedBytes(Buffer.from(JSON.stringify(this.toChunk()), 'utf8'));
  }
}
