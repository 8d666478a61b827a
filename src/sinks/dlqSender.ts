/**
 * Sends dead-letter envelopes to SQS and resolves only when SQS has
 * acknowledged every one: the shard's checkpoint waits on this promise, so
 * "sent" must mean durable. Failed entries (and whole failed calls) are
 * retried with jittered exponential backoff for as long as the process runs;
 * an unreachable SQS pauses the shard rather than losing envelopes. An
 * envelope too big for SQS has its payload stored in S3 and carries a
 * pointer instead.
 */
import { setTimeout as sleepMs } from 'node:timers/promises';
import { errorMessage, errorName } from '../errors.js';
import type { DlqEnvelope } from '../processors/envelope.js';
import type { ObjectPutPort, SqsBatchEntry, SqsBatchPort } from './dlqPorts.js';

/** SQS's limit for one message and for one SendMessageBatch call. */
export const SQS_MAX_BYTES = 256 * 1024;
export const SQS_MAX_BATCH_ENTRIES = 10;
// Room for message attributes and their names/types, which count toward the limit.
const ATTRIBUTE_ALLOWANCE = 1024;
export const MAX_BODY_BYTES = SQS_MAX_BYTES - ATTRIBUTE_ALLOWANCE;

export interface DlqSenderLogger {
  warn(obj: object, msg: string): void;
}

export interface DlqSenderOptions {
  queueUrl: string;
  /** Bucket for payloads too big for SQS (under dlq/<stream>/<shardId>/<id>.bin). */
  bucket: string;
  sqs: SqsBatchPort;
  s3: ObjectPutPort;
  logger?: DlqSenderLogger;
  /** Called with the number of envelopes of each failed attempt (for a metric: an outage shows while it lasts, not only once it ends). */
  onSendFailure?: (envelopes: number) => void;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Batches in flight at once. */
  concurrency?: number;
}

export interface DlqSenderStats {
  /** Envelopes acknowledged by SQS. */
  sent: number;
  /** Entries sent again after SQS reported them failed or the call failed. */
  retriedEntries: number;
  /** SendMessageBatch or PutObject calls that threw. */
  failedCalls: number;
  /** Payloads moved to S3. */
  offloaded: number;
}

interface Pending {
  body: string;
  bytes: number;
  reason: string;
}

export function dlqPayloadKey(env: DlqEnvelope): string {
  return `dlq/${env.stream}/${env.shardId}/${env.id}.bin`;
}

export class DlqSender {
  readonly #o: Required<Omit<DlqSenderOptions, 'logger' | 'onSendFailure'>> & Pick<DlqSenderOptions, 'logger' | 'onSendFailure'>;
  readonly stats: DlqSenderStats = { sent: 0, retriedEntries: 0, failedCalls: 0, offloaded: 0 };

  constructor(options: DlqSenderOptions) {
    this.#o = { baseDelayMs: 200, maxDelayMs: 20_000, concurrency: 4, ...options };
  }

  /** Resolves when SQS acknowledged every envelope; rejects only when `signal` aborts. */
  async send(envelopes: readonly DlqEnvelope[], signal?: AbortSignal): Promise<void> {
    const pending: Pending[] = [];
    for (const env of envelopes) pending.push(await this.#prepare(env, signal));
    let todo = pending;
    for (let attempt = 0; todo.length > 0; attempt++) {
      if (attempt > 0) {
        this.stats.retriedEntries += todo.length;
        await sleepMs(this.#delay(attempt), undefined, { signal });
      }
      // A writer that lost its lease sends nothing more: the next owner sends these again.
      signal?.throwIfAborted();
      todo = await this.#sendRound(todo);
    }
  }

  /** One pass over the batches; returns what must be sent again. */
  async #sendRound(items: Pending[]): Promise<Pending[]> {
    const batches = batch(items);
    const again: Pending[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batches.length) {
        const b = batches[next++]!;
        again.push(...(await this.#sendBatch(b)));
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#o.concurrency, batches.length) }, worker));
    return again;
  }

  async #sendBatch(items: Pending[]): Promise<Pending[]> {
    const entries: SqsBatchEntry[] = items.map((p, i) => ({ id: `m${i}`, body: p.body, attributes: { reason: p.reason } }));
    let failed;
    try {
      failed = await this.#o.sqs.sendMessageBatch(this.#o.queueUrl, entries);
    } catch (err) {
      this.stats.failedCalls++;
      this.#o.onSendFailure?.(items.length);
      this.#o.logger?.warn({ err: errorName(err), message: errorMessage(err), entries: items.length }, 'DLQ SendMessageBatch failed; will retry');
      return items;
    }
    const failedIds = new Set(failed.map((f) => f.id));
    if (failed.length > 0) {
      this.#o.onSendFailure?.(failed.length);
      this.#o.logger?.warn({ failed: failed.length, codes: [...new Set(failed.map((f) => f.code))], senderFault: failed.some((f) => f.senderFault) }, 'DLQ entries failed; will retry');
    }
    this.stats.sent += items.length - failedIds.size;
    return items.filter((_, i) => failedIds.has(`m${i}`));
  }

  async #prepare(env: DlqEnvelope, signal: AbortSignal | undefined): Promise<Pending> {
    let body = JSON.stringify(env);
    let bytes = Buffer.byteLength(body);
    if (bytes > MAX_BODY_BYTES && env.payloadBase64 !== undefined) {
      const key = dlqPayloadKey(env);
      const payload = Buffer.from(env.payloadBase64, 'base64');
      await this.#retryForever(() => this.#o.s3.putObject(this.#o.bucket, key, payload, 'application/octet-stream'), 'DLQ payload PutObject failed; will retry', signal);
      this.stats.offloaded++;
      const { payloadBase64: _moved, ...rest } = env;
      body = JSON.stringify({ ...rest, payloadS3Uri: `s3://${this.#o.bucket}/${key}` });
      bytes = Buffer.byteLength(body);
    }
    return { body, bytes, reason: env.reason };
  }

  async #retryForever(fn: () => Promise<void>, msg: string, signal: AbortSignal | undefined): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await sleepMs(this.#delay(attempt), undefined, { signal });
      signal?.throwIfAborted();
      try {
        await fn();
        return;
      } catch (err) {
        this.stats.failedCalls++;
        this.#o.onSendFailure?.(1);
        this.#o.logger?.warn({ err: errorName(err), message: errorMessage(err), attempt }, msg);
      }
    }
  }

  // Jitter between half and all of a doubling ceiling: retries from many shards spread out instead of arriving together.
  #delay(attempt: number): number {
    const ceiling = Math.min(this.#o.maxDelayMs, this.#o.baseDelayMs * 2 ** Math.min(attempt - 1, 20));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }
}

/** Groups of at most 10 entries and 256 KiB, in order. */
function batch(items: Pending[]): Pending[][] {
  const out: Pending[][] = [];
  let cur: Pending[] = [];
  let size = 0;
  for (const it of items) {
    if (cur.length > 0 && (cur.length >= SQS_MAX_BATCH_ENTRIES || size + it.bytes + ATTRIBUTE_ALLOWANCE > SQS_MAX_BYTES)) {
      out.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(it);
    size += it.bytes + 64;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
