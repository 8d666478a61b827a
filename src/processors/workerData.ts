import type { ProcessorOptions } from './processorOptions.js';

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
  /** Steps of niceness each worker thread adds to the process's (KL_WORKER_NICENESS, threadPriority.ts); 0: none. */
  niceness: number;
  testHooks?: WorkerTestHooks;
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
