/**
 * Makes one sealed file durable: gzips its raw lines in one call (so the
 * bytes are the same on every replay), puts the object under its
 * deterministic key, and hands its dead letters to the DLQ. It resolves only
 * when everything is acknowledged; the caller checkpoints after that.
 */
import { gzip as gzipCb, constants as zlibConstants } from 'node:zlib';
import { promisify } from 'node:util';
import type { Logger } from '../log.js';
import { errorMessage } from '../errors.js';
import type { DeadLetter, PieceOutput } from '../consumer/pieceProcessor.js';
import { retryUntilDone } from '../consumer/retry.js';
import type { ObjectStorePort } from './objectStore.js';
import { rawKey } from './rawKey.js';

const gzip = promisify(gzipCb);

export interface SealedFile<D extends DeadLetter = DeadLetter> {
  shardId: string;
  firstSequence: string;
  lastSequence: string;
  firstArrivalMs: number;
  kinesisRecords: number;
  payloadBytes: number;
  /** Ends early because of shutdown, handoff or memory pressure (announced in the lease first). */
  forced: boolean;
  outputs: Promise<PieceOutput<D>>[];
}

export interface DeadLetterSink<D extends DeadLetter = DeadLetter> {
  /** Resolves once every envelope is acknowledged. */
  send(envelopes: D[]): Promise<void>;
}

export interface WrittenFile {
  rawKey: string;
  rawBytes: number;
  userRecords: number;
  deadLetters: number;
  lastSubSequenceNumber: number | undefined;
}

export interface LakeWriterOptions<D extends DeadLetter> {
  store: ObjectStorePort;
  streamName: string;
  deadLetters: DeadLetterSink<D> | undefined;
  logger: Logger;
  gzipLevel?: number;
  /** Aborting stops retries (used when the lease is lost or shutdown times out). */
  signal?: AbortSignal;
  onRawObject?: (file: WrittenFile, durationMs: number) => void;
}

export class LakeWriter<D extends DeadLetter = DeadLetter> {
  constructor(private readonly options: LakeWriterOptions<D>) {}

  async write(file: SealedFile<D>, signal?: AbortSignal): Promise<WrittenFile> {
    const started = Date.now();
    const outputs = await Promise.all(file.outputs);
    const raw = Buffer.concat(outputs.map((o) => o.raw));
    const body = await gzip(raw, { level: this.options.gzipLevel ?? 1, strategy: zlibConstants.Z_DEFAULT_STRATEGY });
    const key = rawKey({
      stream: this.options.streamName,
      shardId: file.shardId,
      firstSequence: file.firstSequence,
      lastSequence: file.lastSequence,
      firstArrivalMs: file.firstArrivalMs,
    });
    const log = this.options.logger;
    await retryUntilDone(() => this.options.store.put(key, body, { contentType: 'application/x-ndjson', contentEncoding: 'gzip' }), {
      retryAll: true,
      signal,
      onRetry: (err, attempt) => log.warn({ shardId: file.shardId, key, attempt, err: errorMessage(err) }, 'raw upload failed; retrying'),
    });
    const deadLetters = outputs.flatMap((o) => o.dlq);
    if (deadLetters.length > 0) {
      if (!this.options.deadLetters) throw new Error('dead letters produced but no dead-letter sink is configured');
      await this.options.deadLetters.send(deadLetters);
    }
    const written: WrittenFile = {
      rawKey: key,
      rawBytes: body.byteLength,
      userRecords: outputs.reduce((n, o) => n + o.rawRecords, 0),
      deadLetters: deadLetters.length,
      lastSubSequenceNumber: outputs.length > 0 ? outputs[outputs.length - 1]!.lastSubSequenceNumber : undefined,
    };
    log.info({ shardId: file.shardId, key, records: written.userRecords, bytes: written.rawBytes, forced: file.forced || undefined }, 'raw object written');
    this.options.onRawObject?.(written, Date.now() - started);
    return written;
  }
}
