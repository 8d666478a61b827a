/**
 * Finds one user record's raw line again. A dead-letter envelope carries the
 * payload but not the partition key, which the cleansed row needs; the raw
 * zone has both. The record's raw file began at or before its arrival and,
 * holding one KL_FLUSH_INTERVAL_MS window of its shard (whose windows start
 * at the shard's phase, anywhere in an epoch-aligned window), less than one
 * interval before it: the minute partitions of the aligned window holding the
 * arrival and of the one before are listed. Files are cached for the run: a
 * redrive of many envelopes from one file reads it once.
 */
import { gunzip as gunzipCb } from 'node:zlib';
import { promisify } from 'node:util';
import { compareSequence } from '../consumer/records.js';
import type { ObjectStorePort } from '../sinks/objectStore.js';
import { decodeRawLine, type DecodedRawLine } from '../sinks/rawLine.js';
import { listRawFiles, type RawFileRef } from './lakeListing.js';

const gunzip = promisify(gunzipCb);

export interface RecordRef {
  shardId: string;
  sequenceNumber: string;
  subSequenceNumber: number | undefined;
  arrivalMs: number;
}

export class RawLookup {
  private readonly files = new Map<string, Promise<DecodedRawLine[]>>();
  private readonly windows = new Map<number, Promise<Map<string, RawFileRef[]>>>();

  constructor(
    private readonly store: ObjectStorePort,
    private readonly stream: string,
    private readonly flushIntervalMs: number,
  ) {}

  async find(ref: RecordRef): Promise<DecodedRawLine | undefined> {
    const windowStart = Math.floor(ref.arrivalMs / this.flushIntervalMs) * this.flushIntervalMs;
    // The whole window is listed once and cached: every record arriving in it is looked up in the same listing.
    let listing = this.windows.get(windowStart);
    if (!listing) {
      listing = listRawFiles(this.store, this.stream, Math.max(0, windowStart - this.flushIntervalMs), windowStart + this.flushIntervalMs);
      this.windows.set(windowStart, listing);
    }
    const listed = await listing;
    const file = (listed.get(ref.shardId) ?? []).find(
      (f) => compareSequence(f.firstSequence, ref.sequenceNumber) <= 0 && compareSequence(ref.sequenceNumber, f.lastSequence) <= 0,
    );
    if (!file) return undefined;
    let lines = this.files.get(file.key);
    if (!lines) {
      lines = this.store.get(file.key).then(async (body) => (await gunzip(body)).toString('utf8').split('\n').filter((l) => l.length > 0).map(decodeRawLine));
      this.files.set(file.key, lines);
    }
    return (await lines).find((l) => l.sequenceNumber === ref.sequenceNumber && l.subSequenceNumber === ref.subSequenceNumber);
  }
}
