/**
 * KL_SINK=firehose: a segment's cleansed rows go to a Firehose delivery
 * stream as JSON lines (one row per Firehose record, columns by name) with
 * PutRecordBatch, within its limits of 500 records and 4 MiB per call. A
 * call that throws is sent again whole; a call with FailedPutCount > 0 is
 * followed by one with exactly the records that carry an ErrorCode, with
 * jittered backoff, until all are accepted or the signal aborts: the
 * segment's checkpoint waits on that. Delivery is at-least-once (a call
 * that timed out may have landed); docs/firehose.md has the trade-off.
 */
import { CLEANSED_COLUMNS } from '../lake/cleansedColumns.js';
import { chunkValues, decodeColumnChunk } from '../lake/columnChunk.js';
import { backoffMs, sleep } from '../consumer/backoff.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { CleansedHour, CleansedSink } from './lakeWriter.js';
import type { FirehosePort } from './firehosePort.js';

export const FIREHOSE_MAX_BATCH_RECORDS = 500;
export const FIREHOSE_MAX_BATCH_BYTES = 4 * 1024 * 1024;
export const FIREHOSE_MAX_RECORD_BYTES = 1000 * 1024;

export interface FirehoseSinkOptions {
  port: FirehosePort;
  deliveryStream: string;
  logger: Pick<Logger, 'warn' | 'info'>;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export interface FirehoseSinkStats {
  calls: number;
  /** Records sent again after Firehose reported them failed or the call threw. */
  retriedRecords: number;
  accepted: number;
}

/** The rows of column chunks as JSON lines, newline included, in chunk order. */
export function rowsAsJsonLines(chunks: readonly Uint8Array[]): Buffer[] {
  const out: Buffer[] = [];
  chunks.forEach((bytes, index) => {
    const chunk = chunkValues(decodeColumnChunk(bytes, index));
    for (let r = 0; r < chunk.rows; r++) {
      const row: Record<string, unknown> = {};
      for (const { name } of CLEANSED_COLUMNS) row[name] = chunk.columns[name]![r];
      out.push(Buffer.from(JSON.stringify(row) + '\n', 'utf8'));
    }
  });
  return out;
}

/** Consecutive groups within the per-call limits. */
export function batchRecords(records: readonly Buffer[]): Buffer[][] {
  const out: Buffer[][] = [];
  let cur: Buffer[] = [];
  let bytes = 0;
  for (const r of records) {
    if (r.length > FIREHOSE_MAX_RECORD_BYTES) {
      throw new Error(`a cleansed row is ${r.length} bytes as JSON, above Firehose's ${FIREHOSE_MAX_RECORD_BYTES}-byte record limit; lower KL_MAX_RECORD_BYTES`);
    }
    if (cur.length > 0 && (cur.length >= FIREHOSE_MAX_BATCH_RECORDS || bytes + r.length > FIREHOSE_MAX_BATCH_BYTES)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(r);
    bytes += r.length;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

export class FirehoseSink implements CleansedSink {
  readonly stats: FirehoseSinkStats = { calls: 0, retriedRecords: 0, accepted: 0 };

  constructor(private readonly options: FirehoseSinkOptions) {}

  async write(segment: { shardId: string; firstSequence: string; lastSequence: string }, hours: CleansedHour[], signal?: AbortSignal): Promise<void> {
    const records = hours.flatMap((h) => rowsAsJsonLines(h.chunks));
    for (const batch of batchRecords(records)) await this.sendAll(batch, segment.shardId, signal);
    this.options.logger.info({ shardId: segment.shardId, first: segment.firstSequence, last: segment.lastSequence, rows: records.length }, 'cleansed rows accepted by Firehose');
  }

  private async sendAll(batch: Buffer[], shardId: string, signal: AbortSignal | undefined): Promise<void> {
    let todo = batch;
    for (let attempt = 0; todo.length > 0; attempt++) {
      if (attempt > 0) {
        this.stats.retriedRecords += todo.length;
        await sleep(backoffMs(attempt, this.options.baseDelayMs ?? 100, this.options.maxDelayMs ?? 5_000), signal);
      }
      // Checked before every call, the first too: a writer that lost its lease sends nothing more.
      if (signal?.aborted) throw new Error('Firehose delivery aborted before every record was accepted');
      this.stats.calls++;
      let codes: (string | undefined)[];
      try {
        codes = (await this.options.port.putRecordBatch(this.options.deliveryStream, todo)).errorCodes;
      } catch (err) {
        this.options.logger.warn({ shardId, records: todo.length, attempt, err: errorMessage(err) }, 'Firehose PutRecordBatch failed; retrying the call');
        continue;
      }
      const failed = todo.filter((_, i) => codes[i] !== undefined);
      this.stats.accepted += todo.length - failed.length;
      if (failed.length > 0) {
        const byCode = [...new Set(codes.filter((c) => c !== undefined))];
        this.options.logger.warn({ shardId, failed: failed.length, of: todo.length, codes: byCode, attempt }, 'Firehose rejected some records; retrying exactly those');
      }
      todo = failed;
    }
  }
}
