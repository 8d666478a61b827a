/**
 * Finds the `prometheus` and `promtool` binaries the ops tests run, and
 * installs Debian's `prometheus` package when they are missing. The tests
 * must fail loudly rather than skip when the tools cannot be had: a silent
 * skip would let broken alert rules or exposition slip through CI.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface PrometheusTools {
  prometheus: string;
  promtool: string;
}

// Debian installs both binaries under /usr/bin; PATH may not include it in odd shells.
const EXTRA_DIRS = ['/usr/bin', '/usr/local/bin'];
// apt can take a minute; two test files may race for the dpkg lock, so wait on it.
const APT_TIMEOUT_MS = 10 * 60_000;
const LOCK_WAIT = ['-o', 'DPkg::Lock::Timeout=600'];

let cached: Promise<PrometheusTools> | undefined;

function findOnPath(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...EXTRA_DIRS].filter((d) => d !== '');
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

function findBoth(): PrometheusTools | undefined {
  const prometheus = findOnPath('prometheus');
  const promtool = findOnPath('promtool');
  return prometheus && promtool ? { prometheus, promtool } : undefined;
}

function runApt(args: string[]): void {
  const res = spawnSync('apt-get', [...LOCK_WAIT, ...args], {
    encoding: 'utf8',
    timeout: APT_TIMEOUT_MS,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (res.error || res.status !== 0) {
    const why = res.error ? res.error.message : `exit status ${String(res.status)}`;
    const tail = `${res.stdout ?? ''}${res.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`apt-get ${args.join(' ')} failed (${why}):\n${tail}`);
  }
}

function install(): PrometheusTools {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    throw new Error(
      'prometheus/promtool not found and this process is not root, so it cannot install them. ' +
        'Install them first: apt-get install -y --no-install-recommends prometheus',
    );
  }
  runApt(['update']);
  runApt(['install', '-y', '--no-install-recommends', 'prometheus']);
  const found = findBoth();
  if (!found) throw new Error('apt-get installed the prometheus package but prometheus/promtool are still not on the PATH');
  return found;
}

/** The binaries, installed on first use when missing. Throws with a clear message when that fails. */
export function prometheusTools(): Promise<PrometheusTools> {
  cached ??= Promise.resolve().then(() => findBoth() ?? install());
  // A failed install should be retried by the next caller, not cached forever.
  cached.catch(() => (cached = undefined));
  return cached;
}
