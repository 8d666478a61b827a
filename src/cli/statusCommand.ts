/**
 * `kinesis-lake status`: one screen for a person on call. Per shard: owner,
 * state, lag and checkpoint age, and the last error, from the lease table
 * and (where reachable) the workers' /metrics endpoints.
 */
import { createDynamoClient } from '../aws/dynamoClient.js';
import { readLeaseTable } from './leaseTable.js';
import type { Lease } from '../checkpoint/lease.js';

export interface ShardMetrics {
  millisBehindLatest?: number;
  lastErrorAtMs?: number;
}

/** Reads per-shard figures out of a Prometheus text exposition. */
export function parseShardMetrics(text: string): Map<string, ShardMetrics> {
  const out = new Map<string, ShardMetrics>();
  const line = /^(kinesis_lake_millis_behind_latest|kinesis_lake_shard_last_error_timestamp_seconds)\{[^}]*shard_id="([^"]+)"[^}]*\}\s+([0-9.eE+-]+)/;
  for (const l of text.split('\n')) {
    const m = line.exec(l);
    if (!m) continue;
    const entry = out.get(m[2]!) ?? {};
    if (m[1] === 'kinesis_lake_millis_behind_latest') entry.millisBehindLatest = Number(m[3]);
    else if (Number(m[3]) > 0) entry.lastErrorAtMs = Number(m[3]) * 1000;
    out.set(m[2]!, entry);
  }
  return out;
}

function age(ms: number | undefined, now: number): string {
  if (ms === undefined) return '-';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
}

export function renderStatus(leases: Lease[], metrics: Map<string, ShardMetrics>, unreachable: string[], now = Date.now()): string {
  const header = ['shard', 'owner', 'state', 'lag', 'checkpoint age', 'last error'];
  const rows = [...leases]
    .sort((a, b) => a.leaseKey.localeCompare(b.leaseKey))
    .map((l) => {
      const m = metrics.get(l.leaseKey);
      const state = l.checkpoint === 'SHARD_END' ? 'ended' : !l.leaseOwner ? 'UNOWNED' : l.pendingCheckpoint ? 'cutting' : 'owned';
      return [
        l.leaseKey,
        l.leaseOwner ?? '-',
        state,
        m?.millisBehindLatest !== undefined ? `${(m.millisBehindLatest / 1000).toFixed(1)}s` : '-',
        l.checkpoint === 'SHARD_END' ? '-' : age(l.checkpointTimeMs, now),
        m?.lastErrorAtMs ? `${age(m.lastErrorAtMs, now)} ago` : '-',
      ];
    });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const open = leases.filter((l) => l.checkpoint !== 'SHARD_END');
  const owners = new Set(open.map((l) => l.leaseOwner).filter(Boolean));
  const summary = `${open.length} open shards, ${owners.size} workers, ${open.filter((l) => !l.leaseOwner).length} unowned`;
  const notes = unreachable.map((u) => `(metrics not reachable: ${u})`);
  return [summary, '', fmt(header), ...rows.map(fmt), ...notes].join('\n');
}

export async function statusCommand(options: { appName: string; metricsUrls: string[] }, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const client = createDynamoClient();
  try {
    const leases = await readLeaseTable(client, options.appName);
    const metrics = new Map<string, ShardMetrics>();
    const unreachable: string[] = [];
    for (const url of options.metricsUrls) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
        for (const [k, v] of parseShardMetrics(await res.text())) metrics.set(k, { ...metrics.get(k), ...v });
      } catch {
        unreachable.push(url);
      }
    }
    out.write(renderStatus(leases, metrics, unreachable) + '\n');
    return 0;
  } finally {
    client.destroy();
  }
}
