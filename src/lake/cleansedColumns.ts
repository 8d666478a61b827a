/**
 * The cleansed zone's columns, in file order. The processors fill them, the
 * Parquet writer encodes them, and the Athena/Glue DDL declares them: one
 * list, so the three cannot drift apart (a test compares them).
 *
 * Column chunks travel between threads in a binary form already laid out
 * as Arrow wants it (lake/columnChunk.ts); `ColumnChunk` is the same data
 * as JavaScript arrays, for the paths that need values.
 */
export type CleansedColumnType =
  | 'timestamp_ms' // INT64 TIMESTAMP(MILLIS, isAdjustedToUTC=true); values are epoch ms numbers
  | 'string' // BYTE_ARRAY UTF8, dictionary-encoded
  | 'int64' // INT64; values are numbers within 2^53
  | 'int32' // INT32
  | 'double'; // DOUBLE

export interface CleansedColumn {
  name: string;
  type: CleansedColumnType;
  nullable: boolean;
  doc: string;
}

export const CLEANSED_COLUMNS: readonly CleansedColumn[] = [
  { name: 'event_time', type: 'timestamp_ms', nullable: false, doc: 'Event time (the payload timestamp) in UTC' },
  { name: 'event_type', type: 'string', nullable: false, doc: 'page_view, add_to_cart, purchase or search' },
  { name: 'user_id', type: 'string', nullable: true, doc: 'User id (HMAC token when listed in KL_PII_FIELDS)' },
  { name: 'session_id', type: 'string', nullable: true, doc: 'Session id (HMAC token when listed in KL_PII_FIELDS)' },
  { name: 'product_id', type: 'string', nullable: true, doc: 'Product id' },
  { name: 'category', type: 'string', nullable: true, doc: 'Category, trimmed and lower-cased' },
  { name: 'search_query', type: 'string', nullable: true, doc: 'Search text (search events)' },
  { name: 'quantity', type: 'int64', nullable: true, doc: 'Quantity' },
  { name: 'price', type: 'double', nullable: true, doc: 'Unit price' },
  { name: 'revenue', type: 'double', nullable: true, doc: 'price x quantity, purchases only' },
  { name: 'event_date', type: 'string', nullable: false, doc: 'UTC date of event_time, YYYY-MM-DD' },
  { name: 'event_hour', type: 'int32', nullable: false, doc: 'UTC hour of event_time, 0-23' },
  { name: '_extra', type: 'string', nullable: true, doc: 'JSON object of payload fields the schema does not name' },
  { name: '_shard_id', type: 'string', nullable: false, doc: 'Kinesis shard id' },
  { name: '_sequence_number', type: 'string', nullable: false, doc: 'Kinesis sequence number' },
  { name: '_sub_sequence_number', type: 'int64', nullable: true, doc: 'KPL sub-sequence number (null for plain records)' },
  { name: '_partition_key', type: 'string', nullable: false, doc: 'Kinesis partition key' },
  { name: '_arrival_time', type: 'timestamp_ms', nullable: false, doc: 'Kinesis ApproximateArrivalTimestamp in UTC' },
];

/** One cleansed value: text, a number (timestamps as epoch ms), or null. */
export type CellValue = string | number | null;

/** One column array per CLEANSED_COLUMNS entry, same order and length `rows`. */
export interface ColumnChunk {
  rows: number;
  columns: Record<string, CellValue[]>;
}

/** Partition of a cleansed row: its UTC event hour, as 'YYYY-MM-DDTHH'. */
export type EventHourKey = string;

export function eventHourKey(eventTimeMs: number): EventHourKey {
  return new Date(eventTimeMs).toISOString().slice(0, 13);
}
