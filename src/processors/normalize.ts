/**
 * One validated event to one cleansed row, in CLEANSED_COLUMNS order. The
 * timestamp is judged against the record's arrival time, never the wall
 * clock, so a replay months later decides exactly as the first run did.
 */
import { CLEANSED_COLUMNS, type CellValue } from '../lake/cleansedColumns.js';
import { describeSchemaError, type EventSchema } from './schemas.js';
import { failure, type Failure } from './failure.js';
import type { JsonObject } from './parse.js';
import type { PiiTokenizer } from './pii.js';
import { parseIsoTimestamp } from './timestamp.js';


export interface RecordMeta {
  shardId: string;
  sequenceNumber: string;
  subSequenceNumber: number | undefined;
  partitionKey: string;
  arrivalMs: number;
}

export interface NormalizedRow {
  hour: string;
  /** One value per CLEANSED_COLUMNS entry, same order. */
  values: CellValue[];
}

export interface NormalizeSettings {
  schemas: ReadonlyMap<string, EventSchema>;
  maxFutureMs: number;
  pii: PiiTokenizer;
}

/** Payload fields that have a column of their own; everything else goes to _extra. */
const COLUMN_FIELDS = new Set(['timestamp', 'event_type', 'user_id', 'session_id', 'product_id', 'category', 'search_query', 'quantity', 'price']);

const COLUMN_INDEX = new Map(CLEANSED_COLUMNS.map((c, i) => [c.name, i]));
function col(name: string): number {
  const i = COLUMN_INDEX.get(name);
  if (i === undefined) throw new Error(`cleansed column ${name} is missing from CLEANSED_COLUMNS`);
  return i;
}
const C = {
  eventTime: col('event_time'),
  eventType: col('event_type'),
  userId: col('user_id'),
  sessionId: col('session_id'),
  productId: col('product_id'),
  category: col('category'),
  searchQuery: col('search_query'),
  quantity: col('quantity'),
  price: col('price'),
  revenue: col('revenue'),
  eventDate: col('event_date'),
  eventHour: col('event_hour'),
  extra: col('_extra'),
  shardId: col('_shard_id'),
  sequenceNumber: col('_sequence_number'),
  subSequenceNumber: col('_sub_sequence_number'),
  partitionKey: col('_partition_key'),
  arrivalTime: col('_arrival_time'),
};

const MIN_EVENT_MS = Date.parse('0001-01-01T00:00:00.000Z');
const MAX_EVENT_MS = Date.parse('9999-12-31T23:59:59.999Z');

const NUMBER_TEXT = /^\s*-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?\s*$/;
const INTEGER_TEXT = /^\s*-?(?:0|[1-9]\d*)\s*$/;

/** Dispatch on event_type, cast numeric strings, validate, normalize. */
export function normalizeEvent(obj: JsonObject, meta: RecordMeta, s: NormalizeSettings): NormalizedRow | Failure {
  const eventType = obj.event_type;
  if (eventType === undefined) return failure('validate', 'missing_field', '/event_type: required field is missing');
  if (typeof eventType !== 'string') return failure('validate', 'wrong_type', '/event_type: must be string (rule: type)');
  const schema = s.schemas.get(eventType);
  if (schema === undefined) {
    return failure('validate', 'unknown_event_type', `/event_type: not one of the configured event types (${[...s.schemas.keys()].join(', ')})`);
  }
  castNumericStrings(obj, schema);
  if (!schema.validate(obj)) {
    const { reason, detail } = describeSchemaError(schema.validate.errors?.[0] ?? undefined);
    return failure('validate', reason, detail);
  }

  const ts = obj.timestamp;
  const eventMs = typeof ts === 'string' ? parseIsoTimestamp(ts) : undefined;
  if (eventMs === undefined) return failure('normalize', 'invalid_timestamp', '/timestamp: not an ISO-8601 date-time with an offset (e.g. 2026-01-31T12:00:00Z)');
  // Its event hour names a partition (dt=YYYY-MM-DD): a four-digit year, in UTC, or the row has no key.
  if (eventMs < MIN_EVENT_MS || eventMs > MAX_EVENT_MS) return failure('normalize', 'invalid_timestamp', '/timestamp: outside the years 0001-9999 in UTC');
  if (eventMs - meta.arrivalMs > s.maxFutureMs) {
    return failure('normalize', 'future_timestamp', `/timestamp: ${eventMs - meta.arrivalMs} ms after the record's arrival; the limit (KL_MAX_FUTURE_MS) is ${s.maxFutureMs}`);
  }

  const values: CellValue[] = new Array<CellValue>(CLEANSED_COLUMNS.length).fill(null);
  const { date, hour, key } = hourOf(eventMs);
  values[C.eventTime] = eventMs;
  values[C.eventType] = eventType;
  values[C.userId] = cell('user_id', obj.user_id, s.pii);
  values[C.sessionId] = cell('session_id', obj.session_id, s.pii);
  values[C.productId] = cell('product_id', obj.product_id, s.pii);
  const category = cell('category', obj.category, s.pii);
  values[C.category] = typeof category === 'string' && !s.pii.fields.has('category') ? cleanCategory(category) : category;
  values[C.searchQuery] = cell('search_query', obj.search_query, s.pii);
  const quantity = typeof obj.quantity === 'number' && !s.pii.fields.has('quantity') ? obj.quantity : null;
  const price = typeof obj.price === 'number' && !s.pii.fields.has('price') ? obj.price : null;
  values[C.quantity] = quantity;
  values[C.price] = price;
  values[C.revenue] = eventType === 'purchase' && quantity !== null && price !== null ? roundMoney(price * quantity) : null;
  values[C.eventDate] = date;
  values[C.eventHour] = hour;
  values[C.extra] = extraJson(obj, s.pii);
  values[C.shardId] = meta.shardId;
  values[C.sequenceNumber] = meta.sequenceNumber;
  values[C.subSequenceNumber] = meta.subSequenceNumber ?? null;
  values[C.partitionKey] = meta.partitionKey;
  values[C.arrivalTime] = meta.arrivalMs;
  return { hour: key, values };
}

export function isFailure(x: NormalizedRow | Failure): x is Failure {
  return (x as Failure).reason !== undefined;
}

/** "12.50" → 12.5 where the schema wants a number; anything else is left for the validator to reject. */
function castNumericStrings(obj: JsonObject, schema: EventSchema): void {
  for (const [name, kind] of schema.numericFields) {
    const v = obj[name];
    if (typeof v !== 'string') continue;
    if (kind === 'integer' ? !INTEGER_TEXT.test(v) : !NUMBER_TEXT.test(v)) continue;
    const n = Number(v);
    if (Number.isFinite(n) && (kind === 'number' || Number.isSafeInteger(n))) obj[name] = n;
  }
}

// Events of a piece fall in one or two hours: the date text and hour key are built once per hour.
let cachedHourIndex = NaN;
let cachedHour: { date: string; hour: number; key: string } = { date: '', hour: 0, key: '' };

function hourOf(ms: number): { date: string; hour: number; key: string } {
  const index = Math.floor(ms / 3_600_000);
  if (index !== cachedHourIndex) {
    const { date, hour } = utcDateHour(ms);
    cachedHour = { date, hour, key: `${date}T${hour < 10 ? '0' : ''}${hour}` };
    cachedHourIndex = index;
  }
  return cachedHour;
}

/**
 * UTC 'YYYY-MM-DD' and hour of epoch ms, by integer arithmetic (days to
 * civil date, Howard Hinnant's algorithm): the same text as
 * toISOString().slice(0, 10) at a fraction of its cost on the hot path.
 */
export function utcDateHour(ms: number): { date: string; hour: number } {
  const days = Math.floor(ms / 86_400_000);
  const hour = Math.floor((ms - days * 86_400_000) / 3_600_000);
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 0 || year > 9999) {
    const iso = new Date(ms).toISOString();
    return { date: iso.slice(0, iso.indexOf('T')), hour };
  }
  return { date: `${String(year).padStart(4, '0')}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}`, hour };
}

function cell(field: string, v: unknown, pii: PiiTokenizer): CellValue {
  if (v === undefined || v === null) return null;
  if (pii.fields.has(field)) return pii.token(v);
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

function cleanCategory(v: string): string | null {
  const c = v.trim().toLowerCase();
  return c === '' ? null : c;
}

// Binary floating point turns 19.99 × 3 into 59.970000000000006; money needs no more than micro-units.
function roundMoney(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/**
 * JSON text of strings that repeat from event to event, kept in a bounded table (short strings only, a
 * bounded number, since payloads choose them). Quoting extra-field names again was a quarter of
 * extraJson's cost; quoting short values again (devices, versions, countries) about a third of what was
 * left (throwaway micro-benchmark on the bench's events: 1.41 µs per event before, 0.99 after).
 */
class QuotedTexts {
  private readonly table = new Map<string, string>();

  constructor(
    private readonly maxEntries: number,
    private readonly maxLength: number,
  ) {}

  quote(text: string): string {
    if (text.length > this.maxLength) return JSON.stringify(text);
    let quoted = this.table.get(text);
    if (quoted === undefined) {
      quoted = JSON.stringify(text);
      if (this.table.size < this.maxEntries) this.table.set(text, quoted);
    }
    return quoted;
  }
}

const QUOTED_KEYS = new QuotedTexts(1024, 64);
const QUOTED_VALUES = new QuotedTexts(4096, 32);

// Written as text key by key: same output as JSON.stringify of an object of the extra fields (key order kept),
// without building that object, which cost a third more per record on the hot path.
function extraJson(obj: JsonObject, pii: PiiTokenizer): string | null {
  let out: string | null = null;
  for (const key of Object.keys(obj)) {
    if (COLUMN_FIELDS.has(key)) continue;
    const raw = pii.fields.has(key) ? pii.token(obj[key]) : obj[key];
    const value = (typeof raw === 'string' ? QUOTED_VALUES.quote(raw) : JSON.stringify(raw)) as string | undefined;
    if (value === undefined) continue;
    out = (out === null ? '{' : out + ',') + QUOTED_KEYS.quote(key) + ':' + value;
  }
  return out === null ? null : out + '}';
}
