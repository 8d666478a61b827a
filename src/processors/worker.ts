/**
 * The piscina worker entry (compiled to dist/processors/worker.js). It
 * lowers its thread's priority (KL_WORKER_NICENESS) first, and only then
 * loads the processing code (workerTasks.ts): loading and compiling that is
 * most of a thread's start-up, and at the main thread's priority it took
 * CPU from the main thread's own start-up on a container of few cores.
 */
import { workerData } from 'node:worker_threads';
import { lowerThreadPriority, THREAD_PRIORITY_SUPPORTED } from './threadPriority.js';
import type { ProcessorWorkerData } from './workerData.js';

// piscina hands each thread the pool's workerData unchanged (what Piscina.workerData returns).
const { niceness } = workerData as ProcessorWorkerData;
// Elsewhere than Linux the setting does nothing, as its doc line says; on Linux a refusal is worth a line on stderr.
if (niceness > 0 && THREAD_PRIORITY_SUPPORTED && lowerThreadPriority(niceness) === undefined) {
  process.emitWarning(`KL_WORKER_NICENESS=${niceness} could not be applied to a worker thread (the system refused to renice it); the workers run at the main thread's priority. Set KL_WORKER_NICENESS=0 to run every thread at one priority without this warning`, 'KinesisLakeWarning');
}

const tasks = await import('./workerTasks.js');

export default tasks.processTask;
export const encodeCleansed = tasks.encodeCleansed;
export const checkContext = tasks.checkContext;
export type { ContextProblem, EncodeCleansedTask } from './workerTasks.js';
