import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics/metrics.js';
import { alertRules, alertsFile, alertTestCases, alertTestsFile, familyOf, metricNamesIn } from './deployFiles.js';
import { promtool } from './promtool.js';

describe('deploy/prometheus alert rules', () => {
  it('pass promtool check rules', async () => {
    const res = await promtool(['check', 'rules', alertsFile]);
    expect(res.output).toContain('SUCCESS');
    expect(res.status).toBe(0);
  });

  it('pass their promtool unit tests', async () => {
    const res = await promtool(['test', 'rules', alertTestsFile]);
    expect(res.output).not.toContain('FAILED');
    expect(res.status).toBe(0);
  });

  it('give every alert both a firing and a non-firing test case', () => {
    const rules = alertRules();
    expect(rules.length).toBeGreaterThanOrEqual(6);
    const cases = alertTestCases();
    const missing: string[] = [];
    for (const { alert } of rules) {
      const mine = cases.filter((c) => c.alertname === alert);
      if (!mine.some((c) => (c.exp_alerts ?? []).length > 0)) missing.push(`${alert}: no firing case`);
      if (!mine.some((c) => (c.exp_alerts ?? []).length === 0)) missing.push(`${alert}: no non-firing case`);
    }
    expect(missing).toEqual([]);
  });

  it('only read metrics that Metrics registers (or Prometheus up)', async () => {
    const registered = new Set((await new Metrics().registry.getMetricsAsJSON()).map((m) => m.name).concat('up'));
    const unknown = alertRules().flatMap((r) => metricNamesIn(r.expr).filter((n) => !familyOf(n, registered)).map((n) => `${r.alert}: ${n}`));
    expect(unknown).toEqual([]);
    // The extraction itself must find names, or the check above proves nothing.
    expect(alertRules().every((r) => metricNamesIn(r.expr).length > 0)).toBe(true);
  });
});
