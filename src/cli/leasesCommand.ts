import { createDynamoClient } from '../aws/dynamoClient.js';
import { readLeaseTable } from './leaseTable.js';
import { LeaseObserver } from '../checkpoint/leaseObserver.js';
import { windowPhaseOf, type Lease } from '../checkpoint/lease.js';
import { sleep } from '../consumer/backoff.js';

/**
 * `kinesis-lake leases`: the lease table as a person wants to read it. Two
 * reads a moment apart tell which counters are moving (renewed) and which
 * are standing still.
 */
export async function leasesCommand(options: { appName: string; watchMs: number }, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const client = createDynamoClient();
  try {
    const observer = new LeaseObserver(Number.MAX_SAFE_INTEGER);
    observer.observe(await readLeaseTable(client, options.appName));
    const firstSeen = Date.now();
    await sleep(options.watchMs);
    const observed = observer.observe(await readLeaseTable(client, options.appName));
    const elapsed = Date.now() - firstSeen;
    out.write(renderLeaseTable(observed.map((o) => ({ lease: o.lease, moving: o.unchangedMs === 0, unchangedMs: o.unchangedMs || 0 })), elapsed) + '\n');
    return 0;
  } finally {
    client.destroy();
  }
}

export function leaseState(lease: Lease, moving: boolean): string {
  if (lease.checkpoint === 'SHARD_END') return 'ended';
  if (!lease.leaseOwner) return 'unowned';
  return moving ? 'owned' : 'stale?';
}

export function renderLeaseTable(rows: { lease: Lease; moving: boolean; unchangedMs: number }[], watchedMs: number): string {
  const header = ['shard', 'owner', 'state', 'checkpoint', 'parents', 'children', 'counter', 'counter moved', 'window phase'];
  const body = rows
    .sort((a, b) => a.lease.leaseKey.localeCompare(b.lease.leaseKey))
    .map(({ lease, moving, unchangedMs }) => [
      lease.leaseKey,
      lease.leaseOwner ?? '-',
      leaseState(lease, moving),
      lease.checkpoint + (lease.checkpointSubSequenceNumber ? `/${lease.checkpointSubSequenceNumber}` : '') + (lease.pendingCheckpoint ? ` (pending ${lease.pendingCheckpoint})` : ''),
      lease.parentShardIds.join(',') || '-',
      lease.childShardIds.join(',') || '-',
      String(lease.leaseCounter),
      moving ? `within ${(watchedMs / 1000).toFixed(1)} s` : `not in ${((unchangedMs || watchedMs) / 1000).toFixed(1)} s`,
      `${windowPhaseOf(lease)} ms`,
    ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...body.map(line)].join('\n');
}
