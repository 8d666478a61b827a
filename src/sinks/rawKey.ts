/**
 * Raw-zone object key: a pure function of the file's records, so a replay
 * writes the same key. Partitioned by the UTC arrival minute of the file's
 * first record.
 */
export function rawKey(args: { stream: string; shardId: string; firstSequence: string; lastSequence: string; firstArrivalMs: number }): string {
  const d = new Date(args.firstArrivalMs).toISOString();
  const [yyyy, mm, dd, hh, mi] = [d.slice(0, 4), d.slice(5, 7), d.slice(8, 10), d.slice(11, 13), d.slice(14, 16)];
  return `raw/${args.stream}/year=${yyyy}/month=${mm}/day=${dd}/hour=${hh}/minute=${mi}/${args.shardId}-${args.firstSequence}-${args.lastSequence}.jsonl.gz`;
}
