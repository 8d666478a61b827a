/** The chaos run's verdict as a table for people and one JSON line for machines. */
import type { ReconcileReport, ZoneFigures } from './reconcile.js';

function row(cells: (string | number)[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!))).join('  ');
}

export function reportTable(r: ReconcileReport): string {
  const head = ['zone', 'expected', 'found', 'distinct', 'missing', 'duplicated', 'unexpected', 'bad bytes', 'unreadable'];
  const widths = head.map((h) => Math.max(h.length, 9));
  widths[0] = 10;
  const zone = (name: string, f: ZoneFigures, unreadable: number): string =>
    row([name, f.expected, f.found, f.distinct, f.missing, f.duplicated, f.unexpected, f.payloadMismatch, unreadable], widths);
  const lines = [
    `produced: ${r.produced.userRecords} user records (${r.produced.valid} valid, ${r.produced.malformed} malformed; ${r.produced.kplUserRecords} inside KPL aggregates, ${r.produced.corruptAggregates} undecodable aggregates)`,
    row(head, widths),
    zone('raw', r.raw, r.raw.unreadableObjects),
    zone('cleansed', r.cleansed, r.cleansed.unreadableFiles),
    zone('dlq', r.dlq, r.dlq.unparseable),
    `  (raw: ${r.raw.objects} objects; cleansed: ${r.cleansed.files} files; dlq: found = messages, distinct = envelope ids, duplicated = redeliveries, allowed)`,
    `queries: ${Object.entries(r.queries).map(([k, v]) => `${k}=${v}`).join(' ')}`,
  ];
  if (r.problems.length > 0) lines.push('problems:', ...r.problems.map((p) => `  ${p}`));
  lines.push(r.ok ? 'RESULT: OK, exactly once in every zone, queries equal the ground truth' : 'RESULT: FAILED');
  return lines.join('\n');
}
