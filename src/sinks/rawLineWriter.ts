/**
 * Writes raw-zone lines (rawLine.ts's format, byte for byte) into one
 * growing buffer instead of a Uint8Array per line: the processors' hot
 * path. The parts that repeat from record to record (the shard id's JSON,
 * the last partition key's JSON, the arrival second's ISO text) are built
 * once, and each line is one UTF-8 write plus one copy of the payload.
 */
import type { StreamRecord } from '../consumer/records.js';
import { isoMillis } from './isoTime.js';

/** What a line needs of a record (a StreamRecord has it all). */
export type RawLineRecord = Pick<StreamRecord, 'shardId' | 'sequenceNumber' | 'subSequenceNumber' | 'partitionKey' | 'arrivalMs' | 'data'>;

export class RawLineWriter {
  #buf: Buffer;
  #at = 0;
  #lines = 0;
  #shardId: string | undefined;
  #shardHead = '';
  #partitionKey: string | undefined;
  #partitionKeyJson = '';

  /** `capacity`: a guess of the total bytes; the buffer grows when it is short. */
  constructor(capacity: number) {
    // allocUnsafeSlow: never the shared pool, so the result can own (and transfer) its memory.
    this.#buf = Buffer.allocUnsafeSlow(Math.max(256, Math.ceil(capacity)));
  }

  get lines(): number {
    return this.#lines;
  }

  get byteLength(): number {
    return this.#at;
  }

  /** Appends one line, newline included; `verbatim` as decided by the caller (see isVerbatimJson). */
  append(record: RawLineRecord, verbatim: boolean): void {
    const prefix = this.#prefix(record, verbatim);
    const data = record.data;
    if (verbatim) {
      // UTF-8 needs at most 3 bytes per UTF-16 unit.
      this.#ensure(prefix.length * 3 + data.length + 2);
      const buf = this.#buf;
      let at = this.#at + buf.write(prefix, this.#at, 'utf8');
      buf.set(data, at);
      at += data.length;
      buf[at++] = 0x7d; // }
      buf[at++] = 0x0a; // \n
      this.#at = at;
    } else {
      const tail = `"${Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64')}"}\n`;
      this.#ensure(prefix.length * 3 + tail.length);
      this.#at += this.#buf.write(prefix, this.#at, 'utf8');
      this.#at += this.#buf.write(tail, this.#at, 'latin1');
    }
    this.#lines++;
  }

  /**
   * The lines written so far, on memory of their own, so it may be
   * transferred. A view on the writer's buffer (no copy) unless more than an
   * eighth of it is spare: the result stays in memory until its raw file is
   * durable, and a buffer that grew by doubling (a piece of KPL aggregates
   * writes far more lines than its Kinesis records promised) held up to twice
   * the lines: 4 bytes per payload byte, measured, for 2.2 of lines.
   */
  bytes(): Uint8Array {
    const buf = this.#buf;
    if (buf.length - this.#at <= this.#at >> 3) return new Uint8Array(buf.buffer, buf.byteOffset, this.#at);
    const exact = Buffer.allocUnsafeSlow(this.#at);
    buf.copy(exact, 0, 0, this.#at);
    return new Uint8Array(exact.buffer, exact.byteOffset, this.#at);
  }

  #prefix(record: RawLineRecord, verbatim: boolean): string {
    if (record.shardId !== this.#shardId) {
      this.#shardId = record.shardId;
      this.#shardHead = `{"shardId":${JSON.stringify(record.shardId)},"sequenceNumber":"`;
    }
    if (record.partitionKey !== this.#partitionKey) {
      this.#partitionKey = record.partitionKey;
      this.#partitionKeyJson = JSON.stringify(record.partitionKey);
    }
    const sub = record.subSequenceNumber === undefined ? '' : `"subSequenceNumber":${record.subSequenceNumber},`;
    return (
      this.#shardHead +
      record.sequenceNumber +
      '",' +
      sub +
      '"partitionKey":' +
      this.#partitionKeyJson +
      ',"arrivalTime":"' +
      isoMillis(record.arrivalMs) +
      (verbatim ? '","data":' : '","dataBase64":')
    );
  }

  #ensure(bytes: number): void {
    if (this.#at + bytes <= this.#buf.length) return;
    const next = Buffer.allocUnsafeSlow(Math.max(this.#buf.length * 2, this.#at + bytes));
    this.#buf.copy(next, 0, 0, this.#at);
    this.#buf = next;
  }
}
