/**
 * Result rows of the five business queries (queries/*.sql). The DuckDB
 * runner and the JS ground truth both produce exactly this shape, sorted as
 * the SQL sorts it, so a test can compare them with one deep equality.
 */
export const QUERY_NAMES = [
  'conversion_funnel',
  'hourly_revenue',
  'top_viewed_products',
  'category_performance',
  'user_activity',
] as const;

export type QueryName = (typeof QUERY_NAMES)[number];

export interface ConversionFunnelRow {
  product_id: string;
  page_views: number;
  add_to_carts: number;
  purchases: number;
}

export interface HourlyRevenueRow {
  event_date: string;
  event_hour: number;
  purchases: number;
  /** Sum over purchases of round(price x quantity x 100): exact in every engine. */
  revenue_cents: number;
}

export interface TopViewedProductRow {
  product_id: string;
  page_views: number;
}

export interface CategoryPerformanceRow {
  event_date: string;
  category: string;
  event_type: string;
  events: number;
}

export interface UserActivityRow {
  event_date: string;
  users: number;
  sessions: number;
}

export interface LakeQueryResults {
  conversion_funnel: ConversionFunnelRow[];
  hourly_revenue: HourlyRevenueRow[];
  top_viewed_products: TopViewedProductRow[];
  category_performance: CategoryPerformanceRow[];
  user_activity: UserActivityRow[];
}

/** How many rows top_viewed_products returns (its LIMIT). */
export const TOP_VIEWED_LIMIT = 10;
