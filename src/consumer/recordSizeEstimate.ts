/**
 * Bytes per Kinesis record that a shard's next GetRecords call is sized by
 * (its Limit and the room it reserves in the memory budget). GetRecords is
 * limited by a record count only, so the bytes a response brings are known
 * after it arrived.
 *
 * Until a shard has returned records its size is unknown and the estimate
 * is the largest a record commonly is (1 MiB): that first call asks for no
 * more records than fit in the budget at that size. Guessing small there
 * was measured to cost 1.1 GB of RSS against a 256 MiB budget: 32 shards of
 * KPL aggregates (27 KB each) answered their first calls, sized for 1 KB
 * records, with the whole backlog at once (bench/memory.ts, 2026-11-23).
 *
 * A larger mean takes over at once and a smaller one only by a fifth per
 * response: guessing low overshoots the budget by the difference times the
 * records asked for, guessing high makes one call smaller than it could be.
 */
export const UNKNOWN_RECORD_BYTES = 1024 * 1024;

/** The most payload one GetRecords response carries (Kinesis caps a response at 10 MiB). */
export const MAX_GET_RECORDS_RESPONSE_BYTES = 10 * 1024 * 1024;

export class RecordSizeEstimate {
  private bytesPerRecord: number | undefined;

  /** Whether a response with records has been seen. */
  get known(): boolean {
    return this.bytesPerRecord !== undefined;
  }

  /** The estimate, UNKNOWN_RECORD_BYTES before the first response with records. */
  get bytes(): number {
    return this.bytesPerRecord ?? UNKNOWN_RECORD_BYTES;
  }

  /**
   * The payload a response to a call asking for `limit` records may bring:
   * never more than Kinesis sends in one response (10,000 records of 4 KB
   * would otherwise reserve four times what can come back).
   */
  responseBytes(limit: number): number {
    return Math.min(limit * this.bytes, MAX_GET_RECORDS_RESPONSE_BYTES);
  }

  /** A response of `records` Kinesis records holding `bytes` of payload. */
  observe(bytes: number, records: number): void {
    if (records <= 0) return;
    const mean = bytes / records;
    const was = this.bytesPerRecord;
    this.bytesPerRecord = was === undefined || mean >= was ? mean : 0.8 * was + 0.2 * mean;
  }
}
