/**
 * Readiness: may this task receive work? For a Kinesis consumer that means
 * the lease table answers (without it no lease can be renewed or checkpoint
 * written) and the worker holds or is trying to hold leases.
 */

export interface Readiness {
  ready: boolean;
  reason?: string;
}

export type ReadinessCheck = () => Promise<Readiness>;

/** The one call readiness needs from DynamoDB; resolves when the table exists and is usable. */
export interface LeaseTableProbe {
  describeTable(tableName: string, signal?: AbortSignal): Promise<void>;
}

export interface DynamoReadinessOptions {
  tableName: string;
  probe: LeaseTableProbe;
  /** True while the worker holds leases or is running its lease-taking loop. */
  isLeasing: () => boolean;
  /** A probe slower than this counts as unreachable (default 2000 ms): ECS health checks time out too. */
  timeoutMs?: number;
}

function describeError(err: unknown): string {
  if (err instanceof Error) return err.message === '' ? err.name : `${err.name}: ${err.message}`;
  return String(err);
}

export function createDynamoReadiness(options: DynamoReadinessOptions): ReadinessCheck {
  const timeoutMs = options.timeoutMs ?? 2000;
  return async () => {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => {
        controller.abort();
        resolve('timeout');
      }, timeoutMs);
    });
    try {
      const result = await Promise.race([options.probe.describeTable(options.tableName, controller.signal).then(() => 'ok' as const), timedOut]);
      if (result === 'timeout') return { ready: false, reason: `lease table ${options.tableName} did not answer within ${timeoutMs} ms` };
    } catch (err) {
      return { ready: false, reason: `lease table ${options.tableName} unreachable: ${describeError(err)}` };
    } finally {
      clearTimeout(timer);
    }
    if (!options.isLeasing()) return { ready: false, reason: 'worker is neither holding nor acquiring leases' };
    return { ready: true };
  };
}
