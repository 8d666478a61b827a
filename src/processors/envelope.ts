/**
 * The dead-letter envelope: one per invalid user record. `id` is a function
 * of the record's position only, so a replayed segment sends the same ids and
 * DLQ consumers can de-duplicate (the DLQ is at-least-once, the S3 zones are
 * exactly-once). `detail` names field paths and rules, never values, so it can
 * be logged and shown without leaking PII; the original bytes travel only in
 * `payloadBase64` (or in S3 behind `payloadS3Uri` when too big for SQS).
 */
import { createHash } from 'node:crypto';

export type DlqStage = 'deaggregate' | 'parse' | 'validate' | 'normalize' | 'process';

export type DlqReason =
  | 'kpl_bad_checksum'
  | 'kpl_truncated'
  | 'kpl_empty'
  | 'kpl_too_many_records'
  | 'invalid_utf8'
  | 'empty_payload'
  | 'invalid_json'
  | 'not_an_object'
  | 'too_deep'
  | 'too_large'
  | 'unsafe_number'
  | 'unknown_event_type'
  | 'missing_field'
  | 'wrong_type'
  | 'schema_violation'
  | 'invalid_timestamp'
  | 'future_timestamp'
  | 'processor_crash';

export interface DlqEnvelope {
  id: string;
  reason: DlqReason;
  detail: string;
  stage: DlqStage;
  stream: string;
  shardId: string;
  sequenceNumber: string;
  /** KPL sub-sequence number; null for a plain Kinesis record or an undecodable aggregate. */
  subSequenceNumber: number | null;
  /** Kinesis ApproximateArrivalTimestamp, ISO-8601 UTC. */
  arrivalTime: string;
  attempt: number;
  serviceVersion: string;
  /** The original payload bytes; absent when they were moved to S3. */
  payloadBase64?: string;
  /** s3://bucket/dlq/<stream>/<shardId>/<id>.bin, set by the DLQ sender for oversized payloads. */
  payloadS3Uri?: string;
}

/** sha256 hex of stream/shard/sequence/sub-sequence ('-' for none). */
export function envelopeId(stream: string, shardId: string, sequenceNumber: string, subSequenceNumber: number | undefined): string {
  return createHash('sha256')
    .update(`${stream}/${shardId}/${sequenceNumber}/${subSequenceNumber ?? '-'}`)
    .digest('hex');
}

export interface EnvelopeSource {
  stream: string;
  shardId: string;
  sequenceNumber: string;
  subSequenceNumber: number | undefined;
  arrivalMs: number;
  data: Uint8Array;
}

export function makeEnvelope(
  src: EnvelopeSource,
  failure: { reason: DlqReason; stage: DlqStage; detail: string },
  serviceVersion: string,
): DlqEnvelope {
  return {
    id: envelopeId(src.stream, src.shardId, src.sequenceNumber, src.subSequenceNumber),
    reason: failure.reason,
    detail: failure.detail,
    stage: failure.stage,
    stream: src.stream,
    shardId: src.shardId,
    sequenceNumber: src.sequenceNumber,
    subSequenceNumber: src.subSequenceNumber ?? null,
    arrivalTime: new Date(src.arrivalMs).toISOString(),
    attempt: 1,
    serviceVersion,
    payloadBase64: Buffer.from(src.data.buffer, src.data.byteOffset, src.data.byteLength).toString('base64'),
  };
}
