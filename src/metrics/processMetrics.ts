/**
 * Node's standard process metrics (CPU, memory, heap, GC, event-loop lag,
 * file descriptors) under their usual unprefixed names, so stock Node.js
 * dashboards work against this service unchanged.
 */
import { collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * prom-client exports these gauges with a `_total` suffix, which the
 * Prometheus naming rules reserve for counters (`promtool check metrics`
 * flags them, and `rate()` over them would be wrong). Handle and request
 * counts are of little use to on-call here, so they are left out rather
 * than re-exported under other names.
 */
const GAUGES_NAMED_LIKE_COUNTERS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export function registerProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of GAUGES_NAMED_LIKE_COUNTERS) registry.removeSingleMetric(name);
}
