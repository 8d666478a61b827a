/** Cleansed rows of one event hour, gathered column-wise and JSON-encoded once. */
import { CLEANSED_COLUMNS, type ColumnChunk } from '../lake/cleansedColumns.js';
import type { CellValue } from './normalize.js';

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

  encode(): Uint8Array {
    // Buffer.from is a Uint8Array and encodes large strings faster than TextEncoder.
    return Buffer.from(JSON.stringify(this.toChunk()), 'utf8');
  }
}
