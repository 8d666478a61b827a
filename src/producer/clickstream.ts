/**
 * Synthetic e-commerce clickstream events like the walkthrough's: page views,
 * add-to-carts, purchases and searches, with a seeded mix of malformed
 * records for testing the dead-letter path.
 */
import { intBetween, pick, type Random } from './random.js';

export type EventType = 'page_view' | 'add_to_cart' | 'purchase' | 'search';

export interface ClickEvent {
  timestamp: string;
  user_id: string;
  session_id: string;
  event_type: EventType;
  product_id?: string;
  quantity?: number;
  price?: number;
  category?: string;
  search_query?: string;
}

const CATEGORIES = ['Electronics', 'books', ' Home & Garden ', 'TOYS', 'clothing', 'Sports', 'beauty', 'grocery'];
const QUERIES = ['wireless headphones', 'running shoes', 'coffee maker', 'usb-c cable', 'yoga mat', 'desk lamp', 'gift card'];
const OFFSETS = ['Z', '+00:00', '+02:00', '-05:00', '+05:30'];

function isoWithOffset(ms: number, offset: string): string {
  if (offset === 'Z') return new Date(ms).toISOString();
  const sign = offset[0] === '-' ? -1 : 1;
  const minutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  const local = new Date(ms + minutes * 60_000).toISOString().slice(0, 23);
  return `${local}${offset}`;
}

export interface EventOptions {
  users: number;
  products: number;
  /** Share of events whose timestamp lies hours in the past (late events). */
  lateRatio: number;
}

export function generateEvent(rng: Random, nowMs: number, options: EventOptions): ClickEvent {
  const user = intBetween(rng, 1, options.users);
  const r = rng();
  const eventType: EventType = r < 0.6 ? 'page_view' : r < 0.8 ? 'add_to_cart' : r < 0.9 ? 'purchase' : 'search';
  const late = rng() < options.lateRatio;
  const eventMs = late ? nowMs - intBetween(rng, 2, 6) * 3_600_000 : nowMs - intBetween(rng, 0, 2000);
  const base: ClickEvent = {
    timestamp: isoWithOffset(eventMs, pick(rng, OFFSETS)),
    user_id: `u-${user}`,
    session_id: `s-${user}-${intBetween(rng, 1, 3)}`,
    event_type: eventType,
  };
  if (eventType === 'search') return { ...base, search_query: pick(rng, QUERIES) };
  const product = intBetween(rng, 1, options.products);
  const event: ClickEvent = { ...base, product_id: `p-${product}`, category: CATEGORIES[product % CATEGORIES.length]! };
  if (eventType !== 'page_view') {
    event.quantity = intBetween(rng, 1, 4);
    event.price = Math.round((5 + ((product * 7919) % 495)) * 100 + intBetween(rng, 0, 99)) / 100;
  }
  return event;
}

export type BadKind =
  | 'invalid_json'
  | 'invalid_utf8'
  | 'empty_payload'
  | 'not_an_object'
  | 'missing_field'
  | 'wrong_type'
  | 'unknown_event_type'
  | 'invalid_timestamp';

const BAD_KINDS: readonly BadKind[] = [
  'invalid_json',
  'invalid_utf8',
  'empty_payload',
  'not_an_object',
  'missing_field',
  'wrong_type',
  'unknown_event_type',
  'invalid_timestamp',
];

/** A malformed payload of a seeded kind; `empty_payload` is a single space since Kinesis refuses empty data. */
export function generateBadPayload(rng: Random, nowMs: number, options: EventOptions): { kind: BadKind; data: Buffer } {
  const kind = pick(rng, BAD_KINDS);
  const good = generateEvent(rng, nowMs, options);
  switch (kind) {
    case 'invalid_json':
      return { kind, data: Buffer.from(JSON.stringify(good).slice(0, -3)) };
    case 'invalid_utf8':
      return { kind, data: Buffer.concat([Buffer.from('{"event_type":"page_view","user_id":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]) };
    case 'empty_payload':
      return { kind, data: Buffer.from(' ') };
    case 'not_an_object':
      return { kind, data: Buffer.from(JSON.stringify([good])) };
    case 'missing_field': {
      const { user_id: _u, ...rest } = good;
      return { kind, data: Buffer.from(JSON.stringify(rest)) };
    }
    case 'wrong_type':
      return { kind, data: Buffer.from(JSON.stringify({ ...good, user_id: { id: 1 } })) };
    case 'unknown_event_type':
      return { kind, data: Buffer.from(JSON.stringify({ ...good, event_type: 'refund' })) };
    case 'invalid_timestamp':
      return { kind, data: Buffer.from(JSON.stringify({ ...good, timestamp: 'yesterday at noon' })) };
  }
}
