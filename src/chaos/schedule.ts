/**
 * The fault schedule of a chaos run: which fault, when, on which worker and
 * for how long, all drawn from the seed so a failing run can be repeated.
 * Faults land between 10% and 70% of the producing time, leaving the rest
 * for the pipeline to recover before the drain.
 */
import { seededRandom, type Random } from '../producer/random.js';

export const FAULT_NAMES = ['sigkill', 'sigterm', 'sigstop', 'split', 'merge', 's3-slowdown', 'dynamodb-throttling'] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

export interface ScheduledFault {
  atMs: number;
  fault: FaultName;
  /** Worker index, for process faults. */
  worker?: number;
  /** How long a SIGSTOP or a proxy fault window lasts. */
  forMs?: number;
  /** Per-request chance during a proxy fault window. */
  probability?: number;
}

export interface ScheduleOptions {
  seed: number;
  durationMs: number;
  workers: number;
  failoverMs: number;
  faults: readonly FaultName[];
}

function between(rng: Random, lo: number, hi: number): number {
  return Math.round(lo + rng() * (hi - lo));
}

/** Parses `--faults a,b,c` (or `all`). */
export function parseFaults(text: string): FaultName[] {
  if (text.trim() === 'all') return [...FAULT_NAMES];
  const names = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const n of names) {
    if (!(FAULT_NAMES as readonly string[]).includes(n)) throw new Error(`unknown fault ${JSON.stringify(n)}; known: ${FAULT_NAMES.join(', ')}`);
  }
  return names as FaultName[];
}

export function buildSchedule(o: ScheduleOptions): ScheduledFault[] {
  // A different stream of numbers from the producer's, which uses the seed itself.
  const rng = seededRandom(o.seed * 7919 + 17);
  const lo = o.durationMs * 0.1;
  const hi = o.durationMs * 0.7;
  const out: ScheduledFault[] = [];
  for (const fault of o.faults) {
    const atMs = between(rng, lo, hi);
    const worker = Math.floor(rng() * o.workers);
    switch (fault) {
      case 'sigkill':
      case 'sigterm':
        out.push({ atMs, fault, worker });
        break;
      case 'sigstop':
        // Past the failover time, so the lease is taken while the process is frozen.
        out.push({ atMs, fault, worker, forMs: Math.round(o.failoverMs * (1.5 + rng())) });
        break;
      case 'split':
      case 'merge':
        out.push({ atMs, fault });
        break;
      case 's3-slowdown':
      case 'dynamodb-throttling':
        out.push({ atMs, fault, forMs: between(rng, o.durationMs * 0.08, o.durationMs * 0.15), probability: Math.round((0.3 + rng() * 0.3) * 100) / 100 });
        break;
    }
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

export function describeFault(f: ScheduledFault): string {
  const parts = [`t+${(f.atMs / 1000).toFixed(1)}s ${f.fault}`];
  if (f.worker !== undefined) parts.push(`worker ${f.worker}`);
  if (f.forMs !== undefined) parts.push(`for ${(f.forMs / 1000).toFixed(1)}s`);
  if (f.probability !== undefined) parts.push(`p=${f.probability}`);
  return parts.join(' ');
}
