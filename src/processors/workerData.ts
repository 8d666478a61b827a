import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import type { ProcessorOptions } from './context.js';

/**
 * Test-only fault injection: a worker that sees `marker` in a payload throws
 * or exits its thread, the way a real crash would. Never set in production.
 */
export interface WorkerTestHooks {
  crashMarker: string;
  crashMode: 'throw' | 'exit';
}

/** What each worker thread receives once, as piscina workerData. */
export interface ProcessorWorkerData {
  options: ProcessorOptions;
  /** Steps of niceness each worker thread adds to the process's (KL_WORKER_NICENESS); 0: none. */
  niceness: number;
  testHooks?: WorkerTestHooks;
}

/**
 * Lowers the calling thread's CPU priority `niceness` steps below the
 * process's (the main thread's), at most to 19. On Linux a thread is a task
 * with a nice value of its own, so this leaves the main thread (polling,
 * lease renewals, checkpoints, uploads) ahead of processing whenever the
 * cores are busy; a full memory budget then pauses polling until the
 * workers catch up. Returns the nice value set, or undefined where none was
 * (0 asked, not Linux, or the system refused).
 */
export function lowerThreadPriority(niceness: number): number | undefined {
  if (niceness <= 0 || process.platform !== 'linux') return undefined;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    const nice = Math.min(19, getPriority(process.pid) + niceness);
    setPriority(tid, nice);
    return nice;
  } catch {
    return undefined;
  }
}

export function crashHookFor(hooks: WorkerTestHooks | undefined): ((data: Uint8Array) => void) | undefined {
  if (hooks === undefined) return undefined;
  const marker = Buffer.from(hooks.crashMarker, 'utf8');
  return (data) => {
    if (Buffer.from(data.buffer, data.byteOffset, data.byteLength).indexOf(marker) < 0) return;
    if (hooks.crashMode === 'exit') process.exit(70);
    throw new Error('test crash hook');
  };
}
