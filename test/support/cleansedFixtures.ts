/**
 * Synthetic clickstream events and a stand-in processor that turns them
 * into cleansed ColumnChunks, for the Parquet and query tests. Seeded, so a
 * failing run can be repeated; the seed is printed by the tests that use it.
 */
import { CLEANSED_COLUMNS, eventHourKey, type ColumnChunk } from '../../src/lake/cleansedColumns.js';
import { encodeColumnChunk } from '../../src/lake/columnChunk.js';
import type { ClickstreamEvent } from '../../src/lake/groundTruth.js';

// The producer's seeded PRNG, so test data and produced data come from one generator.
import { seededRandom } from '../../src/producer/random.js';

export { seededRandom };

const TYPES = ['page_view', 'page_view', 'page_view', 'add_to_cart', 'purchase', 'search'] as const;
const CATEGORIES = [' Electronics', 'electronics ', 'BOOKS', 'Home & Garden', '  ', 'Café', 'toys'];

export interface SyntheticEvent extends ClickstreamEvent {
  /** Kinesis metadata the stand-in processor copies into the _ columns. */
  meta: { shardId: string; sequenceNumber: string; subSequenceNumber: number | null; partitionKey: string; arrivalMs: number };
  extra?: Record<string, unknown>;
}

/**
 * `count` events spread over `hours` hours from `startMs`; about 5% are late
 * (event time a few hours before arrival), and optional fields are often
 * absent, null, or numeric strings.
 */
export function syntheticEvents(count: number, seed: number, startMs = Date.UTC(2026, 4, 1, 22, 0, 0), hours = 4): SyntheticEvent[] {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const events: SyntheticEvent[] = [];
  for (let i = 0; i < count; i++) {
    const arrivalMs = startMs + Math.floor((i / count) * hours * 3_600_000);
    const late = random() < 0.05;
    const eventMs = arrivalMs - (late ? 3_600_000 * (1 + Math.floor(random() * 5)) : Math.floor(random() * 2000));
    const type = pick(TYPES);
    const event: SyntheticEvent = {
      timestamp: new Date(eventMs).toISOString(),
      event_type: type,
      user_id: random() < 0.03 ? null : `u${Math.floor(random() * 400)}`,
      session_id: random() < 0.03 ? undefined : `s${Math.floor(random() * 900)}`,
      meta: {
        shardId: `shardId-00000000000${i % 2}`,
        sequenceNumber: (BigInt('49650000000000000000000000000000000000000000000000000000') + BigInt(i)).toString(),
        subSequenceNumber: random() < 0.2 ? Math.floor(random() * 10) : null,
        partitionKey: `pk-${i % 17}`,
        arrivalMs,
      },
    };
    if (type !== 'search') {
      event.product_id = random() < 0.02 ? null : `p${String(Math.floor(random() * 60)).padStart(3, '0')}`;
      event.category = random() < 0.1 ? undefined : pick(CATEGORIES);
    } else {
      event.search_query = random() < 0.5 ? 'red shoes 👟' : 'chaise longue';
    }
    if (type === 'add_to_cart' || type === 'purchase') {
      const qty = 1 + Math.floor(random() * 4);
      const price = Math.round((1 + random() * 300) * 100) / 100;
      event.quantity = random() < 0.3 ? String(qty) : qty;
      event.price = random() < 0.3 ? price.toFixed(2) : price;
    }
    if (random() < 0.1) event.extra = { coupon: 'X', n: i };
    events.push(event);
  }
  return events;
}

function numberOrNull(v: number | string | null | undefined): number | null {
  if (v === null || v === undefined || (typeof v === 'string' && v.trim() === '')) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** The cleansed row of one event, as the processors produce it. */
export function cleansedRow(e: SyntheticEvent): Record<string, string | number | null> {
  const eventMs = Date.parse(e.timestamp);
  const iso = new Date(eventMs).toISOString();
  const price = numberOrNull(e.price);
  const quantity = numberOrNull(e.quantity);
  const category = typeof e.category === 'string' ? e.category.trim().toLowerCase() : '';
  return {
    event_time: eventMs,
    event_type: e.event_type,
    user_id: e.user_id ?? null,
    session_id: e.session_id ?? null,
    product_id: e.product_id === null || e.product_id === undefined ? null : String(e.product_id),
    category: category === '' ? null : category,
    search_query: e.search_query ?? null,
    quantity,
    price,
    revenue: e.event_type === 'purchase' && price !== null && quantity !== null ? price * quantity : null,
    event_date: iso.slice(0, 10),
    event_hour: Number(iso.slice(11, 13)),
    _extra: e.extra === undefined ? null : JSON.stringify(e.extra),
    _shard_id: e.meta.shardId,
    _sequence_number: e.meta.sequenceNumber,
    _sub_sequence_number: e.meta.subSequenceNumber,
    _partition_key: e.meta.partitionKey,
    _arrival_time: e.meta.arrivalMs,
  };
}

export function toColumnChunk(events: readonly SyntheticEvent[]): ColumnChunk {
  const columns: ColumnChunk['columns'] = Object.fromEntries(CLEANSED_COLUMNS.map((c) => [c.name, []]));
  for (const e of events) {
    const row = cleansedRow(e);
    for (const c of CLEANSED_COLUMNS) columns[c.name]!.push(row[c.name]!);
  }
  return { rows: events.length, columns };
}

export function encodeChunk(chunk: ColumnChunk): Uint8Array {
  return encodeColumnChunk(chunk);
}

/** Events grouped by UTC event hour, as the cleansed sink partitions them. */
export function byEventHour<T extends ClickstreamEvent>(events: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const e of events) {
    const key = eventHourKey(Date.parse(e.timestamp));
    const list = groups.get(key) ?? [];
    list.push(e);
    groups.set(key, list);
  }
  return groups;
}

/** Splits a list into pieces of at most `size`. */
export function pieces<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
