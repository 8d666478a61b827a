/** Helpers for tests that run several worker processes on one stream. */
import type { Lake, ServiceProcess } from './env.js';
import { startServiceProcess } from './env.js';

export const LEASE_ENV = {
  KL_FAILOVER_MS: '3000',
  KL_LEASE_TAKE_INTERVAL_MS: '500',
  KL_FLUSH_INTERVAL_MS: '2000',
  KL_FLUSH_MAX_RECORDS: '800',
  KL_CLEANSED_FLUSH_INTERVAL_MS: '4000',
  KL_IDLE_CLOSE_GRACE_MS: '300',
  KL_SHUTDOWN_TIMEOUT_MS: '10000',
};

export function startWorker(lake: Lake, id: string, extra: Record<string, string> = {}): ServiceProcess {
  return startServiceProcess(lake.env({ ...LEASE_ENV, KL_WORKER_ID: id, ...extra }), id);
}

/** Open (not ended) leases per owner; undefined owner counts as 'unowned'. */
export async function leaseCounts(lake: Lake): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const l of await lake.leases.listLeases()) {
    if (l.checkpoint === 'SHARD_END') continue;
    const owner = l.leaseOwner ?? 'unowned';
    counts.set(owner, (counts.get(owner) ?? 0) + 1);
  }
  return counts;
}

export interface LogEvent {
  msg: string;
  time: number;
  shardId?: string;
}

export function events(proc: ServiceProcess): LogEvent[] {
  return proc
    .log()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      const j = JSON.parse(l) as { msg: string; time: string; shardId?: string };
      return { msg: j.msg, time: Date.parse(j.time), ...(j.shardId ? { shardId: j.shardId } : {}) };
    });
}

export async function stopAll(procs: ServiceProcess[]): Promise<void> {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGCONT');
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  await Promise.all(procs.map((p) => p.exited));
}
