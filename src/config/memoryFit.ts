/**
 * The memory budget against the memory this process may use. The budget
 * counts the records in flight and what else the process grows by (worker
 * threads, heaps, WASM memory; MemoryBudget.observeProcessGrowth, up to 65 %
 * of it). Beside it stay the process at start-up (Node, the AWS SDK), what
 * arrives after reading pauses and, on a small budget, worker growth beyond
 * that 65 % (docs/deploy.md). A budget that leaves too little of the
 * container's limit lets the kernel kill the task under load, which is what
 * the budget is there to prevent, so start-up refuses it. The ECS stack
 * checks the same at synth (deploy/ecs/lib/containerEnvironment.ts).
 */
import { totalmem } from 'node:os';
import { MIN_MEMORY_BUDGET_BYTES } from './options.js';
import { MAX_PROCESS_SHARE } from '../consumer/memoryBudget.js';

const MiB = 1024 * 1024;

/**
 * What the process needs beside its budget, with headroom. Set when the
 * budget counted the records alone: RSS then peaked 323-356 MB above a full
 * 256 MiB budget in the `memory` bench (2026-11-23/24). Since the budget
 * counts process growth too, RSS peaks 70-90 MB above a 256 MiB budget and
 * below a 512 MiB one (2026-11-24); the margin is kept, as headroom.
 */
export const PROCESS_MEMORY_BYTES = 400 * MiB;

/**
 * Process growth beside the records to expect per worker thread under load,
 * which the budget counts before (and whenever) less is measured
 * (MemoryBudget.expectProcessGrowth). A worker thread's isolate, V8 heap and
 * Parquet WASM memory reached 115-116 MB in the `memory` bench (a probe in
 * each worker, 2026-11-24), and the main thread grows beside its records
 * too: with two workers and a 512 MiB budget the process growth the records
 * did not explain peaked at 330-349 MB (2026-11-24, ad hoc). With 100 MiB
 * per worker the first reads of 32 shards filled the room the workers
 * later took, and RSS peaked there, 675-693 MB against a bound of 687.
 */
export const WORKER_GROWTH_BYTES = 160 * MiB;

/**
 * glibc malloc settings the production image runs with (Dockerfile ENV),
 * and the benches' service runs with too. Buffers freed by the main thread
 * and the worker threads went back to per-thread arenas and stayed in RSS:
 * in the `memory` scenario (32 shards of KPL aggregates, 256 MiB budget,
 * ad hoc runs taking turns, 2026-11-24) the highest RSS was 725 and 758 MB
 * without these, 607 and 622 MB with them. Earlier, before the service
 * freed its buffers itself: 869 without, 820 with two arenas, 819 with
 * large blocks always mapped on their own (freed straight back to the
 * kernel), 762 with both.
 */
export const MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' };

/**
 * The memory this process may use: its container's limit (cgroup) when it
 * has one below the machine's memory, else the machine's memory. Node
 * reports no limit as 0 or as a number beyond any machine.
 */
export function processMemoryLimitBytes(constrained: number = process.constrainedMemory(), machine: number = totalmem()): number {
  return constrained > 0 && constrained < machine ? constrained : machine;
}

/** Why `budgetBytes` does not fit in `limitBytes` beside the process itself, or undefined when it does. */
export function memoryBudgetProblem(budgetBytes: number, limitBytes: number): string | undefined {
  if (limitBytes - budgetBytes >= PROCESS_MEMORY_BYTES) return undefined;
  const mib = (bytes: number) => Math.floor(Math.max(0, bytes) / MiB);
  const leaves = `KL_MEMORY_BUDGET_BYTES=${budgetBytes} leaves ${mib(limitBytes - budgetBytes)} MiB of the ${mib(limitBytes)} MiB this process may use (its container's memory limit, else the machine's memory), and the process itself needs about ${mib(PROCESS_MEMORY_BYTES)} MiB beside the budget (docs/deploy.md)`;
  const largest = Math.floor((limitBytes - PROCESS_MEMORY_BYTES) / MiB) * MiB;
  if (largest < MIN_MEMORY_BUDGET_BYTES) return `${leaves}: give the container at least ${Math.ceil((PROCESS_MEMORY_BYTES + budgetBytes) / MiB)} MiB of memory`;
  return `${leaves}: set KL_MEMORY_BUDGET_BYTES to at most ${largest}, or give the container more memory`;
}

/**
 * Why `budgetBytes` is small for `workers` worker threads, or undefined when
 * it is not. Not an error (it runs, slower): the workers' expected growth
 * passes the share of the budget process growth may take, so the records
 * get what is left, between 5 % and 25 % of it.
 */
export function workerShareWarning(budgetBytes: number, workers: number): string | undefined {
  const expected = workers * WORKER_GROWTH_BYTES;
  if (expected <= budgetBytes * MAX_PROCESS_SHARE) return undefined;
  const enough = Math.ceil(expected / MAX_PROCESS_SHARE / MiB) * MiB;
  return `KL_MEMORY_BUDGET_BYTES=${budgetBytes} is small for ${workers} worker thread(s): each is expected to grow the process by about ${WORKER_GROWTH_BYTES / MiB} MiB under load, which the budget counts up to ${MAX_PROCESS_SHARE * 100} % of it, so the records keep between 5 % and 25 % and reading pauses often. Set KL_MEMORY_BUDGET_BYTES to at least ${enough} (with the container's memory to match), or lower KL_WORKERS`;
}
