/**
 * The five business queries computed in plain JS from the producer's
 * original events: the reference the lake's answers are reconciled against.
 * It applies the cleansed zone's normalization itself (UTC hour of the ISO
 * timestamp, category trimmed and lower-cased with '' as absent, numeric
 * strings cast, revenue = price x quantity for purchases) and never reads
 * anything the pipeline wrote. Pass only the events the pipeline should
 * accept; rejected events belong to the dead-letter queue, not here.
 */
import {
  TOP_VIEWED_LIMIT,
  type CategoryPerformanceRow,
  type ConversionFunnelRow,
  type HourlyRevenueRow,
  type LakeQueryResults,
  type UserActivityRow,
} from './queryResults.js';

/** A clickstream event as producers send it (extra fields are ignored). */
export interface ClickstreamEvent {
  timestamp: string;
  event_type: string;
  user_id?: string | null;
  session_id?: string | null;
  product_id?: string | number | null;
  category?: string | null;
  quantity?: number | string | null;
  price?: number | string | null;
  search_query?: string | null;
}

function optionalText(value: string | number | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return String(value);
}

export function normalizeCategory(value: string | null | undefined): string | null {
  if (typeof value !== 'string') return null;
  const cleaned = value.trim().toLowerCase();
  return cleaned === '' ? null : cleaned;
}

export function toNumber(value: number | string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value.trim() === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** round(x) half away from zero, as SQL ROUND does (Math.round rounds -0.5 up). */
export function roundHalfAwayFromZero(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

/** Cents of one purchase, computed the way the SQL does: ROUND(price * quantity * 100). */
export function revenueCents(price: number, quantity: number): number {
  return roundHalfAwayFromZero(price * quantity * 100);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function increment<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

export function groundTruth(events: Iterable<ClickstreamEvent>): LakeQueryResults {
  const funnel = new Map<string, ConversionFunnelRow>();
  const hours = new Map<string, HourlyRevenueRow>();
  const categories = new Map<string, number>();
  const days = new Map<string, { users: Set<string>; sessions: Set<string> }>();

  for (const event of events) {
    const ms = Date.parse(event.timestamp);
    if (Number.isNaN(ms)) throw new Error(`event timestamp ${JSON.stringify(event.timestamp)} is not ISO-8601`);
    const iso = new Date(ms).toISOString();
    const date = iso.slice(0, 10);
    const hour = Number(iso.slice(11, 13));
    const type = event.event_type;
    const product = optionalText(event.product_id);

    if (product !== null && (type === 'page_view' || type === 'add_to_cart' || type === 'purchase')) {
      let row = funnel.get(product);
      if (!row) {
        row = { product_id: product, page_views: 0, add_to_carts: 0, purchases: 0 };
        funnel.set(product, row);
      }
      if (type === 'page_view') row.page_views++;
      else if (type === 'add_to_cart') row.add_to_carts++;
      else row.purchases++;
    }

    if (type === 'purchase') {
      const price = toNumber(event.price);
      const quantity = toNumber(event.quantity);
      if (price !== null && quantity !== null) {
        const key = `${date}T${hour}`;
        let row = hours.get(key);
        if (!row) {
          row = { event_date: date, event_hour: hour, purchases: 0, revenue_cents: 0 };
          hours.set(key, row);
        }
        row.purchases++;
        row.revenue_cents += revenueCents(price, quantity);
      }
    }

    const category = normalizeCategory(event.category);
    if (category !== null) increment(categories, JSON.stringify([date, category, type]));

    let day = days.get(date);
    if (!day) {
      day = { users: new Set(), sessions: new Set() };
      days.set(date, day);
    }
    const user = optionalText(event.user_id);
    const session = optionalText(event.session_id);
    if (user !== null) day.users.add(user);
    if (session !== null) day.sessions.add(session);
  }

  const conversion_funnel = [...funnel.values()].sort((a, b) => compareText(a.product_id, b.product_id));
  const top_viewed_products = conversion_funnel
    .filter((r) => r.page_views > 0)
    .map((r) => ({ product_id: r.product_id, page_views: r.page_views }))
    .sort((a, b) => b.page_views - a.page_views || compareText(a.product_id, b.product_id))
    .slice(0, TOP_VIEWED_LIMIT);
  const hourly_revenue = [...hours.values()].sort(
    (a, b) => compareText(a.event_date, b.event_date) || a.event_hour - b.event_hour,
  );
  const category_performance: CategoryPerformanceRow[] = [...categories.entries()]
    .map(([key, events]) => {
      const [event_date, category, event_type] = JSON.parse(key) as [string, string, string];
      return { event_date, category, event_type, events };
    })
    .sort(
      (a, b) =>
        compareText(a.event_date, b.event_date) || compareText(a.category, b.category) || compareText(a.event_type, b.event_type),
    );
  const user_activity: UserActivityRow[] = [...days.entries()]
    .map(([event_date, d]) => ({ event_date, users: d.users.size, sessions: d.sessions.size }))
    .sort((a, b) => compareText(a.event_date, b.event_date));

  return { conversion_funnel, hourly_revenue, top_viewed_products, category_performance, user_activity };
}
