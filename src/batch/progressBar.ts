/**
 * A one-line progress bar on stderr, redrawn in place, only when stderr is a
 * terminal: an ECS task's log gets the JSON summary and the log lines
 * instead of carriage-return noise.
 */
export interface ProgressSink {
  update(done: number, total: number, label: string): void;
  end(): void;
}

const WIDTH = 30;

export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): ProgressSink {
  if (!stream.isTTY) return { update: () => undefined, end: () => undefined };
  let drawn = false;
  return {
    update(done, total, label) {
      const share = total > 0 ? Math.min(1, done / total) : 1;
      const filled = Math.round(share * WIDTH);
      stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ${done}/${total} ${label}\x1b[K`);
      drawn = true;
    },
    end() {
      if (drawn) stream.write('\n');
    },
  };
}
