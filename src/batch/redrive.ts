/**
 * `redrive`: gives dead letters a second chance under the current schemas
 * and code. Each received envelope's original payload (inline, or from S3
 * behind payloadS3Uri) is processed again as the record it came from (its
 * partition key read back from the raw zone). A record that now passes is
 * written as its own Parquet object, cleansed/<table>/dt=/hour=/redrive-<id>.parquet:
 * the key is a function of the envelope id alone, so a redrive killed and
 * run again, or a DLQ that delivered an envelope twice, overwrites instead
 * of duplicating. A record that still fails goes back on the queue with
 * attempt + 1 and its new reason. The original message is deleted only
 * after that outcome is durable; killed in between, the message reappears
 * after its visibility timeout and is handled again with the same result.
 *
 * Messages that are not handled (another --reason, unreadable, the copies
 * this run sent back, everything under --dry-run) stay invisible until the
 * end of the run, so receiving moves on to new ones, and are released then.
 * The raw zone is only read.
 */
import type { Logger } from '../log.js';
import { errorMessage } from '../errors.js';
import type { ObjectStorePort } from '../sinks/objectStore.js';
import type { DlqEnvelope } from '../processors/envelope.js';
import { processPiece, type ProcessorContext } from '../processors/index.js';
import { REPLAY_HASH_KEY_RANGE, toKinesisRecords } from './regroup.js';
import type { RawLookup } from './rawLookup.js';
import type { RedriveQueuePort, QueueMessage } from './redrivePorts.js';

const HOUR_KEY = /^(\d{4}-\d{2}-\d{2})T(\d{2})$/;

/** cleansed/<table>/dt=YYYY-MM-DD/hour=HH/redrive-<envelope id>.parquet */
export function redriveKey(table: string, hour: string, envelopeId: string): string {
  const m = HOUR_KEY.exec(hour);
  if (!m) throw new Error(`event hour ${JSON.stringify(hour)} is not of the form YYYY-MM-DDTHH`);
  if (!/^[0-9a-f]{64}$/.test(envelopeId)) throw new Error(`envelope id ${JSON.stringify(envelopeId)} is not a sha256 hex digest`);
  return `cleansed/${table}/dt=${m[1]}/hour=${m[2]}/redrive-${envelopeId}.parquet`;
}

export interface RedriveDeps {
  queue: RedriveQueuePort;
  store: ObjectStorePort;
  rawLookup: RawLookup;
  context: ProcessorContext;
  encodeParquet: (chunks: Uint8Array[]) => Promise<Uint8Array>;
  logger: Logger;
  /** Test hook: stop making progress after this many handled messages (to kill the process there). */
  stallAfterMessages?: number;
}

export interface RedriveOptions {
  stream: string;
  table: string;
  bucket: string;
  reason: string | undefined;
  max: number;
  dryRun: boolean;
  visibilityTimeoutS: number;
}

export interface RedriveSummary {
  dryRun: boolean;
  received: number;
  handled: number;
  /** Now valid: written to the cleansed zone (or, dry run, would be). */
  landed: number;
  /** Still failing, by their new reason: back on the queue with attempt + 1 (or would be). */
  stillFailing: Record<string, number>;
  /** Left untouched: another reason than --reason. */
  otherReason: number;
  /** Bodies that are not envelopes, or whose record cannot be found: left on the queue. */
  unreadable: number;
  /** Second copies of an envelope already handled in this run: deleted. */
  duplicates: number;
}

type Outcome = { kind: 'landed'; key: string; body: Uint8Array } | { kind: 'failing'; envelope: DlqEnvelope };

export async function redrive(deps: RedriveDeps, options: RedriveOptions): Promise<RedriveSummary> {
  const summary: RedriveSummary = { dryRun: options.dryRun, received: 0, handled: 0, landed: 0, stillFailing: {}, otherReason: 0, unreadable: 0, duplicates: 0 };
  const held: QueueMessage[] = [];
  const sentByThisRun = new Set<string>();
  const handledIds = new Set<string>();
  let empties = 0;
  try {
    while (summary.handled < options.max) {
      // Short polls while messages flow; a long poll only to confirm the queue looks empty.
      const batch = await deps.queue.receive(Math.min(10, options.max - summary.handled), options.visibilityTimeoutS, empties > 0 ? 1 : 0);
      if (batch.length === 0) {
        // Two empty long polls in a row: SQS's sampling can miss a few messages once, rarely twice.
        if (++empties >= 2) break;
        continue;
      }
      empties = 0;
      for (const message of batch) {
        summary.received++;
        if (sentByThisRun.has(message.messageId) || summary.handled >= options.max) {
          held.push(message);
          continue;
        }
        const envelope = parseEnvelope(message.body);
        if (!envelope) {
          summary.unreadable++;
          held.push(message);
          continue;
        }
        if (options.reason !== undefined && envelope.reason !== options.reason) {
          summary.otherReason++;
          held.push(message);
          continue;
        }
        if (handledIds.has(envelope.id)) {
          // Its outcome is already durable from this run; the copy adds nothing.
          summary.duplicates++;
          if (options.dryRun) held.push(message);
          else await deps.queue.delete(message.receiptHandle);
          continue;
        }
        let outcome: Outcome | undefined;
        try {
          outcome = await decide(deps, options, envelope);
        } catch (err) {
          deps.logger.warn({ id: envelope.id, err: errorMessage(err) }, 'dead letter cannot be re-processed; left on the queue');
        }
        if (!outcome) {
          summary.unreadable++;
          held.push(message);
          continue;
        }
        handledIds.add(envelope.id);
        summary.handled++;
        if (outcome.kind === 'landed') summary.landed++;
        else summary.stillFailing[outcome.envelope.reason] = (summary.stillFailing[outcome.envelope.reason] ?? 0) + 1;
        if (options.dryRun) {
          held.push(message);
          continue;
        }
        if (outcome.kind === 'landed') {
          await deps.store.put(outcome.key, outcome.body, { contentType: 'application/vnd.apache.parquet' });
        } else {
          sentByThisRun.add(await deps.queue.send(JSON.stringify(outcome.envelope), { reason: outcome.envelope.reason }));
        }
        await deps.queue.delete(message.receiptHandle);
        deps.logger.info({ id: envelope.id, outcome: outcome.kind, key: outcome.kind === 'landed' ? outcome.key : undefined, reason: outcome.kind === 'failing' ? outcome.envelope.reason : undefined }, 'dead letter redriven');
        if (deps.stallAfterMessages !== undefined && summary.handled >= deps.stallAfterMessages) {
          deps.logger.warn({ handled: summary.handled }, 'test hook: redrive stalls here');
          await new Promise(() => undefined);
        }
      }
    }
  } finally {
    // Held messages become visible again at once instead of after the visibility timeout.
    for (const m of held) await deps.queue.setVisibility(m.receiptHandle, 0).catch(() => undefined);
  }
  return summary;
}

function parseEnvelope(body: string): DlqEnvelope | undefined {
  try {
    const e = JSON.parse(body) as Partial<DlqEnvelope>;
    if (typeof e.id !== 'string' || typeof e.reason !== 'string' || typeof e.shardId !== 'string' || typeof e.sequenceNumber !== 'string' || typeof e.arrivalTime !== 'string') return undefined;
    if (e.payloadBase64 === undefined && e.payloadS3Uri === undefined) return undefined;
    return e as DlqEnvelope;
  } catch {
    return undefined;
  }
}

async function payloadOf(deps: RedriveDeps, options: RedriveOptions, envelope: DlqEnvelope): Promise<Buffer> {
  if (envelope.payloadBase64 !== undefined) return Buffer.from(envelope.payloadBase64, 'base64');
  const prefix = `s3://${options.bucket}/`;
  if (!envelope.payloadS3Uri!.startsWith(prefix)) throw new Error(`payload ${envelope.payloadS3Uri} is outside the lake bucket`);
  return deps.store.get(envelope.payloadS3Uri!.slice(prefix.length));
}

/** Processes the envelope's record with the current code; undefined when its raw line is gone. */
async function decide(deps: RedriveDeps, options: RedriveOptions, envelope: DlqEnvelope): Promise<Outcome | undefined> {
  const arrivalMs = Date.parse(envelope.arrivalTime);
  const subSequenceNumber = envelope.subSequenceNumber ?? undefined;
  const raw = await deps.rawLookup.find({ shardId: envelope.shardId, sequenceNumber: envelope.sequenceNumber, subSequenceNumber, arrivalMs });
  if (!raw) {
    deps.logger.warn({ id: envelope.id, shardId: envelope.shardId, sequenceNumber: envelope.sequenceNumber }, 'record not found in the raw zone; left on the queue');
    return undefined;
  }
  const data = await payloadOf(deps, options, envelope);
  const records = toKinesisRecords([{ ...raw, data }]);
  const out = processPiece({ streamName: options.stream, shardId: envelope.shardId, hashKeyRange: REPLAY_HASH_KEY_RANGE, records }, deps.context);
  const valid = out.cleansed[0];
  if (valid) {
    return { kind: 'landed', key: redriveKey(options.table, valid.hour, envelope.id), body: await deps.encodeParquet([valid.chunk]) };
  }
  const again = out.dlq[0];
  if (!again) throw new Error('processing produced neither a row nor a dead letter');
  // Same id and payload location; the new verdict and one more attempt.
  return { kind: 'failing', envelope: { ...envelope, reason: again.reason, detail: again.detail, stage: again.stage, serviceVersion: again.serviceVersion, attempt: (envelope.attempt ?? 1) + 1 } };
}
