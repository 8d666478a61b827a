/**
 * The closed sets of label values the service uses. Keeping them as unions
 * (not free strings) is what keeps the number of series bounded: Prometheus
 * cost grows with every distinct label value ever exported.
 */

/** Lake zones a record can land in. */
export const ZONES = ['raw', 'cleansed', 'dlq'] as const;
export type Zone = (typeof ZONES)[number];

/** AWS services the service calls. */
export const AWS_SERVICES = ['s3', 'dynamodb', 'sqs', 'kinesis'] as const;
export type AwsService = (typeof AWS_SERVICES)[number];

/** How a request ended; throttles are split from other errors because they call for a different fix. */
export const REQUEST_OUTCOMES = ['success', 'error', 'throttled'] as const;
export type RequestOutcome = (typeof REQUEST_OUTCOMES)[number];

/** What can happen to a lease, seen from this worker. */
export const LEASE_EVENTS = ['taken', 'lost', 'stolen', 'released'] as const;
export type LeaseEvent = (typeof LEASE_EVENTS)[number];

/**
 * A reason code (DLQ or dropped records). The caller owns the list; it must be
 * a short fixed vocabulary such as `invalid_json` or `hash_key_out_of_range`,
 * never an error message, or the series count is unbounded.
 */
export type ReasonCode = string;

const REASON_CODE = /^[a-z][a-z0-9_]{0,63}$/;

/** Rejects anything that looks like free text, so a message cannot leak into a label by mistake. */
export function checkReasonCode(reason: ReasonCode): ReasonCode {
  if (!REASON_CODE.test(reason)) {
    throw new Error(`reason code ${JSON.stringify(reason)} must be snake_case, at most 64 characters`);
  }
  return reason;
}
