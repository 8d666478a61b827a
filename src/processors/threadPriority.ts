/**
 * CPU priorities of the service's threads (KL_WORKER_NICENESS). On Linux a
 * thread is a task with a nice value of its own, so the main thread
 * (polling, lease renewals, checkpoints, uploads) can run ahead of the
 * work that only processes what it read: the worker threads, and V8's
 * background threads, which collect garbage and compile optimized code for
 * every isolate. When the cores are busy the main thread comes first, and
 * a full memory budget then pauses polling until the workers catch up;
 * when the process shares its cores with another (an emulator, a sidecar in
 * the same container), the processing yields to it as well.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** KL_WORKER_NICENESS when unset. */
export const DEFAULT_WORKER_NICENESS = 19;

/** Whether thread priorities can be set here at all (Linux: setpriority on a thread id). */
export const THREAD_PRIORITY_SUPPORTED = process.platform === 'linux';

function callingThreadId(): number {
  return Number(readlinkSync('/proc/thread-self').split('/').pop());
}

function lowered(niceness: number): number {
  return Math.min(19, getPriority(process.pid) + niceness);
}

/**
 * Lowers the calling thread's CPU priority `niceness` steps below the
 * process's (the main thread's), at most to 19. Returns the nice value set,
 * or undefined where none was (0 asked, not Linux, or the system refused).
 */
export function lowerThreadPriority(niceness: number): number | undefined {
  if (niceness <= 0 || !THREAD_PRIORITY_SUPPORTED) return undefined;
  try {
    const nice = lowered(niceness);
    setPriority(callingThreadId(), nice);
    return nice;
  } catch {
    return undefined;
  }
}

/**
 * Lowers every thread of the process but the main one and the caller
 * `niceness` steps below the main thread. Called on the main thread before
 * the worker threads start, the others are V8's platform threads (a fixed
 * pool made at start-up, shared by every isolate) and libuv's, if its pool
 * has started; threads started later take the priority of the thread that
 * starts them. Without this V8's collection and compilation for the
 * workers ran at the main thread's priority: in `npm run bench -- e2e`
 * they took a fifth of the service's CPU (docs/performance.md). Returns
 * how many threads were lowered, or undefined where none could be.
 */
export function lowerBackgroundThreadPriority(niceness: number): number | undefined {
  if (niceness <= 0 || !THREAD_PRIORITY_SUPPORTED) return undefined;
  try {
    const nice = lowered(niceness);
    const caller = callingThreadId();
    let count = 0;
    for (const name of readdirSync('/proc/self/task')) {
      const tid = Number(name);
      if (tid === process.pid || tid === caller) continue;
      try {
        setPriority(tid, nice);
        count++;
      } catch {
        // The thread ended between the listing and here.
      }
    }
    return count;
  } catch {
    return undefined;
  }
}
