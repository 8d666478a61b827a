/**
 * Judges lease expiry the way the KCL does: by the observer's own clock. A
 * lease is expired when its counter has not moved for the failover time
 * since this worker first saw that value, so workers' clocks need not agree.
 */
import type { Lease } from './lease.js';

interface Seen {
  counter: number;
  owner: string | undefined;
  sinceMs: number;
}

export class LeaseObserver {
  private readonly seen = new Map<string, Seen>();

  constructor(
    private readonly failoverMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a scan; returns the leases with their expiry judged. */
  observe(leases: readonly Lease[]): { lease: Lease; expired: boolean; unchangedMs: number }[] {
    const t = this.now();
    const keys = new Set<string>();
    const out = leases.map((lease) => {
      keys.add(lease.leaseKey);
      const prev = this.seen.get(lease.leaseKey);
      if (!prev || prev.counter !== lease.leaseCounter || prev.owner !== lease.leaseOwner) {
        this.seen.set(lease.leaseKey, { counter: lease.leaseCounter, owner: lease.leaseOwner, sinceMs: t });
        // A lease seen for the first time is only known expired after a full failover period,
        // unless it has no owner at all.
        return { lease, expired: lease.leaseOwner === undefined, unchangedMs: 0 };
      }
      const unchangedMs = t - prev.sinceMs;
      return { lease, expired: lease.leaseOwner === undefined || unchangedMs >= this.failoverMs, unchangedMs };
    });
    for (const k of [...this.seen.keys()]) if (!keys.has(k)) this.seen.delete(k);
    return out;
  }
}
