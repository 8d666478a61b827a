/**
 * Which leases to take in one cycle, as a pure function of what the table
 * shows. Target: ceil(active leases / live workers). Expired and unowned
 * leases first; only when none is left, steal toward the target from the
 * most loaded worker, a bounded number per cycle (from one at the target
 * too, when this worker is 2 or more short of it). Leases at SHARD_END are
 * done and count for nobody; a child is only taken when it is ready (all
 * parents ended).
 */
import { SENTINEL, type Lease } from './lease.js';

export interface LeaseTakingInput {
  workerId: string;
  observed: readonly { lease: Lease; expired: boolean }[];
  /** Leases this worker holds now. */
  held: ReadonlySet<string>;
  maxSteals: number;
  isReady: (lease: Lease) => boolean;
}

export interface LeaseTakingPlan {
  target: number;
  liveWorkers: number;
  take: Lease[];
}

export function planLeaseTaking(input: LeaseTakingInput): LeaseTakingPlan {
  const active = input.observed.filter((o) => o.lease.checkpoint !== SENTINEL.SHARD_END);
  const owners = new Map<string, Lease[]>();
  for (const o of active) {
    if (o.expired || o.lease.leaseOwner === undefined) continue;
    const list = owners.get(o.lease.leaseOwner) ?? [];
    list.push(o.lease);
    owners.set(o.lease.leaseOwner, list);
  }
  // Workers that asked for a handoff are alive even while they own nothing yet.
  for (const o of active) {
    const r = o.lease.handoffTo;
    if (r && !owners.has(r)) owners.set(r, []);
  }
  owners.delete(input.workerId);
  const liveWorkers = owners.size + 1;
  // Only leases that can be read now count toward balance; children waiting on parents do not.
  const readyActive = active.filter((o) => input.isReady(o.lease)).length;
  const target = Math.max(1, Math.ceil(readyActive / liveWorkers));
  let room = target - input.held.size;
  const take: Lease[] = [];
  if (room <= 0) return { target, liveWorkers, take };

  const expired = active
    .filter((o) => o.expired && !input.held.has(o.lease.leaseKey) && input.isReady(o.lease))
    .map((o) => o.lease)
    .sort((a, b) => (a.leaseOwner === undefined ? 0 : 1) - (b.leaseOwner === undefined ? 0 : 1) || a.leaseKey.localeCompare(b.leaseKey));
  for (const lease of expired) {
    if (room <= 0) break;
    take.push(lease);
    room--;
  }
  if (take.length > 0 || room <= 0) return { target, liveWorkers, take };

  let steals = 0;
  while (room > 0 && steals < input.maxSteals) {
    const [owner, leases] = [...owners.entries()].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))[0] ?? [];
    // Above target, or (as the KCL does) exactly at it while this worker is 2 or more short: else with
    // more workers than ceil(leases / target) one could hold none for ever ([2, 2, 0] for 4 leases, 3 workers).
    const short = target - (input.held.size + take.length);
    if (!owner || !leases || leases.length < target || (leases.length === target && short < 2)) break;
    const victim = leases.filter((l) => input.isReady(l)).sort((a, b) => a.leaseKey.localeCompare(b.leaseKey)).pop();
    if (!victim) break;
    owners.set(owner, leases.filter((l) => l !== victim));
    take.push(victim);
    room--;
    steals++;
  }
  return { target, liveWorkers, take };
}
