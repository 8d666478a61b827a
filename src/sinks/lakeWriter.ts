/**
 * Makes sealed files durable. A raw file: its lines gzipped as one stream (the
 * same bytes on every replay), put under its deterministic key, and its
 * dead letters acknowledged by the DLQ. A segment: its valid rows encoded to
 * one Parquet file per event hour, put under keys named by the segment's
 * first and last sequence numbers and the hour. Each call resolves only
 * when everything is acknowledged; the caller checkpoints after that.
 */
import type { Logger } from '../log.js';
import { errorMessage } from '../errors.js';
import type { DeadLetter, PieceOutput } from '../consumer/pieceProcessor.js';
import { retryUntilDone } from '../consumer/retry.js';
import type { ObjectStorePort, PutOptions } from './objectStore.js';
import { cleansedKey, rawKey } from '../lake/keys.js';
import { gzipParts } from './gzipParts.js';
import { releaseBuffers } from './releaseBuffers.js';

/**
 * User metadata of every raw object: the window phase its shard cut on
 * (consumer/windowPhase.ts). An object without it was written before phases
 * existed, with windows aligned to the epoch (phase 0).
 */
export const WINDOW_PHASE_METADATA = 'kl-window-phase-ms';
/**
 * Raw-object metadata set on a file the hot path closed because its window
 * went idle (no rule on the records explains that cut): a replay then keeps
 * the next file in the same segment instead of reading a forced segment cut.
 */
export const IDLE_CUT_METADATA = 'kl-idle-cut';

export interface SealedFile<D extends DeadLetter = DeadLetter> {
  shardId: string;
  firstSequence: string;
  lastSequence: string;
  firstArrivalMs: number;
  /** The shard's window phase (its lease's), recorded on the raw object so a replay cuts as this file was cut. */
  windowPhaseMs: number;
  kinesisRecords: number;
  payloadBytes: number;
  /** Ends early because of shutdown, handoff or memory pressure (announced in the lease first). */
  forced: boolean;
  /** Closed because its window went idle (announced in the lease as an idle cut, and recorded on the object). */
  idleCut?: boolean;
  outputs: Promise<PieceOutput<D>>[];
}

/** What a segment keeps of each piece's output (consumer/pieceBudget.ts, segmentShare). */
export type SegmentPieceOutput = Pick<PieceOutput, 'cleansed' | 'lastSubSequenceNumber'>;

/** The span between two checkpoints: the cleansed part of every piece of every raw file in it. */
export interface SealedSegment {
  shardId: string;
  firstSequence: string;
  lastSequence: string;
  forced: boolean;
  outputs: Promise<SegmentPieceOutput>[];
}

export interface DeadLetterSink<D extends DeadLetter = DeadLetter> {
  /** Resolves once every envelope is acknowledged (rejects only when the signal aborts). */
  send(envelopes: readonly D[], signal?: AbortSignal): Promise<void>;
}

/** Encodes one event hour's column chunks to a Parquet file (in a worker thread). */
export interface ParquetEncoder {
  encode(chunks: Uint8Array[]): Promise<Uint8Array>;
}

/** One event hour of a segment's valid rows, as the processors' column chunks. */
export interface CleansedHour {
  hour: string;
  rows: number;
  chunks: Uint8Array[];
}

/**
 * Where a segment's cleansed rows go when not to Parquet objects in the
 * bucket (e.g. firehoseSink.ts). Resolves only when every row is accepted:
 * the segment's checkpoint waits on it.
 */
export interface CleansedSink {
  write(segment: { shardId: string; firstSequence: string; lastSequence: string }, hours: CleansedHour[], signal?: AbortSignal): Promise<void>;
}

export interface WrittenFile {
  rawKey: string;
  rawBytes: number;
  userRecords: number;
  deadLetters: number;
}

export type Zone = 'raw' | 'cleansed' | 'dlq';

export interface LakeWriterOptions<D extends DeadLetter> {
  store: ObjectStorePort;
  streamName: string;
  /** Table name of the cleansed zone (cleansed/<table>/...). */
  table: string;
  deadLetters: DeadLetterSink<D> | undefined;
  parquet: ParquetEncoder | undefined;
  /** Replaces the Parquet objects of the cleansed zone (KL_SINK=firehose); the raw zone and DLQ are unchanged. */
  cleansedSink?: CleansedSink;
  logger: Logger;
  /** Called for each object made durable (metrics). */
  onObject?: (zone: Zone, records: number, bytes: number, durationMs: number) => void;
}

export class LakeWriter<D extends DeadLetter = DeadLetter> {
  constructor(private readonly options: LakeWriterOptions<D>) {}

  private async put(key: string, body: Uint8Array, options: PutOptions, shardId: string, signal?: AbortSignal): Promise<void> {
    const log = this.options.logger;
    await retryUntilDone(() => this.options.store.put(key, body, options), {
      retryAll: true,
      signal,
      onRetry: (err, attempt) => log.warn({ shardId, key, attempt, err: errorMessage(err) }, 'upload failed; retrying'),
    });
  }

  async write(file: SealedFile<D>, signal?: AbortSignal): Promise<WrittenFile> {
    const started = Date.now();
    const outputs = await Promise.all(file.outputs);
    const body = await gzipParts(outputs.map((o) => o.raw));
    const key = rawKey({
      stream: this.options.streamName,
      shardId: file.shardId,
      firstSequence: file.firstSequence,
      lastSequence: file.lastSequence,
      windowStartMs: file.firstArrivalMs,
    });
    const metadata: Record<string, string> = { [WINDOW_PHASE_METADATA]: String(file.windowPhaseMs) };
    if (file.idleCut) metadata[IDLE_CUT_METADATA] = 'true';
    // Taken before the upload: once it is durable the body's memory is freed, and its length reads 0.
    const bytes = body.byteLength;
    await this.put(key, body, { contentType: 'application/x-ndjson', contentEncoding: 'gzip', metadata }, file.shardId, signal);
    releaseBuffers([body]);
    const userRecords = outputs.reduce((n, o) => n + o.rawRecords, 0);
    this.options.onObject?.('raw', userRecords, bytes, Date.now() - started);
    const deadLetters = outputs.flatMap((o) => o.dlq);
    if (deadLetters.length > 0) {
      if (!this.options.deadLetters) throw new Error('dead letters produced but no dead-letter sink is configured');
      const t = Date.now();
      await this.options.deadLetters.send(deadLetters, signal);
      this.options.onObject?.('dlq', deadLetters.length, 0, Date.now() - t);
    }
    this.options.logger.info(
      { shardId: file.shardId, key, records: userRecords, deadLetters: deadLetters.length, bytes, forced: file.forced || undefined },
      'raw object written',
    );
    // Durable: nothing reads these lines again (a replay reads the stream).
    releaseBuffers(outputs.map((o) => o.raw));
    return { rawKey: key, rawBytes: bytes, userRecords, deadLetters: deadLetters.length };
  }

  /** Writes the segment's cleansed files; returns the sub-sequence number to checkpoint with. */
  async writeSegment(segment: SealedSegment, signal?: AbortSignal): Promise<number | undefined> {
    const outputs = await Promise.all(segment.outputs);
    const byHour = new Map<string, { chunks: Uint8Array[]; rows: number }>();
    for (const o of outputs) {
      for (const c of o.cleansed) {
        const entry = byHour.get(c.hour) ?? { chunks: [], rows: 0 };
        entry.chunks.push(c.chunk);
        entry.rows += c.rows;
        byHour.set(c.hour, entry);
      }
    }
    const sink = this.options.cleansedSink;
    if (sink) {
      const hours = [...byHour.keys()].sort().map((hour) => ({ hour, ...byHour.get(hour)! }));
      if (hours.length > 0) {
        const started = Date.now();
        await sink.write(segment, hours, signal);
        this.options.onObject?.('cleansed', hours.reduce((n, h) => n + h.rows, 0), 0, Date.now() - started);
      }
      releaseBuffers(chunksOf(outputs));
      return outputs.length > 0 ? outputs[outputs.length - 1]!.lastSubSequenceNumber : undefined;
    }
    if (byHour.size > 0 && !this.options.parquet) throw new Error('cleansed rows produced but no Parquet encoder is configured');
    // The hours of a segment are encoded (spread over the pool's threads) and uploaded side by side: their
    // keys do not depend on the order, a replay rewrites the same objects, and the checkpoint waits for all.
    // Each S3 client caps its sockets, which bounds the uploads in flight.
    await Promise.all(
      [...byHour.keys()].sort().map(async (hour) => {
        const { chunks, rows } = byHour.get(hour)!;
        const started = Date.now();
        const body = await this.options.parquet!.encode(chunks);
        const key = cleansedKey({ table: this.options.table, shardId: segment.shardId, firstSequence: segment.firstSequence, lastSequence: segment.lastSequence, hour });
        const bytes = body.byteLength;
        await this.put(key, body, { contentType: 'application/vnd.apache.parquet' }, segment.shardId, signal);
        releaseBuffers([body]);
        this.options.onObject?.('cleansed', rows, bytes, Date.now() - started);
        this.options.logger.info({ shardId: segment.shardId, key, rows, bytes }, 'cleansed object written');
      }),
    );
    // Every hour is durable: the checkpoint needs the rows no more.
    releaseBuffers(chunksOf(outputs));
    return outputs.length > 0 ? outputs[outputs.length - 1]!.lastSubSequenceNumber : undefined;
  }
}

function* chunksOf(outputs: readonly SegmentPieceOutput[]): Generator<Uint8Array> {
  for (const o of outputs) for (const c of o.cleansed) yield c.chunk;
}
