/**
 * The memory budget against the memory this process may use. The budget
 * counts the records in flight; the process itself (Node, the AWS SDK, V8's
 * heaps, each worker thread's Parquet WASM memory) needs about 320 MB beside
 * it (docs/deploy.md, from the `memory` bench at 32 shards). A budget that
 * leaves less of the container's limit lets the kernel kill the task under
 * load, which is what the budget is there to prevent, so start-up refuses it.
 * The ECS stack checks the same at synth (deploy/ecs/lib/containerEnvironment.ts).
 */
import { totalmem } from 'node:os';
import { MIN_MEMORY_BUDGET_BYTES } from './options.js';

const MiB = 1024 * 1024;

/**
 * What the process needs beside its budget, with headroom: in the `memory`
 * bench (32 shards, the budget's records at its 256 MiB limit, reading
 * paused in about half the samples, 2026-11-23/24) RSS peaked 323-356 MB
 * above the budget in three runs.
 */
export const PROCESS_MEMORY_BYTES = 400 * MiB;

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
