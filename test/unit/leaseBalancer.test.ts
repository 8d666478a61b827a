import { describe, expect, it } from 'vitest';
import { planLeaseTaking } from '../../src/checkpoint/leaseBalancer.js';
import type { Lease } from '../../src/checkpoint/lease.js';
import { leaseOf } from '../support/leases.js';

function lease(key: string, owner: string | undefined, extra: Partial<Lease> = {}): Lease {
  return leaseOf(key, { leaseOwner: owner, leaseCounter: 1, ...extra });
}

const ready = (): boolean => true;

describe('planLeaseTaking', () => {
  it('takes expired and unowned leases first, up to ceil(leases / live workers)', () => {
    const observed = [
      { lease: lease('s0', 'a'), expired: false },
      { lease: lease('s1', 'a'), expired: false },
      { lease: lease('s2', undefined), expired: true },
      { lease: lease('s3', 'dead'), expired: true },
      { lease: lease('s4', 'dead'), expired: true },
      { lease: lease('s5', 'b'), expired: false },
    ];
    const plan = planLeaseTaking({ workerId: 'me', observed, held: new Set(), maxSteals: 1, isReady: ready });
    expect(plan.liveWorkers).toBe(3); // a, b, me: the dead owner does not count
    expect(plan.target).toBe(2);
    expect(plan.take.map((l) => l.leaseKey)).toEqual(['s2', 's3']);
  });

  it('steals a bounded number from the most loaded worker only when nothing is expired', () => {
    const observed = ['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7'].map((k) => ({ lease: lease(k, 'a'), expired: false }));
    const one = planLeaseTaking({ workerId: 'me', observed, held: new Set(), maxSteals: 1, isReady: ready });
    expect(one.target).toBe(4);
    expect(one.take).toHaveLength(1);
    const two = planLeaseTaking({ workerId: 'me', observed, held: new Set(), maxSteals: 2, isReady: ready });
    expect(two.take).toHaveLength(2);
    expect(two.take.every((l) => l.leaseOwner === 'a')).toBe(true);
  });

  it('does not steal when balanced, ignores ended leases, and counts handoff requesters as live', () => {
    const observed = [
      { lease: lease('s0', 'a'), expired: false },
      { lease: lease('s1', 'me'), expired: false },
      { lease: lease('s2', 'a', { checkpoint: 'SHARD_END' }), expired: true },
      { lease: lease('s3', 'a', { handoffTo: 'c' }), expired: false },
    ];
    const plan = planLeaseTaking({ workerId: 'me', observed, held: new Set(['s1']), maxSteals: 2, isReady: ready });
    expect(plan.liveWorkers).toBe(3);
    expect(plan.target).toBe(1);
    expect(plan.take).toEqual([]);
  });

  it('steals from a worker at the target when it holds none, and settles one apart without stealing back', () => {
    // Four leases, three workers joining one by one: [2, 2, 0] is at the target everywhere but the newcomer.
    const observed = [lease('s0', 'a'), lease('s1', 'a'), lease('s2', 'b'), lease('s3', 'b')].map((l) => ({ lease: l, expired: false }));
    const plan = planLeaseTaking({ workerId: 'me', observed, held: new Set(), maxSteals: 1, isReady: ready });
    expect(plan.target).toBe(2);
    expect(plan.take.map((l) => l.leaseKey)).toEqual(['s1']);
    // Then [1, 2, 1]: one short of the target is close enough, for both of the workers holding one.
    const after = [lease('s0', 'a'), lease('s1', 'me'), lease('s2', 'b'), lease('s3', 'b')].map((l) => ({ lease: l, expired: false }));
    expect(planLeaseTaking({ workerId: 'me', observed: after, held: new Set(['s1']), maxSteals: 1, isReady: ready }).take).toEqual([]);
    expect(planLeaseTaking({ workerId: 'a', observed: after, held: new Set(['s0']), maxSteals: 1, isReady: ready }).take).toEqual([]);
  });

  it('never takes a child whose parents have not ended', () => {
    const observed = [{ lease: lease('child', undefined, { parentShardIds: ['p'] }), expired: true }];
    const plan = planLeaseTaking({ workerId: 'me', observed, held: new Set(), maxSteals: 1, isReady: (l) => l.parentShardIds.length === 0 });
    expect(plan.take).toEqual([]);
  });
});
