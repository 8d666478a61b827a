/** Cleansed rows of one event hour, gathered column-wise and JSON-encoded once. */
import { CLEANSED_COLUMNS, type ColumnChunk } from '../lake/cleansedColumns.js';
import type { CellValue } from './normalize.js';

const encoder = new TextEncoder();

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
    return encoder.encode(JSON.stringify(this.toChunk()));
  }
}
