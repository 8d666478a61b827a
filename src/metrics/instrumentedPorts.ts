/**
 * Decorators that time every AWS call of a port into the request-duration
 * histogram (by service, operation and outcome). They wrap the same narrow
 * interfaces the fault-injecting test decorators wrap.
 */
import type { Metrics } from './metrics.js';
import type { AwsService } from './labels.js';

/** Wraps every method of `target` (an object of async methods) with metrics.timeRequest. */
export function instrumentPort<T extends object>(target: T, service: AwsService, metrics: Metrics): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value: unknown = Reflect.get(obj, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => metrics.timeRequest(service, prop, () => (value as (...a: unknown[]) => Promise<unknown>).apply(obj, args));
    },
  });
}
