/**
 * CPU seconds a process has used so far, all its threads together, from
 * /proc/<pid>/stat (utime + stime): how the e2e scenario shows what the
 * service and the emulators ask of the cores they share. Linux only;
 * elsewhere, and for a process that is gone, NaN.
 */
import { readFileSync } from 'node:fs';

// USER_HZ: the unit of utime and stime; 100 on every Linux the project runs on (getconf CLK_TCK).
const CLOCK_TICKS_PER_SECOND = 100;

export function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined || process.platform !== 'linux') return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/** CPU seconds of several processes together. */
export function processesCpuSeconds(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
}
