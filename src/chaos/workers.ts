/**
 * The chaos run's worker processes: `node dist/bin/kinesis-lake.js run`, each with its
 * own KL_WORKER_ID and log file (appended across restarts). Faults on one
 * worker are serialized, so a SIGKILL never lands in the middle of a
 * SIGSTOP/SIGCONT pair on the same process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../consumer/backoff.js';

export interface WorkerExit {
  worker: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the orchestrator caused it (SIGKILL/SIGTERM fault or final stop). */
  expected: boolean;
}

interface Slot {
  child: ChildProcess | undefined;
  exited: Promise<void>;
  expectExit: boolean;
  queue: Promise<void>;
  starts: number;
}

export class WorkerPool {
  readonly exits: WorkerExit[] = [];
  /** SIGTERMs that had to be followed by SIGKILL: a graceful stop that did not finish. */
  readonly escalations: { worker: number; signal: string }[] = [];
  readonly #slots: Slot[] = [];

  constructor(
    private readonly cli: string,
    private readonly env: Record<string, string>,
    private readonly logDir: string,
    private readonly workerPrefix: string,
  ) {}

  get size(): number {
    return this.#slots.length;
  }

  logFile(i: number): string {
    return join(this.logDir, `worker-${i}.log`);
  }

  start(i: number): void {
    let slot = this.#slots[i];
    if (!slot) {
      slot = { child: undefined, exited: Promise.resolve(), expectExit: false, queue: Promise.resolve(), starts: 0 };
      this.#slots[i] = slot;
    }
    const fd = openSync(this.logFile(i), 'a');
    const child = spawn(process.execPath, [this.cli, 'run'], {
      env: { ...process.env, ...this.env, KL_WORKER_ID: `${this.workerPrefix}-${i}`, NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    slot.child = child;
    slot.expectExit = false;
    slot.starts++;
    const s = slot;
    slot.exited = new Promise<void>((resolve) =>
      child.once('exit', (code, signal) => {
        this.exits.push({ worker: i, code, signal, expected: s.expectExit });
        if (s.child === child) s.child = undefined;
        resolve();
      }),
    );
  }

  running(i: number): boolean {
    return this.#slots[i]?.child !== undefined;
  }

  starts(i: number): number {
    return this.#slots[i]?.starts ?? 0;
  }

  /** Runs `action` after every earlier action on the same worker. */
  serialize(i: number, action: () => Promise<void>): Promise<void> {
    const slot = this.#slots[i]!;
    const next = slot.queue.then(action, action);
    slot.queue = next.catch(() => undefined);
    return next;
  }

  /** Sends a signal and waits for the exit (bounded; SIGKILL after `graceMs`). */
  async stop(i: number, signal: 'SIGKILL' | 'SIGTERM', graceMs = 30_000): Promise<void> {
    const slot = this.#slots[i];
    const child = slot?.child;
    if (!slot || !child) return;
    slot.expectExit = true;
    child.kill(signal);
    const done = await Promise.race([slot.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!done) {
      this.escalations.push({ worker: i, signal });
      child.kill('SIGKILL');
      await slot.exited;
    }
  }

  signal(i: number, signal: 'SIGSTOP' | 'SIGCONT'): boolean {
    const child = this.#slots[i]?.child;
    if (!child) return false;
    child.kill(signal);
    return true;
  }

  /** Waits for every queued fault action to finish. */
  async settle(): Promise<void> {
    await Promise.all(this.#slots.map((s) => s.queue));
  }

  /** SIGTERM to all, in parallel, for the final stop. */
  async stopAll(graceMs: number): Promise<void> {
    await Promise.all(this.#slots.map((_, i) => this.stop(i, 'SIGTERM', graceMs)));
  }
}
