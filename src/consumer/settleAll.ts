/**
 * Starts every task at once and waits until each has settled, then throws
 * the first failure. Unlike Promise.all, nothing is still in flight when it
 * throws: a caller that retries does not race its own earlier writes.
 */
export async function settleAll(tasks: ReadonlyArray<() => Promise<void>>): Promise<void> {
  const outcomes = await Promise.allSettled(tasks.map((task) => task()));
  for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
}
