import { isRetriable } from '../errors.js';
import { backoffMs, sleep } from './backoff.js';

export interface RetryOptions {
  /** Once aborted, no further attempt is made: the last error is rethrown, or an AbortError before any attempt. */
  signal?: AbortSignal;
  /** Called before each wait, with the error and the attempt number. */
  onRetry?: (err: unknown, attempt: number) => void;
  /** Errors that are not retriable are rethrown at once unless this says otherwise. */
  retryAll?: boolean;
  baseMs?: number;
  capMs?: number;
}

/**
 * Retries an operation whose success the pipeline cannot do without (an
 * upload before a checkpoint): with jittered backoff, for as long as the
 * process runs, never dropping the work.
 */
export async function retryUntilDone<T>(op: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    // Aborted (lease lost, hard stop): not even a first attempt, so a fenced-out writer stops writing at once.
    options.signal?.throwIfAborted();
    try {
      return await op();
    } catch (err) {
      if (options.signal?.aborted) throw err;
      if (!options.retryAll && !isRetriable(err)) throw err;
      options.onRetry?.(err, attempt);
      await sleep(backoffMs(attempt, options.baseMs ?? 100, options.capMs ?? 5_000), options.signal);
    }
  }
}
