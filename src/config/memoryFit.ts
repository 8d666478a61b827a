/**
 * The memory budget against the memory this process may use. The budget
 * counts the records in flight; the process itself (Node, the AWS SDK, V8's
 * heaps, each worker thread's Parquet WASM memory) needs about 300 MB beside
 * it (docs/deploy.md, from the `memory` bench at 32 shards). A budget that
 * leaves less of the container's limit lets the kernel kill the task under
 * load, which is what the budget is there to prevent, so start-up refuses it.
 * The ECS stack checks the same at synth (deploy/ecs/lib/containerEnvironment.ts).
 */
import { totalmem } from 'node:os';
import { MIN_MEMORY_BUDGET_BYTES } from './options.js';

const MiB = 1024 * 1024;

/**
 * What the process needs beside its budget, with headroom: the `memory`
 * bench (32 shards) measured about 300 MB, RSS 323-350 MB with a 64 MiB
 * budget (one or two worker threads), 357 MB with 256 MiB, the budget's
 * records never past its 80 % mark.
 */
export const PROCESS_MEMORY_BYTES = 400 * MiB;

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
