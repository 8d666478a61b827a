import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics/metrics.js';
import { dashboardFile, dashboardQueries, familyOf, metricNamesIn } from './deployFiles.js';

interface Target {
  expr?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown; definition?: string }[] };
}

function load(): Dashboard {
  return JSON.parse(readFileSync(dashboardFile, 'utf8')) as Dashboard;
}

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

describe('deploy/grafana/kinesis-lake.json', () => {
  it('parses, selects its Prometheus datasource through a variable, and has unique panel ids', () => {
    const dash = load();
    const ds = dash.templating.list.find((v) => v.type === 'datasource');
    expect(ds?.query).toBe('prometheus');
    const panels = allPanels(dash.panels);
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const p of panels.filter((q) => q.type !== 'row')) {
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.datasource?.uid, p.title).toBe(`\${${ds?.name ?? 'datasource'}}`);
    }
  });

  it('only queries metric names that Metrics registers, so it cannot drift from the code', async () => {
    const registered = new Set((await new Metrics().registry.getMetricsAsJSON()).map((m) => m.name));
    const exprs = dashboardQueries();
    const unknown = exprs.flatMap(({ where, expr }) => metricNamesIn(expr).filter((n) => !familyOf(n, registered)).map((n) => `${where}: ${n}`));
    expect(unknown).toEqual([]);
    const empty = exprs.filter(({ expr }) => metricNamesIn(expr).length === 0).map(({ where }) => where);
    expect(empty).toEqual([]);
  });

  it('covers what on-call looks at first', () => {
    const used = new Set(allPanels(load().panels).flatMap((p) => (p.targets ?? []).flatMap((t) => metricNamesIn(t.expr ?? ''))));
    for (const name of [
      'kinesis_lake_millis_behind_latest',
      'kinesis_lake_records_read_total',
      'kinesis_lake_records_written_total',
      'kinesis_lake_dlq_records_total',
      'kinesis_lake_leases_held',
      'kinesis_lake_memory_budget_used_bytes',
      'kinesis_lake_backpressure_paused_seconds_total',
      'kinesis_lake_aws_request_duration_seconds_bucket',
    ]) {
      expect(used, name).toContain(name);
    }
  });
});

describe('metricNamesIn', () => {
  it('finds names next to operators and inside functions, never label values', () => {
    expect(metricNamesIn('(kinesis_lake_leases_held == 0) and on (job) up{job="up", x="kinesis_lake_fake"} > max(nodejs_heap_size_used_bytes)').sort()).toEqual(
      ['kinesis_lake_leases_held', 'nodejs_heap_size_used_bytes', 'up'].sort(),
    );
  });
});
