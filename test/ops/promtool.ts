/** Runs promtool and returns what it said; the ops tests assert on status and output. */
import { spawnSync } from 'node:child_process';
import { prometheusTools } from '../support/prometheus.js';

export interface PromtoolResult {
  status: number | null;
  output: string;
}

export async function promtool(args: string[], input?: string): Promise<PromtoolResult> {
  const { promtool: bin } = await prometheusTools();
  const res = spawnSync(bin, args, { encoding: 'utf8', input, timeout: 60_000 });
  if (res.error) throw res.error;
  return { status: res.status, output: `${res.stdout}${res.stderr}` };
}
