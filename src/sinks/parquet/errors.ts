import { KinesisLakeError } from '../../errors.js';

/**
 * A column chunk broke the cleansed column contract (missing or unknown
 * column, wrong length, wrong value type, null in a required column). This
 * is a processor bug, not a data problem: retrying the same chunk cannot
 * help, and the rows must not be written half-typed.
 */
export class CleansedChunkError extends KinesisLakeError {
  constructor(message: string) {
    super(message, { retriable: false });
  }
}
