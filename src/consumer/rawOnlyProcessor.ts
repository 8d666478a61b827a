/**
 * The simplest processor: raw lines only, on the calling thread. Used by
 * tests of the consumer's cutting and checkpointing, where validation is
 * beside the point.
 */
import { encodeRawLine } from '../sinks/rawLine.js';
import type { PieceInput, PieceOutput, PieceProcessor } from './pieceProcessor.js';

export class RawOnlyProcessor implements PieceProcessor {
  async process(input: PieceInput): Promise<PieceOutput> {
    const lines = input.records.map((r) => encodeRawLine(r));
    return {
      raw: Buffer.concat(lines),
      rawRecords: lines.length,
      cleansed: [],
      dlq: [],
      lastSubSequenceNumber: undefined,
      counts: { userRecords: lines.length, valid: lines.length, invalid: 0, droppedOutOfRange: 0, byReason: {} },
    };
  }

  async close(): Promise<void> {}
}
